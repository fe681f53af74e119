#!/usr/bin/env bash
# Makes Debian's chromium available for the dashboard's browser tests (playwright-core drives
# it; no browser is ever downloaded at run time): installs the `chromium` package with apt when
# it is missing (root only) and prints its path, the value of S3O_CHROMIUM the tests read.
set -euo pipefail
log() { printf '[ensure-chromium] %s\n' "$*" >&2; }
for candidate in "${S3O_CHROMIUM:-}" chromium chromium-browser; do
  [[ -n $candidate ]] && path=$(command -v "$candidate" 2>/dev/null) && { echo "$path"; exit 0; }
done
[[ $(id -u) -eq 0 ]] || { log "chromium is missing and only root can install it (apt-get install chromium)"; exit 1; }
export DEBIAN_FRONTEND=noninteractive
log "installing chromium"
if ! apt-get -o DPkg::Lock::Timeout=600 -y -q install --no-install-recommends chromium >/tmp/s3o-apt-chromium.log 2>&1; then
  apt-get -o DPkg::Lock::Timeout=600 -q update >>/tmp/s3o-apt-chromium.log 2>&1
  apt-get -o DPkg::Lock::Timeout=600 -y -q install --no-install-recommends chromium >>/tmp/s3o-apt-chromium.log 2>&1 \
    || { tail -20 /tmp/s3o-apt-chromium.log >&2; exit 1; }
fi
command -v chromium
