// Attaching the cluster to Azure ML (`az ml compute attach --type Kubernetes`): a
// workspace (new, with its storage account, key vault and Application Insights, or an
// existing one by id), the compute namespace created first, optional InstanceType custom
// resources created after the extension, the `machinelearningservices.Compute` of type
// Kubernetes, and the role assignments the attach and the compute's identity need.
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import * as authorization from "@pulumi/azure-native/authorization";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as machinelearningservices from "@pulumi/azure-native/machinelearningservices";
import * as storage from "@pulumi/azure-native/storage";
import type { PlatformContext } from "../../core/context";
import { standardLabels } from "../../core/labels";
import { PlatformNamespace } from "../../core/namespace";
import { AZUREML_KEY_PREFIX, AzureMlClusterKind, AzureMlSettingsError, SettingsProblem } from "./settings";

// Here rather than in index.ts, which imports this module (no import cycles).
/** The cluster the extension goes on: this stack's AKS cluster, an existing one, or an Arc-connected cluster. */
export interface AzureMlClusterRef {
    kind: AzureMlClusterKind;
    /** ARM id of the managed or connected cluster. */
    id: pulumi.Input<string>;
    name: pulumi.Input<string>;
    resourceGroupName: pulumi.Input<string>;
    /** Azure region; the derived `location`, `jobSchedulerLocation` and `domain` come from it. */
    location: pulumi.Input<string>;
    /** Node count (agent pools' sum, or Arc `totalNodeCount`); below 3 the router defaults to DevTest without HA. */
    nodeCount?: pulumi.Input<number | undefined>;
    /** Arc distribution (`openshift` adds `openshift=true`). */
    distribution?: pulumi.Input<string | undefined>;
    /** Whether the AKS cluster has local accounts (compute attach needs them, or Trusted Access). Unknown: undefined. */
    localAccounts?: boolean;
}

/** Built-in role definition ids (the same in every subscription). */
export const ROLES = {
    reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    azureRelayOwner: "2787bf04-f1f5-4bfe-8383-c8a24483ee38",
    acrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
} as const;

/** The Trusted Access role Azure ML binds on AKS (local accounts disabled, authorized IP ranges). */
export const TRUSTED_ACCESS_ROLE = "Microsoft.MachineLearningServices/workspaces/mlworkload";

/** An Azure ML instance type: an `amlarc.azureml.com/v1alpha1` InstanceType. */
export interface InstanceTypeSpec {
    nodeSelector?: Record<string, string>;
    /** CPU and memory requests, e.g. `{ cpu: "500m", memory: "2Gi" }`. */
    requests?: { cpu?: string; memory?: string };
    /** CPU and memory limits. */
    limits?: { cpu?: string; memory?: string };
    /** GPUs (`nvidia.com/gpu`, in limits only, an integer). */
    gpu?: number;
}

/** A new workspace and the resources Azure ML requires beside it. */
export interface NewWorkspaceArgs {
    /** Workspace name (3-33 characters: letters, digits, '-' and '_', a letter or digit first). */
    name: string;
    resourceGroupName: pulumi.Input<string>;
    location: pulumi.Input<string>;
}

export interface AzureMlComputeArgs {
    /** Compute name in the workspace (2-16 characters: letters, digits and '-', a letter first). */
    computeName: string;
    /** The Kubernetes namespace ML workloads run in; created first (the attach requires it to exist). */
    namespace: string;
    /** An existing workspace's ARM id, or a new workspace. */
    workspace: { id: string } | { create: NewWorkspaceArgs };
    /** Azure region of the compute resource (the workspace's); default: the cluster's. */
    location?: pulumi.Input<string>;
    /** Name of the default instance type (one of instanceTypes, or the service's `defaultinstancetype`). */
    defaultInstanceType?: string;
    /** InstanceType custom resources, created after the extension and before the attach. */
    instanceTypes?: Record<string, InstanceTypeSpec>;
    /** The compute's identity: system-assigned (default), or user-assigned identities by id (not both). */
    identity?: { type: "SystemAssigned" } | { type: "UserAssigned"; ids: string[] };
    /** Principal of an existing workspace's user-assigned identity: gets Reader on the cluster (and Azure Relay Owner on the Relay, on Arc). */
    workspaceUserAssignedPrincipalId?: pulumi.Input<string>;
    /** Container registry the compute pulls from: its identity gets AcrPull. */
    containerRegistryId?: pulumi.Input<string>;
    /** Storage account the compute reads and writes: its identity gets Storage Blob Data Contributor (default: the new workspace's). */
    storageAccountId?: pulumi.Input<string>;
    /** Bind AKS Trusted Access for the workspace (needed when local accounts are disabled). */
    trustedAccess?: boolean;
}

