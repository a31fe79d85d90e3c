// Model serving through the stack config (modelServing.*, modelServing.models.<name>.*) and
// the same composition index.ts runs.
import * as assert from "assert";
import { byType, configProblems, MIRROR_BY_TAG, one, runStack, tempKubeconfig } from "./harness";

const KUBECONFIG = tempKubeconfig();
const CLASSIFIER = `registry.example.com/models/classifier@sha256:${"a".repeat(64)}`;
const base = { "cluster.kubeconfig": KUBECONFIG, "storage.kind": "none" };
const serving = {
    ...base,
    "modelServing.enabled": "true",
    "modelServing.nodeAddress": "127.0.1.1",
    "modelServing.models.classifier.image": CLASSIFIER,
    "modelServing.models.classifier.replicas": "2",
    "modelServing.models.classifier.nodePort": "30080",
    "modelServing.models.regressor.image": "registry.example.com/models/regressor:2024-05-01",
    "modelServing.models.regressor.serviceType": "ClusterIP",
    "modelServing.models.regressor.probePath": "",
};

describe("model serving through the stack config", function () {
    this.timeout(60_000);

    it("serves every configured model in the mlem namespace and outputs its endpoint, image and port", async () => {
        const run = await runStack(serving);
        assert.ifError(run.error);
        assert.strictEqual(one(run, "kubernetes:core/v1:Namespace", "mlem").inputs.metadata.labels["mlplat.dev/stack"], "mlplat.unit");
        const d = one(run, "kubernetes:apps/v1:Deployment", "classifier").inputs;
        assert.strictEqual(d.spec.replicas, 2);
        assert.strictEqual(d.spec.template.spec.containers[0].image, CLASSIFIER);
        assert.deepStrictEqual(d.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
        assert.strictEqual(one(run, "kubernetes:apps/v1:Deployment", "regressor").inputs.spec.template.spec.containers[0].readinessProbe.tcpSocket.port, "http");
        assert.strictEqual(byType(run, "kubernetes:policy/v1:PodDisruptionBudget").length, 1);
        assert.deepStrictEqual(run.outputs.modelServing, {
            classifier: {
                namespace: "mlem", serviceType: "NodePort", url: "http://127.0.1.1:30080", clusterUrl: "http://classifier.mlem.svc.cluster.local:8080",
                image: CLASSIFIER, nodePort: 30080,
            },
            regressor: {
                namespace: "mlem", serviceType: "ClusterIP", url: "http://regressor.mlem.svc.cluster.local:8080",
                clusterUrl: "http://regressor.mlem.svc.cluster.local:8080", image: "registry.example.com/models/regressor:2024-05-01",
            },
        });
        assert.ok(run.outputs.images.includes(CLASSIFIER));
        assert.ok(run.outputs.namespaces.includes("mlem"));
    });

    it("reads models set with --path (nested config) like flat keys", async () => {
        const run = await runStack({
            ...base, "modelServing.enabled": "true",
            modelServing: JSON.stringify({ models: { classifier: { image: CLASSIFIER, port: 9000 } } }),
        });
        assert.ifError(run.error);
        assert.strictEqual(one(run, "kubernetes:core/v1:Service", "classifier").inputs.spec.ports[0].port, 9000);
    });

    it("swaps a model with one config change that updates only its Deployment", async () => {
        const before = await runStack(serving);
        const swapped = `registry.example.com/models/classifier@sha256:${"b".repeat(64)}`;
        const after = await runStack({ ...serving, "modelServing.models.classifier.image": swapped });
        const inputs = (run: typeof before) => new Map(run.resources.map((r) => [`${r.type}::${r.name}`, JSON.stringify(r.inputs)]));
        const a = inputs(before);
        const b = inputs(after);
        assert.deepStrictEqual([...a.keys()].sort(), [...b.keys()].sort());
        assert.deepStrictEqual([...a.keys()].filter((k) => a.get(k) !== b.get(k)), ["kubernetes:apps/v1:Deployment::models-classifier-deployment"]);
        assert.strictEqual(after.outputs.modelServing.classifier.image, swapped);
    });

    it("refuses invalid model configs, each problem with its key and fix", () => {
        const p = (config: Record<string, string>) => configProblems({ ...base, ...config }).map(([k, m]) => `${k}: ${m}`);
        const has = (problems: string[], re: RegExp) => assert.ok(problems.some((x) => re.test(x)), `missing ${re} in\n${problems.join("\n")}`);
        const bad = p({
            "cluster.kind": "existing",
            "modelServing.enabled": "true",
            "modelServing.models.a.image": "registry.example.com/a:latest",
            "modelServing.models.b.image": "registry.example.com/b:1.0",
            "modelServing.models.b.nodePort": "30080",
            "modelServing.models.c.image": "registry.example.com/c:1.0",
            "modelServing.models.c.nodePort": "30080",
            "modelServing.models.d.image": "registry.example.com/d:1.0",
            "modelServing.models.d.serviceType": "LoadBalancer",
            "modelServing.models.d.port": "70000",
            "modelServing.models.e.imag": "registry.example.com/e:1.0",
            "modelServing.models.Bad_Name.image": "registry.example.com/x:1.0",
            "modelServing.models.f.replicas": "0",
        });
        has(bad, /^mlplat:modelServing\.models\.a\.image: must be an image with a pinned tag or digest \(not latest\)/);
        has(bad, /^mlplat:modelServing\.models\.c\.nodePort: node port 30080 is already used by model b/);
        has(bad, /^mlplat:modelServing\.models\.d\.serviceType: is LoadBalancer but the cluster provides no load balancers/);
        has(bad, /^mlplat:modelServing\.models\.d\.port: must be 1-65535/);
        has(bad, /^mlplat:modelServing\.models\.e\.imag: is not a setting of modelServing\.models\.e/);
        has(bad, /^mlplat:modelServing\.models\.Bad_Name\.image: Bad_Name is not a valid name/);
        has(bad, /^mlplat:modelServing\.models\.f\.replicas: must be at least 1/);
        has(bad, /^mlplat:modelServing\.models\.f\.image: is required/);
        has(p({ "cluster.kind": "existing", "modelServing.enabled": "true", "modelServing.models.d.image": "r.example.com/d:1", "modelServing.models.d.serviceType": "LoadBalancer" }), /serviceType: is LoadBalancer/);
        // A local control plane has load balancers; declaring them makes LoadBalancer fine on an existing cluster.
        assert.deepStrictEqual(p({ "cluster.kind": "existing", "cluster.loadBalancer": "true", "modelServing.enabled": "true", "modelServing.models.d.image": "r.example.com/d:1", "modelServing.models.d.serviceType": "LoadBalancer" }), []);

        has(p({ "modelServing.enabled": "true" }), /^mlplat:modelServing\.models: modelServing\.enabled is true but no model is configured/);
        has(p({ "modelServing.models.a.image": "r.example.com/a:1" }), /^mlplat:modelServing\.models\.a\.image: is set but modelServing\.enabled is false/);
        has(p({ "modelServing.namespace": "team" }), /^mlplat:modelServing\.namespace: is set but modelServing\.enabled is false/);
        const model = { "modelServing.enabled": "true", "modelServing.models.clf.image": "r.example.com/clf:1" };
        // ECR: on EKS (nodes pull through their IAM role) or behind a mirror that has a host.
        has(p({ ...model, "modelServing.ecr.enabled": "true" }), /^mlplat:modelServing\.ecr\.enabled: needs cluster\.kind eks/);
        const mirror = p({ ...model, "modelServing.ecr.enabled": "true", "registry.mode": "mirror" });
        has(mirror, /^mlplat:modelServing\.ecr\.enabled: in mirror mode the models' images are pulled through the mirror/);
        has(mirror, /^mlplat:registry\.mirror\.host: is required when registry\.mode is mirror/);
        assert.deepStrictEqual(p({ ...model, "modelServing.ecr.enabled": "true", "registry.mode": "mirror", "registry.mirror.host": "mirror.corp:5000" }), []);
        has(p({ ...model, "modelServing.ecr.enabled": "true", "registry.mode": "mirror", "registry.mirror.host": "m:5000", "modelServing.models.a.image": "r.example.com/a:1" }),
            /^mlplat:modelServing\.ecr\.repositoryPrefix: ECR repository name a must have 2 to 256 characters/);
        has(p({ ...model, "modelServing.ecr.keepImages": "5" }), /^mlplat:modelServing\.ecr\.keepImages: is set but modelServing\.ecr\.enabled is false/);
        has(p({ ...model, "modelServing.ecr.enabled": "true", "registry.mode": "mirror", "registry.mirror.host": "m:5000", "modelServing.ecr.repositoryPrefix": "Bad/" }),
            /^mlplat:modelServing\.ecr\.repositoryPrefix: must be a lowercase repository path/);
        has(p({ ...model, "inferencePipeline.enabled": "true", "ingress.controller": "present", "modelServing.namespace": "mlplat-inference" }),
            /^mlplat:modelServing\.namespace: must differ from inferencePipeline\.namespace \(mlplat-inference\)/);
    });

    it("puts ECR repositories beside the models in mirror mode, and the images through the mirror", async () => {
        const run = await runStack({
            ...serving, ...MIRROR_BY_TAG, "registry.mode": "mirror", "registry.mirror.host": "mirror.corp:5000",
            "modelServing.ecr.enabled": "true", "modelServing.ecr.repositoryPrefix": "mlplat/", "modelServing.ecr.region": "us-east-1",
        });
        assert.ifError(run.error);
        assert.deepStrictEqual(byType(run, "aws:ecr/repository:Repository").map((r) => r.inputs.name).sort(), ["mlplat/classifier", "mlplat/regressor"]);
        assert.strictEqual(one(run, "kubernetes:apps/v1:Deployment", "classifier").inputs.spec.template.spec.containers[0].image,
            `mirror.corp:5000/models/classifier@sha256:${"a".repeat(64)}`);
        assert.strictEqual(run.outputs.modelServing.classifier.image, `mirror.corp:5000/models/classifier@sha256:${"a".repeat(64)}`);
    });
});
