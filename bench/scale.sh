#!/usr/bin/env bash
# Scale: the cost of N model servers (modelServing.models.<name>.*) on top of the dev stack.
#
#   bench/scale.sh                      both parts below
#   BENCH_SCALE_PARTS=eval bench/scale.sh   only the evaluation under mocks (no cluster)
#   BENCH_SCALE_N="10 100 1000"         the sizes (default)
#   BENCH_SCALE_MODES="ts js"           how the evaluation runs: ts = ts-node transpile-only with swc (as the
#                                       program and the unit tests), ts-tsc = ts-node transpiling with
#                                       TypeScript (before swc; bench/ts-tsc.js), js = the same code
#                                       compiled by tsc (no source maps)
#   BENCH_SCALE_PREVIEW_RUNS=1          runs per N of the real preview (default 1: it is slow)
#
# eval:    bench/scale-eval.ts N in a fresh Node process per run (the unit harness's mocks, the real
#          composition): seconds from config parse to the last registration, peak RSS. Sizes and
#          modes alternate within each round; the median of BENCH_RUNS rounds is reported.
# preview: a real `pulumi preview` of the dev stack plus N models from an empty stack on the
#          benchmarks' control plane (bench/lib.sh), the program run as committed (Pulumi.yaml):
#          wall seconds, CPU seconds of every process, peak RSS of the program and of the largest process.
# Then, per part, a least-squares fit of seconds against resources: linear (slope, intercept, R²)
# and log-log (exponent: 1 is linear).
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

SIZES=(${BENCH_SCALE_N:-10 100 1000})
MODES=(${BENCH_SCALE_MODES:-ts js})
PARTS=(${BENCH_SCALE_PARTS:-eval preview})
PREVIEW_RUNS="${BENCH_SCALE_PREVIEW_RUNS:-1}"
machine_facts "BENCH_RUNS=$BENCH_RUNS BENCH_SCALE_N=\"${SIZES[*]}\" BENCH_SCALE_MODES=\"${MODES[*]}\" BENCH_SCALE_PARTS=\"${PARTS[*]}\" bench/scale.sh"

# fit FILE: columns resources seconds; prints the linear and log-log least-squares fits.
fit() {
  awk '{ x[NR] = $1; y[NR] = $2 } END {
    n = NR; for (i = 1; i <= n; i++) { sx += x[i]; sy += y[i]; sxx += x[i]^2; sxy += x[i]*y[i]; lx = log(x[i]); ly = log(y[i]); slx += lx; sly += ly; slxx += lx^2; slxy += lx*ly }
    b = (n*sxy - sx*sy) / (n*sxx - sx^2); a = (sy - b*sx) / n
    for (i = 1; i <= n; i++) { ssr += (y[i] - a - b*x[i])^2; sst += (y[i] - sy/n)^2 }
    k = (n*slxy - slx*sly) / (n*slxx - slx^2)
    printf "linear fit: seconds = %.3f + %.2f ms x resources (R^2 = %.4f); log-log exponent %.2f (1 = linear)\n", a, b*1000, 1 - ssr/sst, k
  }' "$1"
}

if [[ " ${PARTS[*]} " == *" eval "* ]]; then
  echo "### evaluation under mocks"
  if [[ " ${MODES[*]} " == *" js "* ]]; then
    # The program, the harness and this benchmark compiled once (type-checked too), without source maps.
    # BENCH_SCALE_REUSE_JS=1 reuses an earlier compile.
    js="$BENCH_WORK/scale-js"
    if [[ "${BENCH_SCALE_REUSE_JS:-0}" != 1 || ! -f "$js/bench/scale-eval.js" ]]; then
      rm -rf "$js"
      s=$(now)
      (cd "$MLPLAT_ROOT" && node_modules/.bin/tsc -p tsconfig.json --outDir "$js" --sourceMap false --declaration false)
      cp "$MLPLAT_ROOT"/Pulumi.*.yaml "$js/"
      echo "(compiled for mode js in $(elapsed "$s") s)"
    fi
  fi
  results="$BENCH_WORK/scale-eval.tsv"
  : >"$results"
  for ((r = 1; r <= BENCH_RUNS; r++)); do
    for n in "${SIZES[@]}"; do
      for mode in "${MODES[@]}"; do
        if [[ "$mode" == ts ]]; then
          line=$(cd "$MLPLAT_ROOT" && node_modules/.bin/ts-node --transpile-only bench/scale-eval.ts "$n" 2>/dev/null)
        elif [[ "$mode" == ts-tsc ]]; then
          line=$(cd "$MLPLAT_ROOT" && node bench/ts-tsc.js bench/scale-eval.ts "$n" 2>/dev/null)
        else
          line=$(cd "$MLPLAT_ROOT" && node "$js/bench/scale-eval.js" "$n" 2>/dev/null)
        fi
        echo "eval $mode N=$n run $r: $line"
        node -e 'const l = JSON.parse(process.argv[1]); console.log([process.argv[2], l.n, l.resources, l.seconds, l.maxRssMiB].join("\t"))' "$line" "$mode" >>"$results"
      done
    done
  done
  echo
  echo "| mode | N models | resources | seconds (median) | peak RSS MiB (median) | ms per resource |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for mode in "${MODES[@]}"; do
    : >"$results.$mode"
    for n in "${SIZES[@]}"; do
      res=$(awk -F'\t' -v m="$mode" -v n="$n" '$1 == m && $2 == n { print $3; exit }' "$results")
      sec=$(median $(awk -F'\t' -v m="$mode" -v n="$n" '$1 == m && $2 == n { print $4 }' "$results"))
      rss=$(median $(awk -F'\t' -v m="$mode" -v n="$n" '$1 == m && $2 == n { print $5 }' "$results"))
      echo "| $mode | $n | $res | $sec | $rss | $(awk -v s="$sec" -v r="$res" 'BEGIN { printf "%.1f", s * 1000 / r }') |"
      echo "$res $sec" >>"$results.$mode"
    done
  done
  for mode in "${MODES[@]}"; do echo "$mode: $(fit "$results.$mode")"; done
  echo
