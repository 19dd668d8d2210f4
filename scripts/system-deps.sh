#!/usr/bin/env bash
# Debian packages the tests need beyond Python: PostgreSQL + PostGIS (the server the tests talk to),
# Chromium (browser tests), GDAL's ogrinfo (OGC API compliance check), QGIS 3.22's Python bindings (its
# OAPIF provider, tests/test_gis_clients.py), LibreOffice Calc (opens the .xlsx export), wrk (the load
# generator of bench/features.py and bench/load.py), pg_auto_failover and nginx (deploy/failover_drill.py,
# tests/test_failover.py), npm (axe-core, the accessibility checker) and poppler-utils (pdftotext, pdftoppm).
# Installs what is missing when root; otherwise prints the exact command.
set -euo pipefail
missing=()
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing+=(postgresql-15 postgresql-15-postgis-3)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ogrinfo >/dev/null 2>&1 || missing+=(gdal-bin)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v pg_autoctl >/dev/null 2>&1 || missing+=(postgresql-15-auto-failover)  # the failover drill
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)  # its load balancer
lean=()  # large packages whose recommends (the QGIS desktop, LibreOffice's GUI) the tests do not need
/usr/bin/python3 -c "import qgis.core" >/dev/null 2>&1 || lean+=(python3-qgis)
command -v soffice >/dev/null 2>&1 || lean+=(libreoffice-calc-nogui)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)  # installs axe-core for the accessibility tests
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)  # pdftotext/pdftoppm read the printed PDFs
[ ${#missing[@]} -eq 0 ] && [ ${#lean[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages. Run: sudo apt-get update && sudo apt-get install -y ${missing[*]} ${lean[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Another apt-get or dpkg (an unattended upgrade, a second terminal) may hold the lock: wait for it, bounded.
lock=(-o DPkg::Lock::Timeout=300)
if command -v fuser >/dev/null 2>&1 && fuser /var/lib/dpkg/lock-frontend /var/lib/apt/lists/lock >/dev/null 2>&1; then
  echo "system-deps: waiting (at most 300 s) for another apt-get/dpkg to release its lock" >&2
fi
apt-get "${lock[@]}" update -q >/dev/null
[ ${#missing[@]} -eq 0 ] || apt-get "${lock[@]}" install -y -q "${missing[@]}" >/dev/null
[ ${#lean[@]} -eq 0 ] || apt-get "${lock[@]}" install -y -q --no-install-recommends "${lean[@]}" >/dev/null
echo "installed: ${missing[*]} ${lean[*]}"
