#!/usr/bin/env bash
# Builds the Pulumi CLI and mlplat's Node.js language host into
# $MLPLAT_TOOLS/pulumi-<version>-<srchash>/ (prints "cached" if already there).
#   --print-dir   print that directory and exit (used by scripts/env.sh)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib.sh"

PULUMI_VERSION=3.248.0 # must match github.com/pulumi/pulumi/{pkg,sdk}/v3 in go.mod and @pulumi/pulumi

dest="$MLPLAT_TOOLS/pulumi-$PULUMI_VERSION-$(mlplat_src_hash "$here")"
if [[ "${1:-}" == --print-dir ]]; then echo "$dest"; exit 0; fi
if [[ -x "$dest/pulumi" && -x "$dest/pulumi-language-nodejs" ]]; then
  echo "pulumi-$PULUMI_VERSION: cached ($dest)"
  exit 0
fi

command -v go >/dev/null || die "go is not on PATH"
# The checksum database has no entry for pkg/v3@v3.248.0; its hash is pinned by
# the committed go.sum (see README.md).
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi/pulumi/pkg"
mkdir -p "$MLPLAT_TOOLS"
tmp="$(mktemp -d "$MLPLAT_TOOLS/.pulumi-$PULUMI_VERSION.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
cd "$here"
mlplat_go_build "pulumi $PULUMI_VERSION" -o "$tmp/pulumi" \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mlplat_go_build "pulumi-language-nodejs (mlplat)" -o "$tmp/pulumi-language-nodejs" \
  -ldflags "-s -w -X main.version=$PULUMI_VERSION" ./cmd/pulumi-language-nodejs
printf '%s\n' "$PULUMI_VERSION" >"$tmp/VERSION"
chmod 755 "$tmp"
[[ -e "$dest" ]] && rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
log "pulumi-$PULUMI_VERSION: done in $((SECONDS - start))s ($dest)"
