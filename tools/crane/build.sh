#!/usr/bin/env bash
# Builds crane (go-containerregistry) into $MLPLAT_TOOLS/crane-<version>-<srchash>/
# (prints "cached" if already there). `make model-image` uses it to put a model
# into a server image and push it without a Docker daemon; its `registry serve`
# is the loopback registry of the model-image test.
#   --print-dir   print that directory and exit
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib.sh"

CRANE_VERSION=v0.22.1 # must match github.com/google/go-containerregistry in go.mod

mlplat_gobuild "${1:-}" crane "$CRANE_VERSION" "$here" "-s -w" \
  crane=github.com/google/go-containerregistry/cmd/crane