const WORKSPACE_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)$/i;

/** The attach's problems, keyed by the `azureml.compute.*` settings. */
export function computeProblems(c: AzureMlComputeArgs, cluster: Pick<AzureMlClusterRef, "kind" | "localAccounts">): SettingsProblem[] {
    const problems: SettingsProblem[] = [];
    const key = (f: string) => `${AZUREML_KEY_PREFIX}compute.${f}`;
    const add = (f: string, message: string, example: string) => problems.push({ key: key(f), message, fix: `pulumi config set ${key(f)} ${example}` });
    if (!/^[A-Za-z][A-Za-z0-9-]{1,15}$/.test(c.computeName)) add("name", `is ${c.computeName}; a compute name has 2-16 letters, digits or '-', a letter first`, "aks-compute");
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(c.namespace)) add("namespace", "must be a namespace name (DNS label)", "azureml-workloads");
    if ("id" in c.workspace && !WORKSPACE_ID.test(c.workspace.id)) {
        add("workspaceId", "must be a workspace's ARM id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<name>", "/subscriptions/.../workspaces/ml");
    }
    if ("create" in c.workspace && !/^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$/.test(c.workspace.create.name)) add("workspaceName", "a workspace name has 3-33 letters, digits, '-' or '_', a letter or digit first", "mlplat-ws");
    for (const [name, t] of Object.entries(c.instanceTypes ?? {})) {
        if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) add("instanceTypes", `${name} is not a Kubernetes object name`, "'{\"gpu-small\":{...}}'");
        if (t.gpu !== undefined && (!Number.isInteger(t.gpu) || t.gpu < 0)) add("instanceTypes", `${name}: gpu must be a whole number`, "'{\"gpu-small\":{\"gpu\":1}}'");
    }
    if (c.defaultInstanceType && c.instanceTypes && !(c.defaultInstanceType in c.instanceTypes) && c.defaultInstanceType !== "defaultinstancetype") {
        add("defaultInstanceType", `${c.defaultInstanceType} is not one of the instance types (${Object.keys(c.instanceTypes).join(", ")})`, Object.keys(c.instanceTypes)[0] ?? "defaultinstancetype");
    }
    if (c.identity?.type === "UserAssigned" && c.identity.ids.length === 0) add("identity", "user-assigned needs at least one identity id", "UserAssigned");
    if (cluster.kind === "aks" && cluster.localAccounts === false && !c.trustedAccess) {
        problems.push({
            key: key("trustedAccess"),
            message: "the attach reads the cluster's admin credentials: with local accounts disabled it needs Trusted Access",
            fix: `pulumi config set ${key("trustedAccess")} true (or pulumi config set cluster.aks.localAccounts true)`,
        });
    }
    if (c.trustedAccess && cluster.kind !== "aks") add("trustedAccess", "Trusted Access is an AKS feature", "false");
    return problems;
}

