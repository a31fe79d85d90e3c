// The dev and prod stacks end to end through the same composition index.ts runs.
import * as assert from "assert";
import { byType, MIRROR_BY_TAG, MOCK_SECRETS, one, plainTextLeaks, runStack, stackFileConfig, StackRun, tempKubeconfig, unsecret } from "./harness";

const KUBECONFIG = tempKubeconfig();
const MIRROR_PASSWORD = "unit-mirror-password-7d1f";
const POSTGRES_DSN = "postgres://app:unit-db-password-93ab@db.corp:5432/ml?sslmode=require";
const MINIO_ROOT = "unit-minio-root-password-51c2";

const dev = () => ({ ...stackFileConfig("dev"), "cluster.kubeconfig": KUBECONFIG });
const prod = () => ({
    ...stackFileConfig("prod"),
    "cluster.kubeconfig": KUBECONFIG,
    "registry.mirror.password": MIRROR_PASSWORD,
    "data.postgresql.external.dsn": POSTGRES_DSN,
    "aiAppStore.keycloak.backendClientSecret": "unit-keycloak-secret-5c2e",
});
const PROD_SECRETS = ["registry.mirror.password", "data.postgresql.external.dsn", "aiAppStore.keycloak.backendClientSecret"];
const mirrorDev = () => ({
    ...dev(),
    ...MIRROR_BY_TAG, "registry.mode": "mirror", "registry.mirror.host": "registry.corp:5000", "registry.mirror.pathPrefix": "mlplat",
    "registry.mirror.username": "puller", "registry.mirror.password": MIRROR_PASSWORD,
    "storage.minio.rootPassword": MINIO_ROOT,
});
const MIRROR_SECRETS = ["registry.mirror.password", "storage.minio.rootPassword"];

function podSpecs(run: StackRun): { owner: string; spec: any }[] {
    const out: { owner: string; spec: any }[] = [];
    const walk = (owner: string, o: any) => {
        if (!o || typeof o !== "object") return;
        if (Array.isArray(o.containers)) out.push({ owner, spec: o });
        else Object.values(o).forEach((v) => walk(owner, v));
    };
    for (const r of run.resources) if (r.type.startsWith("kubernetes:") && r.inputs?.spec) walk(`${r.type} ${r.name}`, r.inputs.spec);
    return out;
}

