// cluster.kind=aks: an AKS cluster this stack creates (resource group new or existing,
// system pool, optional GPU user pool with taints, managed identity, OIDC issuer and
// workload identity, local accounts as a setting), or an existing one by name and resource
// group. Either way: the user kubeconfig from the cluster's credentials, as a secret, for
// the Kubernetes provider, and the facts ClusterInfo and the AzureML extension need.
import * as pulumi from "@pulumi/pulumi";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as resources from "@pulumi/azure-native/resources";

export interface AksPoolArgs {
    /** Pool name (1-12 lowercase letters and digits, a letter first). */
    name: string;
    /** VM size, e.g. `Standard_D4s_v5`. */
    vmSize: string;
    count: number;
    /** Taints (`key=value:NoSchedule`), e.g. `sku=gpu:NoSchedule` for a GPU pool. */
    taints?: string[];
    /** Node labels. */
    labels?: Record<string, string>;
}

export interface AksClusterArgs {
    /** `create`: this stack creates the cluster. `existing`: an AKS cluster by name and resource group. */
    mode: "create" | "existing";
    /** Cluster name (1-63 letters, digits, '-' and '_', alphanumeric at both ends). */
    name: string;
    resourceGroupName: string;
    /** Create the resource group (`create` mode), or use an existing one. */
    createResourceGroup?: boolean;
    /** Azure region (`create` mode). */
    location?: string;
    /** Kubernetes version (`1.33` or `1.33.3`); empty: AKS's default. */
    kubernetesVersion?: string;
    /** The system pool (`create` mode). */
    systemPool?: AksPoolArgs;
    /** An optional user pool, e.g. GPU nodes with a taint. */
    userPool?: AksPoolArgs;
    /** Local accounts (the cluster's admin and user certificates). Azure ML's compute attach reads them, or needs Trusted Access. Default true. */
    localAccounts?: boolean;
    /** OIDC issuer and workload identity. Default true. */
    workloadIdentity?: boolean;
    tags?: Record<string, string>;
}

export interface AksProblem { field: string; message: string; example: string }

/** Azure's naming rules and the combinations AKS refuses, for the given AksClusterArgs. */
export function aksProblems(a: AksClusterArgs): AksProblem[] {
    const problems: AksProblem[] = [];
    const add = (field: string, message: string, example: string) => problems.push({ field, message, example });
    if (!/^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/.test(a.name)) add("name", "an AKS cluster name has 1-63 letters, digits, '-' or '_', alphanumeric at both ends", "ml-aks");
    if (!/^[-\w._()]{0,89}[-\w_()]$/.test(a.resourceGroupName)) add("resourceGroup", "a resource group name has 1-90 letters, digits, '-', '_', '.', '(' or ')' and does not end in '.'", "ml-rg");
    if (a.mode === "create") {
        if (!a.location) add("location", "is required to create a cluster", "westeurope");
        if (!a.systemPool) add("systemPool.vmSize", "a new cluster needs a system pool", "Standard_D4s_v5");
        for (const [field, pool] of [["systemPool", a.systemPool], ["userPool", a.userPool]] as const) {
            if (!pool) continue;
            if (!/^[a-z][a-z0-9]{0,11}$/.test(pool.name)) add(`${field}.name`, "a Linux node pool name has 1-12 lowercase letters and digits, a letter first", field === "systemPool" ? "system" : "gpu");
            if (!Number.isInteger(pool.count) || pool.count < (field === "systemPool" ? 1 : 0) || pool.count > 1000) add(`${field}.count`, `must be a whole number from ${field === "systemPool" ? 1 : 0} to 1000`, "3");
            if (!pool.vmSize) add(`${field}.vmSize`, "is required", "Standard_D4s_v5");
            for (const t of pool.taints ?? []) if (!/^[^=:\s]+(=[^=:\s]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$/.test(t)) add(`${field}.taints`, `${t} is not a taint (key=value:Effect)`, "sku=gpu:NoSchedule");
        }
        if (a.systemPool && a.userPool && a.systemPool.name === a.userPool.name) add("userPool.name", "must differ from the system pool's name", "gpu");
        if (a.kubernetesVersion && !/^\d+\.\d+(\.\d+)?$/.test(a.kubernetesVersion)) add("kubernetesVersion", "must look like 1.33 or 1.33.3", "1.33");
    }
    return problems;
}

/** The DNS prefix AKS requires: 1-54 letters, digits and '-', alphanumeric at both ends. */
export function dnsPrefix(name: string): string {
    return name.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 54).replace(/^-+|-+$/g, "") || "aks";
}

