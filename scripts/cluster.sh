#!/usr/bin/env bash
# The bundled local Kubernetes control plane: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, KWOK (simulated nodes and pod
# lifecycles) and mlplat's localcloud controller (LoadBalancer/Ingress
# addresses, PV recycling), all built from Go modules (tools/*/build.sh) and
# run as plain processes on loopback.
#
#   scripts/cluster.sh up              start (or resume) the cluster; waits until
#                                      it is usable. Builds missing binaries first.
#   scripts/cluster.sh down [--purge]  stop every process it started (by PID);
#                                      --purge also deletes the state directory
#   scripts/cluster.sh status          which components run (exit 0: all, 3: not)
#   scripts/cluster.sh env             print `export KUBECONFIG=...` (and PATH with
#                                      the built kubectl): eval "$(scripts/cluster.sh env)"
#   scripts/cluster.sh kubectl ARGS... the built kubectl against this cluster
#
# State: $MLPLAT_ROOT/.local/cluster/ (MLPLAT_CLUSTER_DIR overrides):
#   kubeconfig          admin kubeconfig (https://127.0.0.1:<apiserver port>)
#   pki/                CA, serving/client certs, service-account key pair
#   kubeconfigs/        one per component
#   etcd/               etcd data (kept across down/up)
#   logs/<component>.log, run/<component>.pid
#   volumes/            hostPath directories of the pre-created PVs
#   version             the Kubernetes `major.minor` (read by components/cluster)
#
# Extra manifests: every *.yaml in the directories of $MLPLAT_CLUSTER_MANIFESTS
# (colon-separated, applied in that order) is applied at each up, and its CRDs
# are waited for until Established. Default: test/fixtures/crds (what no
# upstream publishes, e.g. the `emissary` namespace of Emissary declared
# present), then the real upstream CRDs at the versions mlplat pins
# ($MLPLAT_SHARED_DIR/upstream/crds: Emissary 3.4.0's, KEDA 2.14.1's), so the
# API server validates the stack's objects against upstream's schemas. The
# shared directory is ../shared beside the checkout (MLPLAT_SHARED_DIR
# overrides); it is used from there, never copied into the project.
#
# Ports (loopback only; override with the environment variables named):
#   kube-apiserver 16443 (MLPLAT_APISERVER_PORT), etcd 12379/12380
#   (MLPLAT_ETCD_PORT, MLPLAT_ETCD_PEER_PORT), kube-controller-manager 10357
#   (MLPLAT_KCM_PORT), kube-scheduler 10359 (MLPLAT_SCHEDULER_PORT), kwok 10347
#   (MLPLAT_KWOK_PORT).
#
# Addresses: the Service CIDR is 127.96.0.0/16, in the loopback range on
# purpose: the API server dials ClusterIPs for admission webhooks and
# aggregated APIs, and no such backend can run on KWOK nodes, so those dials
# fail at once on loopback instead of leaving the machine. Pod IPs (KWOK)
# come from 10.244.<n>.0/24 per node (Endpoints may not hold loopback
# addresses); nothing dials them. Node InternalIPs are 127.0.1.<n>.
#
# Volumes: StorageClass `local` (default, kubernetes.io/no-provisioner,
# Immediate) and 24 pre-created hostPath PVs (1Gi..50Gi) with reclaim policy
# Retain: Delete/Recycle need a volume plugin that nothing runs here. When a
# claim is deleted its PV turns Released; localcloud clears the PV's claimRef
# and the PV controller makes it Available again, so repeated up/destroy
# cycles never run out of PVs. A claim larger than 50Gi, or with another
# storage class, stays Pending.
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

STATE="${MLPLAT_CLUSTER_DIR:-$MLPLAT_ROOT/.local/cluster}"
PKI="$STATE/pki"
KCS="$STATE/kubeconfigs"
LOGS="$STATE/logs"
RUN="$STATE/run"
KUBECONFIG_ADMIN="$STATE/kubeconfig"

APISERVER_PORT="${MLPLAT_APISERVER_PORT:-16443}"
ETCD_PORT="${MLPLAT_ETCD_PORT:-12379}"
ETCD_PEER_PORT="${MLPLAT_ETCD_PEER_PORT:-12380}"
KCM_PORT="${MLPLAT_KCM_PORT:-10357}"
SCHEDULER_PORT="${MLPLAT_SCHEDULER_PORT:-10359}"
KWOK_PORT="${MLPLAT_KWOK_PORT:-10347}"

