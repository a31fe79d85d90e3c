// Runs Azure components directly (no stack config) under Pulumi mocks that answer like
// azure-native would: resource names from their `...Name` inputs, ARM ids, the keys the
// list* functions return, and a kubeconfig from the AKS credentials.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { PlatformContext } from "../../components/core/context";
import { Registry } from "../../components/registry";
import type { Registered } from "./harness";
import { MockedRun, runUnderMocks } from "./record";

export const SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";
export const TENANT = "00000000-0000-0000-0000-0000000000aa";

/** Values the mocks give to the Azure secrets, so tests can scan for them. */
export const AZURE_SECRETS = {
    relay: "Endpoint=sb://mock-relay.servicebus.windows.net/;SharedAccessKeyName=azureml_rw;SharedAccessKey=mock-relay-key",
    serviceBus: "Endpoint=sb://mock-sb.servicebus.windows.net/;SharedAccessKeyName=azureml_rw;SharedAccessKey=mock-sb-key",
    logAnalyticsKey: "mock-log-analytics-shared-key",
    kubeconfig: "apiVersion: v1\nkind: Config\nusers: [{name: clusterUser, user: {token: mock-aks-user-token}}]\n",
};

// The input holding each Azure resource's own name (azure-native outputs it as `name`).
const NAME_INPUT: Record<string, string> = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:containerservice:ManagedCluster": "resourceName",
    "azure-native:containerservice:AgentPool": "agentPoolName",
    "azure-native:containerservice:TrustedAccessRoleBinding": "trustedAccessRoleBindingName",
    "azure-native:kubernetesconfiguration:Extension": "extensionName",
    "azure-native:relay:Namespace": "namespaceName",
    "azure-native:relay:HybridConnection": "hybridConnectionName",
    "azure-native:relay:HybridConnectionAuthorizationRule": "authorizationRuleName",
    "azure-native:servicebus:Namespace": "namespaceName",
    "azure-native:servicebus:Topic": "topicName",
    "azure-native:servicebus:Subscription": "subscriptionName",
    "azure-native:servicebus:NamespaceAuthorizationRule": "authorizationRuleName",
    "azure-native:operationalinsights:Workspace": "workspaceName",
    "azure-native:machinelearningservices:Workspace": "workspaceName",
    "azure-native:machinelearningservices:Compute": "computeName",
    "azure-native:storage:StorageAccount": "accountName",
    "azure-native:keyvault:Vault": "vaultName",
    "azure-native:insights:Component": "resourceName",
    "azure-native:applicationinsights:Component": "resourceName",
    "azure-native:authorization:RoleAssignment": "roleAssignmentName",
};

export function azureState(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
    const inputs = args.inputs;
    const [, service, kind] = args.type.split(":");
    const name = (inputs[NAME_INPUT[args.type]] as string | undefined) ?? args.name;
    const id = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${inputs.resourceGroupName ?? "rg"}/providers/Microsoft.${service}/${kind}/${name}`;
    const state: Record<string, unknown> = { ...inputs, name, id };
    if (args.type === "azure-native:machinelearningservices:Compute") state.identity = { ...(inputs.identity as object), principalId: "compute-principal" };
    if (args.type === "azure-native:operationalinsights:Workspace") state.customerId = "mock-customer-id";
    if (args.type === "azure-native:containerservice:ManagedCluster") {
        state.identity = { ...(inputs.identity as object), principalId: "aks-principal" };
        state.oidcIssuerProfile = { ...(inputs.oidcIssuerProfile as object), issuerURL: "https://oidc.example/" };
    }
    return { id, state };
}

/** What invokes return under the mocks. */
export function azureCall(args: pulumi.runtime.MockCallArgs, existing: Record<string, unknown> = {}): Record<string, unknown> {
    switch (args.token) {
        case "azure-native:authorization:getClientConfig":
            return { subscriptionId: SUBSCRIPTION, tenantId: TENANT, clientId: "client", objectId: "object" };
        case "azure-native:relay:listHybridConnectionKeys":
            return { primaryConnectionString: AZURE_SECRETS.relay, primaryKey: "mock-relay-key" };
        case "azure-native:servicebus:listNamespaceKeys":
            return { primaryConnectionString: AZURE_SECRETS.serviceBus, primaryKey: "mock-sb-key" };
        case "azure-native:operationalinsights:getSharedKeys":
            return { primarySharedKey: AZURE_SECRETS.logAnalyticsKey };
        case "azure-native:containerservice:listManagedClusterUserCredentials":
            return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(AZURE_SECRETS.kubeconfig).toString("base64") }] };
        case "azure-native:containerservice:getManagedCluster": {
            const { resourceGroupName, resourceName } = args.inputs;
            return {
                id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/${resourceName}`,
                name: resourceName, location: "westeurope", kubernetesVersion: "1.33.3", currentKubernetesVersion: "1.33.3",
                agentPoolProfiles: [{ name: "system", count: 2 }, { name: "gpu", count: 1 }], disableLocalAccounts: false,
                ...existing,
            };
        }
        default:
            return args.inputs;
    }
}

export type ProgramRun<T> = MockedRun<T>;

/** Runs `program` under the Azure mocks, recording each resource with its inputs, parent and dependsOn. */
export function runProgram<T>(program: () => T, opts: { existingCluster?: Record<string, unknown> } = {}): Promise<ProgramRun<T>> {
    return runUnderMocks(program, "azure-native:", azureState, (args) => azureCall(args, opts.existingCluster ?? {}), true);
}

/** A PlatformContext on a placeholder cluster, for components that also create Kubernetes objects. */
export function testContext(): { ctx: PlatformContext; opts: pulumi.ComponentResourceOptions } {
    const provider = new k8s.Provider("k8s", { kubeconfig: "placeholder", enableServerSideApply: false });
    const registry = new Registry("registry", { mode: "public", pullSecretName: "mlplat-registry" });
    return {
        ctx: { cluster: { provider, flavour: "existing", loadBalancer: true, defaultStorageClass: true }, registry, extraLabels: {} },
        opts: { providers: { kubernetes: provider } },
    };
}

export const ofType = (resources: Registered[], type: string) => resources.filter((r) => r.type === type);
export const single = (resources: Registered[], type: string) => {
    const found = ofType(resources, type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
    return found[0];
};
