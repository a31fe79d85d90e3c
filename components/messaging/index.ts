// Azure Relay and Service Bus as the AzureML extension uses them: the same resources, names
// and settings `az k8s-extension create` creates implicitly (notes §1.5), each a component
// whose connection string is a secret Output.
import * as pulumi from "@pulumi/pulumi";
import * as relay from "@pulumi/azure-native/relay";
import * as servicebus from "@pulumi/azure-native/servicebus";

/** The tag the CLI puts on what it creates; we keep it so operators recognise them. */
export const CREATED_BY_TAG = { created_by: "Azure Arc-enabled ML" };

/** Rights of the rule the extension connects with. */
const MANAGE_SEND_LISTEN: ("Manage" | "Send" | "Listen")[] = ["Manage", "Send", "Listen"];

/** Azure's rule for Relay and Service Bus namespace names. */
export const NAMESPACE_NAME = /^[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9]$/;

export interface AzureRelayArgs {
    resourceGroupName: pulumi.Input<string>;
    location: pulumi.Input<string>;
    /** Relay namespace name (6-50 characters; see messagingNamespaceName). */
    namespaceName: pulumi.Input<string>;
    /** Hybrid connection name: the CLI names it after the cluster. */
    hybridConnectionName: pulumi.Input<string>;
    /** Authorization rule on the hybrid connection (the CLI's `azureml_rw`). */
    ruleName?: string;
    tags?: Record<string, string>;
}

/**
 * A Relay namespace (Standard, the only SKU), a hybrid connection that requires client
 * authorization, and a Manage/Send/Listen rule on it whose primary connection string the
 * extension uses (`relayServerConnectionString`).
 */
export class AzureRelay extends pulumi.ComponentResource {
    readonly namespace: relay.Namespace;
    readonly hybridConnection: relay.HybridConnection;
    readonly rule: relay.HybridConnectionAuthorizationRule;
    /** The rule's primary connection string, a secret. */
    readonly connectionString: pulumi.Output<string>;
    readonly hybridConnectionId: pulumi.Output<string>;
    readonly hybridConnectionName: pulumi.Output<string>;

    constructor(name: string, args: AzureRelayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:messaging:AzureRelay", name, {}, opts);
        const tags = { ...CREATED_BY_TAG, ...args.tags };
        this.namespace = new relay.Namespace(`${name}-ns`, {
            resourceGroupName: args.resourceGroupName,
            namespaceName: args.namespaceName,
            location: args.location,
            sku: { name: "Standard", tier: "Standard" },
            tags,
        }, { parent: this });
        const namespaceName = this.namespace.name;
        this.hybridConnection = new relay.HybridConnection(`${name}-hc`, {
            resourceGroupName: args.resourceGroupName,
            namespaceName,
            hybridConnectionName: args.hybridConnectionName,
            requiresClientAuthorization: true,
        }, { parent: this });
        this.rule = new relay.HybridConnectionAuthorizationRule(`${name}-rule`, {
            resourceGroupName: args.resourceGroupName,
            namespaceName,
            hybridConnectionName: this.hybridConnection.name,
            authorizationRuleName: args.ruleName ?? "azureml_rw",
            rights: MANAGE_SEND_LISTEN,
        }, { parent: this });
        const keys = relay.listHybridConnectionKeysOutput({
            resourceGroupName: args.resourceGroupName,
            namespaceName,
            hybridConnectionName: this.hybridConnection.name,
            authorizationRuleName: this.rule.name,
        }, { parent: this });
        this.connectionString = pulumi.secret(keys.apply((k) => k.primaryConnectionString ?? ""));
        this.hybridConnectionId = this.hybridConnection.id;
        this.hybridConnectionName = this.hybridConnection.name;
        this.registerOutputs({ hybridConnectionId: this.hybridConnectionId, connectionString: this.connectionString });
    }
}

export interface ServiceBusArgs {
    resourceGroupName: pulumi.Input<string>;
    location: pulumi.Input<string>;
    /** Service Bus namespace name (6-50 characters). */
    namespaceName: pulumi.Input<string>;
    /** Topic → its one subscription (the extension's two pairs). */
    topics: Record<string, string>;
    /** Namespace authorization rule the extension connects with. */
    ruleName?: string;
    tags?: Record<string, string>;
}

/**
 * A Standard Service Bus namespace (topics need Standard), each topic (5120 MB, messages
 * live 60 days) with its subscription (one delivery, 14 days, 30 s lock) as the CLI
 * creates them, and a Manage/Send/Listen rule whose connection string the extension uses.
 */
export class ServiceBus extends pulumi.ComponentResource {
    readonly namespace: servicebus.Namespace;
    readonly topics: servicebus.Topic[] = [];
    readonly subscriptions: servicebus.Subscription[] = [];
    readonly rule: servicebus.NamespaceAuthorizationRule;
    /** The rule's primary connection string, a secret. */
    readonly connectionString: pulumi.Output<string>;
    readonly namespaceId: pulumi.Output<string>;

    constructor(name: string, args: ServiceBusArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:messaging:ServiceBus", name, {}, opts);
        this.namespace = new servicebus.Namespace(`${name}-ns`, {
            resourceGroupName: args.resourceGroupName,
            namespaceName: args.namespaceName,
            location: args.location,
            sku: { name: "Standard", tier: "Standard" },
            // The extension authenticates with a connection string (SAS).
            disableLocalAuth: false,
            tags: { ...CREATED_BY_TAG, ...args.tags },
        }, { parent: this });
        const namespaceName = this.namespace.name;
        for (const [topicName, subscriptionName] of Object.entries(args.topics)) {
            const topic = new servicebus.Topic(`${name}-${topicName}`, {
                resourceGroupName: args.resourceGroupName,
                namespaceName,
                topicName,
                maxSizeInMegabytes: 5120,
                defaultMessageTimeToLive: "P60D",
            }, { parent: this });
            this.topics.push(topic);
            this.subscriptions.push(new servicebus.Subscription(`${name}-${subscriptionName}`, {
                resourceGroupName: args.resourceGroupName,
                namespaceName,
                topicName: topic.name,
                subscriptionName,
                maxDeliveryCount: 1,
                defaultMessageTimeToLive: "P14D",
                lockDuration: "PT30S",
            }, { parent: this }));
        }
        this.rule = new servicebus.NamespaceAuthorizationRule(`${name}-rule`, {
            resourceGroupName: args.resourceGroupName,
            namespaceName,
            authorizationRuleName: args.ruleName ?? "azureml_rw",
            rights: MANAGE_SEND_LISTEN,
        }, { parent: this });
        const keys = servicebus.listNamespaceKeysOutput({
            resourceGroupName: args.resourceGroupName,
            namespaceName,
            authorizationRuleName: this.rule.name,
        }, { parent: this });
        this.connectionString = pulumi.secret(keys.primaryConnectionString);
        this.namespaceId = this.namespace.id;
        this.registerOutputs({ namespaceId: this.namespaceId, connectionString: this.connectionString });
    }
}