describe("dev stack", function () {
    this.timeout(30_000);
    let run: StackRun;
    before(async () => {
        run = await runStack(dev());
        if (run.error) throw run.error;
    });

    it("uses a Kubernetes provider with the local kubeconfig as a secret", () => {
        const provider = one(run, "pulumi:providers:kubernetes");
        assert.notStrictEqual(unsecret(provider.inputs.kubeconfig), provider.inputs.kubeconfig, "kubeconfig must be a secret");
        assert.match(unsecret(provider.inputs.kubeconfig), /unit-test-token/);
    });

    it("creates the MinIO namespace with standard and extra labels", () => {
        const ns = one(run, "kubernetes:core/v1:Namespace", "mlplat-storage");
        assert.deepStrictEqual(ns.inputs.metadata.labels, {
            environment: "dev",
            "app.kubernetes.io/name": "mlplat-storage",
            "app.kubernetes.io/managed-by": "mlplat",
            "app.kubernetes.io/part-of": "mlplat-storage",
            "mlplat.dev/stack": "mlplat.unit",
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        });
        assert.deepStrictEqual(run.outputs.namespaces, ["mlplat-storage", "mlplat-inference", "ai-appstore", "inference-engine", "mlem", "aml"]);
    });

    it("registers MinIO: server, service, volume, root and service-user secrets, bucket Job", () => {
        const deploy = one(run, "kubernetes:apps/v1:Deployment", "minio");
        assert.strictEqual(deploy.inputs.metadata.namespace, "mlplat-storage");
        assert.strictEqual(deploy.inputs.spec.strategy.type, "Recreate");
        const c = deploy.inputs.spec.template.spec.containers[0];
        assert.strictEqual(c.image, "minio/minio:RELEASE.2025-04-22T22-12-26Z");
        assert.deepStrictEqual(c.readinessProbe.httpGet, { path: "/minio/health/ready", port: 9000 });
        assert.strictEqual(one(run, "kubernetes:core/v1:Service", "minio").inputs.spec.ports[0].port, 9000);
        assert.strictEqual(one(run, "kubernetes:core/v1:PersistentVolumeClaim", "minio-data").inputs.spec.resources.requests.storage, "10Gi");
        one(run, "kubernetes:core/v1:Secret", "minio-root");
        // The bucket user's Secret in MinIO's namespace and in the App Store's, its consumer.
        assert.deepStrictEqual(byType(run, "kubernetes:core/v1:Secret").filter((s) => s.inputs.metadata.name === "minio-service-user")
            .map((s) => s.inputs.metadata.namespace).sort(), ["ai-appstore", "aml", "mlplat-storage"]);
        const job = one(run, "kubernetes:batch/v1:Job", "minio-bucket-init");
        assert.strictEqual(job.inputs.spec.template.spec.containers[0].env.find((e: any) => e.name === "BUCKET").value, "mlplat-dev");
        const policy = JSON.parse(one(run, "kubernetes:core/v1:ConfigMap", "minio-bucket-policy").inputs.data["policy.json"]);
        assert.deepStrictEqual(policy.Statement.flatMap((s: any) => s.Resource), ["arn:aws:s3:::mlplat-dev", "arn:aws:s3:::mlplat-dev/*"]);
        // The App Store's storage host (presigned URLs): the S3 API only, no upload limit at the proxy.
        const ingress = byType(run, "kubernetes:networking.k8s.io/v1:Ingress").filter((i) => i.inputs.metadata.namespace === "mlplat-storage");
        assert.deepStrictEqual(ingress.map((i) => i.inputs.spec.rules.map((r: any) => [r.host, r.http.paths[0].backend.service.port.name])), [[["storage.appstore.mlplat.localhost", "api"]]]);
        assert.strictEqual(ingress[0].inputs.metadata.annotations["nginx.ingress.kubernetes.io/proxy-body-size"], "0");
    });

    it("gives every pod the secure defaults", () => {
        const specs = podSpecs(run);
        // MinIO (server, bucket Job); the inference pipeline (DB-init Job, model, gateway, worker,
        // collector, API service) and its embedded PostgreSQL, Redis, RabbitMQ; the AI App Store
        // (backend, frontend) and its embedded MongoDB; Redpoint AML's 14 services and its MongoDB.
        assert.strictEqual(specs.length, 31);
        for (const { owner, spec } of specs) {
            // Only the App Store's backend talks to the API server (it manages inference services).
            assert.strictEqual(spec.automountServiceAccountToken, owner === "kubernetes:apps/v1:Deployment appstore-backend", owner);
            assert.strictEqual(spec.securityContext.runAsNonRoot, true, owner);
            for (const c of spec.containers) {
                assert.deepStrictEqual(c.securityContext.capabilities, { drop: ["ALL"] }, owner);
                assert.strictEqual(c.securityContext.allowPrivilegeEscalation, false, owner);
                assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true, owner);
                assert.deepStrictEqual(c.securityContext.seccompProfile, { type: "RuntimeDefault" }, owner);
                for (const k of ["cpu", "memory", "ephemeral-storage"]) {
                    assert.ok(c.resources.requests[k] && c.resources.limits[k], `${owner}: ${k}`);
                }
                for (const e of c.env ?? []) {
                    assert.ok(!/PASSWORD|SECRET|KEY/.test(e.name) || e.valueFrom?.secretKeyRef, `${owner}: ${e.name} must come from a Secret`);
                }
            }
        }
    });

    it("registers no pull secret but AML's Docker Hub one, and keeps public images", () => {
        assert.deepStrictEqual(byType(run, "kubernetes:core/v1:Secret").filter((s) => s.inputs.type === "kubernetes.io/dockerconfigjson").map((s) => s.inputs.metadata.name), ["aml-dockerhub"]);
        assert.deepStrictEqual(run.outputs.images, [
            "aas-backend:1.0.11", "aas-frontend:1.0.11",
            "hashicorp/http-echo:1.0.0", "jeffail/benthos:4.21.0",
            "minio/mc:RELEASE.2025-04-16T18-13-26Z", "minio/minio:RELEASE.2025-04-22T22-12-26Z",
            "mongo:7.0.26", "postgres:16.15-alpine", "rabbitmq:4.2.1-management-alpine", "redis:7.4.11-alpine",
        ]);
    });

    it("exports the storage endpoint and bucket", () => {
        assert.deepStrictEqual(run.outputs.storage, {
            kind: "minio", endpoint: "minio.mlplat-storage.svc.cluster.local:9000",
            url: "http://minio.mlplat-storage.svc.cluster.local:9000", bucket: "mlplat-dev",
            externalUrl: "http://storage.appstore.mlplat.localhost",
        });
        assert.deepStrictEqual(run.outputs.cluster, { flavour: "local", kubernetesVersion: "1.34" });
    });
});

