// Mirror mode on the real engine: a local Helm chart rendered by helm.v4.Chart inside the
// kubernetes provider, its objects relocated by the registry's stack-wide transform
// (registerResourceTransform), checked in the API server, then destroyed. Then the same chart
// pulled by the provider from a plain-HTTP OCI chart mirror (registry.chartMirrorPlainHttp).
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { HelmChart, resolveChartSource } from "../../components/core/chart";
import { PlatformNamespace } from "../../components/core/namespace";
import { Registry } from "../../components/registry";
import { writeChartLayout } from "../../scripts/mirror/chart";
import { craneBin, Running, serveRegistry } from "../mirror/registries";
import { E2E_CLUSTER_DIR, exists, kubectl, ROOT, toolEnv } from "./env";

const NS = "mlplat-mirror-e2e";
const MIRROR = "registry.corp:5000/mlplat";

/** The suite's local control plane, as a provider of an inline program. */
const localProvider = () => new k8s.Provider("local", { kubeconfig: pulumi.secret(fs.readFileSync(path.join(E2E_CLUSTER_DIR, "kubeconfig"), "utf8")) });
const localCtx = (provider: k8s.Provider, registry: Registry) =>
    ({ cluster: { provider, flavour: "local" as const, loadBalancer: true, defaultStorageClass: true }, registry, extraLabels: {} });

/** An inline-program stack with its own file state backend in `dir`. */
function inlineStack(dir: string, stackName: string, projectName: string, program: () => Promise<Record<string, unknown>>): Promise<Stack> {
    return LocalWorkspace.createOrSelectStack({ stackName, projectName, program }, {
        workDir: dir,
        envVars: { PULUMI_BACKEND_URL: `file://${dir}`, PULUMI_CONFIG_PASSPHRASE: "mlplat-e2e" },
        projectSettings: { name: projectName, runtime: "nodejs", backend: { url: `file://${dir}` } },
    });
}

async function program() {
    const provider = localProvider();
    const registry = new Registry("registry", {
        mode: "mirror", mirrorHost: "registry.corp:5000", pathPrefix: "mlplat",
        username: "puller", password: pulumi.secret("mirror-e2e-password"), pullSecretName: "mlplat-registry",
    });
    pulumi.runtime.registerResourceTransform((args) => {
        const props = registry.transformProps(args);
        return props ? { props, opts: args.opts } : undefined;
    });
    const ctx = localCtx(provider, registry);
    const ns = new PlatformNamespace("ns", { name: NS, partOf: "mlplat-e2e" }, ctx, { provider });
    const chart = new HelmChart("demo", {
        source: { path: path.join(ROOT, "test", "fixtures", "charts", "demo") }, namespace: ns.name, releaseName: "demo",
    }, { provider, dependsOn: [ns] });
    return { images: registry.images([chart.resources, ns.urn]) };
}

describe("mirror mode with a chart rendered by the provider", function () {
    let stack: Stack;

    before(async function () {
        this.timeout(300_000);
        Object.assign(process.env, toolEnv());
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-mirror-e2e-"));
        stack = await inlineStack(dir, "mirror", "mlplat-mirror-e2e", program);
    });

    after(async function () {
        this.timeout(600_000);
        if (stack) await stack.destroy().catch((e) => console.error(`    cleanup destroy failed: ${e}`));
    });

    it("relocates every image of the rendered Deployment and CronJob and attaches the pull secret", async function () {
        this.timeout(600_000);
        const up = await stack.up();
        assert.strictEqual(up.summary.result, "succeeded");
        const web = kubectl("get", "deployment", "demo-web", "-n", NS, "-o", "json").spec.template.spec;
        assert.deepStrictEqual(web.containers.map((c: any) => c.image), [`${MIRROR}/library/nginx:1.27.3`]);
        assert.deepStrictEqual(web.initContainers.map((c: any) => c.image), [`${MIRROR}/library/busybox:1.36.1`]);
        assert.deepStrictEqual(web.imagePullSecrets, [{ name: "mlplat-registry" }]);
        const job = kubectl("get", "cronjob", "demo-cleanup", "-n", NS, "-o", "json").spec.jobTemplate.spec.template.spec;
        assert.deepStrictEqual(job.containers.map((c: any) => c.image), [`${MIRROR}/bitnami/kubectl:1.33.4`]);
        assert.deepStrictEqual(job.imagePullSecrets, [{ name: "mlplat-registry" }]);
        const pull = kubectl("get", "secret", "mlplat-registry", "-n", NS, "-o", "json");
        assert.strictEqual(pull.type, "kubernetes.io/dockerconfigjson");
        assert.deepStrictEqual(up.outputs.images.value, [
            `${MIRROR}/bitnami/kubectl:1.33.4`, `${MIRROR}/library/busybox:1.36.1`, `${MIRROR}/library/nginx:1.27.3`,
        ]);
    });

    it("a second preview reports no changes, and destroy removes the namespace", async function () {
        this.timeout(600_000);
        const preview = await stack.preview();
        assert.deepStrictEqual(Object.entries(preview.changeSummary).filter(([op, n]) => op !== "same" && n), []);
        await stack.destroy();
        assert.ok(!exists("namespace", NS));
    });
});

