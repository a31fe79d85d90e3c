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

# --- The tool cache: one entry per tools group, built once, installed atomically ---

# mlplat_tool_dir GROUP VERSION MODDIR: the group's cache entry,
# $MLPLAT_TOOLS/GROUP-VERSION-SRCHASH (a changed pin, flag or source rebuilds).
mlplat_tool_dir() { printf '%s\n' "$MLPLAT_TOOLS/$1-$2-$(mlplat_src_hash "$3")"; }

# mlplat_tool_cached DEST NAME...: true when every binary is already in DEST.
mlplat_tool_cached() {
  local dest="$1" name
  shift
  for name in "$@"; do [[ -x "$dest/$name" ]] || return 1; done
}

# mlplat_tool_staging DEST: makes and prints a staging directory beside DEST;
# the caller removes it on failure (trap) and installs it with mlplat_tool_install.
mlplat_tool_staging() {
  command -v go >/dev/null || die "go is not on PATH"
  mkdir -p "$MLPLAT_TOOLS"
  mktemp -d "$MLPLAT_TOOLS/.$(basename "$1").XXXXXX"
}

# mlplat_tool_install STAGING DEST: renames the staging directory into place, so
# an interrupted build never leaves a half-written entry.
mlplat_tool_install() {
  local tmp="$1" dest="$2"
  basename "$dest" >"$tmp/VERSION"
  chmod 755 "$tmp"
  if [[ -e "$dest" ]]; then
    # An entry lacking a binary (or a concurrent build that finished first): replace it.
    local old="$dest.old.$$"
    mv "$dest" "$old" && rm -rf "$old"
  fi
  mv "$tmp" "$dest" || die "could not move $tmp to $dest"
}

# mlplat_gobuild MODE GROUP VERSION MODDIR LDFLAGS NAME=PACKAGE...: the whole
# build of a group whose binaries come straight from packages of its module.
# MODE is the build.sh's first argument: --print-dir prints the cache entry;
# empty prints "cached" when every NAME is there, else builds each package with
# -pgo=off -trimpath into a staging directory and installs it.
mlplat_gobuild() {
  local mode="$1" group="$2" version="$3" moddir="$4" ldflags="$5"
  shift 5
  local dest spec name pkg names=() start=$SECONDS
  dest="$(mlplat_tool_dir "$group" "$version" "$moddir")"
  if [[ "$mode" == --print-dir ]]; then echo "$dest"; return 0; fi
  [[ -z "$mode" ]] || die "$group: unknown argument $mode (use --print-dir or nothing)"
  for spec in "$@"; do names+=("${spec%%=*}"); done
  if mlplat_tool_cached "$dest" "${names[@]}"; then
    echo "$(basename "$dest"): cached ($dest)"
    return 0
  fi
  local tmp
  tmp="$(mlplat_tool_staging "$dest")"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  log "$(basename "$dest"): building $# binaries ($(go env GOVERSION), $(nproc) cores)"
  for spec in "$@"; do
    name="${spec%%=*}" pkg="${spec#*=}"
    (cd "$moddir" && mlplat_go_build "$group: $name ($pkg)" -pgo=off -ldflags "$ldflags" -o "$tmp/$name" "$pkg") \
      || die "$group: building $name failed"
  done
  mlplat_tool_install "$tmp" "$dest"
  trap - EXIT
  log "$(basename "$dest"): done in $((SECONDS - start))s"
}