/** A decoded user kubeconfig from listManagedClusterUserCredentials. */
function userKubeconfig(resourceGroupName: pulumi.Input<string>, resourceName: pulumi.Input<string>, opts: pulumi.InvokeOutputOptions): pulumi.Output<string> {
    const creds = containerservice.listManagedClusterUserCredentialsOutput({ resourceGroupName, resourceName }, opts);
    return pulumi.secret(creds.apply((c) => {
        const value = c.kubeconfigs?.[0]?.value;
        if (!value) throw new Error(`AKS cluster ${resourceName} returned no user kubeconfig`);
        return Buffer.from(value, "base64").toString("utf8");
    }));
}

export class AksCluster extends pulumi.ComponentResource {
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly resourceGroupName: pulumi.Output<string>;
    readonly location: pulumi.Output<string>;
    /** Nodes across pools: a number when this stack sets the pools, an Output for an existing cluster. */
    readonly nodeCount: number | pulumi.Output<number>;
    /** `major.minor` when the stack sets it. */
    readonly kubernetesVersion?: string;
    /** The user kubeconfig, a secret. */
    readonly kubeconfig: pulumi.Output<string>;
    readonly localAccounts?: boolean;
    readonly cluster?: containerservice.ManagedCluster;
    readonly resourceGroup?: resources.ResourceGroup;

    constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:cluster:Aks", name, {}, opts);
        const problems = aksProblems(args);
        if (problems.length > 0) throw new Error(`invalid AKS cluster:\n${problems.map((p) => `  - ${p.field}: ${p.message} (e.g. ${p.example})`).join("\n")}`);
        const parent = { parent: this };
        if (args.mode === "existing") {
            const found = containerservice.getManagedClusterOutput({ resourceGroupName: args.resourceGroupName, resourceName: args.name }, parent);
            this.id = found.id;
            this.name = pulumi.output(args.name);
            this.resourceGroupName = pulumi.output(args.resourceGroupName);
            this.location = found.location;
            this.nodeCount = found.apply((c) => (c.agentPoolProfiles ?? []).reduce((n, p) => n + (p.count ?? 0), 0));
            this.kubernetesVersion = args.kubernetesVersion;
            this.localAccounts = undefined;
            this.kubeconfig = userKubeconfig(args.resourceGroupName, args.name, parent);
        } else {
            const rgName = args.createResourceGroup
                ? (this.resourceGroup = new resources.ResourceGroup(`${name}-rg`, { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags }, parent)).name
                : pulumi.output(args.resourceGroupName);
            const pool = (p: AksPoolArgs, mode: "System" | "User") => ({
                name: p.name, mode, count: p.count, vmSize: p.vmSize, osType: "Linux", type: "VirtualMachineScaleSets",
                ...(p.taints?.length ? { nodeTaints: p.taints } : {}),
                ...(p.labels ? { nodeLabels: p.labels } : {}),
                ...(args.kubernetesVersion ? { orchestratorVersion: args.kubernetesVersion } : {}),
            });
            const workloadIdentity = args.workloadIdentity ?? true;
            this.localAccounts = args.localAccounts ?? true;
            this.cluster = new containerservice.ManagedCluster(name, {
                resourceGroupName: rgName,
                resourceName: args.name,
                location: args.location,
                dnsPrefix: dnsPrefix(args.name),
                kubernetesVersion: args.kubernetesVersion || undefined,
                identity: { type: "SystemAssigned" },
                agentPoolProfiles: [pool(args.systemPool!, "System"), ...(args.userPool ? [pool(args.userPool, "User")] : [])],
                enableRBAC: true,
                disableLocalAccounts: !this.localAccounts,
                oidcIssuerProfile: { enabled: workloadIdentity },
                securityProfile: { workloadIdentity: { enabled: workloadIdentity } },
                sku: { name: "Base", tier: "Standard" },
                tags: args.tags,
            }, parent);
            this.id = this.cluster.id;
            this.name = this.cluster.name;
            this.resourceGroupName = rgName;
            this.location = pulumi.output(args.location!);
            this.nodeCount = args.systemPool!.count + (args.userPool?.count ?? 0);
            this.kubernetesVersion = args.kubernetesVersion?.split(".").slice(0, 2).join(".") || undefined;
            this.kubeconfig = userKubeconfig(rgName, this.cluster.name, parent);
        }
        this.registerOutputs({ id: this.id, name: this.name, location: this.location });
    }
}