SERVICE_CIDR=127.96.0.0/16
SERVICE_IP=127.96.0.1 # first address of SERVICE_CIDR: the `kubernetes` Service
POD_CIDR=10.244.0.0/16
CLUSTER_NAME=mlplat-local
NODES=(kwok-node-1 kwok-node-2 kwok-node-3)
WAIT_TIMEOUT="${MLPLAT_CLUSTER_TIMEOUT:-180}" # seconds, per readiness step
SHARED_DIR="${MLPLAT_SHARED_DIR:-$MLPLAT_ROOT/../shared}"
MANIFESTS_DIRS="${MLPLAT_CLUSTER_MANIFESTS:-$MLPLAT_ROOT/test/fixtures/crds:$SHARED_DIR/upstream/crds}"

# Start order; down stops in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok localcloud)

# --------------------------------------------------------------------------
# binaries

bin_dir() { bash "$MLPLAT_ROOT/tools/$1/build.sh" --print-dir; }

# ensure_bins: build any missing group (each build.sh prints "cached" when
# there is nothing to do), then set the binary paths.
ensure_bins() {
  local g
  for g in etcd kube kwok localcloud; do
    bash "$MLPLAT_ROOT/tools/$g/build.sh" >&2 || die "tools/$g/build.sh failed"
  done
  resolve_bins
}

resolve_bins() {
  local kube
  kube="$(bin_dir kube)"
  ETCD_BIN="$(bin_dir etcd)/etcd"
  APISERVER_BIN="$kube/kube-apiserver"
  KCM_BIN="$kube/kube-controller-manager"
  SCHEDULER_BIN="$kube/kube-scheduler"
  KUBECTL_BIN="$kube/kubectl"
  KWOK_BIN="$(bin_dir kwok)/kwok"
  LOCALCLOUD_BIN="$(bin_dir localcloud)/localcloud"
}

kc() { "$KUBECTL_BIN" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }

# --------------------------------------------------------------------------
# PKI and kubeconfigs (openssl; EC P-256 TLS keys, RSA service-account key)

ca_ensure() { # NAME CN
  local n="$1" cn="$2"
  [[ -s "$PKI/$n.crt" && -s "$PKI/$n.key" ]] && return 0
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$PKI/$n.key" -out "$PKI/$n.crt" -days 3650 -subj "/CN=$cn" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null \
    || die "openssl: could not create CA $n"
}

# cert_ensure NAME CA SUBJECT USAGE [SANS]: a leaf certificate signed by CA,
# (re)issued when missing or expiring within 30 days.
cert_ensure() {
  local n="$1" ca="$2" subj="$3" usage="$4" sans="${5:-}"
  if [[ -s "$PKI/$n.crt" && -s "$PKI/$n.key" ]] \
    && openssl x509 -checkend $((30 * 86400)) -noout -in "$PKI/$n.crt" >/dev/null 2>&1; then
    return 0
  fi
  local ext="$PKI/$n.ext"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [[ -z "$sans" ]] || echo "subjectAltName=$sans"
  } >"$ext"
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$PKI/$n.key" -out "$PKI/$n.csr" -subj "$subj" 2>/dev/null \
    || die "openssl: could not create a key and CSR for $n"
  openssl x509 -req -in "$PKI/$n.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -extfile "$ext" \
    -out "$PKI/$n.crt" 2>/dev/null \
    || die "openssl: could not issue certificate $n"
  rm -f "$PKI/$n.csr" "$ext"
}

