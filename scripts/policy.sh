#!/usr/bin/env bash
# The policy pack (policy/) and the preview summary, for scripts/stack.sh, the e2e and CI.
#
#   scripts/policy.sh deps             install the pack's packages (npm ci in policy/) and build it
#                                      (policy/bin), each when stale
#   scripts/policy.sh args STACK       print the pulumi arguments that run the pack on STACK, one per
#                                      line (--policy-pack DIR --policy-pack-config FILE); the config is
#                                      written from Pulumi.STACK.yaml to .local/policy/STACK.json
#   scripts/policy.sh summary STACK [pulumi args...]
#                                      a JSON preview of STACK with the pack (engine events, secrets
#                                      masked) saved to .local/preview/STACK.jsonl, and its Markdown
#                                      summary (scripts/preview-summary.ts) printed and saved to
#                                      .local/preview/STACK.md; exits as the preview did
#
# summary expects the environment scripts/stack.sh sets up (backend, passphrase, selected stack).
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/env.sh"
cd "$MLPLAT_ROOT"

# The pack; MLPLAT_POLICY_DIR points a copy of the program (the e2e's) at the checkout's.
export MLPLAT_POLICY_DIR="${MLPLAT_POLICY_DIR:-$MLPLAT_ROOT/policy}"
pack="$MLPLAT_POLICY_DIR"
stamp="$pack/node_modules/.mlplat-installed"

deps() {
  [[ -f "$pack/PulumiPolicy.yaml" ]] || die "no policy pack in $pack"
  if [[ ! -f "$stamp" || "$pack/package.json" -nt "$stamp" || "$pack/package-lock.json" -nt "$stamp" ]]; then
    log "installing the policy pack's packages ($pack)"
    # No install scripts: the pack's dependencies have none that we need.
    (cd "$pack" && npm ci --no-audit --no-fund --ignore-scripts >&2)
    touch "$stamp"
  fi
  # The pack runs compiled (PulumiPolicy.yaml): rebuilt, and so type-checked, when a source changed.
  local out="$pack/bin/index.js"
  if [[ ! -f "$out" || -n "$(find "$pack" -maxdepth 1 \( -name '*.ts' -o -name tsconfig.json \) -newer "$out")" ]]; then
    log "building the policy pack ($pack/bin)"
    node_modules/.bin/tsc -p "$pack/tsconfig.json" >&2
  fi
}

args() {
  local stack="$1" config="$MLPLAT_ROOT/.local/policy/$1.json"
  if [[ ! -f "$pack/PulumiPolicy.yaml" ]]; then
    # Only a partial copy of the program lacks it (a checkout always has policy/).
    log "no policy pack in $pack: this run is not checked by it (set MLPLAT_POLICY_DIR)"
    return 0
  fi
  deps
  node_modules/.bin/ts-node --transpile-only scripts/policy-config.ts "$stack" "$config" >&2
  printf '%s\n' --policy-pack "$pack" --policy-pack-config "$config"
}

summary() {
  local stack="$1"
  shift
  local out=".local/preview/$stack" rc=0
  mkdir -p .local/preview
  local pargs pout
  pout="$(args "$stack")"
  mapfile -t pargs < <(printf '%s' "$pout")
  # The streaming form of `--json` carries the policy events; the one-document digest drops them.
  PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true pulumi preview --json --stack "$stack" "${pargs[@]}" "$@" >"$out.jsonl" 2>"$out.stderr" || rc=$?
  node_modules/.bin/ts-node --transpile-only scripts/preview-summary.ts --stack "$stack" "$out.jsonl" >"$out.md"
  cat "$out.md"
  if [[ $rc -ne 0 ]]; then
    log "the preview failed (exit $rc): the summary above lists the policy violations and errors; pulumi's stderr: $out.stderr"
  fi
  return $rc
}

case "${1:-}" in
  deps) deps ;;
  args) [[ -n "${2:-}" ]] || die "usage: scripts/policy.sh args STACK"; args "$2" ;;
  summary) [[ -n "${2:-}" ]] || die "usage: scripts/policy.sh summary STACK [pulumi args...]"; shift; summary "$@" ;;
  *) die "usage: scripts/policy.sh deps | args STACK | summary STACK [pulumi args...]" ;;
esac
