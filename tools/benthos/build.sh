#!/usr/bin/env bash
# Build the Benthos stream processor (github.com/benthosdev/benthos/v4, main
# package cmd/benthos) from Go modules into $MLPLAT_TOOLS/benthos-<version>/benthos.
#
# The version is the one pinned in tools/benthos/go.mod (the same as the
# jeffail/benthos image the cluster runs). Idempotent: prints "cached" and
# exits at once when the binary already exists. A build goes to a temp dir
# next to the destination and is renamed into place atomically, so an
# interrupted build never leaves a half-written binary behind.
#
# Usage: tools/benthos/build.sh            # prints the binary path on stdout
#        BENTHOS_BUILD_NICE=10 tools/benthos/build.sh
set -euo pipefail
# shellcheck source=../../scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib.sh"

MODDIR="$MLPLAT_ROOT/tools/benthos"
PKG="github.com/benthosdev/benthos/v4/cmd/benthos"

# The version pinned in go.mod, read without invoking go (keeps the cached path instant).
VERSION="$(sed -n 's#^[[:space:]]*github.com/benthosdev/benthos/v4 v\([^ ]*\).*#\1#p' "$MODDIR/go.mod" | head -n1)"
[ -n "$VERSION" ] || die "cannot read the benthos version from $MODDIR/go.mod"

DEST_DIR="$MLPLAT_TOOLS/benthos-$VERSION"
BIN="$DEST_DIR/benthos"

if [ -x "$BIN" ]; then
  log "benthos $VERSION: cached ($BIN)"
  echo "cached"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "go is not on PATH (Go >= 1.24 is needed to build benthos)"

mkdir -p "$MLPLAT_TOOLS"
TMP="$(mktemp -d "$MLPLAT_TOOLS/.benthos-$VERSION.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

start=$(date +%s)
log "benthos $VERSION: downloading modules (go mod download)"
(cd "$MODDIR" && go mod download "github.com/benthosdev/benthos/v4") || die "go mod download failed"
log "benthos $VERSION: modules ready after $(( $(date +%s) - start ))s; compiling $PKG (several minutes cold)"

# Progress: report elapsed seconds every 30s while the compiler runs.
( while sleep 30; do log "benthos $VERSION: still compiling... $(( $(date +%s) - start ))s"; done ) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true; rm -rf "$TMP"' EXIT

nice_cmd=()
if [ -n "${BENTHOS_BUILD_NICE:-}" ]; then nice_cmd=(nice -n "$BENTHOS_BUILD_NICE"); fi

mkdir -p "$TMP/benthos-$VERSION"
# -checklinkname=0: benthos 4.21 pulls github.com/segmentio/parquet-go, whose
# hashprobe/aeshash go:linkname-references runtime.aeskeysched; Go >= 1.23's
# linker refuses such references by default ("invalid reference to
# runtime.aeskeysched"). The symbol still exists, so the check is lifted.
# The version is stamped as upstream's release builds do (build info cannot tell
# it when the main package lives in a dependency module).
ldflags="-s -w -checklinkname=0"
ldflags+=" -X github.com/benthosdev/benthos/v4/internal/cli.Version=$VERSION"
ldflags+=" -X github.com/benthosdev/benthos/v4/internal/cli.DateBuilt=$(cd "$MODDIR" && go list -m -f '{{.Time.Format "2006-01-02T15:04:05Z"}}' github.com/benthosdev/benthos/v4)"
(cd "$MODDIR" && CGO_ENABLED=0 "${nice_cmd[@]}" go build -mod=readonly -trimpath -ldflags "$ldflags" \
    -o "$TMP/benthos-$VERSION/benthos" "$PKG") || die "go build of $PKG failed"
kill "$ticker" 2>/dev/null || true

"$TMP/benthos-$VERSION/benthos" --version | grep -q "^Version: $VERSION\$" || die "the built benthos binary does not run or reports another version"

# Atomic publish: rename the whole versioned directory into place. If another
# build won the race in the meantime, keep its result.
if ! mv -T "$TMP/benthos-$VERSION" "$DEST_DIR" 2>/dev/null; then
  [ -x "$BIN" ] || die "could not move the build into $DEST_DIR"
fi
log "benthos $VERSION: built in $(( $(date +%s) - start ))s -> $BIN"
echo "$BIN"
