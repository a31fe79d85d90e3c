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
