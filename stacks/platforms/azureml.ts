// The AzureML extension on the stack side: the flat `azureml.*` settings (the extension's
// typed settings as the az CLI's `--config` keys, its release, the Relay, Service Bus and Log
// Analytics it needs, the compute attach), their formats, the rule that runs the CLI's
// validation (components/platforms/azureml-extension: settingsProblems, computeProblems) on
// the config, and the adapter to AzureMlExtensionArgs. Runs on this stack's AKS cluster
// (cluster.kind=aks) or on an Arc-connected one (azureml.arc.clusterId, cluster.kind=existing).
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { AksCluster } from "../../components/cluster/aks";
import {
    AzureMlClusterRef, AzureMlComputeArgs, AzureMlExtensionArgs, AzureMlRelease, AzureMlSettings, computeProblems, InstanceTypeSpec,
    RELEASE_NAMESPACE, settingsProblems,
} from "../../components/platforms/azureml-extension";
import { AksClusterConfig, aksNodeCount } from "../aks";
import type { FoundationConfig, FoundationKey } from "../foundation";
import {
    bool, changedUnder, choice, ConfigOf, enabledOrRefused, Format, isSet, list, namespaceName, optional, PlatformSettings, Rule, secret,
    setCmd, Setting, str, TRI_STATE, Values,
} from "../setting";

const tri = (description: string) => choice(TRI_STATE, "auto", `${description} \`auto\`: not sent (the chart's or the CLI's default applies).`);

