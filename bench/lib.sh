# Shared by the bench/ scripts. Source it; do not run it.
#
# Every benchmark runs on its own copy of the program (git archive of HEAD, or the
# work tree with BENCH_SOURCE=worktree), with its own file state backend, against its
# own local control plane on shifted ports, so it never touches `make up`'s cluster
# (.local/cluster, default ports), its state (.pulumi) or another engineer's edits.
set -euo pipefail
_bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../scripts/env.sh
source "$_bench_dir/../scripts/env.sh"
# The variants name their parallelism (bench/floor.sh, +pN in bench/noop.sh); "default" is the CLI's own.
unset PULUMI_PARALLEL
BENCH_ROOT="$MLPLAT_ROOT/bench"
BENCH_RUNS="${BENCH_RUNS:-3}"
BENCH_WORK="${BENCH_WORK:-$MLPLAT_ROOT/.local/bench}"
BENCH_SOURCE="${BENCH_SOURCE:-head}"
mkdir -p "$BENCH_WORK"

# The benchmarks' control plane: its own state directory and ports (never the defaults,
# which `make up` and a CI reproduction use).
export MLPLAT_CLUSTER_DIR="${BENCH_CLUSTER_DIR:-$MLPLAT_ROOT/.local/bench-cluster}"
export MLPLAT_LOCAL_CLUSTER_DIR="$MLPLAT_CLUSTER_DIR"
export MLPLAT_APISERVER_PORT="${MLPLAT_APISERVER_PORT:-36443}" MLPLAT_ETCD_PORT="${MLPLAT_ETCD_PORT:-32379}"
export MLPLAT_ETCD_PEER_PORT="${MLPLAT_ETCD_PEER_PORT:-32380}" MLPLAT_KCM_PORT="${MLPLAT_KCM_PORT:-30357}"
export MLPLAT_SCHEDULER_PORT="${MLPLAT_SCHEDULER_PORT:-30359}" MLPLAT_KWOK_PORT="${MLPLAT_KWOK_PORT:-30347}"
export MLPLAT_POLICY_DIR="$MLPLAT_ROOT/policy"
export PULUMI_CONFIG_PASSPHRASE=mlplat-dev

# Seconds since the epoch with milliseconds.
now() { date +%s.%N; }
# elapsed START: seconds since START, 2 decimals.
elapsed() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'; }

# median of the arguments (numbers).
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# The machine and tools, printed at the top of every benchmark's output.
machine_facts() {
  local cmd="$1"
  echo "## $(basename "$0")"
  echo "command:   $cmd"
  echo "date:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit:    $(git -C "$MLPLAT_ROOT" rev-parse --short HEAD) (program source: $BENCH_SOURCE)"
  echo "machine:   $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory"
  echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at start"
  echo "node:      $(node --version); typescript $(node -p 'require("typescript/package.json").version'); ts-node $(node -p 'require("ts-node/package.json").version'); @swc/core $(node -p 'require("@swc/core/package.json").version')"
  if command -v pulumi >/dev/null; then
    echo "pulumi:    $(pulumi version); @pulumi/pulumi $(node -p 'require("@pulumi/pulumi/package.json").version'); @pulumi/kubernetes $(node -p 'require("@pulumi/kubernetes/package.json").version')"
  fi
  echo "runs:      BENCH_RUNS=$BENCH_RUNS (median reported)"
  echo
}

# project_copy NAME: a fresh copy of the program in $BENCH_WORK/NAME (printed), with
# node_modules linked from the checkout and its own state directory .state.
project_copy() {
  local dir="$BENCH_WORK/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  if [[ "$BENCH_SOURCE" == worktree ]]; then
    (cd "$MLPLAT_ROOT" && tar -c --exclude=node_modules --exclude=.local --exclude=.pulumi --exclude=bin --exclude=policy \
      Pulumi.yaml Pulumi.dev.yaml index.ts lib.ts tsconfig*.json package.json components stacks scripts tools test/fixtures) | tar -x -C "$dir"
  else
    git -C "$MLPLAT_ROOT" archive HEAD Pulumi.yaml Pulumi.dev.yaml index.ts lib.ts package.json components stacks scripts tools test/fixtures \
      $(cd "$MLPLAT_ROOT" && git ls-files 'tsconfig*.json') | tar -x -C "$dir"
  fi
  ln -s "$MLPLAT_ROOT/node_modules" "$dir/node_modules"
  ln -s "$MLPLAT_ROOT/policy" "$dir/policy"
  mkdir -p "$dir/.state"
  echo "$dir"
}

# in_copy DIR CMD...: CMD in the copy with its own state backend and the dev stack selected.
in_copy() {
  local dir="$1"
  shift
  (cd "$dir" && PULUMI_BACKEND_URL="file://$dir/.state" "$@")
}

# init_stack DIR: the dev stack in the copy's backend.
init_stack() {
  in_copy "$1" bash -c 'pulumi stack select dev >/dev/null 2>&1 || pulumi stack init dev --secrets-provider passphrase >/dev/null'
}

# bench_cluster up|fresh|down|purge: the benchmarks' control plane (fresh: purged, then up, so
# no object of an earlier benchmark is left in it).
bench_cluster() {
  case "$1" in
    up) "$MLPLAT_ROOT/scripts/cluster.sh" up >&2 ;;
    fresh) "$MLPLAT_ROOT/scripts/cluster.sh" down --purge >&2 && "$MLPLAT_ROOT/scripts/cluster.sh" up >&2 ;;
    down) "$MLPLAT_ROOT/scripts/cluster.sh" down >&2 ;;
    purge) "$MLPLAT_ROOT/scripts/cluster.sh" down --purge >&2 ;;
  esac
}

bench_kubectl() { "$MLPLAT_ROOT/scripts/cluster.sh" kubectl "$@"; }
