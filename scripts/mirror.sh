#!/usr/bin/env bash
# Air gap (docs/air-gap.md): carries every image and Helm chart a stack deploys into its mirror
# with crane, and pins them by digest in the stack's image lock (images.<stack>.lock).
#
#   scripts/mirror.sh mirror STACK           copy into registry.mirror.host / registry.chartMirror
#   scripts/mirror.sh list STACK             print every image and chart, source → target (JSON), copy nothing
#   scripts/mirror.sh export STACK BUNDLE    one tar of OCI layouts + manifest.json (connected side)
#   scripts/mirror.sh import STACK BUNDLE    push a bundle into the mirror, every digest verified
#
# The stack's config (mirror host, path prefix, credentials) is read with the pulumi CLI from the
# same backend as scripts/stack.sh. Environment: MLPLAT_PROJECT_DIR (another project directory),
# MLPLAT_MIRROR_AUTH=docker (use your own ~/.docker/config.json for the mirror, not the stack's
# credentials), MLPLAT_MIRROR_INSECURE=1 (a plain-HTTP mirror that is not on loopback or a
# private network), MLPLAT_MIRROR_PREVIEW=0 (skip the preview that lists chart-rendered images).
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/env.sh"

[[ $# -ge 2 && -n "$2" ]] || { sed -n '2,14p' "$0" >&2; die "usage: scripts/mirror.sh mirror|list|export|import STACK [BUNDLE] (make mirror STACK=...)"; }
stack="$2"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$MLPLAT_ROOT/.pulumi}"
if [[ "$stack" == dev ]]; then export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-mlplat-dev}"; fi
CRANE="$(bash "$MLPLAT_ROOT/tools/crane/build.sh" --print-dir)/crane"
[[ -x "$CRANE" ]] || bash "$MLPLAT_ROOT/scripts/build-tools.sh" crane >&2
export CRANE
exec "$MLPLAT_ROOT/node_modules/.bin/ts-node" --transpile-only "$MLPLAT_ROOT/scripts/mirror/main.ts" "$@"
