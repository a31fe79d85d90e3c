#!/usr/bin/env bash
# Builds the Pulumi CLI and mlplat's Node.js language host into
# $MLPLAT_TOOLS/pulumi-<version>-<srchash>/ (prints "cached" if already there).
#   --print-dir   print that directory and exit (used by scripts/env.sh)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib.sh"

PULUMI_VERSION=3.248.0 # must match github.com/pulumi/pulumi/{pkg,sdk}/v3 in go.mod and @pulumi/pulumi

# The checksum database has no entries for recent github.com/pulumi modules;
# their hashes are pinned by the committed go.sum instead.
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi"
# Both binaries report the version through the sdk's version variable.
mlplat_gobuild "${1:-}" pulumi "$PULUMI_VERSION" "$here" \
  "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
  pulumi=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  pulumi-language-nodejs=./cmd/pulumi-language-nodejs
