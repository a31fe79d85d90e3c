// The policy pack's rules (policy/rules.ts): each policy on small objects, then every policy
// over the dev and prod stacks' registered resources under mocks, with the exemptions of
// policy/exemptions.json, exactly as a preview with `--policy-pack policy` runs them.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    checkResource, checkStack, evaluate, Exemption, exemptionProblems, findExemption, PolicyName, PolicyResource,
    POLICIES, podSpecs, Report, resourceId, secretLookingName, unpinnedReason, UNKNOWN,
} from "../../policy/rules";
import { packConfig, settingsFromPackConfig, settingsFromStackConfig } from "../../policy/stack-config";
import { MIRROR_BY_TAG, runStack, stackFileConfig, StackRun, tempKubeconfig } from "./harness";

const EXEMPTIONS: Exemption[] = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "policy", "exemptions.json"), "utf8"));

/** A compliant container, as components/core/workload.ts builds it. */
const goodContainer = (over: Record<string, unknown> = {}) => ({
    name: "app",
    image: "registry.corp:5000/mlplat/app:1.2.3",
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
    livenessProbe: { httpGet: { path: "/health", port: 8080 } },
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, readOnlyRootFilesystem: true },
    ...over,
});
const podSpec = (over: Record<string, unknown> = {}) => ({
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    imagePullSecrets: [{ name: "mlplat-registry" }],
    containers: [goodContainer()],
    ...over,
});
const deployment = (spec: Record<string, unknown>, name = "app"): PolicyResource => ({
    type: "kubernetes:apps/v1:Deployment", name,
    props: { metadata: { name, namespace: "team" }, spec: { replicas: 1, template: { metadata: { labels: { a: "b" } }, spec } } },
});
const MIRROR = { mirror: { prefix: "registry.corp:5000/mlplat", pullSecretName: "mlplat-registry" } };
const check = (policy: PolicyName, r: PolicyResource) => checkResource(policy, r, MIRROR);

