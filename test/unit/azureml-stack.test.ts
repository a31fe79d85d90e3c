// cluster.kind=aks and the AzureML extension through the stack config (cluster.aks.*,
// azureml.*) and the same composition index.ts runs: Pulumi.azure.yaml rendered under the
// Azure mocks, an Arc-connected cluster with Relay and Service Bus, another platform on AKS
// unchanged, and every rule of the az CLI refused by the config parser with its key and fix.
import * as assert from "assert";
import { SETTINGS } from "../../stacks/settings";
import { AZURE_SECRETS } from "./azure-harness";
import { byType, configProblems, one, plainTextLeaks, runStack, StackRun, stackFileConfig, tempKubeconfig, unsecret } from "./harness";

const KUBECONFIG = tempKubeconfig();
const CERT = "-----BEGIN CERTIFICATE-----\nMIIBunit-test-certificate\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIEunit-test-private-key\n-----END PRIVATE KEY-----\n";
const PEMS = { "azureml.sslCertPem": CERT, "azureml.sslKeyPem": KEY };
const b64 = (v: string) => Buffer.from(v).toString("base64");
const ARC_ID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/arc-rg/providers/Microsoft.Kubernetes/connectedClusters/arc1";
const EXTRA_PROTECTED = "unit-extra-protected-value-91c2";