export const AZUREML_SETTINGS = {
    "azureml.enabled": bool(false, "Install the AzureML Kubernetes extension (Microsoft.AzureML.Kubernetes) on this stack's AKS cluster (cluster.kind=aks) or on an Arc-connected cluster (azureml.arc.clusterId), validated as `az k8s-extension create` validates it; see docs/platforms/azureml-extension.md."),
    "azureml.extensionName": str("azureml", "Name of the extension and its Helm release (a failed name cannot be reused for about an hour)."),
    "azureml.releaseTrain": str("stable", "Release train of the extension (`stable` or `preview`)."),
    "azureml.version": str("", "Pinned extension version, e.g. `1.1.60`; needs azureml.autoUpgradeMinorVersion=false. Empty: the train's latest."),
    "azureml.autoUpgradeMinorVersion": choice(TRI_STATE, "auto", "Auto-upgrade of minor versions. `auto`: not sent (ARM's default, on)."),
    "azureml.arc.clusterId": str("", "ARM id of an Arc-connected cluster (`/subscriptions/…/resourceGroups/…/providers/Microsoft.Kubernetes/connectedClusters/<name>`) to install on, reached through cluster.kind=existing; empty: this stack's AKS cluster."),
    "azureml.arc.location": str("", "Azure region of the Arc-connected cluster, e.g. `eastus`. Required with azureml.arc.clusterId."),
    "azureml.arc.distribution": str("", "Kubernetes distribution of the Arc-connected cluster as Arc reports it (`openshift` sends `openshift=true`)."),
    "azureml.enableTraining": bool(false, "`enableTraining`: training and batch inference. The CLI refuses an extension with neither training nor inference."),
    "azureml.enableInference": bool(false, "`enableInference`: real-time inference (the azureml-fe router)."),
    "azureml.allowInsecureConnections": bool(false, "`allowInsecureConnections`: HTTP scoring endpoints. Inference needs it unless SSL is configured (azureml.sslSecret, or azureml.sslCertPem and azureml.sslKeyPem)."),
    "azureml.inferenceRouterServiceType": str("", "`inferenceRouterServiceType`: `loadBalancer`, `nodePort` or `clusterIP` (case-insensitive). Required with inference."),
    "azureml.internalLoadBalancerProvider": str("", "`internalLoadBalancerProvider`: `azure` gives the router an internal load balancer (AKS only; not with nodePort)."),
    "azureml.inferenceRouterHA": tri("`inferenceRouterHA`: three router replicas (needs three nodes). Below three nodes, with azureml.clusterPurpose empty too, `false` is sent as the CLI derives it."),
    "azureml.clusterPurpose": str("", "`clusterPurpose`: `DevTest` or `FastProd`. Empty: the chart's default, or `DevTest` below three nodes."),
    "azureml.sslSecret": str("", "`sslSecret`: an Opaque Secret in namespace `azureml` with `cert.pem` and `key.pem`, for HTTPS scoring endpoints."),
    "azureml.sslCname": str("", "`sslCname`: the host name the certificate is for; required whenever SSL is configured. Also the scoring domain in the `azureml` output."),
    "azureml.sslCertPem": secret("The PEM certificate's contents (the CLI's `sslCertPemFile` reads a file): sent base64 as the protected `scoringFe.sslCert`. `pulumi config set --secret azureml.sslCertPem -- \"$(cat cert.pem)\"`."),
    "azureml.sslKeyPem": secret("The PEM private key's contents (the CLI's `sslKeyPemFile`): sent base64 as the protected `scoringFe.sslKey`."),
    "azureml.nodeSelector": list("`nodeSelector.<label>`: `label=value` entries restricting the extension's components and ML workloads to matching nodes."),
    "azureml.installNvidiaDevicePlugin": tri("`installNvidiaDevicePlugin`."),
    "azureml.installPromOp": tri("`installPromOp`: false reuses a Prometheus operator the cluster runs."),
    "azureml.installVolcano": tri("`installVolcano`: false reuses a Volcano (1.4, 1.5) the cluster runs."),
    "azureml.installDcgmExporter": tri("`installDcgmExporter`."),
    "azureml.logAnalyticsWS": bool(false, "`logAnalyticsWS`: send logs to a Log Analytics workspace, created as the CLI names it unless azureml.logAnalytics.customerId names one."),
    "azureml.logAnalytics.customerId": str("", "Workspace (customer) id of an existing Log Analytics workspace for azureml.logAnalyticsWS; with azureml.logAnalytics.sharedKey."),
    "azureml.logAnalytics.sharedKey": secret("Primary shared key of the workspace of azureml.logAnalytics.customerId (sent as the protected `azure_log_analytics.connection_string`)."),
    "azureml.isAKSMigration": bool(false, "`isAKSMigration`: the router's Service goes to namespace `default`."),
    "azureml.relay.enabled": tri("`relayserver.enabled`: the Azure Relay the extension talks through (created as the CLI creates it, unless azureml.relay.connectionString is given). `auto`: on for Arc, off for AKS, as the CLI defaults it, and sent."),
    "azureml.relay.connectionString": secret("Connection string of an existing Relay hybrid connection: no Relay is created (sent only as protected settings)."),
    "azureml.serviceBus.enabled": tri("`servicebus.enabled`: the Service Bus namespace, topics and subscriptions the extension expects (created as the CLI creates them, unless azureml.serviceBus.connectionString is given). `auto`: off, and sent."),
    "azureml.serviceBus.connectionString": secret("Connection string of an existing Service Bus namespace: none is created (sent only as protected settings)."),
    "azureml.nginxIngress": tri("`nginxIngress.enabled`. `auto`: on for AKS, off for Arc, as the CLI defaults it, and sent."),
    "azureml.extraSettings": list("Public settings we do not model, as `key=value` (e.g. `workLoadToleration[0].key=sku`), sent as they are; refused when they name a modelled or derived key."),
    "azureml.extraProtectedSettings": secret("Protected settings we do not model, as a JSON object of strings, e.g. `{\"someKey\":\"…\"}`; refused when a key is also public, modelled or derived."),
    "azureml.compute.enabled": bool(false, "Attach the cluster to an Azure ML workspace as a Kubernetes compute (`az ml compute attach --type Kubernetes`), after the extension."),
    "azureml.compute.name": str("mlplat-compute", "Compute name in the workspace (2-16 letters, digits or '-', a letter first)."),
    "azureml.compute.namespace": str("azureml-workloads", "Kubernetes namespace ML workloads run in; the stack creates it (or uses it, when in cluster.existingNamespaces) before the attach."),
    "azureml.compute.workspaceId": str("", "ARM id of an existing Azure ML workspace; or azureml.compute.workspaceName for a new one."),
    "azureml.compute.workspaceName": str("", "Name of a new Azure ML workspace (3-33 letters, digits, '-' or '_'), created with its storage account, key vault and Application Insights."),
    "azureml.compute.workspaceResourceGroup": str("", "Resource group of a new workspace; empty: the cluster's."),
    "azureml.compute.workspaceLocation": str("", "Region of a new workspace; empty: the cluster's."),
    "azureml.compute.defaultInstanceType": str("", "Default instance type of the compute: one of azureml.compute.instanceTypes (or `defaultinstancetype`)."),
    "azureml.compute.instanceTypes": str("", "InstanceType custom resources (`amlarc.azureml.com/v1alpha1`) as a JSON object: name → `{\"nodeSelector\":{…},\"requests\":{\"cpu\":…,\"memory\":…},\"limits\":{…},\"gpu\":1}`; created after the extension, before the attach."),
    "azureml.compute.identity": choice(["SystemAssigned", "UserAssigned"] as const, "SystemAssigned", "The compute's identity; `UserAssigned` takes azureml.compute.userAssignedIdentityIds."),
    "azureml.compute.userAssignedIdentityIds": list("ARM ids of the user-assigned identities of the compute (azureml.compute.identity=UserAssigned)."),
    "azureml.compute.workspacePrincipalId": str("", "Principal id of an existing workspace's user-assigned identity: gets Reader on the cluster (and Azure Relay Owner on the Relay, on Arc)."),
    "azureml.compute.containerRegistryId": str("", "ARM id of a container registry the compute pulls from: its identity gets AcrPull."),
    "azureml.compute.storageAccountId": str("", "ARM id of a storage account the compute reads and writes (default: the new workspace's): its identity gets Storage Blob Data Contributor."),
    "azureml.compute.trustedAccess": bool(false, "Bind AKS Trusted Access for the workspace; needed when cluster.aks.localAccounts is false."),
} satisfies Record<string, Setting>;

