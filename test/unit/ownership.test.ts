// Ownership: the stack creates objects by client-side create (so an existing object is
// refused, never taken over), labels every object it creates with its identity, and
// uses a namespace declared existing without creating, labelling or deleting it.
import * as assert from "assert";
import { ownershipTransform, STACK_LABEL, stackIdentity } from "../../components/core/ownership";
import { byType, configProblems, one, runStack, StackRun, stackFileConfig, tempKubeconfig } from "./harness";

const KUBECONFIG = tempKubeconfig();
const dev = (extra: Record<string, string> = {}) => ({ ...stackFileConfig("dev"), "cluster.kubeconfig": KUBECONFIG, ...extra });
const kubernetesObjects = (run: StackRun) => run.resources.filter((r) => r.type.startsWith("kubernetes:") && r.inputs?.metadata);

describe("ownership", function () {
    this.timeout(30_000);
    let run: StackRun;
    before(async () => {
        run = await runStack(dev());
        if (run.error) throw run.error;
    });

    it("creates objects client-side, so an object that already exists is refused instead of taken over", () => {
        // Provider inputs reach the engine as strings.
        assert.strictEqual(String(one(run, "pulumi:providers:kubernetes").inputs.enableServerSideApply), "false");
    });

    it("labels every Kubernetes object with the stack that created it", () => {
        const objects = kubernetesObjects(run);
        assert.ok(objects.length > 50, `only ${objects.length} objects`);
        const unlabelled = objects.filter((r) => r.inputs.metadata.labels?.[STACK_LABEL] !== "mlplat.unit");
        assert.deepStrictEqual(unlabelled.map((r) => `${r.type} ${r.name}`), []);
    });

    it("leaves components, patches and objects already labelled alone", () => {
        const t = ownershipTransform("p.s");
        assert.strictEqual(t({ type: "kubernetes:helm.sh/v4:Chart", props: { chart: "x" } }), undefined);
        assert.strictEqual(t({ type: "kubernetes:yaml/v2:ConfigFile", props: {} }), undefined);
        assert.strictEqual(t({ type: "kubernetes:core/v1:NamespacePatch", props: { metadata: { name: "x" } } }), undefined);
        assert.strictEqual(t({ type: "random:index/randomPassword:RandomPassword", props: {} }), undefined);
        assert.strictEqual(t({ type: "kubernetes:core/v1:Secret", props: { metadata: { labels: { [STACK_LABEL]: "p.s" } } } }), undefined);
        assert.deepStrictEqual(t({ type: "kubernetes:getambassador.io/v3alpha1:Host", props: { metadata: { name: "h", labels: { a: "b" } }, spec: {} } }),
            { metadata: { name: "h", labels: { a: "b", [STACK_LABEL]: "p.s" } }, spec: {} });
    });

    it("names the stack as a label value", () => {
        assert.strictEqual(stackIdentity("mlplat", "dev"), "mlplat.dev");
        assert.strictEqual(stackIdentity("my project", "team/prod").length <= 63, true);
        assert.match(stackIdentity("my project", "team/prod"), /^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$/);
    });

    it("uses a namespace declared existing without creating it, and puts its own objects in it", async () => {
        const existing = await runStack(dev({ "cluster.existingNamespaces": '["mlplat-inference","ai-appstore"]' }));
        if (existing.error) throw existing.error;
        const names = byType(existing, "kubernetes:core/v1:Namespace").map((r) => r.inputs.metadata.name);
        assert.ok(!names.includes("mlplat-inference") && !names.includes("ai-appstore"), `created ${names}`);
        assert.ok(names.includes("mlplat-storage") && names.includes("inference-engine"));
        const inside = kubernetesObjects(existing).filter((r) => r.inputs.metadata.namespace === "mlplat-inference");
        assert.ok(inside.some((r) => r.type === "kubernetes:apps/v1:Deployment"), "the pipeline's Deployments still go into the namespace");
        assert.deepStrictEqual(existing.outputs.namespaces, ["mlplat-storage", "inference-engine", "mlem", "aml"]);
    });

    it("refuses an existing namespace that is not a namespace name", () => {
        assert.deepStrictEqual(configProblems({ "cluster.existingNamespaces": '["Team_A"]' }),
            [["mlplat:cluster.existingNamespaces", "each entry must be a namespace name (DNS label)"]]);
    });
});
