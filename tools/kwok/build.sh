#!/usr/bin/env bash
# Builds kwok into $MLPLAT_TOOLS/kwok-<version>-<srchash>/ (prints "cached" if
# already there).
#   --print-dir   print that directory and exit
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib.sh"

KWOK_VERSION=v0.8.0 # must match sigs.k8s.io/kwok in go.mod

mlplat_gobuild "${1:-}" kwok "$KWOK_VERSION" "$here" "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" \
  kwok=sigs.k8s.io/kwok/cmd/kwok
