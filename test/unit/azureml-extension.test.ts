// The AzureML extension: each rule of `az k8s-extension create` (the same invalid input the
// CLI refuses, refused with the same meaning), golden settings and protected settings for
// AKS and Arc, the CLI's resource names, and the component under mocks (Extension inputs,
// Relay and Service Bus created before it, secrets only inside secret Outputs).
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
    AzureMlExtension, AzureMlExtensionArgs, AzureMlSettings, AzureMlSettingsError, cliResourceName, ClusterFacts, messagingNamespaceName,
    protectedSettings, publicSettings, settingsProblems,
} from "../../components/platforms/azureml-extension";
import { NAMESPACE_NAME } from "../../components/messaging";
import { plainTextLeaks, unsecret } from "./harness";
import { AZURE_SECRETS, ofType, runProgram, single, SUBSCRIPTION } from "./azure-harness";

const INFERENCE: AzureMlSettings<string> = { enableTraining: false, enableInference: true, inferenceRouterServiceType: "loadBalancer", allowInsecureConnections: true };
const AKS: ClusterFacts = {
    kind: "aks", id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-rg/providers/Microsoft.ContainerService/managedClusters/ml-aks`,
    name: "ml-aks", location: "WestEurope", nodeCount: 3,
};
const ARC: ClusterFacts = {
    kind: "arc", id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/arc-rg/providers/Microsoft.Kubernetes/connectedClusters/arc1`,
    name: "arc1", location: "eastus", nodeCount: 2, distribution: "openshift",
};
const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