type AzureMlKey = keyof typeof AZUREML_SETTINGS;
export type AzureMlConfig = ConfigOf<typeof AZUREML_SETTINGS>;

const ARC_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Kubernetes\/connectedClusters\/([^/]+)$/i;
const ARM_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/.+$/i;
const keyValue = /^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?=([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

const json = (v: string): unknown => {
    try {
        return JSON.parse(v);
    } catch {
        return undefined;
    }
};
const resources = z.object({ cpu: z.string().optional(), memory: z.string().optional() }).strict();
const INSTANCE_TYPES = z.record(z.string(), z.object({
    nodeSelector: z.record(z.string(), z.string()).optional(), requests: resources.optional(), limits: resources.optional(), gpu: z.number().optional(),
}).strict());
const STRING_MAP = z.record(z.string(), z.string());
const armId = (what: string, example: string): Format => ({ schema: optional(ARM_ID, `must be the ARM id of ${what}`), example });

export const AZUREML_FORMATS = {
    "azureml.extensionName": { schema: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,251}[a-z0-9])?$/, "must be lowercase letters, digits and '-' (a Helm release name)"), example: "azureml" },
    "azureml.releaseTrain": { schema: z.string().regex(/^[A-Za-z]+$/, "must be a release train like stable or preview"), example: "stable" },
    "azureml.version": { schema: optional(/^\d+\.\d+\.\d+$/, "must be an exact version like 1.1.60"), example: "1.1.60" },
    "azureml.arc.clusterId": { schema: optional(ARC_ID, "must be a connected cluster's ARM id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Kubernetes/connectedClusters/<name>"), example: "/subscriptions/<id>/resourceGroups/arc-rg/providers/Microsoft.Kubernetes/connectedClusters/arc1" },
    "azureml.arc.location": { schema: optional(/^[a-z][a-z0-9]{2,30}$/, "must be an Azure region name like eastus"), example: "eastus" },
    "azureml.sslCname": { schema: optional(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, "must be a DNS host name"), example: "ml.example.com" },
    "azureml.sslSecret": { schema: optional(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "must be a Kubernetes Secret name"), example: "azureml-fe-tls" },
    "azureml.nodeSelector": { schema: z.array(z.string().regex(keyValue, "each entry must be label=value")), example: `'["agentpool=ml"]'` },
    "azureml.extraSettings": { schema: z.array(z.string().regex(/^[^=\s]+=/, "each entry must be key=value")), example: `'["workLoadToleration[0].key=sku"]'` },
    "azureml.extraProtectedSettings": { schema: z.string().refine((v) => v === "" || STRING_MAP.safeParse(json(v)).success, "must be a JSON object of strings"), example: `'{"someKey":"value"}'` },
    "azureml.compute.namespace": namespaceName("azureml-workloads"),
    "azureml.compute.instanceTypes": { schema: z.string().refine((v) => v === "" || INSTANCE_TYPES.safeParse(json(v)).success, "must be a JSON object: name → {nodeSelector, requests, limits, gpu}"), example: `'{"cpu-small":{"requests":{"cpu":"500m","memory":"2Gi"}}}'` },
    "azureml.compute.userAssignedIdentityIds": { schema: z.array(z.string().regex(ARM_ID, "each entry must be an identity's ARM id")), example: `'["/subscriptions/<id>/resourceGroups/ml-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ml"]'` },
    "azureml.compute.containerRegistryId": armId("a container registry", "/subscriptions/<id>/resourceGroups/ml-rg/providers/Microsoft.ContainerRegistry/registries/mlacr"),
    "azureml.compute.storageAccountId": armId("a storage account", "/subscriptions/<id>/resourceGroups/ml-rg/providers/Microsoft.Storage/storageAccounts/mlstore"),
} satisfies Partial<Record<AzureMlKey, Format>>;

