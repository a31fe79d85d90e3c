// The chart mirror (registry.chartMirror) over plain HTTP (registry.chartMirrorPlainHttp): every
// chart resolved against the mirror is pulled with helm.v4.Chart's plainHttp, and only those.
import * as assert from "assert";
import { resolveChartSource } from "../../components/core/chart";
import { byType, configProblems, runStack, stackFileConfig, tempKubeconfig } from "./harness";

const KUBECONFIG = tempKubeconfig();
const MIRROR = "oci://127.0.0.1:5000/charts";
// The dev stack with every kind of chart it can install: ingress-nginx, a Bitnami data chart, KEDA, Emissary.
const withCharts = (extra: Record<string, string> = {}) => ({
    ...stackFileConfig("dev"), "cluster.kubeconfig": KUBECONFIG, "registry.chartMirror": MIRROR,
    "ingress.controller": "install", "data.redis.mode": "chart", "inferencePipeline.keda.install": "true", ...extra,
});

describe("chart mirror over plain HTTP", function () {
    this.timeout(60_000);

    it("resolveChartSource carries the mirror's transport on the OCI source it makes", () => {
        const keda = { repo: "https://kedacore.github.io/charts", chart: "keda", version: "2.14.1" };
        assert.deepStrictEqual(resolveChartSource(keda, { url: MIRROR, plainHttp: true }), { oci: `${MIRROR}/keda`, version: "2.14.1", plainHttp: true });
        assert.deepStrictEqual(resolveChartSource(keda, { url: MIRROR }), { oci: `${MIRROR}/keda`, version: "2.14.1" });
        assert.deepStrictEqual(resolveChartSource(keda, MIRROR), { oci: `${MIRROR}/keda`, version: "2.14.1" });
        assert.deepStrictEqual(resolveChartSource(keda, undefined), keda, "no mirror: the public source");
        assert.deepStrictEqual(resolveChartSource({ path: "./c" }, { url: MIRROR, plainHttp: true }), { path: "./c" }, "a local chart stays local");
    });

    it("every rendered helm.v4.Chart gets plainHttp with the setting, and none without it", async () => {
        const charts = async (extra: Record<string, string>) => {
            const run = await runStack(withCharts(extra));
            if (run.error) throw run.error;
            return byType(run, "kubernetes:helm.sh/v4:Chart");
        };
        const plain = await charts({ "registry.chartMirrorPlainHttp": "true" });
        assert.deepStrictEqual(plain.map((c) => c.inputs.chart).sort(), ["ingress-nginx", "keda", "redis"].map((c) => `${MIRROR}/${c}`));
        for (const c of plain) assert.strictEqual(c.inputs.plainHttp, true, c.name);
        const tls = await charts({});
        assert.strictEqual(tls.length, 3);
        for (const c of tls) assert.ok(!("plainHttp" in c.inputs), `${c.name}: ${JSON.stringify(c.inputs.plainHttp)}`);
    });

    it("the Emissary chart of the AI App Store too", async () => {
        const run = await runStack({ ...withCharts({ "registry.chartMirrorPlainHttp": "true", "aiAppStore.emissary.install": "true" }) });
        if (run.error) throw run.error;
        const emissary = byType(run, "kubernetes:helm.sh/v4:Chart").find((c) => c.inputs.chart === `${MIRROR}/emissary-ingress`);
        assert.strictEqual(emissary?.inputs.plainHttp, true, JSON.stringify(emissary?.inputs));
    });

    it("refuses the setting without a chart mirror, naming the key and the fix", () => {
        const problems = configProblems({ ...stackFileConfig("dev"), "cluster.kubeconfig": KUBECONFIG, "registry.chartMirrorPlainHttp": "true" });
        assert.deepStrictEqual(problems, [["mlplat:registry.chartMirrorPlainHttp", "only applies to a chart mirror, but registry.chartMirror is not set, so it would be ignored"]]);
    });
});
