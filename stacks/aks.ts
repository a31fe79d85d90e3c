// `cluster.kind=aks` on the stack side: the `cluster.aks.*` settings, their formats and
// rule, and the adapter to AksClusterArgs (components/cluster/aks.ts). Part of the
// foundation's settings (stacks/foundation.ts spreads them in after cluster.*), like EKS's.
import { z } from "zod";
import { AksClusterArgs, AksPoolArgs, aksProblems } from "../components/cluster/aks";
import { bool, choice, clusterFlavourOrRefused, ConfigOf, count, Format, int, isSet, list, Rule, setCmd, Setting, str } from "./setting";

export const AKS_CLUSTER_SETTINGS = {
    "cluster.aks.mode": choice(["create", "existing"] as const, "create", "`cluster.kind=aks`: `create` an AKS cluster (system pool, optional GPU pool, managed identity, OIDC issuer and workload identity) or use an `existing` one by name and resource group. The Kubernetes version of a new cluster is cluster.kubernetesVersion (`1.33` or `1.33.3`; empty: AKS's default)."),
    "cluster.aks.name": str("", "Name of the AKS cluster (1-63 letters, digits, '-' and '_', alphanumeric at both ends). Required with cluster.kind=aks."),
    "cluster.aks.resourceGroup": str("", "Resource group of the cluster (and of the Relay, Service Bus and Log Analytics workspace the AzureML extension creates). Required with cluster.kind=aks."),
    "cluster.aks.createResourceGroup": bool(false, "Create cluster.aks.resourceGroup (`create` mode); false: it exists already."),
    "cluster.aks.location": str("", "Azure region of a new cluster (and its resource group), e.g. `westeurope`. Required in `create` mode; an existing cluster's is read from Azure."),
    "cluster.aks.systemPool.name": str("system", "Name of the system node pool (1-12 lowercase letters and digits, a letter first)."),
    "cluster.aks.systemPool.vmSize": str("Standard_D4s_v5", "VM size of the system pool's nodes."),
    "cluster.aks.systemPool.count": int(3, "Nodes of the system pool (1-1000). Below three nodes in all, the AzureML router defaults to DevTest without HA."),
    "cluster.aks.gpuPool.name": str("gpu", "Name of the GPU user pool."),
    "cluster.aks.gpuPool.vmSize": str("", "VM size of an optional GPU user pool, e.g. `Standard_NC6s_v3`; empty: no GPU pool."),
    "cluster.aks.gpuPool.count": int(1, "Nodes of the GPU pool (0-1000)."),
    "cluster.aks.gpuPool.taints": { ...list("Taints of the GPU pool's nodes (`key=value:Effect`), so only pods tolerating them (GPU workloads) land there."), default: ["sku=gpu:NoSchedule"] },
    "cluster.aks.gpuPool.labels": list("Labels of the GPU pool's nodes (`key=value`), e.g. `[\"accelerator=nvidia\"]` for an AzureML instance type's node selector."),
    "cluster.aks.localAccounts": bool(true, "Keep the cluster's local accounts. Azure ML's compute attach reads them; with false it needs azureml.compute.trustedAccess (and kubectl needs kubelogin)."),
    "cluster.aks.workloadIdentity": bool(true, "OIDC issuer and workload identity on a new cluster."),
} satisfies Record<string, Setting>;

type AksKey = keyof typeof AKS_CLUSTER_SETTINGS;
type ClusterKey = "cluster.kind" | "cluster.kubeconfig" | "cluster.context" | "cluster.inCluster" | "cluster.kubernetesVersion";
export type AksClusterConfig = ConfigOf<typeof AKS_CLUSTER_SETTINGS> & { readonly "cluster.kubernetesVersion": string };