const triValue = (v: unknown) => (v === "auto" ? undefined : v === "true");
const pairs = (entries: readonly string[]) => Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

/** The extension's typed settings from the flat config; secrets as the config holds them (plain strings in rules, secret Outputs in the adapter). */
function settingsOf<S>(cfg: Values<AzureMlKey>): AzureMlSettings<S> {
    const s = (k: AzureMlKey) => (isSet(cfg[k]) ? cfg[k] as string : undefined);
    return {
        enableTraining: cfg["azureml.enableTraining"] === true,
        enableInference: cfg["azureml.enableInference"] === true,
        allowInsecureConnections: cfg["azureml.allowInsecureConnections"] === true ? true : undefined,
        inferenceRouterServiceType: s("azureml.inferenceRouterServiceType"),
        internalLoadBalancerProvider: s("azureml.internalLoadBalancerProvider"),
        inferenceRouterHA: triValue(cfg["azureml.inferenceRouterHA"]),
        clusterPurpose: s("azureml.clusterPurpose"),
        sslSecret: s("azureml.sslSecret"),
        sslCname: s("azureml.sslCname"),
        sslCertPem: (cfg["azureml.sslCertPem"] || undefined) as S | undefined,
        sslKeyPem: (cfg["azureml.sslKeyPem"] || undefined) as S | undefined,
        nodeSelector: (cfg["azureml.nodeSelector"] as string[]).length > 0 ? pairs(cfg["azureml.nodeSelector"] as string[]) : undefined,
        installNvidiaDevicePlugin: triValue(cfg["azureml.installNvidiaDevicePlugin"]),
        installPromOp: triValue(cfg["azureml.installPromOp"]),
        installVolcano: triValue(cfg["azureml.installVolcano"]),
        installDcgmExporter: triValue(cfg["azureml.installDcgmExporter"]),
        logAnalyticsWS: cfg["azureml.logAnalyticsWS"] === true ? true : undefined,
        isAKSMigration: cfg["azureml.isAKSMigration"] === true ? true : undefined,
        relayServer: triValue(cfg["azureml.relay.enabled"]),
        serviceBus: triValue(cfg["azureml.serviceBus.enabled"]),
        nginxIngress: triValue(cfg["azureml.nginxIngress"]),
        extraSettings: (cfg["azureml.extraSettings"] as string[]).length > 0 ? pairs(cfg["azureml.extraSettings"] as string[]) : undefined,
    };
}

function releaseOf(cfg: Values<AzureMlKey>): AzureMlRelease {
    return {
        releaseTrain: cfg["azureml.releaseTrain"] as string,
        version: (cfg["azureml.version"] as string) || undefined,
        autoUpgradeMinorVersion: triValue(cfg["azureml.autoUpgradeMinorVersion"]),
    };
}

