#!/usr/bin/env bash
# The e2e suite (test/e2e), run beside a `make up` deployment to prove it never touches
# one: the suite runs on its own control plane (test/e2e/env.ts) and its root hooks
# compare the objects (and UIDs) of the make up cluster before and after.
#   - the make up cluster (.local/cluster) runs: the suite runs beside it, as it is;
#   - there is none (a fresh clone, CI): one is started, the dev stack deployed to it
#     (with a throwaway state backend), the suite run, then both are removed;
#   - one exists but is stopped: the suite runs alone (nothing to compare).
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/env.sh"
cd "$MLPLAT_ROOT"

remove_bystander() {
  scripts/stack.sh destroy >/dev/null || true
  scripts/cluster.sh down --purge || true
  rm -rf "${PULUMI_BACKEND_URL#file://}"
}

if ! scripts/cluster.sh status >/dev/null 2>&1 && [[ ! -e "$MLPLAT_ROOT/.local/cluster" ]]; then
  export PULUMI_BACKEND_URL="file://$MLPLAT_ROOT/.local/bystander-state"
  trap remove_bystander EXIT
  log "test-e2e: deploying the dev stack to a make up cluster first, to check the suite leaves it as it was"
  scripts/stack.sh up >/dev/null
fi

node_modules/.bin/mocha -r ts-node/register/transpile-only --require test/e2e/hooks.ts --timeout 900000 --bail 'test/e2e/**/*.test.ts'
