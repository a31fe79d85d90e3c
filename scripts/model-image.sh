#!/usr/bin/env bash
# Puts a model into a server image and pushes it, without a Docker daemon (crane):
# the model directory becomes one layer (under /model) on top of the server base image,
# the entrypoint, user and port are set, and the result is pushed by digest. Prints the
# reference by digest, `<repository>@sha256:…`; the same model and base give the same
# digest, a changed model a new one (MLEM's "new model, new image").
#
#   scripts/model-image.sh --model DIR --base IMAGE --repo REPOSITORY [options]
#   make model-image MODEL=DIR BASE=IMAGE REPO=REPOSITORY [NAME=model] [STACK=dev] [ARGS=...]
#
#   --model DIR          the model directory (e.g. what `mlem` saved: model + model.mlem)
#   --base IMAGE         the server image, pinned (by digest or a tag other than latest)
#   --repo REPOSITORY    where to push: an ECR repository URL, the mirror, any registry;
#                        with --set-config and no --repo: the stack output
#                        modelServing.<name>.repository (the model's ECR repository)
#   --tag TAG            also tag it (ECR tags are immutable: use a new tag per model)
#   --port N             the server's port (exposed; default 8080, MLEM's)
#   --user UID           the user it runs as (default 65532, the ModelServer default)
#   --entrypoint CMD     the server command, comma-separated (default: the base's)
#   --model-path PATH    where the model lands in the image (default /model; env MODEL_PATH)
#   --insecure           plain-HTTP registry (a local one)
#   --set-config NAME    then `pulumi config set modelServing.models.NAME.image <ref>`
#   --stack STACK        the stack for --set-config (default dev)
#
# Registry credentials: crane reads ~/.docker/config.json; for ECR log in with
#   aws ecr get-login-password | crane auth login --username AWS --password-stdin <account>.dkr.ecr.<region>.amazonaws.com
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

model="" base="" repo="" tag="" port=8080 user=65532 entrypoint="" model_path=/model insecure=() set_config="" stack=dev
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --base) base="$2"; shift 2 ;;
    --repo) repo="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --user) user="$2"; shift 2 ;;
    --entrypoint) entrypoint="$2"; shift 2 ;;
    --model-path) model_path="$2"; shift 2 ;;
    --insecure) insecure=(--insecure); shift ;;
    --set-config) set_config="$2"; shift 2 ;;
    --stack) stack="$2"; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) die "model-image: unknown argument $1 (see --help)" ;;
  esac
done
if [[ -z "$repo" && -n "$set_config" ]]; then
  # The model's ECR repository, from the stack's outputs (modelServing.ecr.enabled).
  source "$MLPLAT_ROOT/scripts/env.sh"
  repo="$(cd "$MLPLAT_ROOT" && pulumi stack output --stack "$stack" modelServing --json 2>/dev/null \
    | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{const o=JSON.parse(s||"{}");process.stdout.write((o[process.argv[1]]||{}).repository||"")})' "$set_config")" || true
  [[ -n "$repo" ]] || die "model-image: no --repo, and the stack $stack has no ECR repository for model $set_config (modelServing.ecr.enabled)"
fi
[[ -n "$model" && -n "$base" && -n "$repo" ]] || die "model-image: --model, --base and --repo are required (see --help)"
[[ -d "$model" ]] || die "model-image: $model is not a directory"
[[ "$port" =~ ^[0-9]+$ && "$port" -ge 1 && "$port" -le 65535 ]] || die "model-image: --port $port is not a port"
[[ "$user" =~ ^[0-9]+$ && "$user" != 0 ]] || die "model-image: --user must be a numeric non-root UID (runAsNonRoot needs one)"
[[ "$model_path" == /* ]] || die "model-image: --model-path must be absolute"
# The base must be pinned: a moving base would change the model image behind the stack's back.
if [[ "$base" != *@sha256:* ]]; then
  last="${base##*/}"
  [[ "$last" == *:* && "${last##*:}" != latest ]] || die "model-image: --base $base must be pinned by digest or by a tag other than latest"
fi
[[ "$repo" != *@* && "${repo##*/}" != *:* ]] || die "model-image: --repo is a repository without tag or digest (use --tag for a tag)"

crane_dir="$(bash "$MLPLAT_ROOT/tools/crane/build.sh" --print-dir)"
crane="$crane_dir/crane"
[[ -x "$crane" ]] || bash "$MLPLAT_ROOT/scripts/build-tools.sh" crane >&2
[[ -x "$crane" ]] || die "model-image: crane was not built ($crane)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The model layer, reproducible: sorted names, fixed times and owners, modes normalised
# (readable by the non-root user), so the same files always give the same layer digest.
mkdir -p "$work/root${model_path%/*}"
cp -a "$model" "$work/root$model_path"
chmod -R u=rwX,go=rX "$work/root"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$work/root" -cf "$work/model.tar" "${model_path#/}"

args=(mutate "${insecure[@]}" "$base" --append "$work/model.tar" --user "$user" --exposed-ports "$port/tcp"
  --env "MODEL_PATH=$model_path" --label "dev.mlplat.model-path=$model_path")
[[ -z "$entrypoint" ]] || args+=(--entrypoint "$entrypoint")
if [[ -n "$tag" ]]; then args+=(--tag "$repo:$tag"); else args+=(--repo "$repo"); fi
log "model-image: $model on $base -> $repo${tag:+:$tag}"
"$crane" "${args[@]}" >"$work/out" || die "model-image: crane mutate failed"
# crane prints the pushed reference; the digest is read back from the registry to be sure.
pushed="$(tail -n1 "$work/out")"
digest="$("$crane" digest "${insecure[@]}" "$pushed")"
ref="$repo@$digest"
echo "$ref"

if [[ -n "$set_config" ]]; then
  source "$MLPLAT_ROOT/scripts/env.sh"
  (cd "$MLPLAT_ROOT" && pulumi config set --stack "$stack" "modelServing.models.$set_config.image" "$ref")
  log "model-image: set modelServing.models.$set_config.image in stack $stack; \`make up\` (or pulumi up) rolls the model"
fi
