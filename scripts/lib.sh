# Shared environment for every mlplat script. Source it; do not run it.
# Tool binaries are built from Go modules into a cache outside the work tree,
# keyed by version, so a machine builds each tool once.
MLPLAT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MLPLAT_ROOT
export MLPLAT_CACHE="${MLPLAT_CACHE:-$HOME/.cache/mlplat}"
export MLPLAT_TOOLS="$MLPLAT_CACHE/tools"

# Go: module and build caches persist under $HOME (Go's defaults); never fall
# back to direct VCS fetches, the machine has no internet.
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

# Pulumi: never download plugins, never phone home.
export PULUMI_HOME="${PULUMI_HOME:-$MLPLAT_CACHE/pulumi-home}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true

log() { printf '[mlplat] %s\n' "$*" >&2; }
die() { printf '[mlplat] error: %s\n' "$*" >&2; exit 1; }

# mlplat_src_hash DIR: short hash of a tools module's inputs (go.mod, go.sum,
# our own non-test .go files, build.sh), used in cache keys so a changed pin
# or source rebuilds.
mlplat_src_hash() {
  (cd "$1" && find . -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum -o -name build.sh \) -print0 \
    | LC_ALL=C sort -z | xargs -0 cat | sha256sum | cut -c1-10)
}

# mlplat_go_build LABEL go-build-args...: `go build -trimpath` in the current
# directory, logging the label, a heartbeat each minute and the elapsed seconds.
mlplat_go_build() {
  local label="$1" start=$SECONDS ticker rc=0
  shift
  log "building $label"
  ( while sleep 60; do log "... $label still building, $((SECONDS - start))s"; done ) &
  ticker=$!
  go build -trimpath "$@" || rc=$?
  kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
  [[ $rc == 0 ]] || die "building $label failed (exit $rc)"
  log "built $label in $((SECONDS - start))s"
}
