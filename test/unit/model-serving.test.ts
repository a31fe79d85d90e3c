// The ModelServer component constructed directly with hand-written Args under mocks.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ModelServer, ModelServerArgs, modelServerProblems } from "../../components/platforms/model-serving";
import { ecrLifecyclePolicy } from "../../components/registry/ecr";
import { ACCOUNT, awsTestContext, ofType, runAwsProgram, single, valueOf } from "./aws-harness";
import { plainTextLeaks } from "./harness";

const DIGEST = "sha256:" + "a".repeat(64);
const CLASSIFIER = `registry.example.com/models/classifier@${DIGEST}`;
const REGRESSOR = "registry.example.com/models/regressor:2024-05-01";

const twoModels = (over: Partial<ModelServerArgs> = {}): ModelServerArgs => ({
    models: [
        { name: "classifier", image: CLASSIFIER, replicas: 2 },
        { name: "regressor", image: REGRESSOR, serviceType: "ClusterIP", probePath: "" },
    ],
    ...over,
});

async function serve(args: ModelServerArgs, ctxOpts: Parameters<typeof awsTestContext>[0] = {}) {
    return runAwsProgram(() => {
        const { ctx, opts } = awsTestContext(ctxOpts);
        return new ModelServer("models", args, ctx, opts);
    });
}

/** Inputs of every resource but the ones of `except` type, keyed by type and name. */
const inputsBy = (resources: { type: string; name: string; inputs: unknown }[]) =>
    Object.fromEntries(resources.map((r) => [`${r.type}::${r.name}`, JSON.stringify(r.inputs)]));

