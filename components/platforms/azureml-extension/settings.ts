// The AzureML extension's settings: what `az k8s-extension create --extension-type
// Microsoft.AzureML.Kubernetes` validates and derives on the client before it calls ARM
// (ARM itself checks none of it; an extension the CLI would refuse fails ~15 minutes
// later in the chart's pre-install healthcheck). Pure functions, no Pulumi resources:
// the component and the stack both run them, and the unit tests check each rule and the
// exact settings sent. Sources: ../shared/notes/azureml-extension.md (§1.2–1.5).
import { createHash } from "crypto";

/** Config keys are `azureml.` + the field name, which is the CLI's `--config` key where one exists. */
export const AZUREML_KEY_PREFIX = "azureml.";

export type AzureMlClusterKind = "aks" | "arc";

/** The CLI's ARM parameters for the two cluster kinds it supports. */
export const CLUSTER_RP: Record<AzureMlClusterKind, { clusterRp: string; clusterResourceName: string }> = {
    aks: { clusterRp: "Microsoft.ContainerService", clusterResourceName: "managedClusters" },
    arc: { clusterRp: "Microsoft.Kubernetes", clusterResourceName: "connectedClusters" },
};

/** The namespace the CLI forces the release into, whatever `--release-namespace` says. */
export const RELEASE_NAMESPACE = "azureml";
export const EXTENSION_TYPE = "Microsoft.AzureML.Kubernetes";

/**
 * The extension's typed settings: every key of the AzureML extension's documented
 * configuration table, named as the CLI's `--config` keys. Unset optional fields are not sent
 * (the chart's defaults apply), except where the CLI itself derives a value.
 */
export interface AzureMlSettings<Secret = unknown> {
    /** `enableTraining`: training and batch inference (aml-operator, Volcano). */
    enableTraining: boolean;
    /** `enableInference`: real-time inference (azureml-fe router, inference operator). */
    enableInference: boolean;
    /** `allowInsecureConnections`: HTTP scoring endpoints; required with inference when no SSL is configured. */
    allowInsecureConnections?: boolean;
    /** `inferenceRouterServiceType`: `loadBalancer`, `nodePort` or `clusterIP` (case-insensitive, as the CLI compares). Required with inference. */
    inferenceRouterServiceType?: string;
    /** `internalLoadBalancerProvider`: `azure` gives the router an internal load balancer (AKS only). */
    internalLoadBalancerProvider?: string;
    /** `inferenceRouterHA`: three azureml-fe replicas (needs at least three nodes). Unset: the chart's default, or `false` below three nodes. */
    inferenceRouterHA?: boolean;
    /** `clusterPurpose`: `DevTest` or `FastProd`. Unset: the chart's default, or `DevTest` below three nodes. */
    clusterPurpose?: string;
    /** `sslSecret`: an Opaque Secret in namespace `azureml` with `cert.pem` and `key.pem`. */
    sslSecret?: string;
    /** `sslCname`: the CNAME the certificate is for; required whenever SSL is configured. */
    sslCname?: string;
    /** The PEM certificate *contents* (the CLI's `sslCertPemFile` is a path it reads): sent base64 as protected `scoringFe.sslCert`. A secret. */
    sslCertPem?: Secret;
    /** The PEM key contents (the CLI's `sslKeyPemFile`): sent base64 as protected `scoringFe.sslKey`. A secret. */
    sslKeyPem?: Secret;
    /** `nodeSelector.<label>`: restricts the extension's components and the ML workloads to these nodes. */
    nodeSelector?: Record<string, string>;
    /** `installNvidiaDevicePlugin`. */
    installNvidiaDevicePlugin?: boolean;
    /** `installPromOp`: false reuses an existing Prometheus operator. */
    installPromOp?: boolean;
    /** `installVolcano`: false reuses an existing Volcano (1.4, 1.5). */
    installVolcano?: boolean;
    /** `installDcgmExporter`. */
    installDcgmExporter?: boolean;
    /** `logAnalyticsWS`: a Log Analytics workspace is created (or given) and wired in. */
    logAnalyticsWS?: boolean;
    /** `isAKSMigration`: the router's Service goes to namespace `default` (`scoringFe.namespace`). */
    isAKSMigration?: boolean;
    /** `relayserver.enabled` (config key `azureml.relay.enabled`). Unset: true on Arc, false on AKS (the CLI's default). */
    relayServer?: boolean;
    /** `servicebus.enabled` (config key `azureml.serviceBus.enabled`). Unset: false. */
    serviceBus?: boolean;
    /** `nginxIngress.enabled`. Unset: true on AKS, false on Arc. */
    nginxIngress?: boolean;
    /** Public keys we do not model, sent as they are (e.g. `workLoadToleration[0].key`). Must not name a key above or a derived one. */
    extraSettings?: Record<string, string>;
    /** Names of protected keys we do not model (their values are secrets, given to the component separately). */
    extraProtectedKeys?: string[];
}

