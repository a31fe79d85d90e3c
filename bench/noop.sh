#!/usr/bin/env bash
# No-op preview and no-op up of the dev stack: total time and where it goes, for each way of
# running the program (bench/variant.js: ts-check, ts-transpile, ts-swc, js), alternated in one run.
#
#   bench/noop.sh                 BENCH_RUNS rounds (default 3) of ts-transpile, ts-swc and js, preview and up
#   BENCH_VARIANTS="ts-check js" BENCH_ACTIONS="preview" bench/noop.sh
#   BENCH_VARIANTS="ts-transpile ts-transpile+p64"   a +pN suffix runs that variant with --parallel N
#   BENCH_POLICY=1                also run the policy pack, as `make preview` / `make up` do
#   BENCH_KEEP_CLUSTER=1          leave the benchmarks' control plane running (default: purged)
#   BENCH_CPU_PROF=1              also write a V8 CPU profile of each program run (.local/bench/cpuprof/),
#                                 summarised by bench/cpuprofile.js
#
# The stack is deployed once (pulumi up from the first variant's copy) on the benchmarks' own
# control plane (bench/lib.sh: .local/bench-cluster, shifted ports) and state backend; every
# variant then previews / ups the same state, in rotation. Per run, from bench/marks.js (preloaded
# with NODE_OPTIONS) and wall-clock timestamps:
#   before node     CLI start, language host start, plugin discovery, until the program's Node starts
#   sdk load        Node start to the program's first file (@pulumi/pulumi runtime, TypeScript, ts-node)
#   program load    requiring the program: transpile (TypeScript or swc) or type check, module evaluation
#   register+diff   from the loaded program to Node's exit: resource registrations, the provider's
#                   start, Check/Diff of every resource, the stack outputs
#   after node      Node's exit to the CLI's exit: the engine's last steps, state write, summary
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

VARIANTS=(${BENCH_VARIANTS:-ts-transpile ts-swc js})
ACTIONS=(${BENCH_ACTIONS:-preview up})
machine_facts "BENCH_RUNS=$BENCH_RUNS BENCH_VARIANTS=\"${VARIANTS[*]}\" BENCH_ACTIONS=\"${ACTIONS[*]}\" BENCH_POLICY=${BENCH_POLICY:-0} bench/noop.sh"

bench_cluster fresh
[[ "${BENCH_KEEP_CLUSTER:-0}" == 1 ]] || trap 'bench_cluster purge' EXIT

state="$BENCH_WORK/noop-state"
rm -rf "$state"
mkdir -p "$state"
declare -A copy
for v in "${VARIANTS[@]}"; do
  copy[$v]="$(project_copy "noop-$v")"
  node "$BENCH_ROOT/variant.js" "${copy[$v]}" "${v%%+*}" >&2
done
policy_args=()
if [[ "${BENCH_POLICY:-0}" == 1 ]]; then
  (cd "$MLPLAT_ROOT" && scripts/policy.sh deps)
  policy_args=(--policy-pack "$MLPLAT_POLICY_DIR" --policy-pack-config "$BENCH_WORK/policy-dev.json")
  (cd "${copy[${VARIANTS[0]}]}" && node_modules/.bin/ts-node --transpile-only scripts/policy-config.ts dev "$BENCH_WORK/policy-dev.json" >&2)
fi

run_pulumi() { # DIR ACTION LOG [VARIANT]
  local dir="$1" action="$2" logf="$3" args=() par=()
  [[ "${4:-}" != *+p* ]] || par=(--parallel "${4##*+p}")
  case "$action" in
    preview) args=(preview --stack dev "${par[@]}" "${policy_args[@]}") ;;
    up) args=(up --yes --skip-preview --stack dev "${par[@]}" "${policy_args[@]}") ;;
    deploy) args=(up --yes --skip-preview --stack dev) ;;
  esac
  local node_options="--require $BENCH_ROOT/marks.js"
  if [[ "${BENCH_CPU_PROF:-0}" == 1 ]]; then
    export BENCH_CPU_PROF_DIR="$BENCH_WORK/cpuprof/$(basename "$logf" .log)"
  fi
  [[ "$action" != deploy ]] || node_options=""
  (cd "$dir" && PULUMI_BACKEND_URL="file://$state" NODE_OPTIONS="$node_options" BENCH_MARKS_FILE="$logf.marks" \
    pulumi "${args[@]}" >"$logf" 2>&1)
}

