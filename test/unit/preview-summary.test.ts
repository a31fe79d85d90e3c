// scripts/preview-summary.ts on engine JSON previews: a hand-written event stream with every
// kind of change, and previews of the dev stack recorded by the e2e (test/e2e/policy.test.ts)
// on the local control plane when present.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { maskUrlPasswords, parsePreview, renderSummary } from "../../scripts/preview-summary";

const FIXTURES = path.join(__dirname, "..", "fixtures", "preview");
const read = (f: string) => fs.readFileSync(path.join(FIXTURES, f), "utf8");

describe("preview summary", () => {
    it("counts each change once per resource and groups them by top-level component", () => {
        const p = parsePreview(read("hand-written.jsonl"), "dev");
        const changes = Object.fromEntries(p.steps.map((s) => [s.urn.split("::").pop(), s.change]));
        assert.deepStrictEqual(changes, {
            "mlplat-dev": "same", "cluster-provider": "same", inference: "same", storage: "same", "storage-ns": "same",
            "inference-ml-service": "update", "inference-worker-config": "create", minio: "replace", "minio-old-user": "delete",
        });
        const md = renderSummary(p);
        assert.match(md, /^### ❌ `pulumi preview` of stack `dev`$/m);
        assert.match(md, /^\*\*1 to create · 1 to update · 1 to replace · 1 to delete\*\* · 5 unchanged · policies: 1 violation, 1 exemption$/m);
        assert.match(md, /^\| InferencePipeline inference \| 1 \| 1 \|  \|  \| 1 \|$/m);
        assert.match(md, /^\| Minio storage \|  \|  \| 1 \| 1 \| 3 \|$/m);
    });

    it("names the property that forces each replacement, and each delete", () => {
        const md = renderSummary(parsePreview(read("hand-written.jsonl"), "dev"));
        assert.match(md, /^- \*\*replace\*\* `Deployment` `minio` \(Minio storage\): forced by `spec.selector`$/m);
        assert.match(md, /^- \*\*delete\*\* `Secret` `minio-old-user` \(Minio storage\): no longer declared by the program$/m);
        assert.match(md, /`Deployment` `inference-ml-service` \(InferencePipeline inference\): `spec.template.spec.containers\[0\].image`/);
    });

    it("lists violations and exemptions without the policy's description; never a secret value", () => {
        const text = read("hand-written.jsonl");
        const md = renderSummary(parsePreview(text, "dev"));
        assert.match(md, /^- `images-pinned` on `Deployment` `inference-ml-service`: Deployment mlplat-inference\/inference-ml-service: container model: hashicorp\/http-echo:stable uses the floating tag stable$/m);
        assert.match(md, /^- `Namespace` `storage-ns`: namespace-default-deny: Namespace mlplat-storage: .* — reason: Known gap/m);
        assert.doesNotMatch(md, /Every container image is pinned/);
        assert.doesNotMatch(md, /<\{%/);
        assert.ok(text.includes("hunter2"));
        assert.doesNotMatch(md, /hunter2|\[secret\]/);
        assert.match(md, /amqp:\/\/app:\*\*\*@rabbitmq/);
        assert.strictEqual(maskUrlPasswords("postgres://u:p@h/db and redis://:pw@r:6379"), "postgres://u:***@h/db and redis://:***@r:6379");
    });

    it("reads the one-document digest of a plain `pulumi preview --json` (no policy events)", () => {
        const digest = {
            steps: [
                { op: "update", urn: "urn:pulumi:dev::mlplat::mlplat:storage:Minio$kubernetes:apps/v1:Deployment::minio", provider: "", diffReasons: ["spec"],
                    detailedDiff: { "spec.template.spec.containers[0].image": { kind: "update", inputDiff: true } }, newState: { parent: "urn:pulumi:dev::mlplat::mlplat:storage:Minio::storage" } },
                { op: "replace", urn: "urn:pulumi:dev::mlplat::mlplat:storage:Minio$kubernetes:core/v1:PersistentVolumeClaim::minio-data", provider: "", replaceReasons: ["spec.storageClassName"] },
            ],
            diagnostics: [], changeSummary: { same: 110, update: 1, replace: 1 },
        };
        const md = renderSummary(parsePreview(JSON.stringify(digest, null, 4), "dev"));
        assert.match(md, /\*\* · 110 unchanged · policies: not run/);
        assert.match(md, /^\| Minio storage \|  \| 1 \|  \|  \| 0 \|$/m);
        assert.match(md, /^\| Minio \|  \|  \| 1 \|  \| 0 \|$/m);
        assert.match(md, /\*\*replace\*\* `PersistentVolumeClaim` `minio-data` \(Minio\): forced by `spec.storageClassName`/);
    });

    it("reads the real engine's policy events: violations and exemptions of our pack (a scratch program, YAML-render provider)", () => {
        // pulumi 3.248 with our language host and policy/, on a Deployment with a floating tag, a literal
        // DB_PASSWORD and no security context, in a namespace without a NetworkPolicy, with two test exemptions.
        const text = read("policy-render.jsonl");
        const p = parsePreview(text, "t");
        assert.deepStrictEqual(p.violations.map((v) => v.policy).sort(), ["container-probes", "container-resources", "no-plaintext-secret-env", "pod-security-restricted"]);
        assert.deepStrictEqual(p.exemptions.map((x) => x.message.split(":")[0]).sort(), ["EXEMPT from images-pinned", "EXEMPT from namespace-default-deny"]);
        const md = renderSummary(p);
        assert.match(md, /^### ❌ `pulumi preview` of stack `t`$/m);
        assert.match(md, /policies: 4 violations, 2 exemptions$/m);
        assert.match(md, /^\| App mlplat-storage \| 3 \|/m);
        assert.match(md, /^- `no-plaintext-secret-env` on `Deployment` `mlplat-storage-app`: Deployment mlplat-storage\/app: container app: env DB_PASSWORD has a literal value/m);
        assert.ok(text.includes("hunter2"), "the fixture holds the literal value");
        assert.doesNotMatch(md, /hunter2/);
    });

    // Recorded by test/e2e/policy.test.ts from the dev stack on the local control plane.
    const recorded = (f: string) => (fs.existsSync(path.join(FIXTURES, f)) ? it : it.skip);

    recorded("dev-noop.jsonl")("a no-op preview of the dev stack: no changes, no violations, no exemptions", () => {
        const p = parsePreview(read("dev-noop.jsonl"), "dev");
        const md = renderSummary(p);
        assert.match(md, /^### ✅ /m);
        assert.match(md, /\*\*0 to create · 0 to update · 0 to replace · 0 to delete\*\*/);
        assert.match(md, /^No changes\.$/m);
        assert.ok(p.policyRan, "the pack ran");
        assert.deepStrictEqual([p.violations, p.exemptions], [[], []]);
        assert.match(md, /policies: 0 violations, 0 exemptions$/m);
    });

    recorded("dev-change.jsonl")("a preview after an image change and a replace-forcing change", () => {
        const p = parsePreview(read("dev-change.jsonl"), "dev");
        const md = renderSummary(p);
        assert.match(md, /\*\*0 to create · 1 to update · 1 to replace · 0 to delete\*\*/);
        assert.match(md, /^\| InferencePipeline inference \|  \| 1 \| 1 \|  \| \d+ \|$/m);
        assert.match(md, /^- \*\*replace\*\* `PersistentVolumeClaim` `inference-models` \(InferencePipeline inference\): forced by `spec.storageClassName`$/m);
        assert.match(md, /^- `Deployment` `inference-model` \(InferencePipeline inference\): .*`spec.template.spec.containers\[0\].image`/m);
        assert.deepStrictEqual(p.violations, []);
    });
});