const keyValue = /^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?=([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

export const AKS_CLUSTER_FORMATS = {
    "cluster.aks.location": { schema: z.string().refine((v) => v === "" || /^[a-z][a-z0-9]{2,30}$/.test(v), "must be an Azure region name like westeurope (lowercase, no spaces)"), example: "westeurope" },
    "cluster.aks.systemPool.vmSize": { schema: z.string().regex(/^Standard_[A-Za-z0-9_]+$/, "must be an Azure VM size like Standard_D4s_v5"), example: "Standard_D4s_v5" },
    "cluster.aks.gpuPool.vmSize": { schema: z.string().refine((v) => v === "" || /^Standard_[A-Za-z0-9_]+$/.test(v), "must be an Azure VM size like Standard_NC6s_v3"), example: "Standard_NC6s_v3" },
    "cluster.aks.systemPool.count": { schema: count(1, "must be 1-1000").max(1000, "must be 1-1000"), example: "3" },
    "cluster.aks.gpuPool.count": { schema: count(0, "must be 0-1000").max(1000, "must be 0-1000"), example: "1" },
    "cluster.aks.gpuPool.labels": { schema: z.array(z.string().regex(keyValue, "each label must be key=value")), example: `'["accelerator=nvidia"]'` },
} satisfies Partial<Record<AksKey, Format>>;

/** Settings that shape a cluster the stack creates: refused for an existing one. */
const CREATE_ONLY: AksKey[] = [
    "cluster.aks.createResourceGroup", "cluster.aks.location", "cluster.aks.systemPool.name", "cluster.aks.systemPool.vmSize", "cluster.aks.systemPool.count",
    "cluster.aks.gpuPool.name", "cluster.aks.gpuPool.vmSize", "cluster.aks.gpuPool.count", "cluster.aks.gpuPool.taints", "cluster.aks.gpuPool.labels",
    "cluster.aks.localAccounts", "cluster.aks.workloadIdentity",
];

/** What aksProblems names, by field: the key and an example for the fix. */
const PROBLEM_KEYS: Record<string, [AksKey | ClusterKey, string]> = {
    name: ["cluster.aks.name", "ml-aks"],
    resourceGroup: ["cluster.aks.resourceGroup", "ml-rg"],
    location: ["cluster.aks.location", "westeurope"],
    kubernetesVersion: ["cluster.kubernetesVersion", "1.33"],
    "systemPool.name": ["cluster.aks.systemPool.name", "system"],
    "systemPool.vmSize": ["cluster.aks.systemPool.vmSize", "Standard_D4s_v5"],
    "systemPool.count": ["cluster.aks.systemPool.count", "3"],
    "userPool.name": ["cluster.aks.gpuPool.name", "gpu"],
    "userPool.vmSize": ["cluster.aks.gpuPool.vmSize", "Standard_NC6s_v3"],
    "userPool.count": ["cluster.aks.gpuPool.count", "1"],
    "userPool.taints": ["cluster.aks.gpuPool.taints", `'["sku=gpu:NoSchedule"]'`],
};

export const aksClusterRule: Rule<AksKey | ClusterKey> = (v, problem) => {
    const changed = clusterFlavourOrRefused<AksKey>(v, "aks", AKS_CLUSTER_SETTINGS, "the stack takes the kubeconfig from the AKS cluster's user credentials", problem);
    if (!changed) return;
    for (const [k, example] of [["cluster.aks.name", "ml-aks"], ["cluster.aks.resourceGroup", "ml-rg"]] as const) {
        if (!isSet(v[k])) problem(k, "is required when cluster.kind is aks", setCmd(k, example));
    }
    if (v["cluster.aks.mode"] === "existing") {
        for (const k of changed.filter((k) => CREATE_ONLY.includes(k))) {
            problem(k, "shapes a cluster the stack creates, but cluster.aks.mode is existing, so it would be ignored", `pulumi config set cluster.aks.mode create (or pulumi config rm ${k})`);
        }
    } else if (!isSet(v["cluster.aks.gpuPool.vmSize"])) {
        for (const k of changed.filter((k) => k.startsWith("cluster.aks.gpuPool."))) {
            problem(k, "shapes the GPU pool, but cluster.aks.gpuPool.vmSize is empty, so there is none", `${setCmd("cluster.aks.gpuPool.vmSize", "Standard_NC6s_v3")} (or pulumi config rm ${k})`);
        }
    }
    if (!isSet(v["cluster.aks.name"]) || !isSet(v["cluster.aks.resourceGroup"])) return;
    // What the component refuses (Azure's naming rules, pools, location), by key.
    for (const p of aksProblems(aksClusterArgs(v as unknown as AksClusterConfig))) {
        const [key, example] = PROBLEM_KEYS[p.field] ?? [];
        // VM sizes and counts: their formats above already said it.
        if (key && !(key.endsWith("vmSize") || key.endsWith(".count"))) problem(key, p.message, setCmd(key, example));
    }
};

/** The AksClusterArgs the stack config gives (`cluster.kind=aks`). */
export function aksClusterArgs(cfg: AksClusterConfig): AksClusterArgs {
    const create = cfg["cluster.aks.mode"] === "create";
    const version = cfg["cluster.kubernetesVersion"].replace(/^v/, "");
    const gpu: AksPoolArgs | undefined = create && cfg["cluster.aks.gpuPool.vmSize"] ? {
        name: cfg["cluster.aks.gpuPool.name"],
        vmSize: cfg["cluster.aks.gpuPool.vmSize"],
        count: cfg["cluster.aks.gpuPool.count"],
        taints: cfg["cluster.aks.gpuPool.taints"],
        labels: cfg["cluster.aks.gpuPool.labels"].length > 0 ? Object.fromEntries(cfg["cluster.aks.gpuPool.labels"].map((l) => l.split("=", 2) as [string, string])) : undefined,
    } : undefined;
    return {
        mode: cfg["cluster.aks.mode"],
        name: cfg["cluster.aks.name"],
        resourceGroupName: cfg["cluster.aks.resourceGroup"],
        createResourceGroup: create ? cfg["cluster.aks.createResourceGroup"] : undefined,
        location: cfg["cluster.aks.location"] || undefined,
        kubernetesVersion: version || undefined,
        systemPool: create ? { name: cfg["cluster.aks.systemPool.name"], vmSize: cfg["cluster.aks.systemPool.vmSize"], count: cfg["cluster.aks.systemPool.count"] } : undefined,
        userPool: gpu,
        localAccounts: create ? cfg["cluster.aks.localAccounts"] : undefined,
        workloadIdentity: create ? cfg["cluster.aks.workloadIdentity"] : undefined,
    };
}

/** Nodes of the cluster, when the config says (a new cluster's pools); an existing cluster's are read from Azure. */
export function aksNodeCount(cfg: AksClusterConfig): number | undefined {
    if (cfg["cluster.aks.mode"] !== "create") return undefined;
    return cfg["cluster.aks.systemPool.count"] + (cfg["cluster.aks.gpuPool.vmSize"] ? cfg["cluster.aks.gpuPool.count"] : 0);
}