first="${copy[${VARIANTS[0]}]}"
(cd "$first" && PULUMI_BACKEND_URL="file://$state" pulumi stack init dev --secrets-provider passphrase >/dev/null)
s=$(now)
run_pulumi "$first" deploy "$BENCH_WORK/noop-deploy.log" || { tail -30 "$BENCH_WORK/noop-deploy.log"; exit 1; }
echo "deployed the dev stack ($(grep -E "^ +\+ [0-9]+ created" "$BENCH_WORK/noop-deploy.log" | tr -s " ")) in $(elapsed "$s") s (not a benchmark figure; bench/floor.sh is)"
echo

results="$BENCH_WORK/noop-results.tsv"
: >"$results"
for ((r = 1; r <= BENCH_RUNS; r++)); do
  for action in "${ACTIONS[@]}"; do
    for v in "${VARIANTS[@]}"; do
      logf="$BENCH_WORK/noop-$v-$action-$r.log"
      rm -f "$logf.marks"
      s=$(now)
      run_pulumi "${copy[$v]}" "$action" "$logf" "$v" || { echo "pulumi $action ($v) failed:"; tail -30 "$logf"; exit 1; }
      total=$(elapsed "$s")
      changes=$(awk '/^Resources:/ { on = 1; next } on && /^$/ { on = 0 } on' "$logf" | grep -vE '^\s+[0-9]+ unchanged\s*$' || true)
      [[ -z "$changes" ]] || { echo "not a no-op ($v $action): $changes"; exit 1; }
      # Phases from the program's marks (the program process's line).
      phases=$(node -e '
        const fs = require("fs");
        const [file, start, total] = process.argv.slice(1);
        const m = fs.readFileSync(file, "utf8").trim().split("\n").map(JSON.parse).find((l) => l.marks.programStart !== undefined);
        const t0 = m.timeOrigin / 1000 - Number(start), k = m.marks;
        const f = (x) => x.toFixed(2);
        const before = t0, sdk = k.programStart / 1000, prog = (k.programEnd - k.programStart) / 1000,
          reg = (k.exit - k.programEnd) / 1000, after = Number(total) - (t0 + k.exit / 1000);
        const ts = m.loadSelfMs["program .ts"] ?? m.loadSelfMs["program .js"] ?? 0;
        console.log([f(before), f(sdk), f(prog), f(reg), f(after), m.maxRssMiB, m.modules].join("\t"));
      ' "$logf.marks" "$s" "$total")
      printf '%s\t%s\t%s\t%s\t%s\n' "$action" "$v" "$r" "$total" "$phases" >>"$results"
      printf '%-8s %-13s run %d: %6.2f s  (before node %s, sdk load %s, program load %s, register+diff %s, after node %s; program rss %s MiB, %s modules)\n' \
        "$action" "$v" "$r" "$total" $(cut -f1-7 <<<"$phases") 
    done
  done
done

echo
echo "medians (s) over $BENCH_RUNS runs; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| action | variant | total | before node | SDK load | program load | register + diff | after node | program max RSS (MiB) |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
for action in "${ACTIONS[@]}"; do
  for v in "${VARIANTS[@]}"; do
    row="| $action | $v |"
    for col in 4 5 6 7 8 9 10; do
      # shellcheck disable=SC2046
      row+=" $(median $(awk -F'\t' -v a="$action" -v vv="$v" -v c="$col" '$1 == a && $2 == vv { print $c }' "$results")) |"
    done
    echo "$row"
  done
done
base="${VARIANTS[0]}"
for action in "${ACTIONS[@]}"; do
  b=$(median $(awk -F'\t' -v a="$action" -v vv="$base" '$1 == a && $2 == vv { print $4 }' "$results"))
  for v in "${VARIANTS[@]:1}"; do
    x=$(median $(awk -F'\t' -v a="$action" -v vv="$v" '$1 == a && $2 == vv { print $4 }' "$results"))
    awk -v a="$action" -v v="$v" -v b="$b" -v x="$x" -v base="$base" 'BEGIN { printf "%s: %s %.2f s vs %s %.2f s: %.2fx\n", a, v, x, base, b, x / b }'
  done
done
