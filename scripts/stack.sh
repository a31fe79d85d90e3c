#!/usr/bin/env bash
# The main job: `scripts/stack.sh up|preview|destroy|outputs` for the dev stack (or
# $STACK). Uses a file state backend in the project and the passphrase secrets
# provider; starts the local control plane first when the stack targets it.
#
# Before an up it brings the state in line with the cluster (scripts/stack-state.ts):
# clears a lock whose pulumi process is gone, drops the objects of a local control
# plane that was recreated, and takes back the objects an interrupted run created.
# `up` refreshes first (REFRESH=1, the default for stacks on the local control plane)
# so that objects deleted behind Pulumi's back are recreated. Previews and ups run the
# policy pack; a preview ends with its Markdown summary.
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
mkdir -p "${PULUMI_BACKEND_URL#file://}"

kind="$(sed -n 's/^[[:space:]]*mlplat:cluster\.kind:[[:space:]]*\([a-z]*\).*/\1/p' "$stack_file")"
state_args=()
if [[ "${kind:-local}" == local ]]; then
  [[ "$action" == outputs ]] || scripts/cluster.sh up
  # The program reads the same directory (components/cluster LOCAL_CLUSTER_DIR).
  export MLPLAT_LOCAL_CLUSTER_DIR="${MLPLAT_CLUSTER_DIR:-$MLPLAT_ROOT/.local/cluster}"
  state_args=(--kubeconfig "$MLPLAT_LOCAL_CLUSTER_DIR/kubeconfig")
  eval "$(scripts/cluster.sh env)" # the built kubectl, for stack-state.ts
  refresh_default=1
fi

if ! pulumi stack select "$stack" >/dev/null 2>&1; then
  log "creating stack $stack (state in $PULUMI_BACKEND_URL)"
  pulumi stack init "$stack" --secrets-provider passphrase >/dev/null
fi

if [[ "$action" != outputs ]]; then
  node_modules/.bin/ts-node --transpile-only scripts/stack-state.ts prepare "$stack" "${state_args[@]}"
fi

# An up or preview that fails because an object already exists gets the choices spelled out.
explain_failure() {
  local out="$1"
  grep -qE 'already exists' "$out" || return 0
  log "the stack tried to create objects that already exist in the cluster and that it did not create:"
  grep -oE '[a-z0-9.]+ "[^"]+" already exists' "$out" | sort -u | sed 's/^/[mlplat]   /' >&2 || true
  log "mlplat never takes over an object it did not create. Choose one:"
  log "  - another name or namespace for it (e.g. pulumi config set <platform>.namespace <new-name>);"
  log "  - a namespace you want to keep: declare it existing, the stack then uses it without owning it:"
  log "      pulumi config set --path 'cluster.existingNamespaces[0]' <namespace>"
  log "  - adopt it on purpose: pulumi import <type> <name> <namespace/name>; a later destroy deletes it."
}

run_pulumi() {
  local out rc=0
  out="$(mktemp)"
  pulumi "$@" 2>&1 | tee "$out" || rc=$?
  [[ $rc -eq 0 ]] || explain_failure "$out"
  rm -f "$out"
  return $rc
}

# The policy pack (policy/, docs/reviewing-changes.md) checks every preview and up.
policy_args=()
if [[ "$action" == up || "$action" == preview ]]; then
  policy_out="$(scripts/policy.sh args "$stack")"
  mapfile -t policy_args < <(printf '%s' "$policy_out")
fi

start=$SECONDS
refresh=()
[[ "${REFRESH:-${refresh_default:-0}}" == 1 ]] && refresh=(--refresh)
case "$action" in
  up) run_pulumi up --yes "${refresh[@]}" --stack "$stack" "${policy_args[@]}" ;;
  # The summary a reviewer reads (a second, JSON preview); `;` so a failed preview still stops here.
  preview) run_pulumi preview --diff --stack "$stack" "${policy_args[@]}"; scripts/policy.sh summary "$stack" ;;
  destroy) run_pulumi destroy --yes --stack "$stack" ;;
  outputs) ;;
  *) die "unknown action $action (up, preview, destroy, outputs)" ;;
esac
[[ "$action" == outputs ]] || log "pulumi $action of $stack took $((SECONDS - start))s"
[[ "$action" == destroy ]] || pulumi stack output --stack "$stack"
