#!/usr/bin/env bash
# Tool builds and the test suite: prints the recorded figures (docs/benchmarks.md); re-measures
# them only when asked, because a cold build takes an hour and a warm `make test` minutes:
#
#   bench/tools.sh                              print the recorded figures and their source
#   BENCH_TOOLS=cold bench/tools.sh [GROUP...]  cold build of each group (default: every tools/*/
#                                               build.sh) into a throwaway tool cache and Go build
#                                               cache (GOCACHE); Go modules stay cached unless
#                                               BENCH_TOOLS_COLD_MODULES=1 (then ~3 GB of downloads)
#   BENCH_TOOLS=test bench/tools.sh             warm `make test` (tool cache warm), timed
#
# Nothing here touches the real tool cache (~/.cache/mlplat/tools) or the Go caches.
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
mode="${BENCH_TOOLS:-recorded}"
machine_facts "BENCH_TOOLS=$mode bench/tools.sh $*"
echo "go:        $(go version 2>/dev/null || echo 'not found')"
echo

case "$mode" in
  recorded)
    cat <<'TXT'
Recorded, not re-measured (BENCH_TOOLS=cold / BENCH_TOOLS=test re-measure):

cold tool build per group (scripts/build-tools.sh "done in" lines of a previous session,
2026-11-30 11:04-12:28 UTC, 2 cores, with four other jobs running on the machine):
  pulumi                788 s   (CLI + Node language host)
  kube                 3158 s   (kube-apiserver, controller-manager, scheduler, kubectl)
  kubernetes-provider  3466 s
  kwok                  717 s
  benthos              1277 s
  etcd                  199 s
  random-provider       200-995 s (two builds, different contention)
  localcloud             22 s
warm tool check (everything cached): under 1 s (README)
warm `make test` on a fresh clone, tool cache warm: 3 min 22 s (README; predates the
ownership, make-up, model-swap, policy and reliability e2e files, so a current run is longer)
TXT
    ;;
  cold)
    tmp="$(mktemp -d "$BENCH_WORK/tools-cold.XXXX")"
    export MLPLAT_CACHE="$tmp/cache" MLPLAT_TOOLS="$tmp/cache/tools" GOCACHE="$tmp/gocache"
    [[ "${BENCH_TOOLS_COLD_MODULES:-0}" == 1 ]] && export GOMODCACHE="$tmp/gomod"
    groups=("$@")
    if [[ ${#groups[@]} -eq 0 ]]; then
      for b in "$MLPLAT_ROOT"/tools/*/build.sh; do groups+=("$(basename "$(dirname "$b")")"); done
    fi
    for g in "${groups[@]}"; do
      s=$(now)
      bash "$MLPLAT_ROOT/tools/$g/build.sh" >"$tmp/$g.log" 2>&1 || { echo "$g: failed (log $tmp/$g.log)"; continue; }
      echo "$g: $(elapsed "$s") s cold ($(grep -o 'done in [0-9]*s' "$tmp/$g.log" | tail -1 || true)); load $(cut -d' ' -f1-3 /proc/loadavg)"
    done
    chmod -R u+w "$tmp" 2>/dev/null || true
    rm -rf "$tmp"
    ;;
  test)
    s=$(now)
    (cd "$MLPLAT_ROOT" && make test) >"$BENCH_WORK/make-test.log" 2>&1 && rc=0 || rc=$?
    echo "make test: $(elapsed "$s") s (exit $rc; log $BENCH_WORK/make-test.log); load $(cut -d' ' -f1-3 /proc/loadavg)"
    ;;
  *) die "BENCH_TOOLS is recorded, cold or test" ;;
esac