describe("dev stack with a mirror registry", function () {
    this.timeout(30_000);
    let run: StackRun;
    before(async () => {
        run = await runStack(mirrorDev(), MIRROR_SECRETS);
        if (run.error) throw run.error;
    });

    it("creates a dockerconfigjson pull secret in every namespace the stack creates", () => {
        const pull = byType(run, "kubernetes:core/v1:Secret").filter((s) => s.inputs.type === "kubernetes.io/dockerconfigjson");
        const namespaces = byType(run, "kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata.name).sort();
        assert.deepStrictEqual(pull.map((s) => s.inputs.metadata.namespace).sort(), namespaces);
        for (const s of pull) {
            assert.strictEqual(s.inputs.metadata.name, "mlplat-registry");
            const doc = JSON.parse(unsecret(s.inputs.stringData)[".dockerconfigjson"]);
            assert.deepStrictEqual(Object.keys(doc.auths), ["registry.corp:5000"]);
            assert.strictEqual(doc.auths["registry.corp:5000"].username, "puller");
        }
    });

    it("relocates every image to the mirror and attaches the pull secret to every pod", () => {
        const specs = podSpecs(run);
        assert.ok(specs.length >= 2);
        for (const { owner, spec } of specs) {
            for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) assert.match(c.image, /^registry\.corp:5000\/mlplat\//, owner);
            assert.deepStrictEqual(spec.imagePullSecrets, [{ name: "mlplat-registry" }], owner);
        }
    });

    it("lists every image after relocation, sorted, none left on a public registry", () => {
        assert.deepStrictEqual(run.outputs.images, [
            "registry.corp:5000/mlplat/hashicorp/http-echo:1.0.0",
            "registry.corp:5000/mlplat/jeffail/benthos:4.21.0",
            "registry.corp:5000/mlplat/library/aas-backend:1.0.11",
            "registry.corp:5000/mlplat/library/aas-frontend:1.0.11",
            "registry.corp:5000/mlplat/library/mongo:7.0.26",
            "registry.corp:5000/mlplat/library/postgres:16.15-alpine",
            "registry.corp:5000/mlplat/library/rabbitmq:4.2.1-management-alpine",
            "registry.corp:5000/mlplat/library/redis:7.4.11-alpine",
            "registry.corp:5000/mlplat/minio/mc:RELEASE.2025-04-16T18-13-26Z",
            "registry.corp:5000/mlplat/minio/minio:RELEASE.2025-04-22T22-12-26Z",
        ]);
    });

    it("uses the configured root password only through the root Secret", () => {
        const root = one(run, "kubernetes:core/v1:Secret", "minio-root");
        assert.strictEqual(unsecret(root.inputs.stringData).MINIO_ROOT_PASSWORD, MINIO_ROOT);
        assert.strictEqual(byType(run, "random:index/randomPassword:RandomPassword").filter((r) => r.name.startsWith("minio-")).length, 1, "only the service user's secret is generated");
    });

    it("keeps every secret value out of plain inputs and outputs", () => {
        const needles = [MIRROR_PASSWORD, MINIO_ROOT, MOCK_SECRETS.randomPassword("minio-service-secret")];
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), needles), []);
        assert.deepStrictEqual(plainTextLeaks(run.serializedOutputs, needles), []);
    });
});

