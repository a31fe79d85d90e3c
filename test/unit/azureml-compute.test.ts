// Compute attach under mocks: a new workspace with its storage account, key vault and
// Application Insights (names within Azure's rules), the namespace and InstanceTypes before
// the attach (InstanceTypes after the extension), the Kubernetes compute's inputs, role
// assignments, Trusted Access, and the attach's own rules.
import * as assert from "assert";
import { AzureMlExtension, computeProblems, stableGuid, workspaceResourceNames } from "../../components/platforms/azureml-extension";
import { ofType, runProgram, single, SUBSCRIPTION, testContext } from "./azure-harness";

const CLUSTER_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-rg/providers/Microsoft.ContainerService/managedClusters/ml-aks`;
const cluster = { kind: "aks" as const, id: CLUSTER_ID, name: "ml-aks", resourceGroupName: "ml-rg", location: "westeurope", nodeCount: 3 };

describe("AzureML compute attach (mocks)", function () {
    this.timeout(30_000);

    it("new workspace, namespace and InstanceTypes, then the Kubernetes compute; role assignments for its identity", async () => {
        const run = await runProgram(() => {
            const { ctx, opts } = testContext();
            new AzureMlExtension("azureml", {
                cluster, extensionName: "azureml",
                settings: { enableTraining: true, enableInference: false },
                compute: {
                    computeName: "aks-compute", namespace: "azureml-workloads", defaultInstanceType: "gpu-small",
                    workspace: { create: { name: "mlplat-ws", resourceGroupName: "ml-rg", location: "westeurope" } },
                    instanceTypes: { "gpu-small": { nodeSelector: { accelerator: "nvidia" }, requests: { cpu: "1", memory: "4Gi" }, limits: { cpu: "2", memory: "8Gi" }, gpu: 1 } },
                    containerRegistryId: "/subscriptions/x/resourceGroups/ml-rg/providers/Microsoft.ContainerRegistry/registries/mlacr",
                    workspaceUserAssignedPrincipalId: "ws-principal",
                },
            }, ctx, opts);
        });
        assert.ifError(run.error);
        const names = workspaceResourceNames("mlplat-ws", "ml-rg");
        assert.match(names.storageAccount, /^[a-z0-9]{3,24}$/);
        assert.match(names.keyVault, /^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$/);
        assert.strictEqual(single(run.resources, "azure-native:storage:StorageAccount").inputs.accountName, names.storageAccount);
        assert.strictEqual(single(run.resources, "azure-native:keyvault:Vault").inputs.vaultName, names.keyVault);
        const ws = single(run.resources, "azure-native:machinelearningservices:Workspace").inputs;
        assert.deepStrictEqual([ws.workspaceName, ws.kind, ws.identity], ["mlplat-ws", "Default", { type: "SystemAssigned" }]);
        assert.match(ws.storageAccount, /StorageAccount/);
        assert.match(ws.keyVault, /Vault/);
        assert.match(ws.applicationInsights, /Component/);

        const it = single(run.resources, "kubernetes:amlarc.azureml.com/v1alpha1:InstanceType");
        assert.deepStrictEqual(it.inputs.spec, {
            nodeSelector: { accelerator: "nvidia" },
            resources: { requests: { cpu: "1", memory: "4Gi" }, limits: { cpu: "2", memory: "8Gi", "nvidia.com/gpu": 1 } },
        });
        assert.deepStrictEqual(it.dependsOn, ["azureml"], "InstanceTypes after the extension");
        const compute = single(run.resources, "azure-native:machinelearningservices:Compute");
        assert.deepStrictEqual(compute.inputs.properties, {
            computeType: "Kubernetes", resourceId: CLUSTER_ID, computeLocation: "westeurope",
            description: "Kubernetes compute on AKS cluster, attached by mlplat",
            properties: { namespace: "azureml-workloads", defaultInstanceType: "gpu-small" },
        });
        assert.deepStrictEqual([compute.inputs.computeName, compute.inputs.workspaceName, compute.inputs.identity], ["aks-compute", "mlplat-ws", { type: "SystemAssigned" }]);
        for (const dep of ["azureml", "azureml-compute-ns", "azureml-compute-it-gpu-small", "azureml-compute-workspace"]) {
            assert.ok(compute.dependsOn!.includes(dep), `the attach waits for ${dep}`);
        }
        const ns = ofType(run.resources, "kubernetes:core/v1:Namespace").find((n) => n.inputs.metadata.name === "azureml-workloads");
        assert.ok(ns, "the compute namespace is created");

        const roles = ofType(run.resources, "azure-native:authorization:RoleAssignment").map((r) => [r.name, r.inputs.principalId, r.inputs.roleDefinitionId.split("/").pop(), r.inputs.scope.split("/").pop()]);
        assert.deepStrictEqual(roles, [
            ["azureml-compute-workspace-reader", "ws-principal", "acdd72a7-3385-48ef-bd42-f606fba81ae7", "ml-aks"],
            ["azureml-compute-compute-acr-pull", "compute-principal", "7f951dda-4ed3-4680-a7ca-43fe172d538d", "mlacr"],
            ["azureml-compute-compute-blob", "compute-principal", "ba92f5b4-2d11-453d-a403-e96b0029c9fe", names.storageAccount],
        ]);
        for (const r of ofType(run.resources, "azure-native:authorization:RoleAssignment")) assert.match(r.inputs.roleAssignmentName, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it("an existing workspace by id, with Trusted Access on a cluster without local accounts", async () => {
        const wsId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/ws-rg/providers/Microsoft.MachineLearningServices/workspaces/shared-ws`;
        const run = await runProgram(() => {
            const { ctx, opts } = testContext();
            new AzureMlExtension("azureml", {
                cluster: { ...cluster, localAccounts: false }, extensionName: "azureml",
                settings: { enableTraining: true, enableInference: false },
                compute: { computeName: "aks-compute", namespace: "azureml-workloads", workspace: { id: wsId }, trustedAccess: true },
            }, ctx, opts);
        });
        assert.ifError(run.error);
        assert.strictEqual(ofType(run.resources, "azure-native:machinelearningservices:Workspace").length, 0);
        const compute = single(run.resources, "azure-native:machinelearningservices:Compute");
        assert.deepStrictEqual([compute.inputs.resourceGroupName, compute.inputs.workspaceName], ["ws-rg", "shared-ws"]);
        const ta = single(run.resources, "azure-native:containerservice:TrustedAccessRoleBinding").inputs;
        assert.deepStrictEqual([ta.resourceName, ta.roles, ta.sourceResourceId], ["ml-aks", ["Microsoft.MachineLearningServices/workspaces/mlworkload"], wsId]);
        assert.ok(compute.dependsOn!.includes("azureml-compute-trusted-access"));
    });

    it("refuses what the attach would refuse", () => {
        const problems = computeProblems({
            computeName: "a-compute-name-too-long", namespace: "Bad_NS", workspace: { id: "/subscriptions/x/ws" },
            instanceTypes: { "gpu-small": { gpu: 0.5 } }, defaultInstanceType: "cpu",
        }, { kind: "aks", localAccounts: false });
        assert.deepStrictEqual(problems.map((p) => p.key), [
            "azureml.compute.name", "azureml.compute.namespace", "azureml.compute.workspaceId", "azureml.compute.instanceTypes",
            "azureml.compute.defaultInstanceType", "azureml.compute.trustedAccess",
        ]);
        for (const p of problems) assert.match(p.fix, /pulumi config set/);
        assert.strictEqual(stableGuid("a", "b"), stableGuid("a", "b"));
    });
});