/** The attach's Args from the flat config; `cluster` gives a new workspace's defaults. */
function computeOf(cfg: Values<AzureMlKey>, cluster: { resourceGroup: string; location: pulumi.Input<string> }): AzureMlComputeArgs {
    const s = (k: AzureMlKey) => (isSet(cfg[k]) ? cfg[k] as string : undefined);
    const types = s("azureml.compute.instanceTypes");
    const ids = cfg["azureml.compute.userAssignedIdentityIds"] as string[];
    return {
        computeName: cfg["azureml.compute.name"] as string,
        namespace: cfg["azureml.compute.namespace"] as string,
        workspace: s("azureml.compute.workspaceId") ? { id: s("azureml.compute.workspaceId")! } : {
            create: {
                name: s("azureml.compute.workspaceName") ?? "",
                resourceGroupName: s("azureml.compute.workspaceResourceGroup") ?? cluster.resourceGroup,
                location: s("azureml.compute.workspaceLocation") ?? cluster.location,
            },
        },
        defaultInstanceType: s("azureml.compute.defaultInstanceType"),
        instanceTypes: types ? json(types) as Record<string, InstanceTypeSpec> : undefined,
        identity: cfg["azureml.compute.identity"] === "UserAssigned" ? { type: "UserAssigned", ids } : { type: "SystemAssigned" },
        workspaceUserAssignedPrincipalId: s("azureml.compute.workspacePrincipalId"),
        containerRegistryId: s("azureml.compute.containerRegistryId"),
        storageAccountId: s("azureml.compute.storageAccountId"),
        trustedAccess: cfg["azureml.compute.trustedAccess"] === true,
    };
}

type RuleKey = AzureMlKey | FoundationKey | "inferencePipeline.enabled" | "inferencePipeline.namespace" | "aiAppStore.enabled" | "aiAppStore.namespace"
    | "modelServing.enabled" | "modelServing.namespace";
type Problem = (key: RuleKey, message: string, hint: string) => void;

/** Which cluster the extension goes on: this stack's AKS cluster, or an Arc-connected one through cluster.kind=existing. */
function clusterRule(v: Values<RuleKey>, problem: Problem): void {
    const arc = isSet(v["azureml.arc.clusterId"]);
    if (arc && v["cluster.kind"] !== "existing") {
        problem("cluster.kind", `azureml.arc.clusterId names an Arc-connected cluster, which the stack reaches through its kubeconfig: cluster.kind must be existing, not ${v["cluster.kind"]}`,
            "pulumi config set cluster.kind existing (or pulumi config rm azureml.arc.clusterId)");
    }
    if (arc && !isSet(v["azureml.arc.location"])) problem("azureml.arc.location", "is required with azureml.arc.clusterId: the extension's location and scoring domain come from it", setCmd("azureml.arc.location", "eastus"));
    if (!arc && v["cluster.kind"] !== "aks") {
        problem("azureml.enabled", `needs an AKS cluster (cluster.kind=aks) or an Arc-connected one (azureml.arc.clusterId with cluster.kind=existing), but cluster.kind is ${v["cluster.kind"]}`,
            "pulumi config set cluster.kind aks (or pulumi config set azureml.arc.clusterId <connected cluster id>)");
    }
    if (!arc) {
        for (const k of ["azureml.arc.location", "azureml.arc.distribution"] as const) {
            if (isSet(v[k])) problem(k, "applies to an Arc-connected cluster only, but azureml.arc.clusterId is empty, so it would be ignored", `pulumi config rm ${k} (or pulumi config set azureml.arc.clusterId <connected cluster id>)`);
        }
    }
}