describe("policy rules", () => {
    it("finds every pod spec: workloads, Jobs, CronJobs, Pods and custom resources that embed one", () => {
        const cron = { type: "kubernetes:batch/v1:CronJob", name: "c", props: { spec: { jobTemplate: { spec: { template: { spec: podSpec() } } } } } };
        assert.deepStrictEqual(podSpecs(cron.type, cron.props).map((p) => [p.path, p.longRunning]), [["spec.jobTemplate.spec.template.spec", false]]);
        const knative = { apiVersion: "serving.knative.dev/v1", kind: "Service", spec: { template: { spec: podSpec() } } };
        assert.deepStrictEqual(podSpecs("kubernetes:serving.knative.dev/v1:Service", knative).map((p) => [p.path, p.longRunning]), [["spec.template.spec", true]]);
        const workflow = { spec: { templates: [{ name: "a", pod: podSpec({ restartPolicy: "Never" }) }, { name: "b", pod: podSpec() }] } };
        assert.deepStrictEqual(podSpecs("kubernetes:example.com/v1:Workflow", workflow).map((p) => [p.path, p.longRunning]),
            [["spec.templates[0].pod", false], ["spec.templates[1].pod", true]]);
        assert.deepStrictEqual(podSpecs("kubernetes:core/v1:Pod", podSpec()).map((p) => p.path), [""]);
        // Renderers and CRD schemas are not objects with pods: what they render is checked on its own.
        assert.deepStrictEqual(podSpecs("kubernetes:helm.sh/v4:Chart", { values: { sidecar: podSpec() } }), []);
    });

    it("passes a compliant workload on every resource policy", () => {
        for (const p of POLICIES.filter((p) => p.scope === "resource")) assert.deepStrictEqual(check(p.name, deployment(podSpec())), [], p.name);
    });

    it("read-only-root-filesystem (advisory): names each container whose root is writable, set so or left unset", () => {
        const writable = goodContainer({ name: "vendor", securityContext: { ...goodContainer().securityContext, readOnlyRootFilesystem: false } });
        const unset = goodContainer({ name: "chart", securityContext: { runAsNonRoot: true } });
        assert.deepStrictEqual(check("read-only-root-filesystem", deployment(podSpec({ containers: [goodContainer(), writable, unset] }))), [
            "container vendor: root filesystem writable (readOnlyRootFilesystem is not true)",
            "container chart: root filesystem writable (readOnlyRootFilesystem is not true)",
        ]);
        assert.ok(POLICIES.find((p) => p.name === "read-only-root-filesystem")!.advisory);
        const r = evaluate([deployment(podSpec({ containers: [writable] }))], MIRROR, [], "dev");
        assert.deepStrictEqual([r.violations.length, r.advisories.map((f) => f.policy)], [0, ["read-only-root-filesystem"]], "reported, never a violation");
    });

    it("pod-security-restricted: each restricted-level requirement, on containers, init and ephemeral containers", () => {
        const bad = deployment(podSpec({
            hostNetwork: true, hostPID: true,
            securityContext: {},
            volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }, { name: "cfg", configMap: { name: "x" } }],
            containers: [goodContainer({ securityContext: { privileged: true, capabilities: { add: ["SYS_ADMIN", "NET_BIND_SERVICE"] }, runAsUser: 0 }, ports: [{ containerPort: 80, hostPort: 80 }] })],
            initContainers: [goodContainer({ name: "init", securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "Unconfined" } } })],
            ephemeralContainers: [{ name: "debug", image: "busybox:1.36" }],
        }));
        assert.deepStrictEqual(check("pod-security-restricted", bad), [
            "hostNetwork is true",
            "hostPID is true",
            "volume docker: hostPath is not allowed (only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret)",
            "container app: privileged; allowPrivilegeEscalation is not false; capabilities.drop does not include ALL; adds capabilities SYS_ADMIN (only NET_BIND_SERVICE is allowed); runAsNonRoot is not set (on the container or the pod); runAsUser is 0 (root); no seccompProfile RuntimeDefault (on the container or the pod); uses a hostPort",
            "init container init: seccompProfile is Unconfined",
            "ephemeral container debug: allowPrivilegeEscalation is not false; capabilities.drop does not include ALL; runAsNonRoot is not set (on the container or the pod); no seccompProfile RuntimeDefault (on the container or the pod)",
        ]);
        // The pod's runAsNonRoot and seccomp profile cover containers that set none.
        const inherited = deployment(podSpec({ containers: [goodContainer({ securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } })] }));
        assert.deepStrictEqual(check("pod-security-restricted", inherited), []);
        // A value unknown during preview is not a violation (the check runs again at up).
        const unknown = deployment(podSpec({ containers: [goodContainer({ securityContext: { ...goodContainer().securityContext, allowPrivilegeEscalation: UNKNOWN } })] }));
        assert.deepStrictEqual(check("pod-security-restricted", unknown), []);
    });

    it("container-resources: CPU and memory requests and limits on containers and init containers", () => {
        const r = deployment(podSpec({
            containers: [goodContainer({ resources: { requests: { cpu: "1" } } })],
            initContainers: [goodContainer({ name: "init", resources: undefined })],
        }));
        assert.deepStrictEqual(check("container-resources", r), [
            "container app: no requests.memory, limits.cpu, limits.memory",
            "init container init: no requests.cpu, requests.memory, limits.cpu, limits.memory",
        ]);
    });

    it("container-probes: readiness and liveness on long-running containers and sidecars only", () => {
        const noProbes = { readinessProbe: undefined, livenessProbe: undefined };
        const r = deployment(podSpec({
            containers: [goodContainer({ readinessProbe: undefined })],
            initContainers: [goodContainer({ name: "migrate", ...noProbes }), goodContainer({ name: "proxy", restartPolicy: "Always", ...noProbes })],
        }));
        assert.deepStrictEqual(check("container-probes", r), ["container app: no readinessProbe", "init container proxy: no readinessProbe or livenessProbe"]);
        const job = { type: "kubernetes:batch/v1:Job", name: "j", props: { spec: { template: { spec: podSpec({ containers: [goodContainer(noProbes)] }) } } } };
        assert.deepStrictEqual(check("container-probes", job), []);
    });

    it("images-pinned: a digest or an exact tag; never latest, a floating tag or none", () => {
        const ok = ["postgres:16.4", "registry.corp:5000/mlplat/bitnami/redis:7.2.5-debian-12-r0", `nginx@sha256:${"a".repeat(64)}`, `nginx:1.27@sha256:${"b".repeat(64)}`, "localhost:5000/app:1"];
        for (const i of ok) assert.strictEqual(unpinnedReason(i), undefined, i);
        assert.deepStrictEqual(["nginx", "nginx:latest", "registry.corp:5000/app", "app:stable", "app:main", "app@sha256:abc"].map(unpinnedReason), [
            "nginx has no tag (it means latest)", "nginx:latest uses the floating tag latest", "registry.corp:5000/app has no tag (it means latest)",
            "app:stable uses the floating tag stable", "app:main uses the floating tag main", "app@sha256:abc has a malformed digest",
        ]);
        assert.deepStrictEqual(check("images-pinned", deployment(podSpec({ initContainers: [goodContainer({ name: "init", image: "busybox" })] }))),
            ["init container init: busybox has no tag (it means latest)"]);
    });

    it("images-from-mirror: images outside the mirror and a missing pull secret, only in mirror mode", () => {
        const r = deployment(podSpec({ imagePullSecrets: undefined, containers: [goodContainer({ image: "docker.io/bitnami/redis:7.2.5" })] }));
        assert.deepStrictEqual(check("images-from-mirror", r), [
            "container app: docker.io/bitnami/redis:7.2.5 is not on the mirror registry.corp:5000/mlplat",
            "no imagePullSecrets entry mlplat-registry for the authenticated mirror",
        ]);
        // A prefix match is on whole path components: registry.corp:5000/mlplat-other is not the mirror.
        assert.strictEqual(check("images-from-mirror", deployment(podSpec({ containers: [goodContainer({ image: "registry.corp:5000/mlplat-other/x:1" })] }))).length, 1);
        // An anonymous mirror needs no pull secret; public mode checks nothing.
        assert.deepStrictEqual(checkResource("images-from-mirror", deployment(podSpec({ imagePullSecrets: [] })), { mirror: { prefix: "registry.corp:5000/mlplat" } }), []);
        assert.deepStrictEqual(checkResource("images-from-mirror", r, {}), []);
    });

    it("no-plaintext-secret-env: secret-looking names with literal values, credentials in connection strings and URLs", () => {
        assert.deepStrictEqual(["POSTGRES_PASSWORD", "apiToken", "AWS_SECRET_ACCESS_KEY", "CLIENT_SECRET", "GOOGLE_APPLICATION_CREDENTIALS", "db-passphrase"].filter(secretLookingName).length, 6);
        assert.deepStrictEqual(["PASSWORD_FILE", "SECRET_NAME", "TOKEN_URL", "ACCESS_KEY_ID", "RABBITMQ_ROUTING_KEY", "PARTITION_KEY", "HOST"].filter(secretLookingName), []);
        const env = [
            { name: "POSTGRES_PASSWORD", value: "hunter2" },
            { name: "PROD_MONGO_PASSWORD", valueFrom: { secretKeyRef: { name: "mongo", key: "password" } } },
            { name: "MAX_TOKEN", value: "512" },
            { name: "REDIS_PASSWORD", value: "$(REDIS_SECRET_PASSWORD)" },
            { name: "PROD_MINIO_DSN", value: "minio.mlplat-storage.svc:9000" },
            { name: "DATABASE_DSN", value: "host=db user=app password=hunter2 dbname=ml" },
            { name: "SERVICEBUS_CONNECTION_STRING", value: "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=abc=" },
            { name: "BROKER_URL", value: "amqp://app:hunter2@rabbitmq:5672/" },
            { name: "CACHE_URL", value: "redis://:$(REDIS_PASSWORD)@redis:6379/0" },
            { name: "PUBLIC_URL", value: "https://example.com/a:b@c" },
        ];
        assert.deepStrictEqual(check("no-plaintext-secret-env", deployment(podSpec({ containers: [goodContainer({ env })] }))), [
            "container app: env POSTGRES_PASSWORD has a literal value (use valueFrom.secretKeyRef)",
            "container app: env DATABASE_DSN is a connection string with a literal credential (use valueFrom.secretKeyRef)",
            "container app: env SERVICEBUS_CONNECTION_STRING is a connection string with a literal credential (use valueFrom.secretKeyRef)",
            "container app: env BROKER_URL has a URL with a literal password (use valueFrom.secretKeyRef)",
        ]);
    });

    it("namespace-default-deny: every created namespace has a policy selecting all pods that denies ingress", () => {
        const ns = (name: string): PolicyResource => ({ type: "kubernetes:core/v1:Namespace", name: `${name}-ns`, props: { metadata: { name } } });
        const np = (namespace: string, spec: Record<string, unknown>): PolicyResource => ({ type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: `${namespace}-np`, props: { metadata: { name: "p", namespace }, spec } });
        const findings = checkStack("namespace-default-deny", [
            ns("a"), np("a", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
            ns("b"), np("b", { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"] }),
            ns("c"), np("c", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] }),
            ns("d"),
        ]);
        assert.deepStrictEqual(findings.map((f) => f.resource), ["Namespace b", "Namespace c", "Namespace d"]);
    });

    it("s3-bucket-secure: a public access block with all four settings and default encryption per bucket", () => {
        const bucket = (name: string): PolicyResource => ({ type: "aws:s3/bucket:Bucket", name, id: `${name}-id`, urn: `urn:pulumi:prod::mlplat::aws:s3/bucket:Bucket::${name}`, props: { bucket: name } });
        const pab = (bucketRef: string, over: Record<string, unknown> = {}): PolicyResource => ({ type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name: `${bucketRef}-pab`,
            props: { bucket: bucketRef, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true, ...over } });
        const sse = (bucketRef: string): PolicyResource => ({ type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", name: `${bucketRef}-sse`,
            props: { bucket: bucketRef, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }] } });
        // During a preview the bucket's ID is unknown: the engine's property dependency names it.
        const previewPab = { ...pab(UNKNOWN), propertyDependencies: { bucket: ["urn:pulumi:prod::mlplat::aws:s3/bucket:Bucket::c"] } };
        const findings = checkStack("s3-bucket-secure", [
            bucket("a"), pab("a-id"), sse("a"),
            bucket("b"), pab("b-id", { restrictPublicBuckets: false }),
            bucket("c"), previewPab, { ...sse(UNKNOWN), propertyDependencies: { bucket: ["urn:pulumi:prod::mlplat::aws:s3/bucket:Bucket::c"] } },
        ]);
        assert.deepStrictEqual(findings.map((f) => `${f.resource}: ${f.message}`), [
            "aws:s3/bucket:Bucket b: no BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true",
            "aws:s3/bucket:Bucket b: no default server-side encryption (BucketServerSideEncryptionConfiguration)",
        ]);
    });

    it("ecr-repository-secure: scan on push and immutable tags", () => {
        const repo = (props: Record<string, unknown>): PolicyResource => ({ type: "aws:ecr/repository:Repository", name: "models-repo", props });
        assert.deepStrictEqual(check("ecr-repository-secure", repo({ imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: "IMMUTABLE" })), []);
        assert.deepStrictEqual(check("ecr-repository-secure", repo({})), [
            "imageScanningConfiguration.scanOnPush is not true", "imageTagMutability is MUTABLE (the default), not IMMUTABLE",
        ]);
    });

    it("azureml-protected-settings: connection strings, keys and certificates only in protected settings", () => {
        const ext = (configurationSettings: Record<string, string>): PolicyResource => ({ type: "azure-native:kubernetesconfiguration:Extension", name: "azureml",
            props: { extensionType: "microsoft.AzureML.Kubernetes", configurationSettings, configurationProtectedSettings: { "scoringFe.sslKey": "…" } } });
        assert.deepStrictEqual(check("azureml-protected-settings", ext({ enableInference: "true", sslCname: "ml.corp", inferenceRouterServiceType: "loadBalancer" })), []);
        assert.deepStrictEqual(check("azureml-protected-settings", ext({ enableTraining: "true", "servicebus.connectionString": "Endpoint=…", "scoringFe.sslKey": "LS0t", customPassword: "x" })), [
            "configurationSettings.servicebus.connectionString belongs in configurationProtectedSettings",
            "configurationSettings.scoringFe.sslKey belongs in configurationProtectedSettings",
            "configurationSettings.customPassword belongs in configurationProtectedSettings",
        ]);
    });

    it("names resources the way exemptions match them", () => {
        assert.strictEqual(resourceId(deployment(podSpec(), "mongodb")), "Deployment team/mongodb");
        assert.strictEqual(resourceId({ type: "kubernetes:core/v1:Namespace", name: "x-ns", props: { metadata: { name: "keda" } } }), "Namespace keda");
        assert.strictEqual(resourceId({ type: "aws:s3/bucket:Bucket", name: "storage-bucket", props: {} }), "aws:s3/bucket:Bucket storage-bucket");
        const e: Exemption[] = [{ policy: "namespace-default-deny", resource: "Namespace emissary*", stacks: ["prod"], reason: "upstream chart namespace" }];
        assert.ok(findExemption(e, "namespace-default-deny", "Namespace emissary-system", "prod"));
        assert.strictEqual(findExemption(e, "namespace-default-deny", "Namespace emissary-system", "dev"), undefined);
        assert.strictEqual(findExemption(e, "images-pinned", "Namespace emissary", "prod"), undefined);
    });

    it("policy/exemptions.json is well formed: known policies, a reason for each", () => {
        assert.deepStrictEqual(exemptionProblems(EXEMPTIONS), []);
        assert.deepStrictEqual(exemptionProblems([{ policy: "no-such-policy", resource: "x", reason: "" }]), ["exemption 0: unknown policy no-such-policy", "exemption 0: no reason (say why, in a sentence)"]);
    });

    it("docs/reviewing-changes.md describes every policy and lists every exemption", () => {
        const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "reviewing-changes.md"), "utf8");
        for (const p of POLICIES) assert.match(doc, new RegExp(`^\\| \`${p.name}\` \\|`, "m"), `${p.name} is not in the policy table`);
        for (const e of EXEMPTIONS) {
            const name = e.resource.replace(/^Namespace /, "").replace("*", "");
            assert.match(doc, new RegExp(`^\\| \`${name}`, "m"), `exemption ${e.resource} is not in the docs' table`);
        }
    });

    it("reads the mirror from the stack's config and carries it to the pack as policy config", () => {
        const prod = settingsFromStackConfig(stackFileConfig("prod"));
        assert.deepStrictEqual(prod, { mirror: { prefix: "registry.corp:5000/mlplat", pullSecretName: "mlplat-registry" } });
        assert.deepStrictEqual(settingsFromPackConfig(packConfig(prod)["images-from-mirror"]), prod);
        assert.deepStrictEqual(settingsFromStackConfig(stackFileConfig("dev")), {});
        assert.deepStrictEqual(settingsFromPackConfig(packConfig({})["images-from-mirror"]), {});
        assert.deepStrictEqual(settingsFromStackConfig({ "registry.mode": "mirror", "registry.mirror.host": "m:5000" }), { mirror: { prefix: "m:5000" } });
    });
});