describe("AzureML extension: the CLI's validation, rule by rule", () => {
    // [what, settings, release, cluster, expected [key, message pattern]]
    const cases: [string, Partial<AzureMlSettings>, object, Partial<ClusterFacts> | undefined, [string, RegExp][]][] = [
        ["neither training nor inference", { enableInference: false }, {}, undefined,
            [["azureml.enableTraining", /enable Machine Learning training or inference/]]],
        ["inference without a router service type", { inferenceRouterServiceType: undefined }, {}, undefined,
            [["azureml.inferenceRouterServiceType", /loadBalancer, nodePort or clusterIP/]]],
        ["an unknown router service type", { inferenceRouterServiceType: "ingress" }, {}, undefined,
            [["azureml.inferenceRouterServiceType", /is ingress; .*loadBalancer, nodePort or clusterIP/]]],
        ["inference without SSL and without allowInsecureConnections", { allowInsecureConnections: false }, {}, undefined,
            [["azureml.allowInsecureConnections", /needs HTTPS \(sslCertPem and sslKeyPem, or sslSecret\) unless insecure HTTP/]]],
        ["SSL by secret without a CNAME", { allowInsecureConnections: false, sslSecret: "fe-tls" }, {}, undefined,
            [["azureml.sslCname", /required when SSL is configured/]]],
        ["SSL without a CNAME, even with insecure connections allowed", { sslCertPem: CERT, sslKeyPem: KEY }, {}, undefined,
            [["azureml.sslCname", /required when SSL is configured/]]],
        ["nodePort with an internal load balancer", { inferenceRouterServiceType: "NodePort", internalLoadBalancerProvider: "azure" }, {}, undefined,
            [["azureml.internalLoadBalancerProvider", /mutually exclusive/]]],
        ["a pinned version with auto-upgrade on", {}, { version: "1.1.60", autoUpgradeMinorVersion: true }, undefined,
            [["azureml.autoUpgradeMinorVersion", /pinned version \(1.1.60\) needs auto-upgrade of minor versions off/]]],
        ["a pinned version with auto-upgrade unset (ARM's default is on)", {}, { version: "1.1.60" }, undefined,
            [["azureml.autoUpgradeMinorVersion", /needs auto-upgrade of minor versions off/]]],
        ["a key both public and protected", { extraSettings: { "workLoadToleration[0].key": "gpu" }, extraProtectedKeys: ["workLoadToleration[0].key"] }, {}, undefined,
            [["azureml.extraProtectedSettings", /both a public and a protected setting/]]],
        // Ours: sharper than the CLI, or what the in-cluster healthcheck would fail 15 minutes later.
        ["a certificate without its key", { sslCertPem: CERT, sslCname: "ml.example.com", allowInsecureConnections: false }, {}, undefined,
            [["azureml.allowInsecureConnections", /needs HTTPS/], ["azureml.sslKeyPem", /given together/]]],
        ["an internal load balancer on Arc (healthcheck E40003)", { internalLoadBalancerProvider: "azure" }, {}, { kind: "arc" },
            [["azureml.internalLoadBalancerProvider", /only on AKS/]]],
        ["an unknown load balancer provider", { internalLoadBalancerProvider: "metallb" }, {}, undefined,
            [["azureml.internalLoadBalancerProvider", /only provider the extension knows is azure/]]],
        ["HA router on two nodes (healthcheck E40002)", { inferenceRouterHA: true }, {}, { kind: "aks", nodeCount: 2 },
            [["azureml.inferenceRouterHA", /has 2 node\(s\); three router replicas need at least 3/]]],
        ["an unknown cluster purpose", { clusterPurpose: "Prod" }, {}, undefined, [["azureml.clusterPurpose", /must be DevTest or FastProd/]]],
        ["a pass-through key that a typed setting models", { extraSettings: { sslCname: "x" } }, {}, undefined,
            [["azureml.extraSettings", /sslCname is modelled by azureml.sslCname/]]],
        ["a pass-through key the CLI derives", { extraSettings: { domain: "example.com" } }, {}, undefined,
            [["azureml.extraSettings", /domain is derived from the cluster/]]],
    ];
    for (const [what, overrides, release, cluster, expected] of cases) {
        it(`refuses ${what}`, () => {
            const problems = settingsProblems({ ...INFERENCE, ...overrides }, release, cluster as ClusterFacts | undefined);
            assert.deepStrictEqual(problems.map((p) => p.key), expected.map(([k]) => k));
            problems.forEach((p, i) => {
                assert.match(p.message, expected[i][1]);
                assert.match(p.fix, /pulumi config (set|rm)/, `${p.key} names no fix`);
            });
        });
    }

    it("accepts the guide's deployments", () => {
        const ok: AzureMlSettings[] = [
            { enableTraining: true, enableInference: false },
            INFERENCE,
            { enableTraining: true, enableInference: true, inferenceRouterServiceType: "LoadBalancer", sslCertPem: CERT, sslKeyPem: KEY, sslCname: "ml.example.com" },
            { enableTraining: false, enableInference: true, inferenceRouterServiceType: "loadBalancer", internalLoadBalancerProvider: "azure", sslSecret: "fe-tls", sslCname: "ml.example.com" },
            { enableTraining: false, enableInference: true, inferenceRouterServiceType: "nodePort", allowInsecureConnections: true },
        ];
        for (const s of ok) assert.deepStrictEqual(settingsProblems(s, { version: "1.1.60", autoUpgradeMinorVersion: false }, { kind: "aks", nodeCount: 3 }), []);
    });
});

