#!/usr/bin/env bash
# Builds (or reuses from the cache) every tool group under tools/*/build.sh,
# then installs the Pulumi provider plugins where the CLI finds them without a
# download: $PULUMI_HOME/plugins/resource-<name>-v<version>/pulumi-resource-<name>.
#
#   scripts/build-tools.sh            build everything (cold: long; warm: ~1s)
#   scripts/build-tools.sh pulumi ... build only the named groups
#
# Then: source scripts/env.sh   (puts the pulumi CLI on PATH with this environment)
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

start=$SECONDS
groups=()
if [[ $# -gt 0 ]]; then
  groups=("$@")
else
  for b in "$MLPLAT_ROOT"/tools/*/build.sh; do groups+=("$(basename "$(dirname "$b")")"); done
fi

for g in "${groups[@]}"; do
  b="$MLPLAT_ROOT/tools/$g/build.sh"
  [[ -f "$b" ]] || die "no tools/$g/build.sh"
  gstart=$SECONDS
  bash "$b" || die "tools/$g/build.sh failed"
  if (( SECONDS - gstart > 1 )); then log "$g: $((SECONDS - gstart))s"; fi
done

# Install plugins. A group that builds Pulumi plugins supports --print-dir and
# leaves pulumi-plugins.txt ("KIND NAME VERSION BINARY" lines) in its cache dir.
# Hard links: instant, and the plugin survives a later cache cleanup.
installed=()
for g in "${groups[@]}"; do
  b="$MLPLAT_ROOT/tools/$g/build.sh"
  grep -q -- '--print-dir' "$b" || continue
  dir="$(bash "$b" --print-dir)"
  [[ -f "$dir/pulumi-plugins.txt" ]] || continue
  while read -r kind name version bin; do
    [[ -n "$kind" ]] || continue
    pdir="$PULUMI_HOME/plugins/$kind-$name-v$version"
    mkdir -p "$pdir"
    if [[ ! "$pdir/$bin" -ef "$dir/$bin" ]]; then
      ln -f "$dir/$bin" "$pdir/$bin" 2>/dev/null || cp -f "$dir/$bin" "$pdir/$bin"
    fi
    rm -f "$pdir.partial" # a stale partial-install marker would hide the plugin
    installed+=("$name v$version")
  done <"$dir/pulumi-plugins.txt"
done
if ((${#installed[@]})); then log "plugins in $PULUMI_HOME/plugins: ${installed[*]}"; fi

log "build-tools: total $((SECONDS - start))s"
if [[ -x "$(bash "$MLPLAT_ROOT/tools/pulumi/build.sh" --print-dir)/pulumi" ]]; then
  log "next: source scripts/env.sh   # pulumi $(bash "$MLPLAT_ROOT/tools/pulumi/build.sh" --print-dir)"
fi
