#!/usr/bin/env bash
# Builds mlplat's localcloud controller into
# $MLPLAT_TOOLS/localcloud-<version>-<srchash>/ (prints "cached" if already
# there). The source hash is part of the key, so any change rebuilds it.
#   --print-dir   print that directory and exit
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib.sh"

LOCALCLOUD_VERSION=v0.1.0

mlplat_gobuild "${1:-}" localcloud "$LOCALCLOUD_VERSION" "$here" "-s -w" \
  localcloud=.