/** The extension resource's own settings (not chart settings). */
export interface AzureMlRelease {
    /** `releaseTrain`; the CLI sends `stable` when none is given. */
    releaseTrain?: string;
    /** A pinned extension version; requires autoUpgradeMinorVersion false. */
    version?: string;
    /** Three-state as in the CLI: unset sends nothing (ARM's default applies; the SDK's default is true). */
    autoUpgradeMinorVersion?: boolean;
}

/** What the settings are derived from: the cluster, as the CLI reads it with a GET. */
export interface ClusterFacts {
    kind: AzureMlClusterKind;
    /** ARM id of the managed or connected cluster. */
    id: string;
    name: string;
    location: string;
    /** Sum of the agent pools' counts (AKS) or `totalNodeCount` (Arc); undefined when unknown. */
    nodeCount?: number;
    /** Arc `distribution` (`openshift` sets `openshift=true`). */
    distribution?: string;
}

/** The implicitly created (or given) Azure resources' public facts. */
export interface MessagingFacts {
    relay?: { hybridConnectionId?: string; hybridConnectionName?: string };
    serviceBus?: { namespaceId?: string };
    logAnalytics?: { customerId: string };
}

/** A problem with the settings: the config key, what is wrong (the CLI's meaning), and the command that fixes it. */
export interface SettingsProblem {
    /** Config key without the `mlplat:` prefix, e.g. `azureml.sslCname`. */
    key: string;
    message: string;
    fix: string;
}

export class AzureMlSettingsError extends Error {
    constructor(readonly problems: SettingsProblem[]) {
        super(`invalid AzureML extension settings:\n${problems.map((p) => `  - ${p.key}: ${p.message}\n      fix: ${p.fix}`).join("\n")}`);
        this.name = "AzureMlSettingsError";
    }
}

const key = (field: string) => `${AZUREML_KEY_PREFIX}${field}`;
const set = (field: string, value: string, secret = false) => `pulumi config set ${secret ? "--secret " : ""}${key(field)} ${value}`;
const rm = (field: string) => `pulumi config rm ${key(field)}`;

export const ROUTER_SERVICE_TYPES = ["loadBalancer", "nodePort", "clusterIP"] as const;
export const CLUSTER_PURPOSES = ["DevTest", "FastProd"] as const;

/** The router service type in the CLI's comparison form (lower case), or undefined. */
const routerType = (s: AzureMlSettings) => s.inferenceRouterServiceType?.toLowerCase();
const isSet = (v: unknown) => v !== undefined && v !== null && v !== "";
/** SSL is configured, as the CLI decides it: both PEMs, or an sslSecret. */
export const sslConfigured = (s: AzureMlSettings) => (isSet(s.sslCertPem) && isSet(s.sslKeyPem)) || isSet(s.sslSecret);

/**
 * Every rule `az k8s-extension create` applies to Microsoft.AzureML.Kubernetes, with the
 * CLI's meaning, plus the in-cluster healthcheck failures we can see from here (marked).
 * `cluster` is optional: the node-count and Arc rules need it.
 */