fi

if [[ " ${PARTS[*]} " == *" preview "* ]]; then
  echo "### real preview on the local control plane (from an empty stack)"
  bench_cluster fresh
  [[ "${BENCH_KEEP_CLUSTER:-0}" == 1 ]] || trap 'bench_cluster purge' EXIT
  results="$BENCH_WORK/scale-preview.tsv"
  : >"$results"
  declare -A copy
  for n in "${SIZES[@]}"; do
    copy[$n]="$(project_copy "scale-$n")"
    # The N models, appended to the dev stack's config.
    node -e '
      const fs = require("fs");
      const [file, n] = process.argv.slice(1);
      let text = fs.readFileSync(file, "utf8");
      const lines = [];
      for (let i = 1; i <= Number(n); i++) {
        const m = `  mlplat:modelServing.models.m${String(i).padStart(4, "0")}`;
        lines.push(`${m}.image: hashicorp/http-echo:1.0.0`, `${m}.port: "5678"`, `${m}.probePath: /`, `${m}.serviceType: ClusterIP`, `${m}.startupSeconds: "60"`);
      }
      text = text.replace(/^config:\n/m, `config:\n${lines.join("\n")}\n`);
      fs.writeFileSync(file, text);
    ' "${copy[$n]}/Pulumi.dev.yaml" "$n"
    init_stack "${copy[$n]}"
  done
  for ((r = 1; r <= PREVIEW_RUNS; r++)); do
    for n in "${SIZES[@]}"; do
      logf="$BENCH_WORK/scale-preview-$n-$r.log"
      rm -f "$logf.marks"
      s=$(now)
      in_copy "${copy[$n]}" env NODE_OPTIONS="--require $BENCH_ROOT/marks.js" BENCH_MARKS_FILE="$logf.marks" \
        /usr/bin/time -f '%U %S %M' -o "$logf.time" pulumi preview --stack dev >"$logf" 2>&1 || {
        # E.g. at N=1,000: "argument list too long" (the language host passes the whole config
        # in one environment variable, PULUMI_CONFIG, over Linux's 128 KiB per-string limit).
        echo "preview N=$n run $r: FAILED after $(elapsed "$s") s: $(grep -m1 -E 'error:' "$logf" | sed 's/^ *//')"
        continue
      }
      wall=$(elapsed "$s")
      res=$(awk '/^Resources:/ { on = 1; next } on && /to create/ { print $2 }' "$logf" | head -1)
      read -r u sy m <"$logf.time"
      prog=$(node -e 'const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse).find((x) => x.marks.programStart !== undefined); console.log(l.maxRssMiB)' "$logf.marks")
      cpu=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.1f", u + s }')
      echo "preview N=$n run $r: $wall s wall, $cpu s CPU, $res resources to create, program peak RSS $prog MiB, largest process $((m / 1024)) MiB"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$res" "$wall" "$cpu" "$prog" "$((m / 1024))" >>"$results"
    done
  done
  echo
  echo "| N models | resources | wall s (median) | CPU s (median) | program peak RSS MiB | largest process peak RSS MiB |"
  echo "| --- | --- | --- | --- | --- | --- |"
  : >"$results.fit"
  for n in "${SIZES[@]}"; do
    col() { median $(awk -F'\t' -v n="$n" -v c="$1" '$1 == n { print $c }' "$results"); }
    res=$(awk -F'\t' -v n="$n" '$1 == n { print $2; exit }' "$results")
    [[ -n "$res" ]] || { echo "| $n | failed | | | | |"; continue; }
    echo "| $n | $res | $(col 3) | $(col 4) | $(col 5) | $(col 6) |"
    echo "$res $(col 3)" >>"$results.fit"
  done
  echo "wall: $(fit "$results.fit")"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