describe("Pulumi.azure.yaml: AKS, the AzureML extension and compute attach", function () {
    this.timeout(60_000);
    let run: StackRun;
    before(async () => {
        run = await runStack({ ...stackFileConfig("azure"), ...PEMS }, Object.keys(PEMS));
    });

    it("parses, and refuses to run without its secrets (HTTPS needs the PEMs)", () => {
        assert.ifError(run.error);
        assert.deepStrictEqual(configProblems(stackFileConfig("azure")).map(([k]) => k), ["mlplat:azureml.allowInsecureConnections"]);
    });

    it("creates the resource group and the AKS cluster with its system and GPU pools; the provider takes its user kubeconfig", () => {
        assert.strictEqual(one(run, "azure-native:resources:ResourceGroup").inputs.resourceGroupName, "ml-rg");
        const aks = one(run, "azure-native:containerservice:ManagedCluster").inputs;
        assert.deepStrictEqual([aks.resourceName, aks.location, aks.kubernetesVersion, aks.disableLocalAccounts], ["ml-aks", "westeurope", "1.33", false]);
        assert.deepStrictEqual(aks.agentPoolProfiles.map((p: any) => [p.name, p.mode, p.vmSize, p.count, p.nodeTaints, p.nodeLabels]), [
            ["system", "System", "Standard_D4s_v5", 3, undefined, undefined],
            ["gpu", "User", "Standard_NC6s_v3", 1, ["sku=gpu:NoSchedule"], { accelerator: "nvidia" }],
        ]);
        assert.match(unsecret(one(run, "pulumi:providers:kubernetes").inputs.kubeconfig), /mock-aks-user-token/);
        assert.deepStrictEqual(run.outputs.cluster, { flavour: "aks", kubernetesVersion: "1.33" });
    });

    it("sends the settings the CLI would send: typed, derived from the cluster, passed through; the PEMs only as protected settings", () => {
        const ext = one(run, "azure-native:kubernetesconfiguration:Extension").inputs;
        assert.deepStrictEqual([ext.extensionName, ext.extensionType, ext.clusterName, ext.resourceGroupName, ext.clusterRp, ext.autoUpgradeMinorVersion, ext.releaseTrain],
            ["azureml", "Microsoft.AzureML.Kubernetes", "ml-aks", "ml-rg", "Microsoft.ContainerService", false, "stable"]);
        const s = ext.configurationSettings;
        for (const [k, v] of Object.entries({
            enableTraining: "true", enableInference: "true", inferenceRouterServiceType: "loadBalancer", internalLoadBalancerProvider: "azure",
            "scoringFe.serviceType.internalLoadBalancer": "true", sslCname: "ml.example.com", installNvidiaDevicePlugin: "true",
            "workLoadToleration[0].key": "sku", "workLoadToleration[0].effect": "NoSchedule", domain: "westeurope.cloudapp.azure.com",
            location: "westeurope", cluster_name_friendly: "ml-aks", "relayserver.enabled": "false", "servicebus.enabled": "false", "nginxIngress.enabled": "true",
        })) assert.strictEqual(s[k], v, k);
        assert.ok(!("inferenceRouterHA" in s) && !("clusterPurpose" in s), "three nodes: the chart's defaults");
        const prot = unsecret(ext.configurationProtectedSettings);
        assert.deepStrictEqual(prot, { "scoringFe.sslCert": b64(CERT), "scoringFe.sslKey": b64(KEY) });
    });

    it("attaches the cluster: a new workspace, the namespace and InstanceTypes after the extension, then the compute", () => {
        const compute = one(run, "azure-native:machinelearningservices:Compute");
        assert.deepStrictEqual([compute.inputs.computeName, compute.inputs.workspaceName, compute.inputs.resourceGroupName, compute.inputs.properties.properties],
            ["aks-compute", "mlplat-ws", "ml-rg", { namespace: "azureml-workloads", defaultInstanceType: "cpu-small" }]);
        assert.strictEqual(one(run, "kubernetes:core/v1:Namespace", "azureml-workloads").inputs.metadata.labels["mlplat.dev/stack"], "mlplat.unit");
        const types = byType(run, "kubernetes:amlarc.azureml.com/v1alpha1:InstanceType");
        assert.deepStrictEqual(types.map((t) => t.inputs.metadata.name).sort(), ["cpu-small", "gpu-small"]);
        for (const t of types) assert.ok(t.dependsOn!.includes("azureml"), `${t.name} after the extension`);
        assert.deepStrictEqual(types.find((t) => t.inputs.metadata.name === "gpu-small")!.inputs.spec.resources.limits, { cpu: "4", memory: "16Gi", "nvidia.com/gpu": 1 });
        for (const d of ["azureml", "azureml-compute-ns", "azureml-compute-it-cpu-small", "azureml-compute-it-gpu-small", "azureml-compute-workspace"]) {
            assert.ok(compute.dependsOn!.includes(d), `the compute waits for ${d}`);
        }
        assert.ok(run.outputs.namespaces.includes("azureml-workloads"));
    });

    it("outputs the extension id, compute id, scoring domain and namespaces", () => {
        const out = run.outputs.azureml;
        assert.deepStrictEqual({ ...out, extensionId: undefined, computeId: undefined, workspaceId: undefined }, {
            clusterKind: "aks", namespace: "azureml", scoringDomain: "ml.example.com", computeNamespace: "azureml-workloads",
            extensionId: undefined, computeId: undefined, workspaceId: undefined,
        });
        assert.match(out.extensionId, /\/providers\/Microsoft\.kubernetesconfiguration\/Extension\/azureml$/);
        assert.match(out.computeId, /\/Compute\/aks-compute$/);
    });

    it("keeps every secret out of plain inputs and outputs", () => {
        const needles = [CERT, KEY, "mock-aks-user-token"];
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), needles), []);
        assert.deepStrictEqual(plainTextLeaks(run.serializedOutputs, needles), []);
    });
});