describe("a chart pulled from a plain-HTTP OCI chart mirror", function () {
    const PLAIN_NS = "mlplat-chart-mirror-e2e";
    let stack: Stack;
    let registry: Running | undefined;
    let dir: string;

    /** The chart as its public source names it, resolved against the mirror as the stack's components do. */
    const program = (mirror: string) => async () => {
        const provider = localProvider();
        const ctx = localCtx(provider, new Registry("registry", { mode: "public", pullSecretName: "x" }));
        const ns = new PlatformNamespace("ns", { name: PLAIN_NS, partOf: "mlplat-e2e" }, ctx, { provider });
        const source = resolveChartSource({ oci: "oci://charts.example.invalid/demo", version: "0.1.0" }, { url: mirror, plainHttp: true });
        const chart = new HelmChart("demo", { source, namespace: ns.name, releaseName: "demo" }, { provider, dependsOn: [ns] });
        return { source, objects: chart.resources.apply((r) => r.length) };
    };

    before(async function () {
        this.timeout(300_000);
        Object.assign(process.env, toolEnv());
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-chart-mirror-e2e-"));
        // The fixture chart packaged as Helm's OCI artifact and pushed into a loopback registry (plain HTTP).
        const crane = craneBin();
        registry = await serveRegistry(crane);
        const tgz = execFileSync("tar", ["-C", path.join(ROOT, "test", "fixtures", "charts"), "-czf", "-", "demo"]);
        writeChartLayout(tgz, path.join(dir, "layout"));
        execFileSync(crane, ["push", path.join(dir, "layout"), `${registry.host}/charts/demo:0.1.0`], { stdio: ["ignore", "ignore", "inherit"] });
        stack = await inlineStack(dir, "plain", "mlplat-chart-mirror-e2e", program(`oci://${registry.host}/charts`));
    });

    after(async function () {
        this.timeout(600_000);
        if (stack) await stack.destroy().catch((e) => console.error(`    cleanup destroy failed: ${e}`));
        registry?.stop();
    });

    it("the provider pulls the chart over plain HTTP and its objects appear in the API server", async function () {
        this.timeout(600_000);
        const up = await stack.up();
        assert.strictEqual(up.summary.result, "succeeded");
        assert.deepStrictEqual(up.outputs.source.value, { oci: `oci://${registry!.host}/charts/demo`, version: "0.1.0", plainHttp: true });
        assert.strictEqual(up.outputs.objects.value, 2, "the chart's Deployment and CronJob");
        assert.deepStrictEqual(kubectl("get", "deployment", "demo-web", "-n", PLAIN_NS, "-o", "json").spec.template.spec.containers.map((c: any) => c.image), ["docker.io/library/nginx:1.27.3"]);
        assert.ok(kubectl("get", "cronjob", "demo-cleanup", "-n", PLAIN_NS, "-o", "json").spec.schedule);
        await stack.destroy();
        assert.ok(!exists("namespace", PLAIN_NS));
    });
});
