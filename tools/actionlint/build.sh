#!/usr/bin/env bash
# Builds actionlint into $MLPLAT_TOOLS/actionlint-<version>-<srchash>/ (prints "cached" if
# already there). `make lint-workflows` (in `make test`) runs it on .github/workflows.
#   --print-dir   print that directory and exit
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib.sh"

ACTIONLINT_VERSION=v1.7.12 # must match github.com/rhysd/actionlint in go.mod

mlplat_gobuild "${1:-}" actionlint "$ACTIONLINT_VERSION" "$here" "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
  actionlint=github.com/rhysd/actionlint/cmd/actionlint