describe("the AzureML extension on an Arc-connected cluster (cluster.kind=existing)", function () {
    this.timeout(60_000);

    it("creates the Relay (on by default for Arc) and Service Bus before the extension; their keys and pass-through secrets only as protected settings", async () => {
        const run = await runStack({
            "cluster.kind": "existing", "cluster.kubeconfig": KUBECONFIG, "cluster.nodeCount": "2", "storage.kind": "none",
            "azureml.enabled": "true", "azureml.arc.clusterId": ARC_ID, "azureml.arc.location": "eastus", "azureml.arc.distribution": "openshift",
            "azureml.enableTraining": "true", "azureml.serviceBus.enabled": "true",
            "azureml.extraProtectedSettings": JSON.stringify({ "custom.token": EXTRA_PROTECTED }),
        }, ["azureml.extraProtectedSettings"]);
        assert.ifError(run.error);
        const ext = one(run, "azure-native:kubernetesconfiguration:Extension");
        assert.deepStrictEqual([ext.inputs.clusterName, ext.inputs.resourceGroupName, ext.inputs.clusterRp, ext.inputs.identity], ["arc1", "arc-rg", "Microsoft.Kubernetes", { type: "SystemAssigned" }]);
        const s = ext.inputs.configurationSettings;
        assert.deepStrictEqual([s["relayserver.enabled"], s["servicebus.enabled"], s.openshift, s.inferenceRouterHA, s.clusterPurpose, s.clusterId, s.domain],
            ["true", "true", "true", "false", "DevTest", ARC_ID, "eastus.cloudapp.azure.com"]);
        assert.deepStrictEqual(Object.keys(unsecret(ext.inputs.configurationProtectedSettings)).sort(),
            ["custom.token", "relayServerConnectionString", "relayserver.relayConnectionString", "serviceBusConnectionString", "servicebus.connectionString"]);
        for (const d of ["azureml-relay", "azureml-servicebus"]) assert.ok(ext.dependsOn!.includes(d));
        assert.strictEqual(one(run, "azure-native:relay:HybridConnection").inputs.hybridConnectionName, "arc1");
        assert.strictEqual(run.outputs.azureml.clusterKind, "arc");
        assert.strictEqual(run.outputs.azureml.scoringDomain, "eastus.cloudapp.azure.com");
        assert.ok(!("computeId" in run.outputs.azureml));
        const needles = [AZURE_SECRETS.relay, AZURE_SECRETS.serviceBus, EXTRA_PROTECTED];
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), needles), []);
        assert.deepStrictEqual(plainTextLeaks(run.serializedOutputs, needles), []);
    });
});

describe("another platform on AKS", function () {
    this.timeout(60_000);

    it("the inference pipeline's objects are the same on AKS (with the extension beside it) as on the local control plane", async () => {
        const pipeline = {
            "storage.kind": "none", "ingress.controller": "present", "cluster.kubernetesVersion": "1.34",
            "inferencePipeline.enabled": "true", "inferencePipeline.host": "inference.example.com",
            "inferencePipeline.model.image": "hashicorp/http-echo:1.0.0", "inferencePipeline.model.port": "5678",
        };
        const local = await runStack({ ...pipeline, "cluster.kubeconfig": KUBECONFIG });
        const aks = await runStack({
            ...pipeline, "cluster.kind": "aks", "cluster.aks.name": "ml-aks", "cluster.aks.resourceGroup": "ml-rg", "cluster.aks.location": "westeurope",
            "azureml.enabled": "true", "azureml.enableTraining": "true",
        });
        assert.ifError(local.error);
        assert.ifError(aks.error);
        const objects = (r: StackRun) => r.resources.filter((x) => x.type.startsWith("kubernetes:")).map((x) => JSON.stringify([x.type, x.name, x.inputs])).sort();
        assert.ok(objects(local).length > 10);
        assert.deepStrictEqual(objects(aks), objects(local));
        assert.strictEqual(one(aks, "azure-native:kubernetesconfiguration:Extension").inputs.configurationSettings.enableTraining, "true");
        assert.deepStrictEqual(aks.outputs.inferencePipeline.gatewayUrl, local.outputs.inferencePipeline.gatewayUrl);
    });
});

