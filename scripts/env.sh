# Source this file from bash: `source scripts/env.sh`.
# Exports the mlplat environment from lib.sh (PULUMI_HOME in the cache, no
# plugin downloads, no update checks) and puts the Pulumi CLI built by
# scripts/build-tools.sh, with its Node.js language host, first on PATH.
_mlplat_env_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$_mlplat_env_dir/lib.sh"
# Data shared beside the checkout (a CI clone has shared/ beside it the same way): the
# upstream CRDs the local control plane serves (scripts/cluster.sh). Exported as an
# absolute path, so a copy of the program (the e2e suite's) finds it too.
if [ -z "${MLPLAT_SHARED_DIR:-}" ] && [ -d "$MLPLAT_ROOT/../shared" ]; then
  MLPLAT_SHARED_DIR="$(cd "$MLPLAT_ROOT/../shared" && pwd)"
  export MLPLAT_SHARED_DIR
fi
# Steps at once: the CLI's default is 4 x cores (8 on 2 cores), and an up spends those slots on
# Services awaiting their endpoints (about 10 s each while their pods start), so the rest of the
# stack queues behind them (docs/benchmarks.md, "Deploy against the floor"). Set it to override.
export PULUMI_PARALLEL="${PULUMI_PARALLEL:-64}"
_mlplat_pulumi_dir="$(bash "$MLPLAT_ROOT/tools/pulumi/build.sh" --print-dir)"
case ":$PATH:" in
  *":$_mlplat_pulumi_dir:"*) ;;
  *) export PATH="$_mlplat_pulumi_dir:$PATH" ;;
esac
if [ ! -x "$_mlplat_pulumi_dir/pulumi" ]; then
  printf '[mlplat] pulumi is not built yet (%s): run scripts/build-tools.sh\n' "$_mlplat_pulumi_dir" >&2
fi
unset _mlplat_env_dir _mlplat_pulumi_dir