// ---------------------------------------------------------------------------
// The stacks

const KUBECONFIG = tempKubeconfig();
const PROD_SECRETS = {
    "registry.mirror.password": "unit-mirror-password-7d1f",
    "data.postgresql.external.dsn": "postgres://app:unit-db-password-93ab@db.corp:5432/ml?sslmode=require",
    "aiAppStore.keycloak.backendClientSecret": "unit-keycloak-secret-5c2e",
};

/** The registered resources as the pack sees them (the mocks give every resource the ID `<name>-id`). */
export function policyResources(run: StackRun): PolicyResource[] {
    return run.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs ?? {}, id: `${r.name}-id` }));
}

async function evaluateStack(stack: "dev" | "prod", config: Record<string, string>, secrets: string[] = []): Promise<Report> {
    const run = await runStack({ ...config, "cluster.kubeconfig": KUBECONFIG }, secrets);
    if (run.error) throw run.error;
    return evaluate(policyResources(run), settingsFromStackConfig(config), EXEMPTIONS, stack);
}

const show = (r: Report) => r.violations.map((v) => `${v.policy} ${v.resource}: ${v.message}`);

describe("policy pack over the stacks", function () {
    this.timeout(60_000);
    const used = new Set<Exemption>();
    const record = (stack: string, r: Report) => r.exempted.forEach((x) => used.add(findExemption(EXEMPTIONS, x.policy, x.resource, stack)!));

    it("dev: no violation; only the exemptions policy/exemptions.json justifies", async () => {
        const r = await evaluateStack("dev", stackFileConfig("dev"));
        assert.deepStrictEqual(show(r), []);
        // MinIO's namespace and inference-engine have their own default deny: nothing to lift in dev.
        assert.deepStrictEqual(r.exempted.map((x) => `${x.policy} ${x.resource}`), []);
        assert.deepStrictEqual(r.advisories.map((x) => `${x.policy} ${x.resource}: ${x.message}`), []);
        record("dev", r);
    });

    it("prod (mirror mode, S3, charts): no violation; every image on the mirror with its pull secret", async () => {
        const r = await evaluateStack("prod", { ...stackFileConfig("prod"), ...PROD_SECRETS }, Object.keys(PROD_SECRETS));
        assert.deepStrictEqual(show(r), []);
        // KEDA's and Emissary's namespaces have their own default deny now (components/core/network.ts).
        assert.deepStrictEqual(r.exempted.map((x) => `${x.policy} ${x.resource}`), []);
        assert.deepStrictEqual(r.advisories.map((x) => `${x.policy} ${x.resource}: ${x.message}`), []);
        record("prod", r);
    });

    it("dev in mirror mode: every image relocated and given the pull secret", async () => {
        const config = {
            ...stackFileConfig("dev"), ...MIRROR_BY_TAG, "registry.mode": "mirror", "registry.mirror.host": "registry.corp:5000", "registry.mirror.pathPrefix": "mlplat",
            "registry.mirror.username": "puller", "registry.mirror.password": "unit-mirror-password-7d1f", "storage.minio.rootPassword": "unit-minio-root-51c2",
        };
        const r = await evaluateStack("dev", config, ["registry.mirror.password", "storage.minio.rootPassword"]);
        assert.deepStrictEqual(show(r), []);
    });

    it("a floating image tag the config accepts is refused, naming the policy and the resource", async () => {
        const r = await evaluateStack("dev", { ...stackFileConfig("dev"), "inferencePipeline.model.image": "hashicorp/http-echo:stable" });
        assert.deepStrictEqual(show(r), ["images-pinned Deployment mlplat-inference/inference-ml-service: container model: hashicorp/http-echo:stable uses the floating tag stable"]);
    });

    it("no exemption is stale: each one lifts a finding in dev or prod", () => {
        assert.deepStrictEqual(EXEMPTIONS.filter((e) => !used.has(e)).map((e) => `${e.policy} ${e.resource}`), []);
    });
});
