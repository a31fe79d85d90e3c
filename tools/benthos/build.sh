#!/usr/bin/env bash
# Builds the Benthos stream processor (github.com/benthosdev/benthos/v4, main
# package cmd/benthos) into $MLPLAT_TOOLS/benthos-<version>-<srchash>/benthos
# (prints "cached" if already there). The version is the one pinned in go.mod,
# the same as the jeffail/benthos image the cluster runs.
#   --print-dir   print that directory and exit (used by the data-path test)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib.sh"

# Read without invoking go, so the cached path stays instant.
VERSION="$(sed -n 's#^[[:space:]]*github.com/benthosdev/benthos/v4 v\([^ ]*\).*#\1#p' "$here/go.mod" | head -n1)"
[[ -n "$VERSION" ]] || die "cannot read the benthos version from $here/go.mod"

# -checklinkname=0: benthos 4.21 pulls github.com/segmentio/parquet-go, whose
# hashprobe/aeshash go:linkname-references runtime.aeskeysched; Go >= 1.23's
# linker refuses such references by default ("invalid reference to
# runtime.aeskeysched"). The symbol still exists, so the check is lifted.
# The version is stamped as upstream's release builds do (build info cannot tell
# it when the main package lives in a dependency module).
export CGO_ENABLED=0
mlplat_gobuild "${1:-}" benthos "$VERSION" "$here" \
  "-s -w -checklinkname=0 -X github.com/benthosdev/benthos/v4/internal/cli.Version=$VERSION" \
  benthos=github.com/benthosdev/benthos/v4/cmd/benthos
[[ "${1:-}" == --print-dir ]] && exit 0
"$(mlplat_tool_dir benthos "$VERSION" "$here")/benthos" --version | grep -q "^Version: $VERSION\$" \
  || die "the built benthos binary does not run or reports another version"
