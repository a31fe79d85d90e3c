#!/usr/bin/env bash
# Smoke test of the local control plane (scripts/cluster.sh), with the built
# kubectl, in a throw-away namespace. Exits non-zero if any check fails.
#
#   scripts/cluster-smoke.sh           runs `scripts/cluster.sh up` first (a no-op
#                                      when it already runs) and leaves it running
#
# Proves: a Deployment rolls out and is Available; its Service gets Endpoints
# (and an EndpointSlice); a Job completes; a StatefulSet's volumeClaimTemplate
# PVC binds to a pre-created PV and its pod is Ready; a LoadBalancer Service
# gets an IP and an Ingress an address (localcloud); deleting the namespace
# finalizes it; the PV its claim used becomes Available again (recycling).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

TIMEOUT="${MLPLAT_SMOKE_TIMEOUT:-120}"
bash "$here/cluster.sh" up
eval "$(bash "$here/cluster.sh" env)"
command -v kubectl >/dev/null || die "kubectl not found"

NS="smoke-$(date +%s)-$$"
passed=0 failed=0 failures=()
start_all=$SECONDS

# check NAME COMMAND...: run one check, record and print the outcome.
check() {
  local name="$1" start=$SECONDS out
  shift
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1))
    printf 'ok    %-62s %3ss\n' "$name" $((SECONDS - start))
  else
    failed=$((failed + 1))
    failures+=("$name")
    printf 'FAIL  %-62s %3ss\n%s\n' "$name" $((SECONDS - start)) "$(sed 's/^/      /' <<<"$out" | tail -n 20)"
  fi
}

# poll SECONDS COMMAND...: retry until COMMAND succeeds or time runs out.
poll() {
  local limit=$(($1 + SECONDS))
  shift
  until "$@"; do
    ((SECONDS < limit)) || { echo "timed out: $*"; return 1; }
    sleep 1
  done
}

jp() { kubectl -n "$NS" get "$1" -o "jsonpath=$2"; }
equals() { [[ "$("${@:2}")" == "$1" ]]; }
nonempty() { [[ -n "$("$@")" ]]; }

diagnose() {
  echo "--- diagnostics for namespace $NS"
  kubectl -n "$NS" get all,pvc,ingress,endpoints -o wide 2>&1 || true
  kubectl -n "$NS" get events --sort-by=.lastTimestamp 2>&1 | tail -n 30 || true
}

cleanup() {
  # Best effort, when a check failed before the namespace check removed it.
  kubectl delete namespace "$NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

kubectl create namespace "$NS" >/dev/null
kubectl -n "$NS" apply -f - >/dev/null <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example/app:1.0
        ports: [{containerPort: 8080}]
        resources: {requests: {cpu: 100m, memory: 64Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: web.example
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: once
        image: registry.example/job:1.0
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: registry.example/db:1.0
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
EOF

echo "smoke test in namespace $NS (Kubernetes $(kubectl version -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | tail -1))"

check "Deployment web rolls out (2 replicas)" \
  kubectl -n "$NS" rollout status deployment/web --timeout="${TIMEOUT}s"
check "Deployment web is Available" \
  kubectl -n "$NS" wait deployment/web --for=condition=Available --timeout="${TIMEOUT}s"
check "Endpoints of Service web list 2 ready addresses" \
  poll "$TIMEOUT" equals 2 bash -c "kubectl -n '$NS' get endpoints web -o jsonpath='{.subsets[*].addresses[*].ip}' | wc -w"
check "EndpointSlice of Service web has ready endpoints" \
  poll "$TIMEOUT" nonempty kubectl -n "$NS" get endpointslices -l kubernetes.io/service-name=web \
  -o 'jsonpath={.items[*].endpoints[?(@.conditions.ready==true)].addresses[0]}'
check "Job once completes" \
  kubectl -n "$NS" wait job/once --for=condition=Complete --timeout="${TIMEOUT}s"
check "StatefulSet db: PVC data-db-0 is Bound" \
  poll "$TIMEOUT" equals Bound jp pvc/data-db-0 '{.status.phase}'
check "StatefulSet db: pod db-0 is Ready" \
  kubectl -n "$NS" wait pod/db-0 --for=condition=Ready --timeout="${TIMEOUT}s"
check "StatefulSet db rolls out" \
  kubectl -n "$NS" rollout status statefulset/db --timeout="${TIMEOUT}s"
check "LoadBalancer Service web-lb gets ingress IP 127.0.0.1" \
  poll "$TIMEOUT" equals 127.0.0.1 jp service/web-lb '{.status.loadBalancer.ingress[0].ip}'
check "Ingress web gets an address" \
  poll "$TIMEOUT" nonempty jp ingress/web '{.status.loadBalancer.ingress[0].ip}'

((failed == 0)) || diagnose
pv="$(jp pvc/data-db-0 '{.spec.volumeName}' 2>/dev/null || true)"
check "namespace deletion finalizes (namespace disappears)" \
  bash -c "kubectl delete namespace '$NS' --wait=false >/dev/null && kubectl wait namespace/'$NS' --for=delete --timeout=${TIMEOUT}s"
if [[ -n "$pv" ]]; then
  check "PV $pv is recycled: Released -> Available" \
    poll "$TIMEOUT" equals Available kubectl get pv "$pv" -o 'jsonpath={.status.phase}'
else
  check "PV of data-db-0 is known" false
fi

((failed == 0)) || echo "failed: ${failures[*]}"
echo "smoke test took $((SECONDS - start_all))s"
echo "$passed passed, $failed failed"
((failed == 0))
