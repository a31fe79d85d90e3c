// End to end: the policy pack (policy/) on the real engine with our CLI and language host, on
// the suite's local control plane. The dev stack deploys with zero mandatory violations and
// nothing exempted; a config the parser accepts but the pack refuses (a
// floating image tag) fails the preview with the policy and the resource named; and the
// preview summary (scripts/preview-summary.ts) reads the engine's real JSON previews: a no-op,
// and an image change plus a replace-forcing change. MLPLAT_RECORD_PREVIEWS=1 stores those two
// as test/fixtures/preview/dev-{noop,change}.jsonl for the unit test of the summary.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { E2E_CLUSTER_DIR, projectCopy, ROOT, toolEnv } from "./env";
import { parsePreview, Preview, renderSummary } from "../../scripts/preview-summary";
import { stackPolicyConfig } from "../../scripts/policy-config";

const POLICY_DIR = path.join(ROOT, "policy");
const FIXTURES = path.join(ROOT, "test", "fixtures", "preview");

describe("policy pack on the dev stack (local control plane)", function () {
    let workDir: string;
    let stack: Stack;
    let env: Record<string, string>;
    let policyConfig: string;
    let deployed = false;
    const log = (s: string) => process.env.MLPLAT_E2E_VERBOSE && process.stdout.write(s);

    /** `pulumi preview --json` with the pack, streaming engine events (the form that carries policy results). */
    function preview(name: string): { status: number | null; text: string; preview: Preview; markdown: string } {
        const res = spawnSync("pulumi", ["preview", "--json", "--stack", "dev", "--policy-pack", POLICY_DIR, "--policy-pack-config", policyConfig], {
            cwd: workDir, encoding: "utf8", maxBuffer: 256 * 1024 * 1024,
            env: { ...process.env, ...env, PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" },
        });
        fs.writeFileSync(path.join(workDir, `${name}.jsonl`), res.stdout);
        const p = parsePreview(res.stdout, "dev");
        const markdown = renderSummary(p);
        log(`${markdown}\n${res.stderr}\n`);
        return { status: res.status, text: res.stdout, preview: p, markdown };
    }

    function record(name: string, text: string) {
        if (process.env.MLPLAT_RECORD_PREVIEWS !== "1") return;
        // Only the events the summary reads, without the resources' inputs and outputs (large, and not read).
        const kept = text.split("\n").filter((l) => /"(resourcePreEvent|policyEvent|policyLoadEvent|policyAnalyzeSummaryEvent|summaryEvent|errorEvent)"|"severity":"error"/.test(l))
            .map((l) => {
                const e = JSON.parse(l);
                for (const state of [e.resourcePreEvent?.metadata?.old, e.resourcePreEvent?.metadata?.new]) {
                    if (state) for (const k of ["inputs", "outputs"]) delete state[k];
                }
                return JSON.stringify(e);
            });
        fs.writeFileSync(path.join(FIXTURES, `${name}.jsonl`), `${kept.join("\n")}\n`);
    }

    before(async function () {
        this.timeout(600_000);
        const deps = spawnSync(path.join(ROOT, "scripts", "policy.sh"), ["deps"], { encoding: "utf8" });
        assert.strictEqual(deps.status, 0, deps.stderr);
        workDir = projectCopy();
        Object.assign(process.env, toolEnv());
        env = {
            PULUMI_BACKEND_URL: `file://${path.join(workDir, ".state")}`,
            PULUMI_CONFIG_PASSPHRASE: "mlplat-dev",
            MLPLAT_LOCAL_CLUSTER_DIR: E2E_CLUSTER_DIR,
        };
        stack = await LocalWorkspace.createOrSelectStack({ stackName: "dev", workDir }, { envVars: env });
        await stack.setConfig("mlplat:storage.minio.rootPassword", { value: "e2e-minio-root-policy-41a7", secret: true });
        policyConfig = path.join(workDir, ".state", "policy-dev.json");
        fs.writeFileSync(policyConfig, JSON.stringify(stackPolicyConfig(workDir, "dev")));
    });

    after(async function () {
        this.timeout(900_000);
        if (deployed) await stack.destroy({ onOutput: log }).catch((e) => console.error(`    cleanup destroy failed: ${e}`));
    });

    // A mandatory violation would fail the up: it passing is the dev stack's compliance on the real engine.
    it("deploys the dev stack with the pack (pulumi up): no mandatory violation", async function () {
        this.timeout(900_000);
        deployed = true;
        const up = await stack.up({ onOutput: log, policyPacks: [POLICY_DIR], policyPackConfigs: [policyConfig] });
        assert.strictEqual(up.summary.result, "succeeded");
    });

    it("summarises a no-op preview: no changes, no violations", function () {
        this.timeout(600_000);
        const r = preview("noop");
        assert.strictEqual(r.status, 0, r.markdown);
        assert.match(r.markdown, /\*\*0 to create · 0 to update · 0 to replace · 0 to delete\*\*/);
        assert.match(r.markdown, /^No changes\.$/m);
        assert.ok(r.preview.policyRan, "the engine reported policy results");
        // The dev stack needs no exemption (policy/exemptions.json lists prod's only).
        assert.deepStrictEqual([r.preview.violations, r.preview.exemptions], [[], []]);
        record("dev-noop", r.text);
    });

    it("summarises an image change and a replace-forcing change, each with its property", async function () {
        this.timeout(600_000);
        await stack.setConfig("mlplat:inferencePipeline.model.image", { value: "hashicorp/http-echo:1.0.0-e2e" });
        await stack.setConfig("mlplat:inferencePipeline.model.storageClass", { value: "mlplat-e2e-other" });
        try {
            const r = preview("change");
            assert.strictEqual(r.status, 0, r.markdown);
            assert.deepStrictEqual(r.preview.violations, []);
            // The model server's Deployment (Pulumi name inference-model, object inference-ml-service).
            const model = r.preview.steps.find((s) => s.urn.endsWith("::inference-model") && s.type === "kubernetes:apps/v1:Deployment");
            assert.strictEqual(model?.change, "update", r.markdown);
            assert.ok(model!.properties.some((p) => /containers\[0\]\.image/.test(p)), r.markdown);
            const pvc = r.preview.steps.find((s) => s.type === "kubernetes:core/v1:PersistentVolumeClaim" && s.change === "replace");
            assert.ok(pvc, r.markdown);
            assert.ok(pvc!.properties.some((p) => /storageClassName/.test(p)), r.markdown);
            assert.match(r.markdown, /^- \*\*replace\*\* `PersistentVolumeClaim` .* forced by `[^`]*storageClassName/m);
            record("dev-change", r.text);
        } finally {
            await stack.removeConfig("mlplat:inferencePipeline.model.image");
            await stack.removeConfig("mlplat:inferencePipeline.model.storageClass");
        }
    });

    it("refuses a floating image tag the config accepts, naming the policy and the resource", async function () {
        this.timeout(600_000);
        await stack.setConfig("mlplat:inferencePipeline.model.image", { value: "hashicorp/http-echo:stable" });
        try {
            const r = preview("bad");
            assert.notStrictEqual(r.status, 0, "the preview must fail");
            assert.deepStrictEqual(r.preview.violations.map((v) => [v.policy, v.urn?.split("::").pop(), v.message]), [[
                "images-pinned", "inference-model",
                "Deployment mlplat-inference/inference-ml-service: container model: hashicorp/http-echo:stable uses the floating tag stable",
            ]]);
            assert.match(r.markdown, /^- `images-pinned` on `Deployment` `inference-model`: Deployment mlplat-inference\/inference-ml-service: .*floating tag stable$/m);
        } finally {
            await stack.removeConfig("mlplat:inferencePipeline.model.image");
        }
    });
});
