# One image for every service, on Node.js 24 (the current LTS): `docker run IMAGE <verb> --config FILE`, where verb is
# gateway | placement | cleanup | usage | notifier | serve | validate.
FROM node:24-bookworm-slim AS build
# better-sqlite3 compiles from source
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY shared shared
COPY services services
COPY infra/demo infra/demo
COPY infra/bench/package.json infra/bench/package.json
COPY e2e/package.json e2e/package.json
COPY migrations migrations
RUN npm ci --no-audit --no-fund && node_modules/.bin/tsc -b && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# glibc keeps up to 64 MiB of freed heap instead of faulting it back in page by page: large
# transfers cost 2–5x less CPU per MB (services/cli/src/allocator.ts; docs/performance.md).
ENV GLIBC_TUNABLES=glibc.malloc.trim_threshold=67108864
WORKDIR /app
COPY --from=build /app /app
USER node
ENTRYPOINT ["node", "--initial-old-space-size=64", "services/cli/dist/main.js"]
CMD ["--help"]