ensure_pki() {
  mkdir -p "$PKI"
  chmod 700 "$PKI"
  local fresh=0
  [[ -s "$PKI/ca.crt" ]] || fresh=1
  ((fresh)) && log "generating certificates and keys in $PKI"
  ca_ensure ca "$CLUSTER_NAME-ca"
  ca_ensure front-proxy-ca "$CLUSTER_NAME-front-proxy-ca"
  cert_ensure apiserver ca "/CN=kube-apiserver" serverAuth \
    "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:$SERVICE_IP"
  cert_ensure admin ca "/O=system:masters/CN=mlplat-admin" clientAuth
  cert_ensure kube-controller-manager ca "/CN=system:kube-controller-manager" clientAuth
  cert_ensure kube-scheduler ca "/CN=system:kube-scheduler" clientAuth
  cert_ensure kwok ca "/O=system:masters/CN=mlplat:kwok" clientAuth
  cert_ensure localcloud ca "/CN=mlplat:localcloud" clientAuth # RBAC: see bootstrap
  cert_ensure front-proxy-client front-proxy-ca "/CN=front-proxy-client" clientAuth
  if [[ ! -s "$PKI/sa.key" ]]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null || die "openssl: service-account key"
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null || die "openssl: sa.pub"
  fi
  chmod 600 "$PKI"/*.key
}

b64() { base64 -w0 <"$1"; }

write_kubeconfig() { # FILE CERTNAME
  local f="$1" n="$2" tmp
  tmp="$(mktemp "$f.XXXXXX")"
  cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CLUSTER_NAME
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: $n
  user:
    client-certificate-data: $(b64 "$PKI/$n.crt")
    client-key-data: $(b64 "$PKI/$n.key")
contexts:
- name: $CLUSTER_NAME
  context:
    cluster: $CLUSTER_NAME
    user: $n
current-context: $CLUSTER_NAME
EOF
  chmod 600 "$tmp"
  mv "$tmp" "$f"
}

ensure_kubeconfigs() {
  mkdir -p "$KCS"
  chmod 700 "$KCS"
  write_kubeconfig "$KUBECONFIG_ADMIN" admin
  local c
  for c in kube-controller-manager kube-scheduler kwok localcloud; do
    write_kubeconfig "$KCS/$c.kubeconfig" "$c"
  done
}

# --------------------------------------------------------------------------
# processes

pidfile() { echo "$RUN/$1.pid"; }

# pid_of C: the PID of component C if it is running (its pid file names a live
# process whose command line refers to this state directory), else fails.
pid_of() {
  local f pid
  f="$(pidfile "$1")"
  [[ -s "$f" ]] || return 1
  pid="$(<"$f")"
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$STATE" || return 1
  echo "$pid"
}

port_of() {
  case "$1" in
    etcd) echo "$ETCD_PORT" ;;
    kube-apiserver) echo "$APISERVER_PORT" ;;
    kube-controller-manager) echo "$KCM_PORT" ;;
    kube-scheduler) echo "$SCHEDULER_PORT" ;;
    kwok) echo "$KWOK_PORT" ;;
    *) echo "" ;;
  esac
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

args_of() { # C: the command line of component C, one word per line
  case "$1" in
    etcd)
      printf '%s\n' "$ETCD_BIN" \
        --name=mlplat --data-dir="$STATE/etcd" \
        --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
        --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-cluster="mlplat=http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-cluster-state=new \
        --unsafe-no-fsync=true \
        --log-level=warn
      ;;
    kube-apiserver)
      printf '%s\n' "$APISERVER_BIN" \
        --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
        --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
        --secure-port="$APISERVER_PORT" \
        --cert-dir="$STATE/run/kube-apiserver" \
        --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
        --client-ca-file="$PKI/ca.crt" \
        --service-account-issuer=https://kubernetes.default.svc.cluster.local \
        --service-account-key-file="$PKI/sa.pub" \
        --service-account-signing-key-file="$PKI/sa.key" \
        --service-cluster-ip-range="$SERVICE_CIDR" \
        --authorization-mode=Node,RBAC \
        --enable-admission-plugins=NodeRestriction \
        --allow-privileged=true \
        --endpoint-reconciler-type=none \
        --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
        --requestheader-allowed-names=front-proxy-client \
        --requestheader-username-headers=X-Remote-User \
        --requestheader-group-headers=X-Remote-Group \
        --requestheader-extra-headers-prefix=X-Remote-Extra- \
        --proxy-client-cert-file="$PKI/front-proxy-client.crt" \
        --proxy-client-key-file="$PKI/front-proxy-client.key" \
        --v=1
      ;;
    kube-controller-manager)
      printf '%s\n' "$KCM_BIN" \
        --kubeconfig="$KCS/kube-controller-manager.kubeconfig" \
        --authentication-kubeconfig="$KCS/kube-controller-manager.kubeconfig" \
        --authorization-kubeconfig="$KCS/kube-controller-manager.kubeconfig" \
        --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
        --cert-dir="$STATE/run/kube-controller-manager" \
        --cluster-name="$CLUSTER_NAME" \
        --controllers='*' \
        --use-service-account-credentials=true \
        --service-account-private-key-file="$PKI/sa.key" \
        --root-ca-file="$PKI/ca.crt" \
        --cluster-signing-cert-file="$PKI/ca.crt" \
        --cluster-signing-key-file="$PKI/ca.key" \
        --service-cluster-ip-range="$SERVICE_CIDR" \
        --leader-elect=false \
        --v=1
      ;;
    kube-scheduler)
      printf '%s\n' "$SCHEDULER_BIN" \
        --kubeconfig="$KCS/kube-scheduler.kubeconfig" \
        --authentication-kubeconfig="$KCS/kube-scheduler.kubeconfig" \
        --authorization-kubeconfig="$KCS/kube-scheduler.kubeconfig" \
        --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" \
        --leader-elect=false \
        --v=1
      ;;
    kwok)
      printf '%s\n' "$KWOK_BIN" \
        --kubeconfig="$KCS/kwok.kubeconfig" \
        --config="$MLPLAT_ROOT/scripts/kwok-stages.yaml" \
        --manage-all-nodes=true \
        --cidr="$POD_CIDR" \
        --node-ip=127.0.1.1 \
        --node-lease-duration-seconds=40 \
        --server-address="127.0.0.1:$KWOK_PORT"
      ;;
    localcloud)
      printf '%s\n' "$LOCALCLOUD_BIN" \
        --kubeconfig="$KCS/localcloud.kubeconfig" \
        --address=127.0.0.1
      ;;
    *) die "unknown component $1" ;;
  esac
}

# start C: start component C in its own session (so a Ctrl-C in the calling
# terminal does not reach it), output appended to logs/C.log.
start() {
  local c="$1" pid port log
  if pid="$(pid_of "$c")"; then
    log "$c: already running (pid $pid)"
    return 0
  fi
  port="$(port_of "$c")"
  if [[ -n "$port" ]] && port_busy "$port"; then
    die "$c: port 127.0.0.1:$port is already in use by another process (another mlplat cluster? see MLPLAT_*_PORT in scripts/cluster.sh)"
  fi
  local -a cmd
  mapfile -t cmd < <(args_of "$c")
  [[ -x "${cmd[0]}" ]] || die "$c: ${cmd[0]} is missing"
  mkdir -p "$LOGS" "$RUN"
  log="$LOGS/$c.log"
  # Keep logs bounded across restarts.
  if [[ -f "$log" ]] && (($(stat -c %s "$log") > 50 * 1024 * 1024)); then mv -f "$log" "$log.1"; fi
  printf '=== %s: starting %s\n' "$(date -u +%FT%TZ)" "${cmd[*]}" >>"$log"
  # fd 9 holds the cluster.sh lock: the daemons must not inherit it.
  setsid "${cmd[@]}" </dev/null >>"$log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$(pidfile "$c")"
  log "$c: started (pid $pid, log $log)"
}

# stop C...: SIGTERM each running component, wait, then SIGKILL what is left.
stop() {
  local c pid pids=() names=() i
  for c in "$@"; do
    if pid="$(pid_of "$c")"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$c")
    fi
  done
  ((${#pids[@]})) || return 0
  local deadline=$((SECONDS + 20))
  for i in "${!pids[@]}"; do
    while kill -0 "${pids[$i]}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "${pids[$i]}" 2>/dev/null; then
      log "${names[$i]}: still running after SIGTERM; SIGKILL"
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
    log "${names[$i]}: stopped (pid ${pids[$i]})"
    rm -f "$(pidfile "${names[$i]}")"
  done
}

# wait_until DESCRIPTION COMMAND...: retry COMMAND until it succeeds; fail
# after WAIT_TIMEOUT seconds, or at once if a component named in $WATCH died.
wait_until() {
  local what="$1" start=$SECONDS c
  shift
  until "$@" >/dev/null 2>&1; do
    for c in ${WATCH:-}; do
      pid_of "$c" >/dev/null || die "$c exited while waiting for $what; see $LOGS/$c.log:
$(tail -n 15 "$LOGS/$c.log" 2>/dev/null)"
    done
    ((SECONDS - start < WAIT_TIMEOUT)) || die "timed out after ${WAIT_TIMEOUT}s waiting for $what"
    sleep 0.5
  done
  log "$what ($((SECONDS - start))s)"
}

etcd_healthy() { curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
api_ready() {
  curl -sf --max-time 3 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT/readyz" | grep -qx ok
}
healthz() { curl -skf --max-time 2 "https://127.0.0.1:$1/healthz" | grep -qx ok; }
default_sa() { kc -n default get serviceaccount default; }
# nodes_ready: every node reports Ready and KWOK has renewed its lease since
# KWOK started (after a restart the Ready condition in etcd is stale).
nodes_ready() {
  local n renew since
  since=$(($(stat -c %Y "$(pidfile kwok)") - 2))
  for n in "${NODES[@]}"; do
    [[ "$(kc get node "$n" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" == True ]] || return 1
    renew="$(kc -n kube-node-lease get lease "$n" -o 'jsonpath={.spec.renewTime}')" || return 1
    [[ -n "$renew" ]] && (($(date -d "$renew" +%s) >= since)) || return 1
  done
}

# --------------------------------------------------------------------------
# cluster objects

node_manifest() { # NAME INDEX
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $1
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
  labels:
    beta.kubernetes.io/arch: amd64
    beta.kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: $1
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    topology.kubernetes.io/region: local
    topology.kubernetes.io/zone: local-$2
    type: kwok
spec:
  # No taints: ordinary pods, without tolerations, schedule here.
  podCIDR: 10.244.$2.0/24
  podCIDRs: [10.244.$2.0/24]
$(node_status "$1" "$2")
EOF
}

node_status() { # NAME INDEX
  cat <<EOF
status:
  addresses:
  - {type: InternalIP, address: 127.0.1.$2}
  - {type: Hostname, address: $1}
  capacity: {cpu: "8", memory: 32Gi, ephemeral-storage: 100Gi, pods: "110"}
  allocatable: {cpu: "8", memory: 32Gi, ephemeral-storage: 100Gi, pods: "110"}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: $KUBE_VERSION
    containerRuntimeVersion: kwok://v0.8.0
    kernelVersion: kwok
    osImage: KWOK simulated node
    bootID: ""
    machineID: ""
    systemUUID: ""
EOF
}

# PV sizes: 24 volumes, smallest fit wins when a claim binds.
PV_SIZES=(1Gi 1Gi 1Gi 1Gi 1Gi 1Gi 2Gi 2Gi 2Gi 2Gi 5Gi 5Gi 5Gi 5Gi 10Gi 10Gi 10Gi 10Gi 20Gi 20Gi 20Gi 20Gi 50Gi 50Gi)

# storage_manifests [EXISTING...]: the StorageClass and every PV not named in
# EXISTING (PV specs are immutable: existing ones are left as they are).
storage_manifests() {
  local existing=" $* "
  cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
  labels:
    app.kubernetes.io/managed-by: mlplat-cluster
provisioner: kubernetes.io/no-provisioner
reclaimPolicy: Retain
volumeBindingMode: Immediate
EOF
  local i name
  for i in "${!PV_SIZES[@]}"; do
    name="$(printf 'local-pv-%02d-%s' $((i + 1)) "${PV_SIZES[$i],,}")"
    [[ "$existing" != *" $name "* ]] || continue
    mkdir -p "$STATE/volumes/$name"
    cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $name
  labels:
    app.kubernetes.io/managed-by: mlplat-cluster
    mlplat.dev/recycle: "true"
spec:
  storageClassName: local
  capacity: {storage: ${PV_SIZES[$i]}}
  accessModes: [ReadWriteOnce, ReadOnlyMany, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  volumeMode: Filesystem
  hostPath:
    path: $STATE/volumes/$name
    type: DirectoryOrCreate
EOF
  done
}

rbac_manifests() {
  cat <<'EOF'
# localcloud runs as user mlplat:localcloud with only what it needs.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: mlplat:localcloud
  labels:
    app.kubernetes.io/managed-by: mlplat-cluster
rules:
- apiGroups: [""]
  resources: [services]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [services/status]
  verbs: [update, patch]
- apiGroups: [networking.k8s.io]
  resources: [ingresses]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [ingresses/status]
  verbs: [update, patch]
- apiGroups: [""]
  resources: [persistentvolumes]
  verbs: [get, list, watch, update]
- apiGroups: ["", events.k8s.io]
  resources: [events]
  verbs: [create, patch, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: mlplat:localcloud
  labels:
    app.kubernetes.io/managed-by: mlplat-cluster
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: mlplat:localcloud
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: mlplat:localcloud
EOF
}

bootstrap() {
  local i n
  kc apply --server-side --field-manager=mlplat-cluster --force-conflicts -f - >/dev/null <<<"$(rbac_manifests)" \
    || die "could not apply localcloud RBAC"
  for i in "${!NODES[@]}"; do
    n="${NODES[$i]}"
    if kc get node "$n" >/dev/null 2>&1; then
      # Existing node: make sure capacity/addresses are ours (status subresource).
      kc patch node "$n" --subresource=status --type=merge \
        -p "$(node_status "$n" $((i + 1)))" >/dev/null || die "could not update node $n"
    else
      # Nodes accept status on create: KWOK then keeps our capacity.
      kc create -f - >/dev/null <<<"$(node_manifest "$n" $((i + 1)))" || die "could not create node $n"
    fi
  done
  local existing
  existing="$(kc get pv -l mlplat.dev/recycle=true -o 'jsonpath={.items[*].metadata.name}')" \
    || die "could not list PersistentVolumes"
  # shellcheck disable=SC2086 # a list of names
  kc apply --server-side --field-manager=mlplat-cluster --force-conflicts -f - >/dev/null <<<"$(storage_manifests $existing)" \
    || die "could not apply the StorageClass and PersistentVolumes"
  log "nodes ${NODES[*]}, StorageClass local (default) and ${#PV_SIZES[@]} PersistentVolumes in place"
  apply_extra_manifests
}

# apply_extra_manifests: every *.yaml of each directory in MANIFESTS_DIRS, in
# order, then wait for the CRDs among them to be Established (so a stack can
# create their objects at once). A directory that does not exist is an error:
# without the upstream CRDs the stack's custom resources would be refused (or,
# worse, checked against nothing).
apply_extra_manifests() {
  local dir dirs files=() f crds all=""
  IFS=: read -r -a dirs <<<"$MANIFESTS_DIRS"
  for dir in "${dirs[@]}"; do
    [[ -n "$dir" ]] || continue
    [[ -d "$dir" ]] || die "manifest directory $dir does not exist (MLPLAT_CLUSTER_MANIFESTS; the upstream CRDs are in ../shared/upstream/crds beside the checkout, or set MLPLAT_SHARED_DIR)"
    files=()
    for f in "$dir"/*.yaml; do [[ -f "$f" ]] && files+=(-f "$f"); done
    ((${#files[@]})) || continue
    crds="$(kc apply --server-side --field-manager=mlplat-cluster --force-conflicts "${files[@]}" -o name)" \
      || die "could not apply the manifests in $dir"
    crds="$(grep '^customresourcedefinition' <<<"$crds" || true)"
    all+="${crds:+$crds$'\n'}"
    log "applied ${dir#"$MLPLAT_ROOT"/}/*.yaml ($(grep -c . <<<"$crds" || true) CRDs)"
  done
  if [[ -n "$all" ]]; then
    # shellcheck disable=SC2086 # a list of names
    kc wait --for=condition=Established --timeout="${WAIT_TIMEOUT}s" $all >/dev/null \
      || die "CRDs from $MANIFESTS_DIRS did not become Established"
  fi
}

# --------------------------------------------------------------------------
# verbs

lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock -w 900 9 || die "another scripts/cluster.sh is still running"
}

cmd_up() {
  local start=$SECONDS c all_running=1
  lock
  for c in "${COMPONENTS[@]}"; do pid_of "$c" >/dev/null || all_running=0; done
  ((all_running)) && log "cluster already running in $STATE; checking it"
  ensure_bins
  KUBE_VERSION="$("$KUBECTL_BIN" version --client -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -1)"
  ensure_pki
  ensure_kubeconfigs
  [[ "$KUBE_VERSION" =~ ^v([0-9]+)\.([0-9]+)\. ]] || die "unexpected kubectl version '$KUBE_VERSION'"
  printf '%s.%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" >"$STATE/version"
  mkdir -p "$LOGS" "$RUN" "$STATE/etcd"
  chmod 700 "$STATE/etcd"

  start etcd
  WATCH="etcd" wait_until "etcd healthy on 127.0.0.1:$ETCD_PORT" etcd_healthy
  start kube-apiserver
  WATCH="etcd kube-apiserver" wait_until "kube-apiserver ready on https://127.0.0.1:$APISERVER_PORT" api_ready
  if ! pid_of kwok >/dev/null; then
    # Node leases still held by a previous KWOK process (its identity is
    # random per process) would make the new one wait for them to expire.
    kc -n kube-node-lease delete lease "${NODES[@]}" --ignore-not-found >/dev/null 2>&1 || true
  fi
  for c in kube-controller-manager kube-scheduler kwok; do start "$c"; done
  bootstrap
  start localcloud # after bootstrap: its RBAC is part of it
  WATCH="kube-controller-manager" wait_until "kube-controller-manager healthy" healthz "$KCM_PORT"
  WATCH="kube-scheduler" wait_until "kube-scheduler healthy" healthz "$SCHEDULER_PORT"
  WATCH="kube-controller-manager" wait_until "default ServiceAccount in namespace default" default_sa
  WATCH="kwok" wait_until "nodes Ready (${NODES[*]})" nodes_ready
  for c in "${COMPONENTS[@]}"; do pid_of "$c" >/dev/null || die "$c is not running; see $LOGS/$c.log"; done
  log "cluster up in $((SECONDS - start))s: Kubernetes $KUBE_VERSION at https://127.0.0.1:$APISERVER_PORT"
  log "use it:  eval \"\$(scripts/cluster.sh env)\"   (KUBECONFIG=$KUBECONFIG_ADMIN)"
}

cmd_down() {
  local purge=0
  case "${1:-}" in
    --purge) purge=1 ;;
    "") ;;
    *) die "usage: scripts/cluster.sh down [--purge]" ;;
  esac
  [[ -d "$STATE" ]] || { log "no cluster state in $STATE"; return 0; }
  lock
  local running=0 c
  for c in "${COMPONENTS[@]}"; do pid_of "$c" >/dev/null && running=1; done
  ((running)) || log "no component is running"
  stop localcloud kwok kube-scheduler kube-controller-manager
  stop kube-apiserver
  stop etcd
  if ((purge)); then
    rm -rf "$STATE"
    log "deleted $STATE"
  fi
}

cmd_status() {
  local c pid up=0 port
  for c in "${COMPONENTS[@]}"; do
    port="$(port_of "$c")"
    if pid="$(pid_of "$c")"; then
      printf '%-24s running  pid %-8s %s\n' "$c" "$pid" "${port:+127.0.0.1:$port}"
      up=$((up + 1))
    else
      printf '%-24s stopped\n' "$c"
    fi
  done
  if pid_of kube-apiserver >/dev/null && [[ -s "$PKI/admin.crt" ]]; then
    resolve_bins
    if api_ready; then
      echo "api: ready at https://127.0.0.1:$APISERVER_PORT (KUBECONFIG=$KUBECONFIG_ADMIN)"
      kc get nodes --no-headers 2>/dev/null | awk '{print "node: " $1 " " $2}'
    else
      echo "api: not ready"
    fi
  fi
  ((up == ${#COMPONENTS[@]}))
}

cmd_env() {
  echo "export KUBECONFIG=\"$KUBECONFIG_ADMIN\""
  echo "export PATH=\"$(bin_dir kube):\$PATH\""
}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; }

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  status) shift; cmd_status "$@" || exit 3 ;;
  env) shift; cmd_env ;;
  kubectl) shift; resolve_bins; [[ -s "$KUBECONFIG_ADMIN" ]] || die "no cluster in $STATE (scripts/cluster.sh up)"; kc "$@" ;;
  -h | --help | help) usage ;;
  *) usage; exit 2 ;;
esac