export function settingsProblems(s: AzureMlSettings, release: AzureMlRelease = {}, cluster?: Pick<ClusterFacts, "kind" | "nodeCount">): SettingsProblem[] {
    const problems: SettingsProblem[] = [];
    const add = (field: string, message: string, fix: string) => problems.push({ key: key(field), message, fix });

    // CLI: "Please create Microsoft.AzureML.Kubernetes extension instance either for Machine
    // Learning training or inference".
    if (!s.enableTraining && !s.enableInference) {
        add("enableTraining", "enable Machine Learning training or inference (or both): the CLI refuses an extension with neither", set("enableTraining", "true"));
    }
    if (s.enableInference) {
        // CLI: "please specify inferenceRouterServiceType=nodePort|loadBalancer|clusterIP".
        const type = routerType(s);
        if (!ROUTER_SERVICE_TYPES.some((t) => t.toLowerCase() === type)) {
            add("inferenceRouterServiceType", `${isSet(s.inferenceRouterServiceType) ? `is ${s.inferenceRouterServiceType}; ` : ""}inference needs the router's service type: loadBalancer, nodePort or clusterIP`, set("inferenceRouterServiceType", "loadBalancer"));
        }
        // CLI: "To enable HTTPs endpoint, either provide sslCertPemFile and sslKeyPemFile ... or
        // sslSecret ... Otherwise explicitly allow insecure connection".
        if (!sslConfigured(s) && !s.allowInsecureConnections) {
            add("allowInsecureConnections", "inference needs HTTPS (sslCertPem and sslKeyPem, or sslSecret) unless insecure HTTP endpoints are allowed explicitly",
                `${set("sslSecret", "azureml-fe-tls")} (with ${key("sslCname")}), or ${set("allowInsecureConnections", "true")}`);
        }
        // CLI: SSL configured requires sslCname, even when insecure connections are allowed.
        if (sslConfigured(s) && !isSet(s.sslCname)) {
            add("sslCname", "is required when SSL is configured (sslSecret or sslCertPem/sslKeyPem): the certificate's host name", set("sslCname", "ml.example.com"));
        }
        // CLI: MutuallyExclusiveArgumentError for nodePort with an internal load balancer.
        if (type === "nodeport" && s.internalLoadBalancerProvider?.toLowerCase() === "azure") {
            add("internalLoadBalancerProvider", "an internal load balancer and inferenceRouterServiceType=nodePort are mutually exclusive", rm("internalLoadBalancerProvider"));
        }
    }
    // Ours, sharper than the CLI (which then fails on a missing file or treats SSL as off).
    if (isSet(s.sslCertPem) !== isSet(s.sslKeyPem)) {
        const missing = isSet(s.sslCertPem) ? "sslKeyPem" : "sslCertPem";
        add(missing, "the SSL certificate and key are given together", `pulumi config set --secret ${key(missing)} -- "$(cat ${missing === "sslKeyPem" ? "key" : "cert"}.pem)"`);
    }
    if (isSet(s.internalLoadBalancerProvider) && s.internalLoadBalancerProvider!.toLowerCase() !== "azure") {
        add("internalLoadBalancerProvider", `is ${s.internalLoadBalancerProvider}; the only provider the extension knows is azure`, set("internalLoadBalancerProvider", "azure"));
    }
    // The CLI warns "only supported on AKS"; the healthcheck fails it (E40003).
    if (cluster?.kind === "arc" && s.internalLoadBalancerProvider?.toLowerCase() === "azure") {
        add("internalLoadBalancerProvider", "an Azure internal load balancer exists only on AKS (the extension's healthcheck fails it on Arc, E40003)", rm("internalLoadBalancerProvider"));
    }
    if (isSet(s.clusterPurpose) && !CLUSTER_PURPOSES.includes(s.clusterPurpose as never)) {
        add("clusterPurpose", `is ${s.clusterPurpose}; must be DevTest or FastProd`, set("clusterPurpose", "FastProd"));
    }
    // The healthcheck fails HA routers on fewer than three healthy nodes (E40002).
    if (s.inferenceRouterHA === true && cluster?.nodeCount !== undefined && cluster.nodeCount < 3) {
        add("inferenceRouterHA", `the cluster has ${cluster.nodeCount} node(s); three router replicas need at least 3 (healthcheck E40002)`, set("inferenceRouterHA", "false"));
    }
    // CLI (custom.py): "To pin to specific version, auto-upgrade-minor-version must be set to 'false'".
    if (isSet(release.version) && release.autoUpgradeMinorVersion !== false) {
        add("autoUpgradeMinorVersion", `a pinned version (${release.version}) needs auto-upgrade of minor versions off`, set("autoUpgradeMinorVersion", "false"));
    }
    // CLI: "Duplicate keys found" (a key in both the public and the protected settings), and
    // ours: a pass-through key must not shadow a modelled or derived one.
    const extra = Object.keys(s.extraSettings ?? {});
    const extraProtected = s.extraProtectedKeys ?? [];
    for (const k of extra.filter((k) => extraProtected.includes(k))) {
        add("extraProtectedSettings", `${k} is both a public and a protected setting (the CLI refuses duplicate keys)`, rm("extraProtectedSettings"));
    }
    for (const k of [...extra, ...extraProtected]) {
        const owner = MODELLED_KEYS[k] ?? (k.startsWith("nodeSelector.") ? "nodeSelector" : undefined);
        if (owner) add(extra.includes(k) ? "extraSettings" : "extraProtectedSettings", `${k} is ${owner === "derived" ? "derived from the cluster and the created resources" : `modelled by ${key(owner)}`}; it cannot be passed through`,
            owner === "derived" ? rm(extra.includes(k) ? "extraSettings" : "extraProtectedSettings") : `pulumi config set ${key(owner)} <value>`);
    }
    return problems;
}

