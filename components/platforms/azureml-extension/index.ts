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
    /** Values of settings.extraProtectedKeys (secrets). */
    extraProtectedSettings?: Record<string, pulumi.Input<string>>;
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

    constructor(name: string, args: AzureMlExtensionArgs, ctx: PlatformContext | undefined, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:platforms:AzureMlExtension", name, {}, opts);
        const s = args.settings;
        const kind = args.cluster.kind;
        // Everything the CLI refuses, refused before anything is registered.
        const known = typeof args.cluster.nodeCount === "number" ? args.cluster.nodeCount : undefined;
        const problems = settingsProblems(s, args.release, { kind, nodeCount: known });
        if (problems.length > 0) throw new AzureMlSettingsError(problems);
        const nodeCount = pulumi.output(args.cluster.nodeCount).apply((n) => {
            checkWithNodeCount(args, n);
            return n;
        });

        const sub = args.subscriptionId ?? authorization.getClientConfigOutput({ parent: this }).subscriptionId;
        const rg = args.cluster.resourceGroupName;
        const location = pulumi.output(args.cluster.location).apply((l) => l.toLowerCase());
        const nameFor = (suffix: "relay" | "service-bus") =>
            pulumi.all([args.cluster.name, sub, rg]).apply(([c, id, g]) => messagingNamespaceName(c, id, g, suffix));
        const childOpts = { parent: this };

        if (relayEnabled(s, kind) && args.relayConnectionString === undefined) {
            this.relay = new AzureRelay(`${name}-relay`, {
                resourceGroupName: rg, location, namespaceName: nameFor("relay"),
                hybridConnectionName: args.cluster.name, tags: args.tags,
            }, childOpts);
        }
        if (serviceBusEnabled(s) && args.serviceBusConnectionString === undefined) {
            this.serviceBus = new ServiceBus(`${name}-servicebus`, {
                resourceGroupName: rg, location, namespaceName: nameFor("service-bus"),
                topics: { ...SERVICE_BUS_TOPICS }, tags: args.tags,
            }, childOpts);
        }
        let la = args.logAnalytics;
        if (s.logAnalyticsWS && !la) {
            this.logAnalytics = new operationalinsights.Workspace(`${name}-logs`, {
                resourceGroupName: rg,
                workspaceName: pulumi.all([args.cluster.name, sub, rg]).apply(([c, id, g]) => logAnalyticsWorkspaceName(c, id, g)),
                location,
                tags: { ...CREATED_BY_TAG, ...args.tags },
            }, childOpts);
            const keys = operationalinsights.getSharedKeysOutput({ resourceGroupName: rg, workspaceName: this.logAnalytics.name }, childOpts);
            la = { customerId: this.logAnalytics.customerId, sharedKey: pulumi.secret(keys.apply((k) => k.primarySharedKey ?? "")) };
        }

        // Public settings from public facts only, so they stay readable in previews.
        const facts = pulumi.output({
            cluster: { kind, id: args.cluster.id, name: args.cluster.name, location, nodeCount, distribution: args.cluster.distribution },
            relay: this.relay ? { hybridConnectionId: this.relay.hybridConnectionId, hybridConnectionName: this.relay.hybridConnectionName } : undefined,
            serviceBus: this.serviceBus ? { namespaceId: this.serviceBus.namespaceId } : undefined,
            logAnalytics: la ? { customerId: la.customerId } : undefined,
        });
        this.configurationSettings = facts.apply((f) => publicSettings(s, f.cluster as ClusterFacts, {
            relay: f.relay, serviceBus: f.serviceBus, logAnalytics: f.logAnalytics,
        } as MessagingFacts));
        // Protected settings: a secret Output end to end.
        const secretValues = pulumi.output({
            sslCertPem: s.sslCertPem, sslKeyPem: s.sslKeyPem,
            relayConnectionString: args.relayConnectionString ?? this.relay?.connectionString,
            serviceBusConnectionString: args.serviceBusConnectionString ?? this.serviceBus?.connectionString,
            logAnalyticsSharedKey: la?.sharedKey,
            extra: args.extraProtectedSettings,
        });
        const protectedOut = pulumi.secret(secretValues.apply((v) => protectedSettings(s, v as ProtectedValues)));

        const rp = CLUSTER_RP[kind];
        this.extension = new kubernetesconfiguration.Extension(name, {
            resourceGroupName: rg,
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

        this.scoringDomain = s.sslCname ? pulumi.output(s.sslCname) : location.apply((l) => `${l}.cloudapp.azure.com`);

        if (args.compute) {
            if (!ctx) throw new Error("AzureMlExtension: compute attach creates a namespace and InstanceTypes in the cluster and needs the PlatformContext");
            this.compute = new AzureMlCompute(`${name}-compute`, {
                ...args.compute,
                cluster: args.cluster,
                subscriptionId: sub,
                extension: this.extension,
                relayNamespaceId: this.relay?.namespace.id,
                tags: args.tags,
            }, ctx, childOpts);
        }
        this.registerOutputs({ extensionId: this.extension.id, scoringDomain: this.scoringDomain });
    }
}
