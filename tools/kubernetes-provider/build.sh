#!/usr/bin/env bash
# Builds the Pulumi Kubernetes provider plugin into
# $MLPLAT_TOOLS/kubernetes-provider-<version>-<srchash>/ (prints "cached" if there).
#   --print-dir   print that directory and exit
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib.sh"

# Plugin version: must equal @pulumi/kubernetes's package.json "pulumi.version".
KUBERNETES_VERSION=4.25.0
# The provider module is untagged: go.mod pins the pseudo-version of the commit
# (tools/pulumi/README.md says why this commit).
PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4

dest="$(mlplat_tool_dir kubernetes-provider "$KUBERNETES_VERSION" "$here")"
if [[ "${1:-}" == --print-dir ]]; then echo "$dest"; exit 0; fi
if mlplat_tool_cached "$dest" pulumi-resource-kubernetes; then
  echo "kubernetes-provider-$KUBERNETES_VERSION: cached ($dest)"
  exit 0
fi

# Module versions the checksum database does not know; go.sum pins their hashes
# (tools/pulumi/README.md).
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi/pulumi/pkg,$PROVIDER_MODULE,github.com/pulumi/cloud-ready-checks"
tmp="$(mlplat_tool_staging "$dest")"
src="$(mktemp -d)"
trap 'rm -rf "$tmp" "$src"' EXIT
start=$SECONDS

# Upstream's main embeds generated files that are not in the module: prepare
# them in a scratch copy of this module from the module's schema.json (with the
# top-level "version" set, as upstream's generate step does) and
# terraform-mapping.json.
cd "$here"
go mod download "$PROVIDER_MODULE"
moddir="$(go list -m -f '{{.Dir}}' "$PROVIDER_MODULE")"
[[ -f "$moddir/cmd/pulumi-resource-kubernetes/schema.json" ]] || die "no schema.json in $moddir"
cp go.mod go.sum "$src/"
cp -r cmd "$src/"
out="$src/cmd/pulumi-resource-kubernetes"
sed '1s/^{$/{"version": "'"$KUBERNETES_VERSION"'",/' \
  "$moddir/cmd/pulumi-resource-kubernetes/schema.json" >"$out/schema-embed.json"
grep -q '"version": "'"$KUBERNETES_VERSION"'"' <(head -c 200 "$out/schema-embed.json") \
  || die "could not set the schema version"
cp "$moddir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$out/terraform-mapping-embed.json"

cd "$src"
mlplat_go_build "pulumi-resource-kubernetes $KUBERNETES_VERSION" -o "$tmp/pulumi-resource-kubernetes" \
  -ldflags "-s -w -X $PROVIDER_MODULE/pkg/version.Version=$KUBERNETES_VERSION" \
  ./cmd/pulumi-resource-kubernetes
# Read by scripts/build-tools.sh to install the plugin into $PULUMI_HOME.
printf 'resource kubernetes %s pulumi-resource-kubernetes\n' "$KUBERNETES_VERSION" >"$tmp/pulumi-plugins.txt"
mlplat_tool_install "$tmp" "$dest"
trap - EXIT
rm -rf "$src"
log "kubernetes-provider-$KUBERNETES_VERSION: done in $((SECONDS - start))s ($dest)"