/** Messaging and logging settings that would be ignored, and the ones that go together. */
function messagingRule(v: Values<RuleKey>, problem: Problem): void {
    for (const [on, conn] of [["azureml.relay.enabled", "azureml.relay.connectionString"], ["azureml.serviceBus.enabled", "azureml.serviceBus.connectionString"]] as const) {
        if (v[on] === "false" && isSet(v[conn])) problem(conn, `is set but ${on} is false, so it would be ignored`, `pulumi config set ${on} true (or pulumi config rm ${conn})`);
    }
    if (v["azureml.relay.enabled"] === "auto" && isSet(v["azureml.relay.connectionString"]) && !isSet(v["azureml.arc.clusterId"])) {
        problem("azureml.relay.connectionString", "is set but the Relay is off on AKS unless azureml.relay.enabled is true, so it would be ignored", "pulumi config set azureml.relay.enabled true (or pulumi config rm azureml.relay.connectionString)");
    }
    if (v["azureml.serviceBus.enabled"] === "auto" && isSet(v["azureml.serviceBus.connectionString"])) {
        problem("azureml.serviceBus.connectionString", "is set but Service Bus is off unless azureml.serviceBus.enabled is true, so it would be ignored", "pulumi config set azureml.serviceBus.enabled true (or pulumi config rm azureml.serviceBus.connectionString)");
    }
    const la = ["azureml.logAnalytics.customerId", "azureml.logAnalytics.sharedKey"] as const;
    if (v["azureml.logAnalyticsWS"] !== true) {
        for (const k of la.filter((k) => isSet(v[k]))) problem(k, "is set but azureml.logAnalyticsWS is false, so it would be ignored", `pulumi config set azureml.logAnalyticsWS true (or pulumi config rm ${k})`);
    } else if (isSet(v[la[0]]) !== isSet(v[la[1]])) {
        const missing = isSet(v[la[0]]) ? la[1] : la[0];
        problem(missing, "an existing Log Analytics workspace's id and shared key go together", setCmd(missing, "<value>", missing === la[1]));
    }
}

/** The attach: a workspace, a namespace of its own, the identity's ids; then what the component refuses. */
function computeRule(v: Values<RuleKey>, problem: Problem): void {
    const changed = changedUnder(v, "azureml.compute.", AZUREML_SETTINGS).filter((k) => k !== "azureml.compute.enabled");
    if (v["azureml.compute.enabled"] !== true) {
        for (const k of changed) problem(k, "is set but azureml.compute.enabled is false, so it would be ignored", `pulumi config set azureml.compute.enabled true (or pulumi config rm ${k})`);
        return;
    }
    const byId = isSet(v["azureml.compute.workspaceId"]);
    if (!byId && !isSet(v["azureml.compute.workspaceName"])) {
        problem("azureml.compute.workspaceName", "the attach needs a workspace: a new one by name, or an existing one (azureml.compute.workspaceId)", setCmd("azureml.compute.workspaceName", "mlplat-ws"));
    }
    if (byId) {
        for (const k of ["azureml.compute.workspaceName", "azureml.compute.workspaceResourceGroup", "azureml.compute.workspaceLocation"] as const) {
            if (isSet(v[k])) problem(k, "shapes a new workspace, but azureml.compute.workspaceId names an existing one, so it would be ignored", `pulumi config rm ${k} (or pulumi config rm azureml.compute.workspaceId)`);
        }
    }
    if (v["azureml.compute.identity"] === "SystemAssigned" && (v["azureml.compute.userAssignedIdentityIds"] as string[]).length > 0) {
        problem("azureml.compute.userAssignedIdentityIds", "is set but azureml.compute.identity is SystemAssigned, so it would be ignored", "pulumi config set azureml.compute.identity UserAssigned (or pulumi config rm azureml.compute.userAssignedIdentityIds)");
    }
    const ns = v["azureml.compute.namespace"];
    const taken: [string, unknown][] = [["the extension's release namespace", RELEASE_NAMESPACE]];
    if (v["storage.kind"] === "minio") taken.push(["storage.minio.namespace", v["storage.minio.namespace"]]);
    for (const p of ["inferencePipeline", "aiAppStore", "modelServing"] as const) {
        if (v[`${p}.enabled`] === true) taken.push([`${p}.namespace`, v[`${p}.namespace`]]);
    }
    const clash = taken.find(([, other]) => other === ns);
    if (clash) problem("azureml.compute.namespace", `must differ from ${clash[0]} (${ns}): each creates its namespace`, setCmd("azureml.compute.namespace", "azureml-workloads"));
    if (!byId && !isSet(v["azureml.compute.workspaceName"])) return;
    const kind = isSet(v["azureml.arc.clusterId"]) ? "arc" : "aks";
    const localAccounts = kind === "aks" && v["cluster.aks.mode"] === "create" ? v["cluster.aks.localAccounts"] === true : undefined;
    for (const p of computeProblems(computeOf(v, { resourceGroup: "", location: "" }), { kind, localAccounts })) {
        problem(p.key as RuleKey, p.message, p.fix);
    }
}