describe("AzureML extension: the settings the CLI derives", () => {
    it("AKS, training and inference behind an internal load balancer with an SSL secret (golden)", () => {
        const s: AzureMlSettings = {
            enableTraining: true, enableInference: true, inferenceRouterServiceType: "loadBalancer", internalLoadBalancerProvider: "azure",
            sslSecret: "azureml-fe-tls", sslCname: "ml.example.com", nodeSelector: { "node-purpose": "ml" }, installNvidiaDevicePlugin: true,
            extraSettings: { "workLoadToleration[0].key": "sku" },
        };
        assert.deepStrictEqual(publicSettings(s, AKS), {
            enableTraining: "true",
            enableInference: "true",
            inferenceRouterServiceType: "loadBalancer",
            internalLoadBalancerProvider: "azure",
            "scoringFe.serviceType.internalLoadBalancer": "true",
            sslCname: "ml.example.com",
            sslSecret: "azureml-fe-tls",
            "scoringFe.sslSecret": "azureml-fe-tls",
            "nodeSelector.node-purpose": "ml",
            installNvidiaDevicePlugin: "true",
            "relayserver.enabled": "false",
            "servicebus.enabled": "false",
            "nginxIngress.enabled": "true",
            cluster_name: AKS.id,
            clusterId: AKS.id,
            "prometheus.prometheusSpec.externalLabels.cluster_name": AKS.id,
            domain: "westeurope.cloudapp.azure.com",
            location: "westeurope",
            jobSchedulerLocation: "westeurope",
            cluster_name_friendly: "ml-aks",
            "workLoadToleration[0].key": "sku",
        });
        assert.deepStrictEqual(protectedSettings(s, {}), {}, "no protected settings on AKS with an SSL secret");
    });

    it("Arc on two OpenShift nodes, nodePort with PEM certificate and key, Relay and Service Bus (golden)", () => {
        const s: AzureMlSettings = {
            enableTraining: false, enableInference: true, inferenceRouterServiceType: "nodePort", sslCertPem: CERT, sslKeyPem: KEY,
            sslCname: "ml.example.com", serviceBus: true, logAnalyticsWS: true,
        };
        const hc = "/subscriptions/x/resourceGroups/arc-rg/providers/Microsoft.Relay/namespaces/r/hybridConnections/arc1";
        assert.deepStrictEqual(publicSettings(s, ARC, {
            relay: { hybridConnectionId: hc, hybridConnectionName: "arc1" }, serviceBus: { namespaceId: "sb-id" }, logAnalytics: { customerId: "cust" },
        }), {
            enableTraining: "false",
            enableInference: "true",
            inferenceRouterServiceType: "nodePort",
            "scoringFe.serviceType.nodePort": "true",
            sslCname: "ml.example.com",
            inferenceRouterHA: "false",
            clusterPurpose: "DevTest",
            logAnalyticsWS: "true",
            openshift: "true",
            "relayserver.enabled": "true",
            "servicebus.enabled": "true",
            "nginxIngress.enabled": "false",
            cluster_name: ARC.id,
            clusterId: ARC.id,
            "prometheus.prometheusSpec.externalLabels.cluster_name": ARC.id,
            domain: "eastus.cloudapp.azure.com",
            location: "eastus",
            jobSchedulerLocation: "eastus",
            cluster_name_friendly: "arc1",
            "relayserver.hybridConnectionResourceID": hc,
            "relayserver.hybridConnectionName": "arc1",
            "servicebus.resourceID": "sb-id",
            "servicebus.topicSubMapping.computestate-updatedby-computeprovider": "compute-scheduler-computestate",
            "servicebus.topicSubMapping.jobstate-updatedby-computeprovider": "compute-scheduler-jobstate",
            "azure_log_analytics.enabled": "true",
            "azure_log_analytics.customer_id": "cust",
        });
        assert.deepStrictEqual(protectedSettings(s, {
            sslCertPem: CERT, sslKeyPem: KEY, relayConnectionString: "relay-cs", serviceBusConnectionString: "sb-cs", logAnalyticsSharedKey: "la-key",
        }), {
            "scoringFe.sslCert": Buffer.from(CERT).toString("base64"),
            "scoringFe.sslKey": Buffer.from(KEY).toString("base64"),
            relayServerConnectionString: "relay-cs",
            "relayserver.relayConnectionString": "relay-cs",
            serviceBusConnectionString: "sb-cs",
            "servicebus.connectionString": "sb-cs",
            "azure_log_analytics.connection_string": "la-key",
        });
    });

    it("keeps the user's HA and purpose below three nodes when either is set, and injects no SSL when insecure connections are allowed", () => {
        const s: AzureMlSettings = { ...INFERENCE, clusterPurpose: "FastProd", sslSecret: "fe-tls", sslCname: "a.example.com" };
        const p = publicSettings(s, { ...AKS, nodeCount: 1 });
        assert.strictEqual(p.clusterPurpose, "FastProd");
        assert.strictEqual(p.inferenceRouterHA, undefined);
        assert.strictEqual(p["scoringFe.sslSecret"], undefined);
        assert.deepStrictEqual(protectedSettings({ ...INFERENCE, sslCname: "a" }, { sslCertPem: CERT, sslKeyPem: KEY }), {});
    });

    it("names the Relay and Service Bus namespaces as the CLI does (alphanumerics, MD5 suffix past 50), and always valid for Azure", () => {
        assert.strictEqual(messagingNamespaceName("ml-aks", SUBSCRIPTION, "ml-rg", "relay"), "mlaks00000000000000000000000000000001mlrgrelay");
        assert.strictEqual(messagingNamespaceName("arc1", SUBSCRIPTION, "arc-rg", "service-bus"), "arc100000000000000000000000000000001arcrgser9306cf");
        assert.strictEqual(cliResourceName("ab-x-y-relay", 50), "abxyrelay");
        // The CLI does not check that the name starts with a letter; Azure does.
        assert.strictEqual(messagingNamespaceName("9arc", SUBSCRIPTION, "rg", "relay"), "ml9arc00000000000000000000000000000001rgrelay");
        for (const n of ["a", "9", "cluster-with-a-long-name-and-more", "x".repeat(63)]) {
            for (const suffix of ["relay", "service-bus"] as const) assert.match(messagingNamespaceName(n, SUBSCRIPTION, "a-resource-group", suffix), NAMESPACE_NAME);
        }
    });
});

