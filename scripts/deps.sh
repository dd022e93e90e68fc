#!/bin/sh
# deps.sh: installs the Debian packages opstasks needs to build, test and
# benchmark. Fast when everything is there already; as root it runs apt-get,
# otherwise it prints the exact command to run.
set -eu
# prometheus: for promtool, which the metrics test runs; on a machine
# with systemd the package also enables a prometheus service on :9090
# (`systemctl disable --now prometheus` turns it off; containers start none).
# chromium and chromium-driver: the browser tests of the /tasks page
# python3-yaml, python3-jsonschema: tests/api/test_openapi.py reads docs/openapi.yaml
# and checks the server's answers against its schemas
# systemd: systemd-analyze, which checks contrib/opstasks.service (tests/api/test_package.py)
# libgnutls28-dev: checking the --tls-cert/--tls-key pair at start; openssl:
# the HTTPS tests make a self-signed certificate with it
# clang, libclang-rt-14-dev (libFuzzer and the sanitizer runtimes) and llvm
# (llvm-symbolizer, for readable stack traces): make fuzz
# libpq-dev: the PostgreSQL backend's client library (pkg-config libpq);
# postgresql: initdb, pg_ctl, createdb and psql for the throwaway cluster
# the tests run the PostgreSQL backend on (scripts/pg-test-cluster.sh);
# Debian enables its own cluster on :5432, which the tests do not use
# esbuild: the build minifies the page's scripts and style sheets with it
# (scripts/embed-web.sh)
# python3-psycopg2: the API tests read and change rows of a PostgreSQL database
# directly (conftest.py db_query), as they do with sqlite3 on SQLite
# python3-pytest-xdist: make test runs the API suite's modules side by side
PKGS="build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev
libcriterion-dev tzdata python3 python3-pytest curl sqlite3 wrk
prometheus chromium chromium-driver python3-yaml python3-jsonschema systemd libgnutls28-dev openssl
clang libclang-rt-14-dev llvm libpq-dev postgresql python3-psycopg2 esbuild
libcurl4-gnutls-dev python3-aiosmtpd python3-pytest-xdist"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "deps: missing Debian packages; run:" >&2
    echo "  sudo apt-get install -y$missing" >&2
    exit 1
fi
