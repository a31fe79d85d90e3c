#!/usr/bin/env bash
# The main job: `scripts/stack.sh up|preview|destroy|outputs` for the dev stack (or
# $STACK). Uses a file state backend in the project and the passphrase secrets
# provider; starts the local control plane first when the stack targets it.
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/env.sh"
cd "$MLPLAT_ROOT"

action="${1:-up}"
stack="${STACK:-dev}"
stack_file="Pulumi.$stack.yaml"
[[ -f "$stack_file" ]] || die "no $stack_file: create the stack's config first (see docs/configuration.md)"
command -v pulumi >/dev/null || die "the pulumi CLI is not built: run make tools"

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$MLPLAT_ROOT/.pulumi}"
# The dev stack's passphrase protects nothing of value (a local cluster); it is public
# so that every checkout can run it. Real stacks bring their own secrets provider.
if [[ "$stack" == dev ]]; then export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-mlplat-dev}"; fi
mkdir -p "$MLPLAT_ROOT/.pulumi"

kind="$(sed -n 's/^[[:space:]]*mlplat:cluster\.kind:[[:space:]]*\([a-z]*\).*/\1/p' "$stack_file")"
if [[ "${kind:-local}" == local && "$action" != outputs ]]; then
  scripts/cluster.sh up
fi

if ! pulumi stack select "$stack" >/dev/null 2>&1; then
  log "creating stack $stack (state in $PULUMI_BACKEND_URL)"
  pulumi stack init "$stack" --secrets-provider passphrase >/dev/null
fi

start=$SECONDS
case "$action" in
  up) pulumi up --yes --stack "$stack" ;;
  preview) pulumi preview --diff --stack "$stack" ;;
  destroy) pulumi destroy --yes --stack "$stack" ;;
  outputs) ;;
  *) die "unknown action $action (up, preview, destroy, outputs)" ;;
esac
[[ "$action" == outputs ]] || log "pulumi $action of $stack took $((SECONDS - start))s"
[[ "$action" == destroy ]] || pulumi stack output --stack "$stack"