/** Throws every problem at once. */
export function validateSettings(s: AzureMlSettings, release?: AzureMlRelease, cluster?: Pick<ClusterFacts, "kind" | "nodeCount">): void {
    const problems = settingsProblems(s, release, cluster);
    if (problems.length > 0) throw new AzureMlSettingsError(problems);
}

// Chart keys that a typed field or the derivation owns (pass-through may not set them).
const MODELLED_KEYS: Record<string, string> = {
    enableTraining: "enableTraining", enableInference: "enableInference", allowInsecureConnections: "allowInsecureConnections",
    inferenceRouterServiceType: "inferenceRouterServiceType", internalLoadBalancerProvider: "internalLoadBalancerProvider",
    inferenceRouterHA: "inferenceRouterHA", clusterPurpose: "clusterPurpose", sslSecret: "sslSecret", sslCname: "sslCname",
    sslCertPemFile: "sslCertPem", sslKeyPemFile: "sslKeyPem", installNvidiaDevicePlugin: "installNvidiaDevicePlugin",
    installPromOp: "installPromOp", installVolcano: "installVolcano", installDcgmExporter: "installDcgmExporter",
    logAnalyticsWS: "logAnalyticsWS", isAKSMigration: "isAKSMigration", "relayserver.enabled": "relay.enabled",
    "servicebus.enabled": "serviceBus.enabled", "nginxIngress.enabled": "nginxIngress",
    relayServerConnectionString: "relay.connectionString", serviceBusConnectionString: "serviceBus.connectionString",
    ...Object.fromEntries([
        "scoringFe.serviceType.nodePort", "scoringFe.serviceType.internalLoadBalancer", "scoringFe.sslCert", "scoringFe.sslKey",
        "scoringFe.sslSecret", "cluster_name", "clusterId", "prometheus.prometheusSpec.externalLabels.cluster_name", "domain",
        "location", "jobSchedulerLocation", "cluster_name_friendly", "openshift", "relayserver.relayConnectionString",
        "relayserver.hybridConnectionResourceID", "relayserver.hybridConnectionName", "servicebus.connectionString",
        "servicebus.resourceID", "azure_log_analytics.enabled", "azure_log_analytics.customer_id", "azure_log_analytics.connection_string",
    ].map((k) => [k, "derived"])),
};