/** A stable GUID from its parts (role assignment names must be GUIDs and stay the same across runs). */
export function stableGuid(...parts: string[]): string {
    const h = createHash("sha256").update(parts.join("|")).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Storage account (3-24 lowercase letters and digits, globally unique) and key vault (3-24, letters, digits, '-', a letter first) names for a workspace, stable per resource group and name. */
export function workspaceResourceNames(workspace: string, resourceGroup: string): { storageAccount: string; keyVault: string; appInsights: string } {
    const h = createHash("sha256").update(`${resourceGroup}/${workspace}`).digest("hex").slice(0, 8);
    const stem = workspace.toLowerCase().replace(/[^a-z0-9]/g, "");
    const sa = `${stem.slice(0, 14)}st${h}`;
    const kvStem = workspace.replace(/[^A-Za-z0-9-]/g, "").replace(/^[^A-Za-z]+/, "");
    return { storageAccount: /^[a-z]/.test(sa) ? sa : `ml${sa}`.slice(0, 24), keyVault: `${(kvStem || "ml").slice(0, 13)}-kv${h}`, appInsights: `${workspace}-ai` };
}

interface ComputeInternals {
    cluster: AzureMlClusterRef;
    subscriptionId: pulumi.Input<string>;
    /** The extension: instance types and the attach come after it. */
    extension: pulumi.Resource;
    /** The Relay namespace the stack created (Arc), for Azure Relay Owner. */
    relayNamespaceId?: pulumi.Input<string>;
    tags?: Record<string, string>;
}

/** The workspace the compute is attached to. */
interface WorkspaceRef {
    id: pulumi.Output<string>;
    resourceGroupName: pulumi.Input<string>;
    name: pulumi.Input<string>;
    /** The storage account the compute's identity reads and writes (the new workspace's by default). */
    storageAccountId?: pulumi.Input<string>;
    /** The workspace this stack creates. */
    created?: machinelearningservices.Workspace;
}

export class AzureMlCompute extends pulumi.ComponentResource {
    readonly workspaceId: pulumi.Output<string>;
    readonly namespace: PlatformNamespace;
    readonly instanceTypes: k8s.apiextensions.CustomResource[];
    readonly compute: machinelearningservices.Compute;
    readonly roleAssignments: authorization.RoleAssignment[] = [];
    readonly trustedAccess?: containerservice.TrustedAccessRoleBinding;
    readonly computeId: pulumi.Output<string>;

    constructor(name: string, args: AzureMlComputeArgs & ComputeInternals, ctx: PlatformContext, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:platforms:AzureMlCompute", name, {}, opts);
        const problems = computeProblems(args, args.cluster);
        if (problems.length > 0) throw new AzureMlSettingsError(problems);
        const ws = this.workspaceFor(name, args);
        this.workspaceId = ws.id;
        this.workspaceAccess(name, args);
        this.trustedAccess = this.bindTrustedAccess(name, args);
        // The namespace, then the instance types (their CRD exists once the extension is installed).
        this.namespace = new PlatformNamespace(`${name}-ns`, {
            name: args.namespace, partOf: "azureml",
            // The pods here are AzureML's (training jobs, online deployments), created by the extension.
            podSecurity: { level: "baseline", reason: "AzureML's job and inference pods, created by the extension from users' environments, run as the image's user (root by default) without seccomp settings; restricted would refuse them" },
        }, ctx, { parent: this });
        this.instanceTypes = this.createInstanceTypes(name, args, ctx);
        this.compute = this.attach(name, args, ws);
        this.computeId = this.compute.id;
        this.computeAccess(name, args, ws.storageAccountId);
        this.registerOutputs({ computeId: this.computeId, workspaceId: this.workspaceId });
    }

    /** A role assignment named by a GUID stable per scope, principal and role. */
    private assign(name: string, label: string, subscriptionId: pulumi.Input<string>, principalId: pulumi.Input<string>, roleId: string, scope: pulumi.Input<string>): void {
        this.roleAssignments.push(new authorization.RoleAssignment(`${name}-${label}`, {
            principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`,
            scope,
            roleAssignmentName: pulumi.all([scope, principalId]).apply(([s, p]) => stableGuid(s, p, roleId)),
        }, { parent: this }));
    }

    /** The workspace: an existing one by id, or a new one with its storage account, key vault and Application Insights. */
    private workspaceFor(name: string, args: AzureMlComputeArgs & ComputeInternals): WorkspaceRef {
        if (!("create" in args.workspace)) {
            const [, g, n] = WORKSPACE_ID.exec(args.workspace.id)!;
            return { id: pulumi.output(args.workspace.id), resourceGroupName: g, name: n, storageAccountId: args.storageAccountId };
        }
        const parent = { parent: this };
        const w = args.workspace.create;
        const names = workspaceResourceNames(w.name, typeof w.resourceGroupName === "string" ? w.resourceGroupName : name);
        const tags = args.tags;
        const sa = new storage.StorageAccount(`${name}-storage`, {
            resourceGroupName: w.resourceGroupName, location: w.location, accountName: names.storageAccount,
            kind: "StorageV2", sku: { name: "Standard_LRS" },
            allowBlobPublicAccess: false, minimumTlsVersion: "TLS1_2", enableHttpsTrafficOnly: true, tags,
        }, parent);
        const tenantId = authorization.getClientConfigOutput(parent).tenantId;
        const kv = new keyvault.Vault(`${name}-keyvault`, {
            resourceGroupName: w.resourceGroupName, location: w.location, vaultName: names.keyVault,
            properties: { tenantId, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true, enableSoftDelete: true },
            tags,
        }, parent);
        const ai = new applicationinsights.Component(`${name}-insights`, {
            resourceGroupName: w.resourceGroupName, location: w.location, resourceName: names.appInsights,
            kind: "web", applicationType: "web", tags,
        }, parent);
        const workspace = new machinelearningservices.Workspace(`${name}-workspace`, {
            resourceGroupName: w.resourceGroupName, location: w.location, workspaceName: w.name,
            kind: "Default", identity: { type: "SystemAssigned" }, sku: { name: "Basic", tier: "Basic" },
            storageAccount: sa.id, keyVault: kv.id, applicationInsights: ai.id, tags,
        }, parent);
        return { id: workspace.id, resourceGroupName: w.resourceGroupName, name: workspace.name, storageAccountId: args.storageAccountId ?? sa.id, created: workspace };
    }

    /** The attach reads the cluster through the workspace's identity. */
    private workspaceAccess(name: string, args: AzureMlComputeArgs & ComputeInternals): void {
        const principal = args.workspaceUserAssignedPrincipalId;
        if (!principal) return;
        this.assign(name, "workspace-reader", args.subscriptionId, principal, ROLES.reader, args.cluster.id);
        if (args.cluster.kind === "arc" && args.relayNamespaceId) this.assign(name, "workspace-relay-owner", args.subscriptionId, principal, ROLES.azureRelayOwner, args.relayNamespaceId);
    }

    /** AKS Trusted Access for the workspace (the attach without local accounts). */
    private bindTrustedAccess(name: string, args: AzureMlComputeArgs & ComputeInternals): containerservice.TrustedAccessRoleBinding | undefined {
        if (!args.trustedAccess) return undefined;
        return new containerservice.TrustedAccessRoleBinding(`${name}-trusted-access`, {
            resourceGroupName: args.cluster.resourceGroupName,
            resourceName: args.cluster.name,
            trustedAccessRoleBindingName: "azureml-workspace",
            roles: [TRUSTED_ACCESS_ROLE],
            sourceResourceId: this.workspaceId,
        }, { parent: this });
    }

    /** The InstanceType custom resources, after the extension (which installs their CRD). */
    private createInstanceTypes(name: string, args: AzureMlComputeArgs & ComputeInternals, ctx: PlatformContext): k8s.apiextensions.CustomResource[] {
        return Object.entries(args.instanceTypes ?? {}).map(([typeName, t]) => {
            const limits: Record<string, string | number> = { ...t.limits };
            if (t.gpu !== undefined) limits["nvidia.com/gpu"] = t.gpu;
            return new k8s.apiextensions.CustomResource(`${name}-it-${typeName}`, {
                apiVersion: "amlarc.azureml.com/v1alpha1",
                kind: "InstanceType",
                metadata: { name: typeName, labels: standardLabels({ name: typeName, component: "instance-type", partOf: "azureml" }, ctx.extraLabels) },
                spec: {
                    ...(t.nodeSelector ? { nodeSelector: t.nodeSelector } : {}),
                    resources: { ...(t.requests ? { requests: t.requests } : {}), ...(Object.keys(limits).length ? { limits } : {}) },
                },
            }, { parent: this, dependsOn: [args.extension] });
        });
    }

    /** The Kubernetes compute, after the extension, its namespace, the instance types, Trusted Access and the workspace. */
    private attach(name: string, args: AzureMlComputeArgs & ComputeInternals, ws: WorkspaceRef): machinelearningservices.Compute {
        const identity = args.identity ?? { type: "SystemAssigned" as const };
        return new machinelearningservices.Compute(`${name}`, {
            resourceGroupName: ws.resourceGroupName,
            workspaceName: ws.name,
            computeName: args.computeName,
            location: args.location ?? args.cluster.location,
            identity: identity.type === "SystemAssigned" ? { type: "SystemAssigned" } : { type: "UserAssigned", userAssignedIdentities: identity.ids },
            tags: args.tags,
            properties: {
                computeType: "Kubernetes",
                resourceId: args.cluster.id,
                computeLocation: args.cluster.location,
                description: `Kubernetes compute on ${args.cluster.kind === "aks" ? "AKS" : "Arc"} cluster, attached by mlplat`,
                properties: {
                    // Explicit: the SDK does not default it, and the service's default is `default`.
                    namespace: args.namespace,
                    ...(args.defaultInstanceType ? { defaultInstanceType: args.defaultInstanceType } : {}),
                },
            },
        }, {
            parent: this,
            dependsOn: [args.extension, this.namespace, ...this.instanceTypes, ...(this.trustedAccess ? [this.trustedAccess] : []), ...(ws.created ? [ws.created] : [])],
        });
    }

    /** The compute's own identity pulls images and reads data. */
    private computeAccess(name: string, args: AzureMlComputeArgs & ComputeInternals, storageAccountId: pulumi.Input<string> | undefined): void {
        if ((args.identity?.type ?? "SystemAssigned") !== "SystemAssigned") return;
        const principal = this.compute.identity.apply((i) => i?.principalId ?? "");
        if (args.containerRegistryId) this.assign(name, "compute-acr-pull", args.subscriptionId, principal, ROLES.acrPull, args.containerRegistryId);
        if (storageAccountId) this.assign(name, "compute-blob", args.subscriptionId, principal, ROLES.storageBlobDataContributor, storageAccountId);
    }
}