const clusterRef = (f: ClusterFacts) => ({ kind: f.kind, id: f.id, name: f.name, resourceGroupName: f.id.split("/")[4], location: f.location, nodeCount: f.nodeCount, distribution: f.distribution });
const EXT = "azure-native:kubernetesconfiguration:Extension";

describe("AzureMlExtension component (mocks)", function () {
    this.timeout(30_000);

    it("on AKS: cluster scope, release namespace azureml, stable train, no identity, no Relay or Service Bus; PEMs only as secret protected settings", async () => {
        const args: AzureMlExtensionArgs = {
            cluster: clusterRef(AKS), extensionName: "azureml",
            release: { version: "1.1.60", autoUpgradeMinorVersion: false },
            settings: { enableTraining: true, enableInference: true, inferenceRouterServiceType: "loadBalancer", sslCname: "ml.example.com", sslCertPem: pulumi.secret(CERT), sslKeyPem: pulumi.secret(KEY) },
        };
        const run = await runProgram(() => ({ scoringDomain: new AzureMlExtension("azureml", args, undefined).scoringDomain }));
        assert.ifError(run.error);
        const ext = single(run.resources, EXT);
        assert.deepStrictEqual(
            [ext.inputs.clusterRp, ext.inputs.clusterResourceName, ext.inputs.clusterName, ext.inputs.resourceGroupName, ext.inputs.extensionType, ext.inputs.extensionName],
            ["Microsoft.ContainerService", "managedClusters", "ml-aks", "ml-rg", "Microsoft.AzureML.Kubernetes", "azureml"]);
        assert.deepStrictEqual(ext.inputs.scope, { cluster: { releaseNamespace: "azureml" } });
        assert.deepStrictEqual([ext.inputs.releaseTrain, ext.inputs.version, ext.inputs.autoUpgradeMinorVersion, ext.inputs.identity], ["stable", "1.1.60", false, undefined]);
        assert.strictEqual(ext.inputs.configurationSettings.domain, "westeurope.cloudapp.azure.com");
        assert.strictEqual(ext.inputs.configurationSettings.cluster_name, AKS.id);
        const prot = ext.inputs.configurationProtectedSettings;
        assert.notDeepStrictEqual(unsecret(prot), prot, "protected settings are a secret");
        assert.deepStrictEqual(Object.keys(unsecret(prot)).sort(), ["scoringFe.sslCert", "scoringFe.sslKey"]);
        assert.strictEqual(ofType(run.resources, "azure-native:relay:Namespace").length + ofType(run.resources, "azure-native:servicebus:Namespace").length, 0);
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), [CERT, KEY]), []);
        assert.strictEqual(run.result!.scoringDomain, "ml.example.com");
    });

    it("on Arc: a system-assigned identity, the Relay (hybrid connection named after the cluster, azureml_rw Manage/Send/Listen) and Service Bus created first, their keys only as secrets", async () => {
        const args: AzureMlExtensionArgs = {
            cluster: clusterRef(ARC), extensionName: "azureml",
            settings: { enableTraining: true, enableInference: false, serviceBus: true, logAnalyticsWS: true },
        };
        const run = await runProgram(() => { new AzureMlExtension("azureml", args, undefined); });
        assert.ifError(run.error);
        const ext = single(run.resources, EXT);
        assert.deepStrictEqual([ext.inputs.clusterRp, ext.inputs.clusterResourceName, ext.inputs.identity], ["Microsoft.Kubernetes", "connectedClusters", { type: "SystemAssigned" }]);
        const ns = single(run.resources, "azure-native:relay:Namespace");
        assert.deepStrictEqual([ns.inputs.namespaceName, ns.inputs.location, ns.inputs.resourceGroupName], [messagingNamespaceName("arc1", SUBSCRIPTION, "arc-rg", "relay"), "eastus", "arc-rg"]);
        const hc = single(run.resources, "azure-native:relay:HybridConnection");
        assert.deepStrictEqual([hc.inputs.hybridConnectionName, hc.inputs.requiresClientAuthorization], ["arc1", true]);
        const rule = single(run.resources, "azure-native:relay:HybridConnectionAuthorizationRule");
        assert.deepStrictEqual([rule.inputs.authorizationRuleName, rule.inputs.hybridConnectionName, rule.inputs.rights], ["azureml_rw", "arc1", ["Manage", "Send", "Listen"]]);
        const sb = single(run.resources, "azure-native:servicebus:Namespace");
        assert.deepStrictEqual(sb.inputs.sku, { name: "Standard", tier: "Standard" });
        assert.deepStrictEqual(ofType(run.resources, "azure-native:servicebus:Topic").map((t) => [t.inputs.topicName, t.inputs.maxSizeInMegabytes, t.inputs.defaultMessageTimeToLive]), [
            ["computestate-updatedby-computeprovider", 5120, "P60D"], ["jobstate-updatedby-computeprovider", 5120, "P60D"]]);
        assert.deepStrictEqual(ofType(run.resources, "azure-native:servicebus:Subscription").map((t) => [t.inputs.topicName, t.inputs.subscriptionName, t.inputs.maxDeliveryCount, t.inputs.lockDuration, t.inputs.defaultMessageTimeToLive]), [
            ["computestate-updatedby-computeprovider", "compute-scheduler-computestate", 1, "PT30S", "P14D"], ["jobstate-updatedby-computeprovider", "compute-scheduler-jobstate", 1, "PT30S", "P14D"]]);
        assert.deepStrictEqual(ext.dependsOn, ["azureml-relay", "azureml-servicebus", "azureml-logs"], "Relay, Service Bus and Log Analytics before the extension");
        const pub = ext.inputs.configurationSettings;
        assert.strictEqual(pub["relayserver.hybridConnectionName"], "arc1");
        assert.match(pub["relayserver.hybridConnectionResourceID"], /Microsoft\.relay\/HybridConnection\/arc1$/);
        assert.match(pub["servicebus.resourceID"], /servicebus/);
        assert.strictEqual(pub["azure_log_analytics.customer_id"], "mock-customer-id");
        assert.deepStrictEqual([pub.inferenceRouterHA, pub.clusterPurpose, pub.openshift], ["false", "DevTest", "true"]);
        const prot = unsecret(ext.inputs.configurationProtectedSettings);
        assert.deepStrictEqual(prot, {
            relayServerConnectionString: AZURE_SECRETS.relay, "relayserver.relayConnectionString": AZURE_SECRETS.relay,
            serviceBusConnectionString: AZURE_SECRETS.serviceBus, "servicebus.connectionString": AZURE_SECRETS.serviceBus,
            "azure_log_analytics.connection_string": AZURE_SECRETS.logAnalyticsKey,
        });
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), Object.values(AZURE_SECRETS)), []);
    });

    it("takes existing Relay and Service Bus connection strings instead of creating them", async () => {
        const run = await runProgram(() => { new AzureMlExtension("azureml", {
            cluster: clusterRef(ARC), extensionName: "azureml",
            settings: { enableTraining: true, enableInference: false, serviceBus: true },
            relayConnectionString: pulumi.secret("Endpoint=sb://given-relay/"), serviceBusConnectionString: pulumi.secret("Endpoint=sb://given-sb/"),
        }, undefined); });
        assert.ifError(run.error);
        assert.strictEqual(run.resources.filter((r) => /relay|servicebus/.test(r.type)).length, 0);
        const ext = single(run.resources, EXT);
        assert.strictEqual(unsecret(ext.inputs.configurationProtectedSettings).relayServerConnectionString, "Endpoint=sb://given-relay/");
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), ["given-relay", "given-sb"]), []);
    });

    it("refuses invalid settings before registering anything, listing every problem", async () => {
        const run = await runProgram(() => new AzureMlExtension("azureml", {
            cluster: clusterRef(AKS), extensionName: "azureml", release: { version: "1.0.0" },
            settings: { enableTraining: false, enableInference: true, inferenceRouterServiceType: "nodePort", internalLoadBalancerProvider: "azure" },
        }, undefined));
        assert.ok(run.error instanceof AzureMlSettingsError, String(run.error));
        assert.deepStrictEqual(run.error.problems.map((p) => p.key), ["azureml.allowInsecureConnections", "azureml.internalLoadBalancerProvider", "azureml.autoUpgradeMinorVersion"]);
        assert.strictEqual(ofType(run.resources, EXT).length, 0);
    });

    it("refuses an HA router when the cluster's node count (an Output) turns out below three", async () => {
        const run = await runProgram(() => {
            const ext = new AzureMlExtension("azureml", {
                cluster: { ...clusterRef(AKS), nodeCount: pulumi.output(2) }, extensionName: "azureml",
                settings: { ...INFERENCE, inferenceRouterHA: true },
            }, undefined);
            return { settings: ext.configurationSettings };
        });
        assert.match(String(run.error), /azureml.inferenceRouterHA: the cluster has 2 node\(s\); three router replicas need at least 3/);
    });

    it("takes pass-through protected settings as one secret Output, and refuses its keys once known when they shadow public or derived ones", async () => {
        const extra = (values: Record<string, string>) => runProgram(() => {
            const ext = new AzureMlExtension("azureml", {
                cluster: clusterRef(AKS), extensionName: "azureml",
                settings: { ...INFERENCE, extraSettings: { "workLoadToleration[0].key": "gpu" } },
                extraProtectedSettings: pulumi.secret(values),
            }, undefined);
            return { protected: ext.configurationProtectedSettings };
        });
        const ok = await extra({ "custom.token": "unit-extra-secret" });
        assert.ifError(ok.error);
        const prot = single(ok.resources, "azure-native:kubernetesconfiguration:Extension").inputs.configurationProtectedSettings;
        assert.deepStrictEqual(unsecret(prot), { "custom.token": "unit-extra-secret" });
        assert.deepStrictEqual(plainTextLeaks(ok.resources.map((r) => r.inputs), ["unit-extra-secret"]), []);
        const bad = await extra({ "workLoadToleration[0].key": "x", "relayserver.relayConnectionString": "y" });
        assert.match(String(bad.error), /azureml.extraProtectedSettings: workLoadToleration\[0\].key is both a public and a protected setting/);
        assert.match(String(bad.error), /azureml.extraProtectedSettings: relayserver.relayConnectionString is derived/);
    });
});

