// The AzureML Kubernetes extension (mlplat:platforms:AzureMlExtension): the
// `kubernetesconfiguration.Extension` of type Microsoft.AzureML.Kubernetes on an AKS or
// Arc-connected cluster, with the settings the az CLI would send (validated and derived
// in ./settings.ts), the Relay, Service Bus and Log Analytics workspace the CLI creates
// implicitly, and optionally the attach as an Azure ML Kubernetes compute (./compute.ts).
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as kubernetesconfiguration from "@pulumi/azure-native/kubernetesconfiguration";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import type { PlatformContext } from "../../core/context";
import { AzureRelay, CREATED_BY_TAG, ServiceBus } from "../../messaging";
import { AzureMlClusterRef, AzureMlCompute, AzureMlComputeArgs } from "./compute";
import {
    AzureMlRelease, AzureMlSettings, AzureMlSettingsError, CLUSTER_RP, ClusterFacts, EXTENSION_TYPE,
    logAnalyticsWorkspaceName, messagingNamespaceName, MessagingFacts, protectedSettings, ProtectedValues, publicSettings,
    relayEnabled, RELEASE_NAMESPACE, SERVICE_BUS_TOPICS, serviceBusEnabled, settingsProblems,
} from "./settings";

export * from "./settings";
export * from "./compute";

export interface AzureMlExtensionArgs {
    cluster: AzureMlClusterRef;
    /** Extension (and Helm release) name; fixed, since a failed name cannot be reused for about an hour. */
    extensionName: string;
    release?: AzureMlRelease;
    /** The chart settings; sslCertPem/sslKeyPem are secret Outputs. */
    settings: AzureMlSettings<pulumi.Input<string>>;
    /** Protected keys we do not model and their values (secrets); may be one secret Output, whose keys are checked once known. */
    extraProtectedSettings?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** The subscription, for the CLI's resource names; default: the provider's. */
    subscriptionId?: pulumi.Input<string>;
    /** An existing Relay's connection string (a secret): no Relay is created. */
    relayConnectionString?: pulumi.Input<string>;
    /** An existing Service Bus connection string (a secret): no Service Bus is created. */
    serviceBusConnectionString?: pulumi.Input<string>;
    /** An existing Log Analytics workspace (with logAnalyticsWS): none is created. */
    logAnalytics?: { customerId: pulumi.Input<string>; sharedKey: pulumi.Input<string> };
    /** Attach the cluster to an Azure ML workspace as a Kubernetes compute. */
    compute?: AzureMlComputeArgs;
    tags?: Record<string, string>;
}

/** The settings' problems that the cluster's node count (known only as an Output) reveals, thrown from inside the Output. */
function checkWithNodeCount(args: AzureMlExtensionArgs, nodeCount: number | undefined): void {
    const problems = settingsProblems(args.settings, args.release, { kind: args.cluster.kind, nodeCount })
        .filter((p) => p.key === "azureml.inferenceRouterHA");
    if (problems.length > 0) throw new AzureMlSettingsError(problems);
}

/** The pass-through protected keys' problems (duplicates, shadowing), once their names are known: they may come inside a secret Output. */
function checkProtectedKeys(args: AzureMlExtensionArgs, keys: string[]): void {
    if (keys.length === 0) return;
    const problems = settingsProblems({ ...args.settings, extraProtectedKeys: keys }, args.release, { kind: args.cluster.kind })
        .filter((p) => p.key === "azureml.extraProtectedSettings");
    if (problems.length > 0) throw new AzureMlSettingsError(problems);
}

/**
 * Everything the CLI refuses, refused before anything is registered; the node count's rule
 * again once an Output count is known. Returns the node count as an Output.
 */
function validated(args: AzureMlExtensionArgs): pulumi.Output<number | undefined> {
    const known = typeof args.cluster.nodeCount === "number" ? args.cluster.nodeCount : undefined;
    const problems = settingsProblems(args.settings, args.release, { kind: args.cluster.kind, nodeCount: known });
    if (problems.length > 0) throw new AzureMlSettingsError(problems);
    return pulumi.output(args.cluster.nodeCount).apply((n) => {
        checkWithNodeCount(args, n);
        return n;
    });
}

/** Where the implicit Azure resources go: the cluster's resource group and location. */
interface Placement {
    name: string;
    sub: pulumi.Input<string>;
    rg: pulumi.Input<string>;
    location: pulumi.Output<string>;
}

