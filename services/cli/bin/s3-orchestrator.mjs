#!/usr/bin/env node
// The installed `s3-orchestrator` command. A committed file (with its executable bit), so
// npm links it on install even before the build, and `npx s3-orchestrator` runs it instead
// of looking for a package of that name; it runs the compiled CLI (services/cli/dist/).
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('s3-orchestrator is not built yet: run `npm run build` (or `npm start`) in the repository first\n');
  process.exit(1);
}
await import(main.href);
