#!/usr/bin/env bash
# Debian packages the tests need beyond Python: PostgreSQL + PostGIS (the server the tests talk to),
# Chromium (browser tests), GDAL's ogrinfo (OGC API compliance check), wrk (the load generator of
# bench/features.py and bench/load.py) and npm (axe-core, the accessibility checker of the browser tests).
# Installs what is missing when root; otherwise prints the exact command.
set -euo pipefail
missing=()
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing+=(postgresql-15 postgresql-15-postgis-3)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ogrinfo >/dev/null 2>&1 || missing+=(gdal-bin)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)  # installs axe-core for the accessibility tests
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages. Run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