describe("the az CLI's rules and the stack's, refused by the config parser", () => {
    const aks = {
        "cluster.kind": "aks", "cluster.aks.name": "ml-aks", "cluster.aks.resourceGroup": "ml-rg", "cluster.aks.location": "westeurope",
        "storage.kind": "none", "azureml.enabled": "true", "azureml.enableTraining": "true",
    };
    const inference = { ...aks, "azureml.enableInference": "true", "azureml.inferenceRouterServiceType": "loadBalancer", "azureml.allowInsecureConnections": "true" };
    const arc = { "cluster.kind": "existing", "storage.kind": "none", "azureml.enabled": "true", "azureml.enableTraining": "true", "azureml.arc.clusterId": ARC_ID, "azureml.arc.location": "eastus" };
    const compute = { ...aks, "azureml.compute.enabled": "true", "azureml.compute.workspaceName": "mlplat-ws" };
    const secrets = Object.keys(PEMS).concat("azureml.extraProtectedSettings", "azureml.relay.connectionString", "azureml.logAnalytics.sharedKey");
    // [what, config, expected [key, message pattern]]: exactly these problems, in this order.
    const cases: [string, Record<string, string>, [string, RegExp][]][] = [
        // The CLI's rules (az k8s-extension create), with its meaning.
        ["neither training nor inference", { ...aks, "azureml.enableTraining": "false" }, [["azureml.enableTraining", /enable Machine Learning training or inference/]]],
        ["inference without a router service type", { ...inference, "azureml.inferenceRouterServiceType": "" }, [["azureml.inferenceRouterServiceType", /loadBalancer, nodePort or clusterIP/]]],
        ["an unknown router service type", { ...inference, "azureml.inferenceRouterServiceType": "ingress" }, [["azureml.inferenceRouterServiceType", /is ingress; /]]],
        ["inference without SSL and without allowInsecureConnections", { ...inference, "azureml.allowInsecureConnections": "false" }, [["azureml.allowInsecureConnections", /needs HTTPS/]]],
        ["SSL by secret without a CNAME", { ...inference, "azureml.allowInsecureConnections": "false", "azureml.sslSecret": "fe-tls" }, [["azureml.sslCname", /required when SSL is configured/]]],
        ["PEMs without a CNAME, even with insecure connections allowed", { ...inference, ...PEMS }, [["azureml.sslCname", /required when SSL is configured/]]],
        ["nodePort with an internal load balancer", { ...inference, "azureml.inferenceRouterServiceType": "NodePort", "azureml.internalLoadBalancerProvider": "azure" },
            [["azureml.internalLoadBalancerProvider", /mutually exclusive/]]],
        ["a pinned version with auto-upgrade unset", { ...aks, "azureml.version": "1.1.60" }, [["azureml.autoUpgradeMinorVersion", /pinned version \(1\.1\.60\) needs auto-upgrade/]]],
        ["a pinned version with auto-upgrade on", { ...aks, "azureml.version": "1.1.60", "azureml.autoUpgradeMinorVersion": "true" }, [["azureml.autoUpgradeMinorVersion", /needs auto-upgrade of minor versions off/]]],
        ["a key both public and protected", { ...aks, "azureml.extraSettings": '["workLoadToleration[0].key=gpu"]', "azureml.extraProtectedSettings": '{"workLoadToleration[0].key":"x"}' },
            [["azureml.extraProtectedSettings", /both a public and a protected setting/]]],
        // Ours: what the in-cluster healthcheck would fail 15 minutes later.
        ["a certificate without its key", { ...inference, "azureml.sslCertPem": CERT, "azureml.sslCname": "ml.example.com" }, [["azureml.sslKeyPem", /given together/]]],
        ["an internal load balancer on Arc", { ...arc, "azureml.internalLoadBalancerProvider": "azure" }, [["azureml.internalLoadBalancerProvider", /only on AKS/]]],
        ["an unknown load balancer provider", { ...inference, "azureml.internalLoadBalancerProvider": "metallb" }, [["azureml.internalLoadBalancerProvider", /only provider the extension knows is azure/]]],
        ["an HA router on a two-node AKS cluster", { ...inference, "cluster.aks.systemPool.count": "2", "azureml.inferenceRouterHA": "true" }, [["azureml.inferenceRouterHA", /has 2 node\(s\)/]]],
        ["an HA router on a two-node Arc cluster", { ...arc, "cluster.nodeCount": "2", "azureml.inferenceRouterHA": "true" }, [["azureml.inferenceRouterHA", /has 2 node\(s\)/]]],
        ["an unknown cluster purpose", { ...aks, "azureml.clusterPurpose": "Prod" }, [["azureml.clusterPurpose", /must be DevTest or FastProd/]]],
        ["a pass-through key a typed setting models", { ...aks, "azureml.extraSettings": '["sslCname=x"]' }, [["azureml.extraSettings", /modelled by azureml\.sslCname/]]],
        ["a pass-through key the CLI derives", { ...aks, "azureml.extraSettings": '["domain=example.com"]' }, [["azureml.extraSettings", /derived from the cluster/]]],
        ["a pass-through key naming the Relay switch", { ...aks, "azureml.extraSettings": '["relayserver.enabled=true"]' }, [["azureml.extraSettings", /modelled by azureml\.relay\.enabled/]]],
        // Which cluster.
        ["the extension on the local control plane", { "azureml.enabled": "true", "azureml.enableTraining": "true" }, [["azureml.enabled", /needs an AKS cluster \(cluster\.kind=aks\) or an Arc-connected one/]]],
        ["an Arc cluster with cluster.kind=aks", { ...aks, "azureml.arc.clusterId": ARC_ID, "azureml.arc.location": "eastus" }, [["cluster.kind", /Arc-connected cluster.*cluster\.kind must be existing, not aks/]]],
        ["an Arc cluster without its location", { ...arc, "azureml.arc.location": "" }, [["azureml.arc.location", /required with azureml\.arc\.clusterId/]]],
        ["an Arc location without an Arc cluster", { ...aks, "azureml.arc.location": "eastus" }, [["azureml.arc.location", /applies to an Arc-connected cluster only/]]],
        ["a malformed Arc cluster id", { ...arc, "azureml.arc.clusterId": "/subscriptions/x/arc1" }, [["azureml.arc.clusterId", /must be a connected cluster's ARM id/]]],
        // Off, ignored, given together.
        ["azureml settings while it is off", { "azureml.enableTraining": "true" }, [["azureml.enableTraining", /is set but azureml\.enabled is false/]]],
        ["a PEM set as plain text", { ...inference, "azureml.sslCertPem": CERT, "azureml.sslKeyPem": KEY, "azureml.sslCname": "ml.example.com", "azureml.allowInsecureConnections": "false", "__plain": "azureml.sslCertPem" },
            [["azureml.sslCertPem", /is a secret but was set as plain text/]]],
        ["a Relay connection string with the Relay off", { ...aks, "azureml.relay.connectionString": "Endpoint=sb://x/" }, [["azureml.relay.connectionString", /Relay is off on AKS unless azureml\.relay\.enabled is true/]]],
        ["a Log Analytics workspace id without logAnalyticsWS", { ...aks, "azureml.logAnalytics.customerId": "abc" }, [["azureml.logAnalytics.customerId", /azureml\.logAnalyticsWS is false/]]],
        ["a Log Analytics workspace id without its key", { ...aks, "azureml.logAnalyticsWS": "true", "azureml.logAnalytics.customerId": "abc" }, [["azureml.logAnalytics.sharedKey", /go together/]]],
        ["instance types that are not JSON", { ...compute, "azureml.compute.instanceTypes": "cpu-small" }, [["azureml.compute.instanceTypes", /must be a JSON object/]]],
        // The attach.
        ["compute settings while the attach is off", { ...aks, "azureml.compute.workspaceName": "ws" }, [["azureml.compute.workspaceName", /azureml\.compute\.enabled is false/]]],
        ["an attach without a workspace", { ...aks, "azureml.compute.enabled": "true" }, [["azureml.compute.workspaceName", /needs a workspace/]]],
        ["a new workspace's settings beside an existing one", { ...compute, "azureml.compute.workspaceId": "/subscriptions/x/resourceGroups/ws-rg/providers/Microsoft.MachineLearningServices/workspaces/ws" },
            [["azureml.compute.workspaceName", /names an existing one, so it would be ignored/]]],
        ["a compute name too long", { ...compute, "azureml.compute.name": "a-compute-name-too-long" }, [["azureml.compute.name", /2-16 letters/]]],
        ["a default instance type that is not defined", { ...compute, "azureml.compute.instanceTypes": '{"cpu":{}}', "azureml.compute.defaultInstanceType": "gpu" }, [["azureml.compute.defaultInstanceType", /gpu is not one of the instance types \(cpu\)/]]],
        ["fractional GPUs", { ...compute, "azureml.compute.instanceTypes": '{"gpu":{"gpu":0.5}}' }, [["azureml.compute.instanceTypes", /gpu must be a whole number/]]],
        ["an attach without local accounts or Trusted Access", { ...compute, "cluster.aks.localAccounts": "false" }, [["azureml.compute.trustedAccess", /needs Trusted Access/]]],
        ["Trusted Access on Arc", { ...arc, "azureml.compute.enabled": "true", "azureml.compute.workspaceName": "ws1", "azureml.compute.trustedAccess": "true" }, [["azureml.compute.trustedAccess", /an AKS feature/]]],
        ["the compute in the extension's namespace", { ...compute, "azureml.compute.namespace": "azureml" }, [["azureml.compute.namespace", /must differ from the extension's release namespace/]]],
        ["user-assigned identity ids with a system-assigned identity", { ...compute, "azureml.compute.userAssignedIdentityIds": '["/subscriptions/x/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/i"]' },
            [["azureml.compute.userAssignedIdentityIds", /identity is SystemAssigned/]]],
        // cluster.kind=aks.
        ["AKS settings on another cluster kind", { "cluster.aks.name": "ml-aks" }, [["cluster.aks.name", /applies to cluster\.kind=aks only, but cluster\.kind is local/]]],
        ["an AKS cluster without name and resource group", { "cluster.kind": "aks", "cluster.aks.location": "westeurope", "storage.kind": "none" },
            [["cluster.aks.name", /is required when cluster\.kind is aks/], ["cluster.aks.resourceGroup", /is required/]]],
        ["a new AKS cluster without a location", { ...aks, "cluster.aks.location": "" }, [["cluster.aks.location", /is required to create a cluster/]]],
        ["a kubeconfig with AKS", { ...aks, "cluster.kubeconfig": KUBECONFIG }, [["cluster.kubeconfig", /does not apply to cluster\.kind=aks/]]],
        ["pool settings for an existing AKS cluster", { ...aks, "cluster.aks.mode": "existing", "cluster.aks.location": "", "cluster.aks.systemPool.count": "5" },
            [["cluster.aks.systemPool.count", /cluster\.aks\.mode is existing, so it would be ignored/]]],
        ["GPU pool settings without a GPU pool", { ...aks, "cluster.aks.gpuPool.count": "2" }, [["cluster.aks.gpuPool.count", /gpuPool\.vmSize is empty/]]],
        ["a bad AKS cluster name", { ...aks, "cluster.aks.name": "-ml" }, [["cluster.aks.name", /1-63 letters/]]],
        ["a GPU taint that is not a taint", { ...aks, "cluster.aks.gpuPool.vmSize": "Standard_NC6s_v3", "cluster.aks.gpuPool.taints": '["gpu"]' }, [["cluster.aks.gpuPool.taints", /gpu is not a taint/]]],
        ["a system pool of zero nodes", { ...aks, "cluster.aks.systemPool.count": "0" }, [["cluster.aks.systemPool.count", /must be 1-1000/]]],
    ];
    for (const [what, config, expected] of cases) {
        it(`refuses ${what}`, () => {
            const { __plain, ...cfg } = config;
            const problems = configProblems(cfg, secrets.filter((k) => k in cfg && k !== __plain));
            assert.deepStrictEqual(problems.map(([k]) => k), expected.map(([k]) => `mlplat:${k}`), problems.map(([k, m]) => `${k}: ${m}`).join("\n"));
            problems.forEach(([k, m], i) => assert.match(m, expected[i][1], k));
        });
    }

    it("names only declared settings (or cluster.kind) in every problem", () => {
        for (const [, config] of cases) {
            const { __plain, ...cfg } = config;
            for (const [k] of configProblems(cfg, secrets.filter((s) => s in cfg && s !== __plain))) assert.ok(k.slice("mlplat:".length) in SETTINGS, k);
        }
    });

    it("accepts the guide's deployments", () => {
        assert.deepStrictEqual(configProblems(aks), []);
        assert.deepStrictEqual(configProblems(inference), []);
        assert.deepStrictEqual(configProblems({ ...inference, ...PEMS, "azureml.sslCname": "ml.example.com", "azureml.allowInsecureConnections": "false" }, Object.keys(PEMS)), []);
        assert.deepStrictEqual(configProblems({ ...arc, "azureml.relay.connectionString": "Endpoint=sb://x/" }, ["azureml.relay.connectionString"]), []);
        assert.deepStrictEqual(configProblems({ ...compute, "cluster.aks.localAccounts": "false", "azureml.compute.trustedAccess": "true" }), []);
        assert.deepStrictEqual(configProblems({ ...aks, "cluster.aks.mode": "existing", "cluster.aks.location": "" }), []);
    });
});
