// node bench/floor-objects.js EXPORT.json OUTDIR: the Kubernetes objects a deployed stack
// rendered, from `pulumi stack export --show-secrets` (each object's inputs: what the provider
// was asked to apply, after every transform), written for the floor of bench/floor.sh:
//   OUTDIR/1-first.json   CustomResourceDefinitions and Namespaces (applied first)
//   OUTDIR/2-rest.json    everything else, in a dependency order (RBAC, config and storage,
//                         Services, workloads, Jobs, Ingresses, policies, custom resources)
//   OUTDIR/wait.json      what Pulumi's await logic waits for, as kubectl wait arguments
// Secret values (kept as {sig, plaintext} by the export) are unwrapped.
"use strict";
const fs = require("fs");
const path = require("path");

const [exportFile, outDir] = process.argv.slice(2);
const doc = JSON.parse(fs.readFileSync(exportFile, "utf8"));
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const unwrap = (v) => {
    if (Array.isArray(v)) return v.map(unwrap);
    if (v && typeof v === "object") {
        if (v[SIG_KEY] === "1b47061264138c4ac30d75fd1eb44270") return unwrap(JSON.parse(v.plaintext));
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    }
    return v;
};
const ORDER = [
    "CustomResourceDefinition", "Namespace", "StorageClass", "PriorityClass", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role",
    "RoleBinding", "Secret", "ConfigMap", "ResourceQuota", "LimitRange", "PersistentVolume", "PersistentVolumeClaim", "Service",
    "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "PodDisruptionBudget", "HorizontalPodAutoscaler", "IngressClass",
    "Ingress", "NetworkPolicy",
];
const rank = (kind) => { const i = ORDER.indexOf(kind); return i < 0 ? ORDER.length : i; };
const objects = [];
for (const r of doc.deployment.resources ?? []) {
    if (!r.custom || !r.type.startsWith("kubernetes:") || r.delete) continue;
    const o = unwrap(r.inputs ?? {});
    if (!o.apiVersion || !o.kind) continue;
    delete o.__inputs;
    objects.push(o);
}
objects.sort((a, b) => rank(a.kind) - rank(b.kind));
const first = objects.filter((o) => o.kind === "CustomResourceDefinition" || o.kind === "Namespace");
const rest = objects.filter((o) => !first.includes(o));
fs.mkdirSync(outDir, { recursive: true });
const list = (items) => JSON.stringify({ apiVersion: "v1", kind: "List", items }, null, 1);
fs.writeFileSync(path.join(outDir, "1-first.json"), list(first));
fs.writeFileSync(path.join(outDir, "2-rest.json"), list(rest));
// Pulumi's await conditions (pulumi-kubernetes 4.x): Deployments Available (and rolled out),
// StatefulSets with every replica ready, Jobs Complete, Ingresses and LoadBalancer Services with
// an address, PersistentVolumeClaims Bound (Immediate binding here).
const ref = (o) => `${o.kind.toLowerCase()}/${o.metadata.name}`;
const ns = (o) => o.metadata.namespace ?? "default";
const waits = [];
for (const o of rest) {
    const w = (cond) => waits.push({ namespace: ns(o), ref: ref(o), for: cond });
    switch (o.kind) {
        case "Deployment": w("condition=Available"); break;
        case "StatefulSet": w(`jsonpath={.status.readyReplicas}=${o.spec?.replicas ?? 1}`); break;
        case "Job": w("condition=Complete"); break;
        case "Ingress": w("jsonpath={.status.loadBalancer.ingress[0].ip}"); break;
        case "Service": if (o.spec?.type === "LoadBalancer") w("jsonpath={.status.loadBalancer.ingress[0].ip}"); break;
        case "PersistentVolumeClaim": w("jsonpath={.status.phase}=Bound"); break;
        default: break;
    }
}
fs.writeFileSync(path.join(outDir, "wait.json"), JSON.stringify(waits, null, 1));
const kinds = {};
for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
console.log(`${objects.length} objects (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ")}); ${waits.length} readiness waits`);