/** The CLI's Relay or Service Bus namespace name. */
const messagingName = (args: AzureMlExtensionArgs, p: Placement, suffix: "relay" | "service-bus") =>
    pulumi.all([args.cluster.name, p.sub, p.rg]).apply(([c, id, g]) => messagingNamespaceName(c, id, g, suffix));

export class AzureMlExtension extends pulumi.ComponentResource {
    readonly extension: kubernetesconfiguration.Extension;
    readonly relay?: AzureRelay;
    readonly serviceBus?: ServiceBus;
    readonly logAnalytics?: operationalinsights.Workspace;
    readonly compute?: AzureMlCompute;
    /** Where scoring endpoints are reached: the SSL CNAME, or `<location>.cloudapp.azure.com`. */
    readonly scoringDomain: pulumi.Output<string>;
    /** The public settings sent (for inspection and tests). */
    readonly configurationSettings: pulumi.Output<Record<string, string>>;
    /** The protected settings sent, a secret Output (for tests). */
    readonly configurationProtectedSettings: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: AzureMlExtensionArgs, ctx: PlatformContext | undefined, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:platforms:AzureMlExtension", name, {}, opts);
        const nodeCount = validated(args);
        const sub = args.subscriptionId ?? authorization.getClientConfigOutput({ parent: this }).subscriptionId;
        const location = pulumi.output(args.cluster.location).apply((l) => l.toLowerCase());
        const place: Placement = { name, sub, rg: args.cluster.resourceGroupName, location };
        this.relay = this.createRelay(args, place);
        this.serviceBus = this.createServiceBus(args, place);
        const logs = this.logAnalyticsFor(args, place);
        this.logAnalytics = logs.workspace;
        const la = logs.connection;
        this.configurationSettings = this.publicSettingsFor(args, location, nodeCount, la);
        this.configurationProtectedSettings = this.protectedSettingsFor(args, la);
        this.extension = this.createExtension(name, args, this.configurationProtectedSettings);
        this.scoringDomain = args.settings.sslCname ? pulumi.output(args.settings.sslCname) : location.apply((l) => `${l}.cloudapp.azure.com`);
        this.compute = this.attachCompute(name, args, sub, ctx);
        this.registerOutputs({ extensionId: this.extension.id, scoringDomain: this.scoringDomain });
    }

    /** The Relay the extension needs (`relayserver.enabled`), unless an existing one's connection string is given. */
    private createRelay(args: AzureMlExtensionArgs, p: Placement): AzureRelay | undefined {
        if (!relayEnabled(args.settings, args.cluster.kind) || args.relayConnectionString !== undefined) return undefined;
        return new AzureRelay(`${p.name}-relay`, {
            resourceGroupName: p.rg, location: p.location, namespaceName: messagingName(args, p, "relay"),
            hybridConnectionName: args.cluster.name, tags: args.tags,
        }, { parent: this });
    }

    /** The Service Bus the extension needs (`servicebus.enabled`), unless an existing one's connection string is given. */
    private createServiceBus(args: AzureMlExtensionArgs, p: Placement): ServiceBus | undefined {
        if (!serviceBusEnabled(args.settings) || args.serviceBusConnectionString !== undefined) return undefined;
        return new ServiceBus(`${p.name}-servicebus`, {
            resourceGroupName: p.rg, location: p.location, namespaceName: messagingName(args, p, "service-bus"),
            topics: { ...SERVICE_BUS_TOPICS }, tags: args.tags,
        }, { parent: this });
    }

    /** The Log Analytics workspace of `logAnalyticsWS`: the given one, or one created as the CLI names it (its key a secret). */
    private logAnalyticsFor(args: AzureMlExtensionArgs, p: Placement): { workspace?: operationalinsights.Workspace; connection: AzureMlExtensionArgs["logAnalytics"] } {
        if (!args.settings.logAnalyticsWS || args.logAnalytics) return { connection: args.logAnalytics };
        const childOpts = { parent: this };
        const workspace = new operationalinsights.Workspace(`${p.name}-logs`, {
            resourceGroupName: p.rg,
            workspaceName: pulumi.all([args.cluster.name, p.sub, p.rg]).apply(([c, id, g]) => logAnalyticsWorkspaceName(c, id, g)),
            location: p.location,
            tags: { ...CREATED_BY_TAG, ...args.tags },
        }, childOpts);
        const keys = operationalinsights.getSharedKeysOutput({ resourceGroupName: p.rg, workspaceName: workspace.name }, childOpts);
        return { workspace, connection: { customerId: workspace.customerId, sharedKey: pulumi.secret(keys.apply((k) => k.primarySharedKey ?? "")) } };
    }

    /** Public settings from public facts only, so they stay readable in previews. */
    private publicSettingsFor(args: AzureMlExtensionArgs, location: pulumi.Output<string>, nodeCount: pulumi.Output<number | undefined>,
        la: AzureMlExtensionArgs["logAnalytics"]): pulumi.Output<Record<string, string>> {
        const facts = pulumi.output({
            cluster: { kind: args.cluster.kind, id: args.cluster.id, name: args.cluster.name, location, nodeCount, distribution: args.cluster.distribution },
            relay: this.relay ? { hybridConnectionId: this.relay.hybridConnectionId, hybridConnectionName: this.relay.hybridConnectionName } : undefined,
            serviceBus: this.serviceBus ? { namespaceId: this.serviceBus.namespaceId } : undefined,
            logAnalytics: la ? { customerId: la.customerId } : undefined,
        });
        return facts.apply((f) => publicSettings(args.settings, f.cluster as ClusterFacts, {
            relay: f.relay, serviceBus: f.serviceBus, logAnalytics: f.logAnalytics,
        } as MessagingFacts));
    }

    /** Protected settings: a secret Output end to end. Pass-through protected keys are checked once their names are known. */
    private protectedSettingsFor(args: AzureMlExtensionArgs, la: AzureMlExtensionArgs["logAnalytics"]): pulumi.Output<Record<string, string>> {
        const s = args.settings;
        const secretValues = pulumi.output({
            sslCertPem: s.sslCertPem, sslKeyPem: s.sslKeyPem,
            relayConnectionString: args.relayConnectionString ?? this.relay?.connectionString,
            serviceBusConnectionString: args.serviceBusConnectionString ?? this.serviceBus?.connectionString,
            logAnalyticsSharedKey: la?.sharedKey,
            extra: args.extraProtectedSettings,
        });
        return pulumi.secret(secretValues.apply((v) => {
            checkProtectedKeys(args, Object.keys(v.extra ?? {}));
            return protectedSettings(s, v as ProtectedValues);
        }));
    }

    private createExtension(name: string, args: AzureMlExtensionArgs, protectedOut: pulumi.Output<Record<string, string>>): kubernetesconfiguration.Extension {
        const kind = args.cluster.kind;
        const rp = CLUSTER_RP[kind];
        return new kubernetesconfiguration.Extension(name, {
            resourceGroupName: args.cluster.resourceGroupName,
            clusterName: args.cluster.name,
            clusterRp: rp.clusterRp,
            clusterResourceName: rp.clusterResourceName,
            extensionName: args.extensionName,
            extensionType: EXTENSION_TYPE,
            releaseTrain: args.release?.releaseTrain || "stable",
            version: args.release?.version || undefined,
            autoUpgradeMinorVersion: args.release?.autoUpgradeMinorVersion,
            // Cluster scope, release namespace forced to azureml, as the CLI does.
            scope: { cluster: { releaseNamespace: RELEASE_NAMESPACE } },
            // The CLI asks for a system-assigned identity on Arc only; AKS assigns its own.
            identity: kind === "arc" ? { type: "SystemAssigned" } : undefined,
            configurationSettings: this.configurationSettings,
            configurationProtectedSettings: protectedOut,
        }, {
            parent: this,
            // The same name and namespace cannot coexist, and a name is slow to reuse.
            deleteBeforeReplace: true,
            dependsOn: [this.relay, this.serviceBus, this.logAnalytics].filter((r) => r !== undefined) as pulumi.Resource[],
            additionalSecretOutputs: ["configurationProtectedSettings"],
        });
    }

    /** The attach as an Azure ML Kubernetes compute, after the extension. */
    private attachCompute(name: string, args: AzureMlExtensionArgs, sub: pulumi.Input<string>, ctx: PlatformContext | undefined): AzureMlCompute | undefined {
        if (!args.compute) return undefined;
        if (!ctx) throw new Error("AzureMlExtension: compute attach creates a namespace and InstanceTypes in the cluster and needs the PlatformContext");
        return new AzureMlCompute(`${name}-compute`, {
            ...args.compute,
            cluster: args.cluster,
            subscriptionId: sub,
            extension: this.extension,
            relayNamespaceId: this.relay?.namespace.id,
            tags: args.tags,
        }, ctx, { parent: this });
    }
}