/** Whether the extension needs the Relay: `relayserver.enabled`, defaulting as the new CLI does (on for Arc, off for AKS). */
export const relayEnabled = (s: AzureMlSettings, kind: AzureMlClusterKind) => s.relayServer ?? kind === "arc";
/** Whether the extension needs Service Bus (`servicebus.enabled`, off by default). */
export const serviceBusEnabled = (s: AzureMlSettings) => s.serviceBus ?? false;

export const SERVICE_BUS_TOPICS = {
    "computestate-updatedby-computeprovider": "compute-scheduler-computestate",
    "jobstate-updatedby-computeprovider": "compute-scheduler-jobstate",
} as const;

const bool = (v: boolean) => (v ? "true" : "false");

/**
 * The public `configurationSettings`, as the CLI sends them: the typed settings, the
 * derived router and SSL keys, the cluster's id, name, location and domain with their
 * aliases, the node-count defaults, the messaging resources' ids. Every value a string.
 */
export function publicSettings(s: AzureMlSettings, cluster: ClusterFacts, messaging: MessagingFacts = {}): Record<string, string> {
    const out: Record<string, string> = {};
    const put = (k: string, v: boolean | string | undefined) => {
        if (v !== undefined) out[k] = typeof v === "boolean" ? bool(v) : v;
    };
    put("enableTraining", s.enableTraining);
    put("enableInference", s.enableInference);
    put("allowInsecureConnections", s.allowInsecureConnections);
    if (s.enableInference) {
        put("inferenceRouterServiceType", s.inferenceRouterServiceType);
        put("internalLoadBalancerProvider", s.internalLoadBalancerProvider);
        if (routerType(s) === "nodeport") put("scoringFe.serviceType.nodePort", true);
        else if (s.internalLoadBalancerProvider?.toLowerCase() === "azure") put("scoringFe.serviceType.internalLoadBalancer", true);
        put("sslCname", s.sslCname);
        put("sslSecret", s.sslSecret);
        // PEMs win over sslSecret, and nothing is injected when insecure connections are allowed.
        if (!s.allowInsecureConnections && !(isSet(s.sslCertPem) && isSet(s.sslKeyPem)) && isSet(s.sslSecret)) put("scoringFe.sslSecret", s.sslSecret);
    }
    // Below three nodes, with neither set, the CLI chooses a dev/test router.
    const small = cluster.nodeCount !== undefined && cluster.nodeCount < 3 && s.inferenceRouterHA === undefined && s.clusterPurpose === undefined;
    put("inferenceRouterHA", small ? false : s.inferenceRouterHA);
    put("clusterPurpose", small ? "DevTest" : s.clusterPurpose);
    for (const [label, value] of Object.entries(s.nodeSelector ?? {})) put(`nodeSelector.${label}`, value);
    put("installNvidiaDevicePlugin", s.installNvidiaDevicePlugin);
    put("installPromOp", s.installPromOp);
    put("installVolcano", s.installVolcano);
    put("installDcgmExporter", s.installDcgmExporter);
    put("logAnalyticsWS", s.logAnalyticsWS);
    if (s.isAKSMigration) {
        put("isAKSMigration", true);
        put("scoringFe.namespace", "default");
    }
    if (cluster.kind === "arc" && cluster.distribution?.toLowerCase() === "openshift") put("openshift", true);
    put("relayserver.enabled", relayEnabled(s, cluster.kind));
    put("servicebus.enabled", serviceBusEnabled(s));
    put("nginxIngress.enabled", s.nginxIngress ?? cluster.kind === "aks");
    // Derived from the cluster (the CLI fills them when absent; `domain` it always overwrites).
    const location = cluster.location.toLowerCase();
    put("cluster_name", cluster.id);
    put("clusterId", cluster.id);
    put("prometheus.prometheusSpec.externalLabels.cluster_name", cluster.id);
    put("domain", `${location}.cloudapp.azure.com`);
    put("location", location);
    put("jobSchedulerLocation", location);
    put("cluster_name_friendly", cluster.name);
    if (messaging.relay) {
        put("relayserver.hybridConnectionResourceID", messaging.relay.hybridConnectionId);
        put("relayserver.hybridConnectionName", messaging.relay.hybridConnectionName);
    }
    if (messaging.serviceBus) {
        put("servicebus.resourceID", messaging.serviceBus.namespaceId);
        for (const [topic, sub] of Object.entries(SERVICE_BUS_TOPICS)) put(`servicebus.topicSubMapping.${topic}`, sub);
    }
    if (messaging.logAnalytics) {
        put("azure_log_analytics.enabled", true);
        put("azure_log_analytics.customer_id", messaging.logAnalytics.customerId);
    }
    Object.assign(out, s.extraSettings ?? {});
    return out;
}

