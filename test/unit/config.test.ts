import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseConfig } from "../../stacks/config";
import { SETTINGS } from "../../stacks/settings";
import { configProblems, runStack, tempKubeconfig } from "./harness";

const KUBECONFIG = tempKubeconfig();
const base = { "cluster.kubeconfig": KUBECONFIG };

const problems = (config: Record<string, string>, secretKeys: string[] = []) => configProblems({ ...base, ...config }, secretKeys);

interface Case {
    name: string;
    config: Record<string, string>;
    secretKeys?: string[];
    expect: [string, string][];
}

// Each invalid config and exactly the problems it must report: [key, message].
export const INVALID: Case[] = [
    { name: "mirror without host", config: { "registry.mode": "mirror" },
        expect: [["mlplat:registry.mirror.host", "is required when registry.mode is mirror"]] },
    { name: "mirror host with scheme", config: { "registry.mode": "mirror", "registry.mirror.host": "https://registry.corp" },
        expect: [["mlplat:registry.mirror.host", "must be a host with an optional port, without scheme or path"]] },
    { name: "mirror settings in public mode", config: { "registry.mirror.host": "registry.corp:5000" },
        expect: [["mlplat:registry.mirror.host", "is set but registry.mode is public, so it would be ignored"]] },
    { name: "mirror user without password", config: { "registry.mode": "mirror", "registry.mirror.host": "r.corp", "registry.mirror.username": "u" },
        expect: [["mlplat:registry.mirror.password", "the mirror's username and password go together"]] },
    { name: "mirror password as plain text", config: { "registry.mode": "mirror", "registry.mirror.host": "r.corp", "registry.mirror.username": "u", "registry.mirror.password": "hunter2" },
        expect: [["mlplat:registry.mirror.password", "is a secret but was set as plain text (it is stored unencrypted in the stack file)"]] },
    { name: "bad path prefix", config: { "registry.mode": "mirror", "registry.mirror.host": "r.corp", "registry.mirror.pathPrefix": "/Mirror/" },
        expect: [["mlplat:registry.mirror.pathPrefix", "must be a lowercase repository path without leading or trailing '/'"]] },
    { name: "unknown registry mode", config: { "registry.mode": "private" },
        expect: [["mlplat:registry.mode", `must be one of public, mirror; got "private"`]] },
    { name: "MinIO and S3 both selected", config: { "storage.kind": "minio", "storage.s3.region": "eu-west-1" },
        expect: [["mlplat:storage.s3.region", "is an S3 setting but storage.kind is minio: MinIO and S3 cannot both be selected"]] },
    { name: "S3 with MinIO settings", config: { "storage.kind": "s3", "storage.minio.size": "50Gi" },
        expect: [["mlplat:storage.minio.size", "is a MinIO setting but storage.kind is s3: MinIO and S3 cannot both be selected"]] },
    { name: "storage settings without storage", config: { "storage.kind": "none", "storage.minio.ingressHost": "s3.example.com", "ingress.controller": "present" },
        expect: [["mlplat:storage.minio.ingressHost", "is a MinIO setting but storage.kind is none: no object storage is selected"]] },
    { name: "invalid bucket name", config: { "storage.bucket": "My_Bucket" },
        expect: [["mlplat:storage.bucket", "must be a valid bucket name: 3-63 lowercase letters, digits, '.' or '-'"]] },
    { name: "invalid volume size", config: { "storage.minio.size": "ten gigs" },
        expect: [["mlplat:storage.minio.size", "must be a Kubernetes quantity"]] },
    { name: "MinIO image on latest", config: { "storage.minio.image": "minio/minio:latest" },
        expect: [["mlplat:storage.minio.image", "must be an image with a pinned tag or digest (not latest)"]] },
    { name: "MinIO ingress without controller", config: { "storage.minio.ingressHost": "storage.example.com" },
        expect: [["mlplat:storage.minio.ingressHost", "needs an ingress controller but ingress.controller is none"]] },
    { name: "MinIO root password as plain text", config: { "storage.minio.rootPassword": "rootroot" },
        expect: [["mlplat:storage.minio.rootPassword", "is a secret but was set as plain text (it is stored unencrypted in the stack file)"]] },
    { name: "external PostgreSQL without its secret", config: { "data.postgresql.mode": "external" },
        expect: [["mlplat:data.postgresql.external.dsn", "is required when data.postgresql.mode is external: it is the connection secret of your postgresql"]] },
    { name: "external MongoDB without its secret", config: { "data.mongodb.mode": "external" },
        expect: [["mlplat:data.mongodb.external.uri", "is required when data.mongodb.mode is external: it is the connection secret of your mongodb"]] },
    { name: "external secret in embedded mode", config: { "data.redis.external.url": "redis://r:6379" }, secretKeys: ["data.redis.external.url"],
        expect: [["mlplat:data.redis.external.url", "is set but data.redis.mode is embedded, so it would be ignored"]] },
    { name: "external RabbitMQ secret as plain text", config: { "data.rabbitmq.mode": "external", "data.rabbitmq.external.url": "amqp://u:p@mq:5672/" },
        expect: [["mlplat:data.rabbitmq.external.url", "is a secret but was set as plain text (it is stored unencrypted in the stack file)"]] },
    { name: "unknown data mode", config: { "data.mongodb.mode": "managed" },
        expect: [["mlplat:data.mongodb.mode", `must be one of embedded, chart, external; got "managed"`]] },
    { name: "pipeline without ingress controller", config: { "inferencePipeline.enabled": "true", "inferencePipeline.host": "inference.example.com", "inferencePipeline.model.image": "ml/model-server:1.0.0" },
        expect: [["mlplat:ingress.controller", "the inference pipeline (inferencePipeline.enabled) needs an ingress controller, but none is enabled or declared present"]] },
    { name: "app store without ingress or storage", config: {
        "aiAppStore.enabled": "true", "storage.kind": "none",
        "aiAppStore.webHost": "web.appstore.example.com", "aiAppStore.apiHost": "api.appstore.example.com",
        "aiAppStore.appVersion": "1.0.11", "aiAppStore.inferenceDomain": "models.appstore.example.com",
        "aiAppStore.backend.image": "registry.example.com/aas-backend:1.0.11", "aiAppStore.frontend.image": "registry.example.com/aas-frontend:1.0.11",
    },
        expect: [
            ["mlplat:ingress.controller", "the AI App Store (aiAppStore.enabled) needs an ingress controller, but none is enabled or declared present"],
            ["mlplat:storage.kind", "the AI App Store (aiAppStore.enabled) needs object storage"],
        ] },
    { name: "context on the local cluster", config: { "cluster.context": "prod" },
        expect: [["mlplat:cluster.context", "applies to existing clusters only; the local control plane has its own kubeconfig"]] },
    { name: "in-cluster with a kubeconfig", config: { "cluster.kind": "existing", "cluster.inCluster": "true" },
        expect: [["mlplat:cluster.kubeconfig", "cannot be combined with cluster.inCluster=true"]] },
    { name: "missing kubeconfig file", config: { "cluster.kind": "existing", "cluster.kubeconfig": "/nonexistent/kubeconfig" },
        expect: [["mlplat:cluster.kubeconfig", "file /nonexistent/kubeconfig does not exist"]] },
    { name: "bad Kubernetes version", config: { "cluster.kubernetesVersion": "latest" },
        expect: [["mlplat:cluster.kubernetesVersion", "must look like 1.34 or 1.34.2"]] },
    { name: "negative node count", config: { "cluster.nodeCount": "-1" },
        expect: [["mlplat:cluster.nodeCount", "must not be negative"]] },
    { name: "non-integer node count", config: { "cluster.nodeCount": "three" },
        expect: [["mlplat:cluster.nodeCount", `must be an integer, got "three"`]] },
    { name: "non-boolean flag", config: { "inferencePipeline.enabled": "yes" },
        expect: [["mlplat:inferencePipeline.enabled", `must be true or false, got "yes"`]] },
    { name: "invalid namespace", config: { "storage.minio.namespace": "Storage_NS" },
        expect: [["mlplat:storage.minio.namespace", "must be a namespace name (DNS label)"]] },
    { name: "typo in a key", config: { "registry.mirorr.host": "r.corp" },
        expect: [["mlplat:registry.mirorr.host", "is not an mlplat setting"]] },
    { name: "labels not key=value", config: { "labels.extra": `["team"]` },
        expect: [["mlplat:labels.extra", "each label must be key=value"]] },
    { name: "several problems at once", config: { "registry.mode": "mirror", "storage.kind": "s3", "storage.minio.size": "1Gi", "data.postgresql.mode": "external" },
        expect: [
            ["mlplat:registry.mirror.host", "is required when registry.mode is mirror"],
            ["mlplat:storage.minio.size", "is a MinIO setting but storage.kind is s3: MinIO and S3 cannot both be selected"],
            ["mlplat:data.postgresql.external.dsn", "is required when data.postgresql.mode is external: it is the connection secret of your postgresql"],
        ] },
];

