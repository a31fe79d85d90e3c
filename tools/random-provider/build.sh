#!/usr/bin/env bash
# Builds the Pulumi random provider plugin into
# $MLPLAT_TOOLS/random-provider-<version>-<srchash>/ (prints "cached" if there).
#   --print-dir   print that directory and exit
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib.sh"

# Plugin version: must equal @pulumi/random's package.json "pulumi.version".
RANDOM_VERSION=4.21.2

dest="$(mlplat_tool_dir random-provider "$RANDOM_VERSION" "$here")"
if [[ "${1:-}" == --print-dir ]]; then echo "$dest"; exit 0; fi
if mlplat_tool_cached "$dest" pulumi-resource-random; then
  echo "random-provider-$RANDOM_VERSION: cached ($dest)"
  exit 0
fi

tmp="$(mlplat_tool_staging "$dest")"
src="$(mktemp -d)"
trap 'rm -rf "$tmp" "$src"' EXIT
start=$SECONDS
ldflags="-s -w -X mlplat/tools/random-provider/internal/randomprov.Version=$RANDOM_VERSION"

# 1. tfgen: derive the package schema and bridge metadata from the Terraform
#    provider, as upstream does at release time (they are not in any module).
cd "$here"
cp -r go.mod go.sum shim internal cmd "$src/"
cd "$src"
mlplat_go_build "pulumi-tfgen-random $RANDOM_VERSION" -o "$src/pulumi-tfgen-random" \
  -ldflags "$ldflags" ./cmd/pulumi-tfgen-random
"$src/pulumi-tfgen-random" schema --out "$src/gen" --skip-docs --skip-examples >"$src/tfgen.log" 2>&1 \
  || { cat "$src/tfgen.log" >&2; die "pulumi-tfgen-random schema failed"; }
out="$src/cmd/pulumi-resource-random"
sed '1s/^{$/{"version": "'"$RANDOM_VERSION"'",/' "$src/gen/schema.json" >"$out/schema-embed.json"
grep -q '"version": "'"$RANDOM_VERSION"'"' <(head -c 200 "$out/schema-embed.json") \
  || die "could not set the schema version"
cp "$src/gen/bridge-metadata.json" "$out/bridge-metadata.json"

# 2. the provider, embedding them.
mlplat_go_build "pulumi-resource-random $RANDOM_VERSION" -o "$tmp/pulumi-resource-random" \
  -ldflags "$ldflags" ./cmd/pulumi-resource-random
printf 'resource random %s pulumi-resource-random\n' "$RANDOM_VERSION" >"$tmp/pulumi-plugins.txt"
mlplat_tool_install "$tmp" "$dest"
trap - EXIT
rm -rf "$src"
log "random-provider-$RANDOM_VERSION: done in $((SECONDS - start))s ($dest)"