describe("ModelServer", function () {
    this.timeout(60000);

    it("serves several models in the mlem namespace, each with its Deployment, Service, ServiceAccount and NetworkPolicy", async () => {
        const run = await serve(twoModels());
        assert.ifError(run.error);
        const ns = single(run.resources, "kubernetes:core/v1:Namespace");
        assert.strictEqual(ns.inputs.metadata.name, "mlem");
        for (const model of ["classifier", "regressor"]) {
            for (const type of ["apps/v1:Deployment", "core/v1:Service", "core/v1:ServiceAccount", "networking.k8s.io/v1:NetworkPolicy"]) {
                const r = single(run.resources, `kubernetes:${type}`, model);
                assert.strictEqual(r.inputs.metadata.namespace, "mlem", `${type} ${model}`);
                assert.strictEqual(r.parent, "models");
            }
        }
        // The selectors of the two models do not overlap.
        const sel = (m: string) => single(run.resources, "kubernetes:core/v1:Service", m).inputs.spec.selector;
        assert.deepStrictEqual(sel("classifier"), { "app.kubernetes.io/name": "classifier", "app.kubernetes.io/component": "model-server" });
        assert.notDeepStrictEqual(sel("classifier"), sel("regressor"));
        assert.strictEqual(ofType(run.resources, "kubernetes:core/v1:Namespace").length, 1, "one namespace for both models");
        const deny = single(run.resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "default-deny");
        assert.deepStrictEqual(deny.inputs.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.strictEqual(deny.inputs.metadata.namespace, "mlem");
    });

    it("rolls with maxUnavailable 0, gates traffic on readiness on GET /interface.json, drains before SIGTERM", async () => {
        const run = await serve(twoModels());
        const d = single(run.resources, "kubernetes:apps/v1:Deployment", "classifier").inputs;
        assert.deepStrictEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
        assert.strictEqual(d.spec.replicas, 2);
        const c = d.spec.template.spec.containers[0];
        assert.strictEqual(c.image, CLASSIFIER);
        assert.deepStrictEqual(c.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
        for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
            assert.deepStrictEqual(c[probe].httpGet, { path: "/interface.json", port: "http" }, probe);
        }
        assert.strictEqual(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds, 300);
        assert.deepStrictEqual(c.lifecycle, { preStop: { sleep: { seconds: 5 } } });
        assert.strictEqual(d.spec.template.spec.terminationGracePeriodSeconds, 35);
        // No health endpoint configured: TCP probes.
        const r = single(run.resources, "kubernetes:apps/v1:Deployment", "regressor").inputs.spec.template.spec.containers[0];
        assert.deepStrictEqual(r.readinessProbe.tcpSocket, { port: "http" });
        assert.strictEqual(r.readinessProbe.httpGet, undefined);
    });

    it("applies the secure workload defaults", async () => {
        const run = await serve(twoModels());
        const pod = single(run.resources, "kubernetes:apps/v1:Deployment", "classifier").inputs.spec.template.spec;
        const c = pod.containers[0];
        assert.strictEqual(pod.automountServiceAccountToken, false);
        assert.strictEqual(pod.serviceAccountName, "classifier");
        // What the builder guarantees (it may add more, e.g. a group).
        const subset = (actual: Record<string, unknown>, expected: Record<string, unknown>) =>
            Object.entries(expected).forEach(([k, v]) => assert.deepStrictEqual(actual[k], v, k));
        subset(pod.securityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        subset(c.securityContext, {
            runAsNonRoot: true, runAsUser: 65532, allowPrivilegeEscalation: false, privileged: false,
            readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
        });
        assert.deepStrictEqual(Object.keys(c.resources.limits).sort(), ["cpu", "ephemeral-storage", "memory"]);
        assert.deepStrictEqual(c.volumeMounts, [{ name: "server-tmp-0", mountPath: "/tmp" }]);
        assert.strictEqual(single(run.resources, "kubernetes:core/v1:ServiceAccount", "classifier").inputs.automountServiceAccountToken, false);
    });

    it("exposes each model as MLEM does: NodePort by default, port = targetPort = 8080; ClusterIP and LoadBalancer on request", async () => {
        const run = await serve({
            nodeAddress: "10.0.1.15",
            models: [
                { name: "a", image: REGRESSOR, nodePort: 30080 },
                { name: "b", image: REGRESSOR, serviceType: "ClusterIP", port: 9000 },
                { name: "c", image: REGRESSOR, serviceType: "LoadBalancer" },
            ],
        });
        assert.ifError(run.error);
        const svc = (m: string) => single(run.resources, "kubernetes:core/v1:Service", m).inputs.spec;
        assert.deepStrictEqual(svc("a"), { type: "NodePort", selector: { "app.kubernetes.io/name": "a", "app.kubernetes.io/component": "model-server" }, ports: [{ name: "http", protocol: "TCP", port: 8080, targetPort: "http", nodePort: 30080 }] });
        assert.strictEqual(svc("b").type, "ClusterIP");
        assert.deepStrictEqual(svc("b").ports, [{ name: "http", protocol: "TCP", port: 9000, targetPort: "http" }]);
        assert.strictEqual(svc("c").type, "LoadBalancer");
        // The provider's endpoint settle is skipped (the Deployment's await proves the pods), but not for a
        // LoadBalancer, whose address the url output needs.
        const skipAwait = (m: string) => single(run.resources, "kubernetes:core/v1:Service", m).inputs.metadata.annotations?.["pulumi.com/skipAwait"];
        assert.deepStrictEqual(["a", "b", "c"].map(skipAwait), ["true", "true", undefined]);
        const server = run.result!;
        assert.strictEqual(await valueOf(server.endpoints.a.url), "http://10.0.1.15:30080");
        assert.strictEqual(await valueOf(server.endpoints.a.nodePort), 30080);
        assert.strictEqual(await valueOf(server.endpoints.b.url), "http://b.mlem.svc.cluster.local:9000");
        assert.strictEqual(server.endpoints.b.clusterUrl, "http://b.mlem.svc.cluster.local:9000");
        assert.strictEqual(server.endpoints.a.image, REGRESSOR);
    });

    it("adds a PodDisruptionBudget only when replicas > 1", async () => {
        const run = await serve(twoModels());
        const pdb = single(run.resources, "kubernetes:policy/v1:PodDisruptionBudget");
        assert.strictEqual(pdb.inputs.metadata.name, "classifier");
        assert.deepStrictEqual(pdb.inputs.spec, { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "classifier", "app.kubernetes.io/component": "model-server" } } });
        const spread = single(run.resources, "kubernetes:apps/v1:Deployment", "classifier").inputs.spec.template.spec.topologySpreadConstraints;
        assert.strictEqual(spread[0].topologyKey, "kubernetes.io/hostname");
    });

    it("lets each model's pods take traffic on its port only and call nothing but DNS", async () => {
        const run = await serve({ models: [
            { name: "open", image: REGRESSOR },
            { name: "inside", image: REGRESSOR, serviceType: "ClusterIP" },
            { name: "ranges", image: REGRESSOR, allowedCidrs: ["10.0.0.0/8"] },
        ] });
        const np = (m: string) => single(run.resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy", m).inputs.spec;
        assert.deepStrictEqual(np("open").policyTypes, ["Ingress", "Egress"]);
        assert.deepStrictEqual(np("open").ingress, [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { namespaceSelector: {} }], ports: [{ protocol: "TCP", port: 8080 }] }]);
        assert.deepStrictEqual(np("inside").ingress[0].from, [{ namespaceSelector: {} }]);
        assert.deepStrictEqual(np("ranges").ingress[0].from, [{ ipBlock: { cidr: "10.0.0.0/8" } }]);
        assert.deepStrictEqual(np("open").egress[0].ports, [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }]);
        assert.deepStrictEqual(np("open").podSelector, { matchLabels: { "app.kubernetes.io/name": "open", "app.kubernetes.io/component": "model-server" } });
    });

    it("gives GPU models nvidia.com/gpu requests and limits and the GPU toleration", async () => {
        const run = await serve({ models: [{ name: "llm", image: REGRESSOR, gpus: 1 }] });
        const pod = single(run.resources, "kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
        assert.strictEqual(pod.containers[0].resources.limits["nvidia.com/gpu"], "1");
        assert.strictEqual(pod.containers[0].resources.requests["nvidia.com/gpu"], "1");
        assert.deepStrictEqual(pod.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    });

    it("puts models in their own namespaces when asked, and uses a namespace declared existing without creating it", async () => {
        const run = await serve({ namespace: "serving", models: [
            { name: "a", image: REGRESSOR },
            { name: "b", image: REGRESSOR, namespace: "team-models" },
        ] }, { existingNamespaces: ["team-models"] });
        assert.ifError(run.error);
        assert.deepStrictEqual(ofType(run.resources, "kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata.name), ["serving"]);
        assert.deepStrictEqual(ofType(run.resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => p.inputs.metadata.name === "default-deny").map((p) => p.inputs.metadata.namespace),
            ["serving"], "no default deny in a namespace the stack does not own");
        assert.strictEqual(single(run.resources, "kubernetes:apps/v1:Deployment", "b").inputs.metadata.namespace, "team-models");
        assert.strictEqual(run.result!.endpoints.b.clusterUrl, "http://b.team-models.svc.cluster.local:8080");
    });

    it("swaps a model by changing only its Deployment's template (image and version label)", async () => {
        const before = await serve(twoModels());
        const swapped = `registry.example.com/models/classifier@sha256:${"b".repeat(64)}`;
        const after = await serve(twoModels({ models: [{ name: "classifier", image: swapped, replicas: 2 }, twoModels().models[1]] }));
        const a = inputsBy(before.resources);
        const b = inputsBy(after.resources);
        assert.deepStrictEqual(Object.keys(a).sort(), Object.keys(b).sort(), "the same resources");
        const changed = Object.keys(a).filter((k) => a[k] !== b[k]);
        assert.deepStrictEqual(changed, ["kubernetes:apps/v1:Deployment::models-classifier-deployment"]);
        const d0 = JSON.parse(a[changed[0]]);
        const d1 = JSON.parse(b[changed[0]]);
        assert.strictEqual(d1.spec.template.spec.containers[0].image, swapped);
        // Nothing but the image and the version label differs.
        d0.spec.template.spec.containers[0].image = swapped;
        for (const d of [d0, d1]) {
            delete d.metadata.labels["app.kubernetes.io/version"];
            delete d.spec.template.metadata.labels["app.kubernetes.io/version"];
        }
        assert.deepStrictEqual(d0, d1);
        assert.deepStrictEqual(d1.spec.selector, d0.spec.selector, "the selector never changes (it is immutable)");
    });

    it("creates an ECR repository per model: scan on push, immutable tags, encryption, lifecycle; its URL in the endpoints", async () => {
        const run = await serve(twoModels({ ecr: { region: "us-east-1", repositoryPrefix: "mlplat/", keepImages: 10, untaggedExpiryDays: 3 } }));
        assert.ifError(run.error);
        const repos = ofType(run.resources, "aws:ecr/repository:Repository");
        assert.deepStrictEqual(repos.map((r) => r.inputs.name).sort(), ["mlplat/classifier", "mlplat/regressor"]);
        const repo = repos.find((r) => r.inputs.name === "mlplat/classifier")!;
        assert.deepStrictEqual(repo.inputs.imageScanningConfiguration, { scanOnPush: true });
        assert.strictEqual(repo.inputs.imageTagMutability, "IMMUTABLE");
        assert.deepStrictEqual(repo.inputs.encryptionConfigurations, [{ encryptionType: "AES256" }]);
        assert.strictEqual(repo.inputs.region, "us-east-1");
        assert.strictEqual(repo.inputs.forceDelete, false);
        const policies = ofType(run.resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy");
        assert.strictEqual(policies.length, 2);
        assert.deepStrictEqual(JSON.parse(JSON.stringify(policies[0].inputs.policy)), JSON.parse(JSON.stringify(ecrLifecyclePolicy(10, 3))));
        assert.strictEqual(await valueOf(run.result!.endpoints.classifier.repository), `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/mlplat/classifier`);
        // No pull secret: EKS nodes pull from ECR through their IAM role.
        assert.strictEqual(ofType(run.resources, "kubernetes:core/v1:Secret").length, 0);
        assert.strictEqual(single(run.resources, "kubernetes:apps/v1:Deployment", "classifier").inputs.spec.template.spec.imagePullSecrets, undefined);
    });

    it("follows the stack's mirror: images relocated, a pull secret in the namespace, the password only as a secret", async () => {
        const run = await serve(twoModels(), {
            registry: { mode: "mirror", mirrorHost: "mirror.corp:5000", pathPrefix: "ml", username: "robot", password: pulumi.secret("mirror-pass-123") },
        });
        assert.ifError(run.error);
        const d = single(run.resources, "kubernetes:apps/v1:Deployment", "classifier").inputs.spec.template.spec;
        assert.strictEqual(d.containers[0].image, `mirror.corp:5000/ml/models/classifier@${DIGEST}`);
        assert.deepStrictEqual(d.imagePullSecrets, [{ name: "mlplat-registry" }]);
        assert.strictEqual(single(run.resources, "kubernetes:core/v1:Secret").inputs.metadata.namespace, "mlem");
        assert.strictEqual(run.result!.endpoints.classifier.image, `mirror.corp:5000/ml/models/classifier@${DIGEST}`);
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), ["mirror-pass-123"]), []);
    });

    it("refuses invalid models with every problem at once", async () => {
        const problems = modelServerProblems({
            ecr: { repositoryPrefix: "Bad Prefix/" },
            models: [
                { name: "latest", image: "registry.example.com/m:latest" },
                { name: "untagged", image: "registry.example.com/m" },
                { name: "Bad_Name", image: REGRESSOR },
                { name: "one", image: REGRESSOR, nodePort: 30080 },
                { name: "two", image: REGRESSOR, nodePort: 30080 },
                { name: "low", image: REGRESSOR, nodePort: 80 },
                { name: "lb", image: REGRESSOR, serviceType: "LoadBalancer" },
                { name: "inner", image: REGRESSOR, serviceType: "ClusterIP", nodePort: 30100 },
                { name: "zero", image: REGRESSOR, replicas: 0, port: 70000, probePath: "health" },
                { name: "one", image: REGRESSOR },
            ],
        }, { loadBalancer: false }).map((p) => `${p.model}.${p.field}: ${p.message}`);
        const expect = [
            /^latest\.image: image registry.example.com\/m:latest must be pinned/,
            /^untagged\.image: image registry.example.com\/m must be pinned/,
            /^Bad_Name\.name: model name Bad_Name must be a DNS-1035 label/,
            /^two\.nodePort: node port 30080 is already used by model one/,
            /^low\.nodePort: node port 80 must be in 30000-32767/,
            /^lb\.serviceType: is LoadBalancer but the cluster provides no load balancers/,
            /^inner\.nodePort: is set but the Service type ClusterIP has no node port/,
            /^zero\.replicas: replicas 0 must be at least 1/,
            /^zero\.port: port 70000 must be 1-65535/,
            /^zero\.probePath: probe path health must start with \//,
            /^one\.name: model one is defined twice in namespace mlem/,
            /^latest\.repository: ECR repository name Bad Prefix\/latest must be lowercase/,
        ];
        for (const re of expect) assert.ok(problems.some((p) => re.test(p)), `missing ${re} in\n${problems.join("\n")}`);
        assert.deepStrictEqual(modelServerProblems({ models: [] }, { loadBalancer: true }).map((p) => p.message), ["no model to serve"]);
        const run = await serve({ models: [{ name: "m", image: "m:latest" }] });
        assert.match(String(run.error), /model server models: model m: image: image m:latest must be pinned/);
        assert.strictEqual(ofType(run.resources, "kubernetes:apps/v1:Deployment").length, 0, "nothing registered");
        const lb = await serve({ models: [{ name: "m", image: REGRESSOR, serviceType: "LoadBalancer" }] }, { loadBalancer: false });
        assert.match(String(lb.error), /serviceType: is LoadBalancer but the cluster provides no load balancers/);
    });

    it("is exported from the component package with the ECR repository, the EKS cluster and the stack adapters", async () => {
        const lib = await import("../../lib");
        for (const name of ["ModelServer", "modelServerProblems", "EcrRepository", "EksCluster", "eksProblems", "modelServerArgs", "eksClusterArgs"]) {
            assert.strictEqual(typeof (lib as Record<string, unknown>)[name], "function", name);
        }
    });
});
