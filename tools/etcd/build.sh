#!/usr/bin/env bash
# Builds etcd into $MLPLAT_TOOLS/etcd-<version>-<srchash>/ (prints "cached" if
# already there).
#   --print-dir   print that directory and exit
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib.sh"

ETCD_VERSION=v3.6.16 # must match go.etcd.io/etcd/server/v3 in go.mod

mlplat_gobuild "${1:-}" etcd "$ETCD_VERSION" "$here" "-s -w" \
  etcd=go.etcd.io/etcd/server/v3
