// cluster.kind=aks under mocks: the ManagedCluster this stack creates (pools, taints,
// identity, OIDC and workload identity, local accounts), an existing cluster by name, the
// user kubeconfig reaching the Kubernetes provider only as a secret, and the ClusterInfo.
import * as assert from "assert";
import { aksProblems, AksClusterArgs, Cluster, dnsPrefix } from "../../components/cluster";
import { plainTextLeaks, unsecret } from "./harness";
import { AZURE_SECRETS, ofType, runProgram, single } from "./azure-harness";

const CREATE: AksClusterArgs = {
    mode: "create", name: "ml-aks", resourceGroupName: "ml-rg", createResourceGroup: true, location: "westeurope", kubernetesVersion: "1.33",
    systemPool: { name: "system", vmSize: "Standard_D4s_v5", count: 3 },
    userPool: { name: "gpu", vmSize: "Standard_NC6s_v3", count: 1, taints: ["sku=gpu:NoSchedule"], labels: { accelerator: "nvidia" } },
};

describe("AKS cluster (mocks)", function () {
    this.timeout(30_000);

    it("creates the resource group and a ManagedCluster with a system pool, a tainted GPU pool, managed identity, OIDC and workload identity", async () => {
        const run = await runProgram(() => {
            const c = new Cluster("cluster", { flavour: "aks", aks: CREATE });
            const { provider, ...info } = c.info;
            return { info };
        });
        assert.ifError(run.error);
        const rg = single(run.resources, "azure-native:resources:ResourceGroup");
        assert.deepStrictEqual([rg.inputs.resourceGroupName, rg.inputs.location], ["ml-rg", "westeurope"]);
        const mc = single(run.resources, "azure-native:containerservice:ManagedCluster");
        assert.deepStrictEqual(mc.parent, "cluster-aks");
        const i = mc.inputs;
        assert.deepStrictEqual([i.resourceName, i.resourceGroupName, i.location, i.dnsPrefix, i.kubernetesVersion], ["ml-aks", "ml-rg", "westeurope", "ml-aks", "1.33"]);
        assert.deepStrictEqual(i.identity, { type: "SystemAssigned" });
        assert.deepStrictEqual([i.oidcIssuerProfile, i.securityProfile, i.disableLocalAccounts, i.enableRBAC], [{ enabled: true }, { workloadIdentity: { enabled: true } }, false, true]);
        assert.deepStrictEqual(i.agentPoolProfiles, [
            { name: "system", mode: "System", count: 3, vmSize: "Standard_D4s_v5", osType: "Linux", type: "VirtualMachineScaleSets", orchestratorVersion: "1.33" },
            { name: "gpu", mode: "User", count: 1, vmSize: "Standard_NC6s_v3", osType: "Linux", type: "VirtualMachineScaleSets", nodeTaints: ["sku=gpu:NoSchedule"], nodeLabels: { accelerator: "nvidia" }, orchestratorVersion: "1.33" },
        ]);
        assert.deepStrictEqual(run.result!.info, { flavour: "aks", kubernetesVersion: "1.33", nodeCount: 4, loadBalancer: true, defaultStorageClass: true, storageClass: undefined, ingress: undefined });
        const provider = single(run.resources, "pulumi:providers:kubernetes");
        assert.strictEqual(unsecret(provider.inputs.kubeconfig), AZURE_SECRETS.kubeconfig, "the user kubeconfig, decoded");
        assert.notStrictEqual(provider.inputs.kubeconfig, AZURE_SECRETS.kubeconfig, "as a secret");
        assert.strictEqual(provider.inputs.enableServerSideApply, "false");
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), ["mock-aks-user-token"]), []);
    });

    it("turns local accounts off and workload identity off when asked", async () => {
        const run = await runProgram(() => { new Cluster("cluster", { flavour: "aks", aks: { ...CREATE, createResourceGroup: false, localAccounts: false, workloadIdentity: false, userPool: undefined } }); });
        assert.ifError(run.error);
        assert.strictEqual(ofType(run.resources, "azure-native:resources:ResourceGroup").length, 0);
        const i = single(run.resources, "azure-native:containerservice:ManagedCluster").inputs;
        assert.deepStrictEqual([i.disableLocalAccounts, i.oidcIssuerProfile, i.agentPoolProfiles.length], [true, { enabled: false }, 1]);
    });

    it("uses an existing AKS cluster by name and resource group: no cluster created, node count from its pools", async () => {
        const run = await runProgram(() => {
            const c = new Cluster("cluster", { flavour: "aks", aks: { mode: "existing", name: "shared-aks", resourceGroupName: "shared-rg" } });
            return { nodes: c.aks!.nodeCount, location: c.aks!.location, id: c.aks!.id };
        });
        assert.ifError(run.error);
        assert.strictEqual(ofType(run.resources, "azure-native:containerservice:ManagedCluster").length, 0);
        assert.deepStrictEqual(run.result, {
            nodes: 3, location: "westeurope",
            id: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/shared-rg/providers/Microsoft.ContainerService/managedClusters/shared-aks",
        });
        assert.strictEqual(unsecret(single(run.resources, "pulumi:providers:kubernetes").inputs.kubeconfig), AZURE_SECRETS.kubeconfig);
    });

    it("refuses names and pools Azure refuses", () => {
        const bad: AksClusterArgs = {
            mode: "create", name: "-aks", resourceGroupName: "rg.", kubernetesVersion: "latest",
            systemPool: { name: "System-Pool", vmSize: "", count: 0 }, userPool: { name: "gpu", vmSize: "x", count: 1, taints: ["gpu"] },
        };
        assert.deepStrictEqual(aksProblems(bad).map((p) => p.field), [
            "name", "resourceGroup", "location", "systemPool.name", "systemPool.count", "systemPool.vmSize", "userPool.taints", "kubernetesVersion",
        ]);
        assert.deepStrictEqual(aksProblems(CREATE), []);
        assert.strictEqual(dnsPrefix("ml_aks_" + "x".repeat(80)).length, 54);
        assert.match(dnsPrefix("_ml_"), /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/);
    });
});
