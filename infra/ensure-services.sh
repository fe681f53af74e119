#!/usr/bin/env bash
# Makes PostgreSQL and NATS (JetStream) available on 127.0.0.1 for the tests, on Debian as
# root: installs what is missing (apt), starts what is not running, and makes sure a role
# that may create databases can log in over TCP. Idempotent; returns at once when both run.
# Prints the URLs the tests use:
#   S3O_TEST_PG_URL=postgres://...   S3O_TEST_NATS_URL=nats://...
set -euo pipefail

HOST=127.0.0.1
PG_PORT=${S3O_PG_PORT:-5432}
NATS_PORT=${S3O_NATS_PORT:-4222}
NATS_STORE=${S3O_NATS_STORE:-/var/lib/s3o/nats}
NATS_LOG=${S3O_NATS_LOG:-/var/log/s3o-nats.log}
ROLE=s3o
ROLE_PW=s3o
WAIT_SECS=60

log() { printf '[ensure-services] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
nats_js_ok() {
  local line=''
  { exec 3<>"/dev/tcp/$HOST/$NATS_PORT"; } 2>/dev/null || return 1
  IFS= read -r -t 2 line <&3 || true
  exec 3<&- 3>&-
  [[ $line == INFO* && $line == *'"jetstream":true'* ]]
}
pg_url_ok() { command -v psql >/dev/null && PGCONNECT_TIMEOUT=3 psql -X -q "$1" -tAc 'select 1' >/dev/null 2>&1; }

pick_pg_url() {
  if [[ -n ${S3O_TEST_PG_URL:-} ]] && pg_url_ok "$S3O_TEST_PG_URL"; then echo "$S3O_TEST_PG_URL"; return 0; fi
  for url in "postgres://postgres@$HOST:$PG_PORT/postgres" "postgres://$ROLE:$ROLE_PW@$HOST:$PG_PORT/postgres"; do
    if pg_url_ok "$url"; then echo "$url"; return 0; fi
  done
  return 1
}

apt_install() {
  log "installing: $*"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get -o DPkg::Lock::Timeout=600 -y -q install --no-install-recommends "$@" >/tmp/s3o-apt.log 2>&1; then
    apt-get -o DPkg::Lock::Timeout=600 -q update >>/tmp/s3o-apt.log 2>&1
    apt-get -o DPkg::Lock::Timeout=600 -y -q install --no-install-recommends "$@" >>/tmp/s3o-apt.log 2>&1 \
      || { tail -20 /tmp/s3o-apt.log >&2; die "apt-get install $* failed"; }
  fi
}

# --- PostgreSQL -----------------------------------------------------------------
if ! pg_url=$(pick_pg_url); then
  [[ $(id -u) -eq 0 ]] || die "PostgreSQL is not reachable on $HOST:$PG_PORT and only root can install/start it"
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then apt_install postgresql; fi
  if ! port_open "$PG_PORT"; then
    read -r ver cluster < <(pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3==p {print $1, $2; exit}') || true
    if [[ -z ${ver:-} ]]; then
      ver=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" | sort -V | tail -1)
      cluster=main
      pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main"' | grep -q . || pg_createcluster -p "$PG_PORT" "$ver" main >/dev/null
    fi
    log "starting PostgreSQL $ver/$cluster"
    pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" start 2>/dev/null || pg_ctlcluster "$ver" "$cluster" start
  fi
  for ((i = 0; i < WAIT_SECS * 5; i++)); do pg_isready -q -h "$HOST" -p "$PG_PORT" && break; sleep 0.2; done
  pg_isready -q -h "$HOST" -p "$PG_PORT" || die "PostgreSQL does not accept connections on $HOST:$PG_PORT"
  if ! pg_url=$(pick_pg_url); then
    log "creating role $ROLE (CREATEDB) for the tests"
    runuser -u postgres -- psql -X -q -p "$PG_PORT" -v ON_ERROR_STOP=1 -v u="$ROLE" -v pw="$ROLE_PW" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'u') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'u', :'pw') \gexec
SQL
    pg_url=$(pick_pg_url) || die "cannot log in to PostgreSQL on $HOST:$PG_PORT (check pg_hba.conf)"
  fi
fi

# --- NATS with JetStream ------------------------------------------------------------
if ! nats_js_ok; then
  port_open "$NATS_PORT" && die "something listens on $HOST:$NATS_PORT but it is not NATS with JetStream"
  [[ $(id -u) -eq 0 ]] || die "NATS is not running on $HOST:$NATS_PORT and only root can install/start it"
  command -v nats-server >/dev/null 2>&1 || apt_install nats-server
  mkdir -p "$NATS_STORE" "$(dirname "$NATS_LOG")"
  log "starting nats-server with JetStream (store $NATS_STORE)"
  setsid nohup nats-server -a "$HOST" -p "$NATS_PORT" -js -sd "$NATS_STORE" >>"$NATS_LOG" 2>&1 </dev/null &
  for ((i = 0; i < WAIT_SECS * 5; i++)); do nats_js_ok && break; sleep 0.2; done
  nats_js_ok || { tail -20 "$NATS_LOG" >&2; die "nats-server did not come up on $HOST:$NATS_PORT"; }
fi

# --- tools the tests call -----------------------------------------------------------
# docker-compose validates docker-compose.yml offline (no Docker engine is needed).
if ! command -v docker-compose >/dev/null 2>&1; then
  [[ $(id -u) -eq 0 ]] || die "docker-compose is missing and only root can install it"
  apt_install docker-compose
fi
# rclone is one of the real clients the e2e tests drive (e2e/test/addressing.test.ts).
if ! command -v rclone >/dev/null 2>&1; then
  [[ $(id -u) -eq 0 ]] || die "rclone is missing and only root can install it"
  apt_install rclone
fi
# aws cli too (e2e/test/part-copy.test.ts: server-side `s3 cp`, s3api tagging).
if ! command -v aws >/dev/null 2>&1; then
  [[ $(id -u) -eq 0 ]] || die "aws cli is missing and only root can install it"
  apt_install awscli
fi
# Debian's chromium is the browser of e2e/test/cors.test.ts (driven by playwright-core, which
# never downloads a browser of its own).
if [[ ! -x /usr/lib/chromium/chromium ]]; then
  [[ $(id -u) -eq 0 ]] || die "chromium is missing and only root can install it"
  apt_install chromium
fi

# ip, tc (iproute2) and iptables make the chaos suite's kernel network faults
# (e2e/src/chaos/kernel-link.ts, e2e/test/kernel-link.test.ts): installed when root. Without
# root the faults cannot be made anyway, so nothing fails here: the test skips and says why.
missing_net=()
command -v ip >/dev/null 2>&1 && command -v tc >/dev/null 2>&1 || missing_net+=(iproute2)
command -v iptables >/dev/null 2>&1 || missing_net+=(iptables)
if ((${#missing_net[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]]; then
    apt_install "${missing_net[@]}"
  else
    log "not root: ${missing_net[*]} missing, the kernel-fault tests will skip"
  fi
fi

echo "S3O_TEST_PG_URL=$pg_url"
echo "S3O_TEST_NATS_URL=nats://$HOST:$NATS_PORT"