/** The secret values the protected settings are made of (plain strings here; the component resolves its secret Outputs into them). */
export interface ProtectedValues {
    sslCertPem?: string;
    sslKeyPem?: string;
    relayConnectionString?: string;
    serviceBusConnectionString?: string;
    /** The Log Analytics workspace's primary shared key (the CLI names it a connection string). */
    logAnalyticsSharedKey?: string;
    extra?: Record<string, string>;
}

const b64 = (v: string) => Buffer.from(v, "utf8").toString("base64");

/** The `configurationProtectedSettings`: base64 SSL cert and key, the messaging connection strings with their aliases, the Log Analytics key. */
export function protectedSettings(s: AzureMlSettings, v: ProtectedValues): Record<string, string> {
    const out: Record<string, string> = {};
    if (s.enableInference && !s.allowInsecureConnections && v.sslCertPem && v.sslKeyPem) {
        out["scoringFe.sslCert"] = b64(v.sslCertPem);
        out["scoringFe.sslKey"] = b64(v.sslKeyPem);
    }
    if (v.relayConnectionString) {
        out.relayServerConnectionString = v.relayConnectionString;
        out["relayserver.relayConnectionString"] = v.relayConnectionString;
    }
    if (v.serviceBusConnectionString) {
        out.serviceBusConnectionString = v.serviceBusConnectionString;
        out["servicebus.connectionString"] = v.serviceBusConnectionString;
    }
    if (v.logAnalyticsSharedKey) out["azure_log_analytics.connection_string"] = v.logAnalyticsSharedKey;
    Object.assign(out, v.extra ?? {});
    return out;
}

/**
 * The CLI's `_get_valid_name`: `<cluster>-<subscription>-<rg>-<suffix>` reduced to letters
 * and digits; when longer than `max`, its first max-6 characters and the first 6 hex digits
 * of the MD5 of the unreduced string. Reusing it keeps `az k8s-extension update` working
 * on resources we created (it re-derives these names).
 */
export function cliResourceName(input: string, max: number): string {
    const normalized = [...input].filter((c) => /[\p{L}\p{N}]/u.test(c)).join("");
    if (normalized.length <= max) return normalized;
    return normalized.slice(0, max - 6) + createHash("md5").update(input, "utf8").digest("hex").slice(0, 6);
}

/**
 * A Relay or Service Bus namespace name (6-50 characters, a letter first, letters, digits and
 * hyphens, a letter or digit last): the CLI's name, or — when that starts with a digit,
 * which Azure refuses and the CLI does not check — the same name behind `ml`.
 */
export function messagingNamespaceName(clusterName: string, subscriptionId: string, resourceGroup: string, suffix: "relay" | "service-bus"): string {
    const name = cliResourceName(`${clusterName}-${subscriptionId}-${resourceGroup}-${suffix}`, 50);
    return /^[A-Za-z]/.test(name) ? name : `ml${name}`.slice(0, 50);
}

/** The CLI's Log Analytics workspace name (max 63). */
export function logAnalyticsWorkspaceName(clusterName: string, subscriptionId: string, resourceGroup: string): string {
    return cliResourceName(`${clusterName}-${subscriptionId}-${resourceGroup}`, 63);
}