/** The cluster's node count as the config knows it (declared, or a new AKS cluster's pools). */
function knownNodeCount(v: Values<RuleKey>): number | undefined {
    const declared = v["cluster.nodeCount"] as number;
    if (declared > 0) return declared;
    return isSet(v["azureml.arc.clusterId"]) || v["cluster.kind"] !== "aks" ? undefined : aksNodeCount(v as unknown as AksClusterConfig);
}

export const azureMlRule: Rule<RuleKey> = (v, problem) => {
    if (!enabledOrRefused(v, "azureml.enabled", AZUREML_SETTINGS, problem)) return;
    clusterRule(v, problem);
    // Every rule of `az k8s-extension create`, with its meaning, on the settings as the config gives them.
    const settings = settingsOf<string>(v);
    const protectedJson = v["azureml.extraProtectedSettings"] as string;
    const extra = STRING_MAP.safeParse(json(protectedJson));
    if (extra.success) settings.extraProtectedKeys = Object.keys(extra.data);
    const kind = isSet(v["azureml.arc.clusterId"]) ? "arc" : "aks";
    for (const p of settingsProblems(settings, releaseOf(v), { kind, nodeCount: knownNodeCount(v) })) problem(p.key as RuleKey, p.message, p.fix);
    messagingRule(v, problem);
    computeRule(v, problem);
};

/** The cluster the extension goes on: this stack's AKS cluster, or the Arc-connected one of azureml.arc.clusterId. */
function clusterRef(cfg: FoundationConfig & AzureMlConfig, aks: AksCluster | undefined): AzureMlClusterRef & { resourceGroup: string } {
    const arcId = cfg["azureml.arc.clusterId"];
    if (arcId) {
        const [, rg, name] = ARC_ID.exec(arcId)!;
        return {
            kind: "arc", id: arcId, name, resourceGroupName: rg, resourceGroup: rg, location: cfg["azureml.arc.location"],
            nodeCount: cfg["cluster.nodeCount"] || undefined, distribution: cfg["azureml.arc.distribution"] || undefined,
        };
    }
    if (!aks) throw new Error("azureml.enabled without azureml.arc.clusterId needs this stack's AKS cluster (cluster.kind=aks)");
    return {
        kind: "aks", id: aks.id, name: aks.name, resourceGroupName: aks.resourceGroupName, resourceGroup: (cfg as unknown as AksClusterConfig)["cluster.aks.resourceGroup"],
        location: aks.location, nodeCount: cfg["cluster.nodeCount"] || aks.nodeCount, localAccounts: aks.localAccounts,
    };
}

/** The AzureMlExtensionArgs the stack config gives; `aks` is this stack's AKS cluster (cluster.kind=aks). */
export function azureMlExtensionArgs(cfg: FoundationConfig & AzureMlConfig, aks: AksCluster | undefined): AzureMlExtensionArgs {
    const { resourceGroup, ...cluster } = clusterRef(cfg, aks);
    const values = cfg as unknown as Values<AzureMlKey>;
    const extraProtected = cfg["azureml.extraProtectedSettings"];
    const customerId = cfg["azureml.logAnalytics.customerId"];
    return {
        cluster,
        extensionName: cfg["azureml.extensionName"],
        release: releaseOf(values),
        settings: settingsOf<pulumi.Input<string>>(values),
        extraProtectedSettings: extraProtected ? pulumi.secret(extraProtected.apply((j) => JSON.parse(j) as Record<string, string>)) : undefined,
        relayConnectionString: cfg["azureml.relay.connectionString"],
        serviceBusConnectionString: cfg["azureml.serviceBus.connectionString"],
        logAnalytics: customerId && cfg["azureml.logAnalytics.sharedKey"] ? { customerId, sharedKey: cfg["azureml.logAnalytics.sharedKey"] } : undefined,
        compute: cfg["azureml.compute.enabled"] ? computeOf(values, { resourceGroup, location: cluster.location }) : undefined,
    };
}

/** The AzureML extension's part of the settings table and the parser. */
export const AZUREML: PlatformSettings<AzureMlKey> = {
    enabled: "azureml.enabled",
    title: "the AzureML extension",
    needsIngress: false,
    needsStorage: false,
    settings: AZUREML_SETTINGS,
    formats: AZUREML_FORMATS,
    rule: azureMlRule,
};