describe("stack config validation", () => {
    it("accepts the defaults and fills them in", () => {
        assert.deepStrictEqual(problems({}), []);
    });

    it("covers at least 20 invalid configs", () => assert.ok(INVALID.length >= 20));

    for (const c of INVALID) {
        it(`rejects: ${c.name}`, () => {
            assert.deepStrictEqual(problems(c.config, c.secretKeys), c.expect);
        });
    }

    it("names the fix for every problem", () => {
        for (const c of INVALID) {
            const raw = Object.fromEntries(Object.entries({ ...base, ...c.config }).map(([k, v]) => [`mlplat:${k}`, v]));
            try {
                parseConfig(raw, new Set((c.secretKeys ?? []).map((k) => `mlplat:${k}`)));
                assert.fail(`${c.name} passed`);
            } catch (e) {
                for (const p of (e as ConfigError).problems) assert.match(p.hint, /pulumi config (set|rm)/, `${c.name}: ${p.key} has no fix`);
                assert.match((e as Error).message, new RegExp(`invalid mlplat configuration \\(${c.expect.length} problems?\\)`));
            }
        }
    });

    it("suggests the nearest key for a typo", () => {
        try {
            parseConfig({ "mlplat:registry.mirorr.host": "r.corp" }, new Set());
            assert.fail("typo passed");
        } catch (e) {
            assert.strictEqual((e as ConfigError).problems[0].hint, "did you mean mlplat:registry.mirror.host? pulumi config rm registry.mirorr.host");
        }
    });

    it("never prints a secret value in an error", () => {
        try {
            parseConfig({ "mlplat:registry.mirror.password": "s3cr3t-value" }, new Set());
            assert.fail("passed");
        } catch (e) {
            assert.ok(!(e as Error).message.includes("s3cr3t-value"));
        }
    });

    it("reads secrets as secret Outputs", async () => {
        const cfg = parseConfig({
            "mlplat:registry.mode": "mirror", "mlplat:registry.mirror.host": "r.corp",
            "mlplat:registry.mirror.username": "u", "mlplat:registry.mirror.password": "p4ss",
        }, new Set(["mlplat:registry.mirror.password"]));
        const password = cfg["registry.mirror.password"]!;
        assert.ok(pulumi.Output.isInstance(password));
        assert.strictEqual(await (password as any).isSecret, true);
        assert.strictEqual(cfg["storage.minio.rootPassword"], undefined);
    });

    it("reads config as the CLI passes it: Pulumi.yaml defaults nested, stack values flat", async () => {
        const cfg = parseConfig({
            // Pulumi.yaml's defaults of dotted keys arrive as objects...
            "mlplat:registry": JSON.stringify({ mode: "public", mirror: { host: "", password: "" }, pullSecretName: "mlplat-registry" }),
            "mlplat:cluster": JSON.stringify({ kind: "local", nodeCount: 0, inCluster: false }),
            "mlplat:labels": JSON.stringify({ extra: [] }),
            // ...values set in the stack stay flat and win.
            "mlplat:registry.mode": "mirror",
            "mlplat:registry.mirror.host": "r.corp",
            "mlplat:cluster.nodeCount": "3",
            // `pulumi config set --secret --path` nests a secret.
            "mlplat:storage": JSON.stringify({ minio: { rootPassword: "nested-secret" } }),
        }, new Set(["mlplat:storage"]));
        assert.strictEqual(cfg["registry.mode"], "mirror");
        assert.strictEqual(cfg["registry.mirror.host"], "r.corp");
        assert.strictEqual(cfg["cluster.nodeCount"], 3);
        assert.deepStrictEqual(cfg["labels.extra"], []);
        assert.strictEqual(await new Promise((r) => cfg["storage.minio.rootPassword"]!.apply(r)), "nested-secret");
        assert.throws(() => parseConfig({ "mlplat:storage": JSON.stringify({ minio: { rootPassword: "plain" } }) }, new Set()),
            /mlplat:storage.minio.rootPassword: is a secret but was set as plain text/);
        assert.throws(() => parseConfig({ "mlplat:registry": JSON.stringify({ mirorr: { host: "x" } }) }, new Set()),
            /mlplat:registry.mirorr.host: is not an mlplat setting/);
    });

    it("parses typed values", () => {
        const cfg = parseConfig({ "mlplat:cluster.nodeCount": "3", "mlplat:inferencePipeline.enabled": "false", "mlplat:labels.extra": `["a=b"]` }, new Set());
        assert.strictEqual(cfg["cluster.nodeCount"], 3);
        assert.strictEqual(cfg["inferencePipeline.enabled"], false);
        assert.deepStrictEqual(cfg["labels.extra"], ["a=b"]);
        assert.strictEqual(cfg["registry.pullSecretName"], SETTINGS["registry.pullSecretName"].default);
    });

    it("registers no resource for any invalid config", async function () {
        this.timeout(60_000);
        for (const c of INVALID) {
            const run = await runStack({ ...base, ...c.config }, c.secretKeys);
            assert.ok(run.error instanceof ConfigError, `${c.name}: expected a ConfigError, got ${run.error}`);
            assert.deepStrictEqual(run.resources.map((r) => r.type), [], `${c.name} registered resources`);
        }
    });
});
