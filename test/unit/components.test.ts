import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { HelmChart, resolveChartSource } from "../../components/core/chart";
import { container, httpProbe, podSpec } from "../../components/core/workload";
import { standardLabels, parseExtraLabels, labelValue } from "../../components/core/labels";
import { Cluster, compareVersions } from "../../components/cluster";
import { configurationDoc, pulumiYaml } from "../../stacks/generate";
import { one, runStack, tempKubeconfig, unsecret } from "./harness";

const ROOT = path.join(__dirname, "..", "..");

/** Resolves once the mocks have registered `resources`. */
const registered = (resources: pulumi.Resource[]) => new Promise((resolve) => pulumi.all(resources.map((r) => r.urn)).apply(resolve));

describe("secure workload builder", () => {
    it("refuses floating image tags", () => {
        assert.throws(() => container({ name: "a", image: "nginx:latest" }), /container a: image nginx:latest must have a pinned tag or digest/);
        assert.throws(() => container({ name: "a", image: "nginx" }), /must have a pinned tag/);
    });

    it("puts secrets only behind secretKeyRef and plain settings as values", () => {
        const { container: c } = container({
            name: "api", image: "app:1.0", env: { LOG_LEVEL: "info" },
            secretEnv: { DB_PASSWORD: { secretName: "db", key: "password" } },
            readiness: httpProbe("/ready", 8080),
        });
        assert.deepStrictEqual(c.env, [
            { name: "LOG_LEVEL", value: "info" },
            { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
        ]);
    });

    it("backs writable paths with emptyDirs and keeps the root read-only", () => {
        const built = container({ name: "w", image: "app:1.0", writablePaths: ["/tmp"], readiness: httpProbe("/", 80) });
        assert.deepStrictEqual(built.container.volumeMounts, [{ name: "w-tmp-0", mountPath: "/tmp" }]);
        const spec = podSpec({ containers: [built] });
        assert.deepStrictEqual(spec.volumes, [{ name: "w-tmp-0", emptyDir: { sizeLimit: "64Mi" } }]);
        assert.strictEqual((built.container.securityContext as any).readOnlyRootFilesystem, true);
        // Liveness defaults to the process only: a TCP check on the HTTP readiness probe's port.
        assert.deepStrictEqual([(built.container.livenessProbe as any).httpGet, (built.container.livenessProbe as any).tcpSocket], [undefined, { port: 80 }]);
    });

    it("requires a readiness probe on long-running containers, not on Jobs", () => {
        const noProbe = container({ name: "x", image: "app:1.0" });
        assert.throws(() => podSpec({ containers: [noProbe] }), /container x: a long-running container needs a readiness probe/);
        assert.strictEqual(podSpec({ containers: [noProbe], runToCompletion: true, restartPolicy: "OnFailure" }).restartPolicy, "OnFailure");
    });

    it("keeps the service-account token off unless asked", () => {
        const c = container({ name: "x", image: "app:1.0", readiness: httpProbe("/", 80) });
        assert.strictEqual(podSpec({ containers: [c] }).automountServiceAccountToken, false);
        assert.strictEqual(podSpec({ containers: [c], automountServiceAccountToken: true }).automountServiceAccountToken, true);
    });
});

describe("labels", () => {
    it("builds app.kubernetes.io labels with extra labels underneath", () => {
        assert.deepStrictEqual(standardLabels({ name: "minio", component: "server", partOf: "mlplat-storage", version: "RELEASE.2025-04-22T22-12-26Z" }, { team: "ml", "app.kubernetes.io/name": "spoof" }), {
            team: "ml",
            "app.kubernetes.io/name": "minio",
            "app.kubernetes.io/component": "server",
            "app.kubernetes.io/managed-by": "mlplat",
            "app.kubernetes.io/part-of": "mlplat-storage",
            "app.kubernetes.io/version": "RELEASE.2025-04-22T22-12-26Z",
        });
        assert.deepStrictEqual(parseExtraLabels(["a=b", "example.com/x=y=z"]), { a: "b", "example.com/x": "y=z" });
        assert.strictEqual(labelValue("sha256:abc/def"), "sha256_abc_def");
    });
});

describe("helm chart wrapper", () => {
    it("resolves a public chart to the chart mirror at the same version", () => {
        assert.deepStrictEqual(resolveChartSource({ repo: "https://kedacore.github.io/charts", chart: "keda", version: "2.14.2" }, "oci://registry.corp:5000/charts/"),
            { oci: "oci://registry.corp:5000/charts/keda", version: "2.14.2" });
        assert.deepStrictEqual(resolveChartSource({ path: "./charts/x" }, "oci://m/charts"), { path: "./charts/x" });
        assert.deepStrictEqual(resolveChartSource({ oci: "oci://ghcr.io/a/b", version: "1.0.0" }, ""), { oci: "oci://ghcr.io/a/b", version: "1.0.0" });
    });

    it("registers a helm.v4.Chart pinned to its repository and version", async () => {
        const charts: any[] = [];
        pulumi.runtime.setMocks({
            newResource: (a) => { if (a.type === "kubernetes:helm.sh/v4:Chart") charts.push(a.inputs); return { id: a.name, state: a.inputs }; },
            call: (a) => a.inputs,
        }, "mlplat", "unit");
        await pulumi.runtime.runInPulumiStack(async () => registered([
            new HelmChart("keda", { source: { repo: "https://kedacore.github.io/charts", chart: "keda", version: "2.14.2" }, namespace: "keda", releaseName: "keda", values: { a: 1 } }),
            new HelmChart("local", { source: { path: "test/fixtures/chart" }, namespace: "x", releaseName: "x", skipCrds: true }),
            new HelmChart("oci", { source: { oci: "oci://registry.corp:5000/charts/emissary", version: "8.9.1" }, namespace: "emissary", releaseName: "emissary" }),
        ].map((c) => c.chart)));
        assert.deepStrictEqual(charts.map((c) => [c.chart, c.version, c.repositoryOpts?.repo, c.namespace, c.name, c.skipCrds]).sort(), [
            ["keda", "2.14.2", "https://kedacore.github.io/charts", "keda", "keda", undefined],
            ["oci://registry.corp:5000/charts/emissary", "8.9.1", undefined, "emissary", "emissary", undefined],
            ["test/fixtures/chart", undefined, undefined, "x", "x", true],
        ]);
    });
});

describe("cluster", () => {
    async function provider(args: ConstructorParameters<typeof Cluster>[1]) {
        const providers: any[] = [];
        let info: any;
        pulumi.runtime.setMocks({
            newResource: (a) => { if (a.type === "pulumi:providers:kubernetes") providers.push(a.inputs); return { id: a.name, state: a.inputs }; },
            call: (a) => a.inputs,
        }, "mlplat", "unit");
        await pulumi.runtime.runInPulumiStack(async () => {
            info = new Cluster("c", args).info;
            await registered([info.provider]);
        });
        return { inputs: providers[0], info };
    }

    it("local: the control plane's kubeconfig (a secret) and what the local cluster offers", async () => {
        const { inputs, info } = await provider({ flavour: "local", kubeconfig: tempKubeconfig() });
        assert.match(unsecret(inputs.kubeconfig), /server: "https:\/\/127.0.0.1:16443"/);
        assert.deepStrictEqual([info.flavour, info.kubernetesVersion, info.nodeCount, info.loadBalancer, info.defaultStorageClass], ["local", "1.34", 3, true, true]);
    });

    it("local: says how to start the control plane when it is not there", async () => {
        await assert.rejects(provider({ flavour: "local", kubeconfig: "/nonexistent/kubeconfig" }), /kubeconfig \/nonexistent\/kubeconfig does not exist: start the local control plane with `make cluster-up`/);
    });

    it("existing: a context of a kubeconfig, with declared facts", async () => {
        const { inputs, info } = await provider({ flavour: "existing", kubeconfig: tempKubeconfig(), context: "other", kubernetesVersion: "1.29", nodeCount: 5, loadBalancer: true, ingressClassName: "nginx" });
        assert.strictEqual(inputs.context, "other");
        assert.deepStrictEqual([info.kubernetesVersion, info.nodeCount, info.loadBalancer, info.ingress], ["1.29", 5, true, { className: "nginx" }]);
    });

    it("existing in-cluster: no kubeconfig, no LoadBalancer unless declared", async () => {
        const { inputs, info } = await provider({ flavour: "existing", inCluster: true });
        assert.strictEqual(inputs.kubeconfig, undefined);
        assert.strictEqual(info.loadBalancer, false);
    });

    it("compares versions", () => {
        assert.ok(compareVersions("1.19", "1.20") < 0);
        assert.ok(compareVersions("v1.34", "1.20") > 0);
        assert.strictEqual(compareVersions("1.20", "1.20"), 0);
    });
});

describe("generated files", () => {
    it("Pulumi.yaml declares every setting (run `npm run gen` after changing stacks/settings.ts)", () => {
        assert.strictEqual(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"), pulumiYaml());
    });
    it("docs/configuration.md is current", () => {
        assert.strictEqual(fs.readFileSync(path.join(ROOT, "docs", "configuration.md"), "utf8"), configurationDoc());
    });
});

describe("component package", () => {
    it("exports the components and their Args types from one entry point", async () => {
        const lib = await import("../../lib");
        for (const name of ["Cluster", "Registry", "Minio", "S3Store", "HelmChart", "PlatformNamespace", "DataService", "InferencePipeline", "AiAppStore", "IngressNginx", "composeStack", "parseConfig"]) {
            assert.strictEqual(typeof (lib as any)[name], "function", name);
        }
    });
    it("a stack with storage.kind=none registers only the cluster and registry", async () => {
        const run = await runStack({ "cluster.kubeconfig": tempKubeconfig(), "storage.kind": "none" });
        assert.ifError(run.error);
        one(run, "pulumi:providers:kubernetes");
        assert.deepStrictEqual(run.resources.map((r) => r.type).sort(), ["mlplat:cluster:Cluster", "mlplat:registry:Registry", "pulumi:providers:kubernetes"]);
        assert.deepStrictEqual(run.outputs.images, []);
    });
});
