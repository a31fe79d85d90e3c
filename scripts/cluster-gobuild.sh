# shellcheck shell=bash
# Shared by tools/{kube,etcd,kwok,localcloud}/build.sh. Source it; do not run it.
#
#   mlplat_gobuild MODE GROUP VERSION MODDIR LDFLAGS NAME=PACKAGE...
#
# The cache entry is $MLPLAT_TOOLS/GROUP-VERSION-SRCHASH/, SRCHASH covering the
# group's go.mod, go.sum, .go files and build.sh (lib.sh's mlplat_src_hash), so
# a changed pin or flag rebuilds. MODE is the build.sh's first argument:
#   --print-dir  print that directory and return
#   (empty)      if every NAME is there, print "cached" and return at once;
#                otherwise build each package in MODDIR with -pgo=off -trimpath
#                (lib.sh's mlplat_go_build: which binary, heartbeat, elapsed
#                seconds) into a temporary directory beside the entry, then
#                rename it into place, so an interrupted build leaves nothing.

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mlplat_gobuild() {
  local mode="$1" group="$2" version="$3" moddir="$4" ldflags="$5"
  shift 5
  local key dest spec name pkg missing=0
  key="$group-$version-$(mlplat_src_hash "$moddir")"
  dest="$MLPLAT_TOOLS/$key"
  if [[ "$mode" == --print-dir ]]; then
    echo "$dest"
    return 0
  fi
  [[ -z "$mode" ]] || die "$group: unknown argument $mode (use --print-dir or nothing)"
  for spec in "$@"; do
    [[ -x "$dest/${spec%%=*}" ]] || missing=1
  done
  if [[ $missing == 0 ]]; then
    echo "$key: cached ($dest)"
    return 0
  fi
  command -v go >/dev/null || die "go is not on PATH"
  mkdir -p "$MLPLAT_TOOLS"
  local tmp start=$SECONDS
  tmp="$(mktemp -d "$MLPLAT_TOOLS/.$key.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  log "$key: building $# binaries into $dest ($(go env GOVERSION), $(nproc) cores)"
  for spec in "$@"; do
    name="${spec%%=*}" pkg="${spec#*=}"
    (cd "$moddir" && mlplat_go_build "$group: $name ($pkg)" -pgo=off -ldflags "$ldflags" -o "$tmp/$name" "$pkg") \
      || die "$group: building $name failed"
    log "$group: $name is $(du -h "$tmp/$name" | cut -f1)"
  done
  printf '%s\n' "$key" >"$tmp/VERSION"
  chmod 755 "$tmp"
  if [[ -e "$dest" ]]; then
    # An entry lacking a binary (or a concurrent build that finished first): replace it.
    local old="$dest.old.$$"
    mv "$dest" "$old" && rm -rf "$old"
  fi
  mv "$tmp" "$dest" || die "$group: could not move $tmp to $dest"
  trap - EXIT
  log "$key: done in $((SECONDS - start))s"
}