describe("prod stack", function () {
    this.timeout(30_000);
    let run: StackRun;
    before(async () => {
        run = await runStack(prod(), PROD_SECRETS);
        if (run.error) throw run.error;
    });

    it("refuses the stack file until its secrets are set with --secret", async () => {
        const bare = await runStack({ ...stackFileConfig("prod"), "cluster.kubeconfig": KUBECONFIG });
        assert.deepStrictEqual((bare.error as any)?.problems?.map((p: any) => p.key), ["mlplat:registry.mirror.password", "mlplat:data.postgresql.external.dsn", "mlplat:aiAppStore.keycloak.backendClientSecret"]);
        assert.strictEqual(bare.resources.length, 0);
    });

    it("uses the configured context of the existing cluster", () => {
        const provider = one(run, "pulumi:providers:kubernetes");
        assert.strictEqual(provider.inputs.context, "prod");
        assert.deepStrictEqual(run.outputs.cluster, { flavour: "existing", kubernetesVersion: "1.33" });
    });

    it("creates an S3 bucket with versioning, encryption and public access blocked", () => {
        const bucket = one(run, "aws:s3/bucket:Bucket");
        assert.strictEqual(bucket.inputs.bucket, "mlplat-prod-models");
        assert.strictEqual(bucket.inputs.region, "eu-west-1");
        assert.deepStrictEqual(one(run, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration, { status: "Enabled" });
        assert.strictEqual(one(run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
        const pab = one(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
        assert.deepStrictEqual([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets], [true, true, true, true]);
    });

    it("scopes an IAM user to that bucket only", () => {
        const policy = JSON.parse(one(run, "aws:iam/userPolicy:UserPolicy").inputs.policy);
        assert.deepStrictEqual(policy.Statement.flatMap((s: any) => s.Resource), ["arn:aws:s3:::mlplat-prod-models", "arn:aws:s3:::mlplat-prod-models/*"]);
        assert.ok(!JSON.stringify(policy).includes(`"s3:*"`));
        one(run, "aws:iam/accessKey:AccessKey");
    });

    it("puts the bucket credentials in a Secret in its namespace, with a pull secret beside it", () => {
        const creds = one(run, "kubernetes:core/v1:Secret", "s3-credentials-mlplat-storage");
        assert.strictEqual(creds.inputs.metadata.name, "s3-bucket-user");
        assert.strictEqual(creds.inputs.metadata.namespace, "mlplat-storage");
        assert.deepStrictEqual(Object.keys(unsecret(creds.inputs.stringData)).sort(), ["accessKey", "secretKey"]);
        const pull = one(run, "kubernetes:core/v1:Secret", "s3-ns-pull");
        assert.strictEqual(pull.inputs.metadata.name, "mlplat-registry");
        assert.strictEqual(pull.inputs.metadata.namespace, "mlplat-storage");
        assert.strictEqual(run.outputs.storage.endpoint, "s3.eu-west-1.amazonaws.com");
    });

    it("keeps every secret value out of plain inputs and outputs", () => {
        const needles = [MIRROR_PASSWORD, POSTGRES_DSN, MOCK_SECRETS.awsSecretKey];
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), needles), []);
        assert.deepStrictEqual(plainTextLeaks(run.serializedOutputs, needles), []);
    });
});
