#!/usr/bin/env bash
# Deploy against the floor: `pulumi up` of the dev stack from empty vs `kubectl apply
# --server-side` of exactly the same rendered objects followed by `kubectl wait` on the same
# readiness conditions, on the benchmarks' own control plane (bench/lib.sh), alternated.
#
#   bench/floor.sh                  BENCH_RUNS rounds (default 3) of: pulumi up, pulumi destroy,
#                                   floor (apply + wait), delete
#   BENCH_POLICY=1                  the up runs the policy pack too, as `make up` does
#   BENCH_FLOOR_PARALLEL="default 64"  one up per value in each round, alternated: `default` is the
#                                   CLI's own (4 x GOMAXPROCS), a number is passed as --parallel
#
# The objects: after the first up, `pulumi stack export --show-secrets`, each Kubernetes
# object's inputs (bench/floor-objects.js): CRDs and Namespaces applied first, then the rest
# in a dependency order; the waits are Pulumi's await conditions (Deployments Available,
# StatefulSets ready, Jobs Complete, Ingresses and LoadBalancer Services with an address,
# PVCs Bound). The up is timed as the CLI's whole run (program, provider, awaits, state).
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
PARALLEL=(${BENCH_FLOOR_PARALLEL:-default})
machine_facts "BENCH_RUNS=$BENCH_RUNS BENCH_POLICY=${BENCH_POLICY:-0} BENCH_FLOOR_PARALLEL=\"${PARALLEL[*]}\" bench/floor.sh"

bench_cluster fresh
[[ "${BENCH_KEEP_CLUSTER:-0}" == 1 ]] || trap 'bench_cluster purge' EXIT
eval "$("$MLPLAT_ROOT/scripts/cluster.sh" env)"
kubectl version --client | sed -n "1s/^/kubectl:   /p" # sed reads it all: head would cut the pipe (pipefail)

dir="$(project_copy floor)"
init_stack "$dir"
policy_args=()
if [[ "${BENCH_POLICY:-0}" == 1 ]]; then
  (cd "$MLPLAT_ROOT" && scripts/policy.sh deps)
  (cd "$dir" && node_modules/.bin/ts-node --transpile-only scripts/policy-config.ts dev "$BENCH_WORK/policy-dev.json" >&2)
  policy_args=(--policy-pack "$MLPLAT_POLICY_DIR" --policy-pack-config "$BENCH_WORK/policy-dev.json")
fi
objects="$BENCH_WORK/floor-objects"
rm -rf "$objects" # written from this run's first up

pulumi_up() { # LOGNAME PARALLEL
  local par=()
  [[ "$2" == default ]] || par=(--parallel "$2")
  in_copy "$dir" pulumi up --yes --skip-preview --stack dev "${par[@]}" "${policy_args[@]}" >"$BENCH_WORK/floor-up-$1.log" 2>&1 \
    || { tail -30 "$BENCH_WORK/floor-up-$1.log"; exit 1; }
}
pulumi_destroy() {
  in_copy "$dir" pulumi destroy --yes --stack dev >"$BENCH_WORK/floor-destroy-$1.log" 2>&1 \
    || { tail -30 "$BENCH_WORK/floor-destroy-$1.log"; exit 1; }
}
floor() {
  kubectl apply --server-side --field-manager=mlplat-floor -f "$objects/1-first.json" >/dev/null
  if grep -q '"kind": "CustomResourceDefinition"' "$objects/1-first.json"; then kubectl wait --for=condition=Established crd --all --timeout=120s >/dev/null; fi
  kubectl apply --server-side --field-manager=mlplat-floor -f "$objects/2-rest.json" >/dev/null
  # One kubectl wait per object, all at once (Pulumi awaits its objects in parallel too).
  local pids=() rc=0
  while IFS=$'\t' read -r ns ref cond; do
    kubectl wait -n "$ns" "$ref" --for="$cond" --timeout=300s >/dev/null &
    pids+=($!)
  done < <(node -e 'for (const w of require(process.argv[1])) console.log([w.namespace, w.ref, w.for].join("\t"))' "$objects/wait.json")
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return $rc
}
floor_delete() {
  kubectl delete --wait=true --ignore-not-found -f "$objects/2-rest.json" >/dev/null
  kubectl delete --wait=true --ignore-not-found -f "$objects/1-first.json" >/dev/null
}

results="$BENCH_WORK/floor-results.tsv"
: >"$results"
for ((r = 1; r <= BENCH_RUNS; r++)); do
  ups=()
  for p in "${PARALLEL[@]}"; do
    s=$(now); pulumi_up "$r-$p" "$p"; up=$(elapsed "$s")
    created=$(grep -E '^ +\+ [0-9]+ created' "$BENCH_WORK/floor-up-$r-$p.log" | tr -s ' ')
    if [[ ! -d "$objects" ]]; then
      in_copy "$dir" pulumi stack export --show-secrets --stack dev >"$BENCH_WORK/floor-export.json"
      echo "objects: $(node "$BENCH_ROOT/floor-objects.js" "$BENCH_WORK/floor-export.json" "$objects")"
    fi
    s=$(now); pulumi_destroy "$r-$p"; destroy=$(elapsed "$s")
    ups+=("$up")
    echo "round $r: pulumi up (parallel $p) $up s ($created); pulumi destroy $destroy s"
  done
  s=$(now); floor || { echo "the floor's waits failed"; exit 1; }; fl=$(elapsed "$s")
  s=$(now); floor_delete; del=$(elapsed "$s")
  for i in "${!PARALLEL[@]}"; do
    printf '%s\t%s\t%s\t%s\n' "$r" "${PARALLEL[$i]}" "${ups[$i]}" "$fl" >>"$results"
    echo "round $r: parallel ${PARALLEL[$i]}: pulumi up ${ups[$i]} s, floor apply+wait $fl s, ratio $(awk -v a="${ups[$i]}" -v b="$fl" 'BEGIN { printf "%.2f", a / b }'); (floor delete $del s)"
  done
done
echo
fl=$(median $(cut -f4 "$results"))
for p in "${PARALLEL[@]}"; do
  up=$(median $(awk -F'\t' -v p="$p" '$2 == p { print $3 }' "$results"))
  echo "median over $BENCH_RUNS rounds, parallel $p: pulumi up $up s, floor $fl s, ratio $(awk -v a="$up" -v b="$fl" 'BEGIN { printf "%.2f", a / b }') (goal <= 1.5)"
done
echo "load average now $(cut -d' ' -f1-3 /proc/loadavg)"
