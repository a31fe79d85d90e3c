// End to end: model serving on the local control plane. A stack with two models in the
// `mlem` namespace (the stand-in server), then a model swap: the preview shows exactly one
// update (the model's Deployment), and while `pulumi up` rolls it, watches of the Deployment's
// pods and the Service's EndpointSlices show that the number of ready endpoints never drops
// below the replica count, from the first new pod to the last old pod gone. A second preview
// is a no-op; destroy leaves nothing.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { E2E_CLUSTER_DIR, exists, kubectl, projectCopy, ROOT, toolEnv, writeDevStack } from "./env";

const NS = "mlem";
const MODEL = "classifier";
const REPLICAS = 3;
const FIRST = "hashicorp/http-echo:1.0.0";
const SWAPPED = "hashicorp/http-echo:1.0.0@sha256:" + "1".repeat(64);

/** One `kubectl get --watch -o json --output-watch-events` stream, events timestamped on arrival. */
interface Watch { proc: ChildProcess; events: { at: number; type: string; object: any }[] }

function watch(...args: string[]): Watch {
    const proc = spawn(path.join(ROOT, "scripts", "cluster.sh"), ["kubectl", "get", ...args, "--watch", "-o", "json", "--output-watch-events"], { stdio: ["ignore", "pipe", "pipe"] });
    const w: Watch = { proc, events: [] };
    // The stream is pretty-printed JSON objects one after another: split at depth 0.
    let buf = "";
    let depth = 0;
    let inString = false;
    let escaped = false;
    proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        for (const ch of chunk) {
            buf += ch;
            if (inString) {
                if (escaped) escaped = false;
                else if (ch === "\\") escaped = true;
                else if (ch === "\"") inString = false;
                continue;
            }
            if (ch === "\"") inString = true;
            else if (ch === "{") depth++;
            else if (ch === "}" && --depth === 0) {
                const e = JSON.parse(buf.trim());
                w.events.push({ at: performance.now(), type: e.type, object: e.object });
                buf = "";
            }
        }
    });
    return w;
}

/** Ready endpoints of the Service across its EndpointSlices. */
function readyEndpoints(slices: Map<string, any>): number {
    let n = 0;
    for (const s of slices.values()) for (const e of s.endpoints ?? []) if (e.conditions?.ready === true) n++;
    return n;
}

describe("model serving on the local control plane: a swap never drops below the replica count", function () {
    let stack: Stack;
    let destroyed = false;
    const log = (s: string) => process.env.MLPLAT_E2E_VERBOSE && process.stdout.write(s);

    before(async function () {
        this.timeout(600_000);
        const workDir = projectCopy();
        writeDevStack(workDir, {
            "cluster.kind": "local", "storage.kind": "none",
            "modelServing.enabled": "true", "modelServing.nodeAddress": "127.0.1.1",
            [`modelServing.models.${MODEL}.image`]: FIRST,
            [`modelServing.models.${MODEL}.port`]: "5678",
            [`modelServing.models.${MODEL}.probePath`]: "/",
            [`modelServing.models.${MODEL}.replicas`]: String(REPLICAS),
            "modelServing.models.regressor.image": FIRST,
            "modelServing.models.regressor.port": "5678",
            "modelServing.models.regressor.serviceType": "ClusterIP",
        });
        Object.assign(process.env, toolEnv());
        stack = await LocalWorkspace.createOrSelectStack({ stackName: "dev", workDir }, {
            envVars: { PULUMI_BACKEND_URL: `file://${path.join(workDir, ".state")}`, PULUMI_CONFIG_PASSPHRASE: "mlplat-dev", MLPLAT_LOCAL_CLUSTER_DIR: E2E_CLUSTER_DIR },
        });
    });

    after(async function () {
        this.timeout(600_000);
        if (stack && !destroyed) await stack.destroy({ onOutput: log }).catch((e) => console.error(`    cleanup destroy failed: ${e}`));
    });

    it("deploys both models in one namespace: Deployments Available, Services with ready endpoints, the endpoint output", async function () {
        this.timeout(600_000);
        const up = await stack.up({ onOutput: log });
        assert.strictEqual(up.summary.result, "succeeded");
        for (const name of [MODEL, "regressor"]) {
            const d = kubectl("get", "deployment", name, "-n", NS, "-o", "json");
            assert.strictEqual(d.status.conditions?.find((c: any) => c.type === "Available")?.status, "True", `${name} Available`);
            assert.deepStrictEqual(d.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
        }
        const svc = kubectl("get", "service", MODEL, "-n", NS, "-o", "json");
        assert.strictEqual(svc.spec.type, "NodePort");
        const slices = kubectl("get", "endpointslices", "-n", NS, "-l", `kubernetes.io/service-name=${MODEL}`, "-o", "json");
        assert.strictEqual(readyEndpoints(new Map(slices.items.map((s: any) => [s.metadata.name, s]))), REPLICAS);
        assert.ok(exists("poddisruptionbudget", MODEL, NS));
        assert.ok(exists("networkpolicy", "default-deny", NS));
        const out = up.outputs.modelServing.value;
        assert.strictEqual(out[MODEL].url, `http://127.0.1.1:${svc.spec.ports[0].nodePort}`);
        assert.strictEqual(out[MODEL].image, FIRST);
        assert.strictEqual(out.regressor.url, "http://regressor.mlem.svc.cluster.local:5678");
    });

    it("a second preview reports no changes", async function () {
        this.timeout(300_000);
        const preview = await stack.preview({ onOutput: log });
        assert.deepStrictEqual(Object.entries(preview.changeSummary).filter(([op, n]) => op !== "same" && n), []);
    });

    it("modelServing.models.<name>.image changes exactly the model's Deployment, and the rollout keeps every replica ready", async function () {
        this.timeout(600_000);
        await stack.setConfig(`mlplat:modelServing.models.${MODEL}.image`, { value: SWAPPED });
        const changes: string[] = [];
        const onEvent = (e: EngineEvent) => {
            const m = e.resourcePreEvent?.metadata;
            if (m && m.op !== "same" && m.op !== "read") changes.push(`${m.op} ${m.type} ${m.urn.split("::").pop()}`);
        };
        const preview = await stack.preview({ onEvent });
        assert.deepStrictEqual(changes, [`update kubernetes:apps/v1:Deployment models-${MODEL}-deployment`]);
        assert.strictEqual(preview.changeSummary.update, 1);

        const oldHash = kubectl("get", "deployment", MODEL, "-n", NS, "-o", "json");
        const pods = watch("pods", "-n", NS, "-l", `app.kubernetes.io/name=${MODEL}`);
        const slices = watch("endpointslices", "-n", NS, "-l", `kubernetes.io/service-name=${MODEL}`);
        try {
            // Both watches have listed the current objects before the rollout starts.
            const t0 = performance.now();
            while ((pods.events.length < REPLICAS || slices.events.length < 1) && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
            const up = await stack.up({ onOutput: log });
            assert.strictEqual(up.summary.resourceChanges?.update, 1);
            // Until the old pods are gone from the watch (the up returns once the rollout is complete).
            const gone = () => {
                const live = new Map<string, any>();
                for (const e of pods.events) e.type === "DELETED" ? live.delete(e.object.metadata.name) : live.set(e.object.metadata.name, e.object);
                return [...live.values()].every((p) => p.spec.containers[0].image === SWAPPED);
            };
            const t1 = performance.now();
            while (!gone() && performance.now() - t1 < 120_000) await new Promise((r) => setTimeout(r, 200));
            assert.ok(gone(), "the old pods are gone");
        } finally {
            pods.proc.kill();
            slices.proc.kill();
        }

        // Replay both streams in arrival order: the window runs from the first new pod to the last old pod gone.
        const timeline = [...pods.events.map((e) => ({ ...e, kind: "pod" })), ...slices.events.map((e) => ({ ...e, kind: "slice" }))].sort((a, b) => a.at - b.at);
        const livePods = new Map<string, any>();
        const liveSlices = new Map<string, any>();
        let inWindow = false;
        let windowEnded = false;
        const readyInWindow: number[] = [];
        for (const e of timeline) {
            const map = e.kind === "pod" ? livePods : liveSlices;
            if (e.type === "DELETED") map.delete(e.object.metadata.name);
            else map.set(e.object.metadata.name, e.object);
            const images = [...livePods.values()].map((p) => p.spec.containers[0].image);
            if (!inWindow && images.includes(SWAPPED)) inWindow = true;
            if (inWindow && !windowEnded) {
                readyInWindow.push(readyEndpoints(liveSlices));
                if (!images.includes(FIRST)) windowEnded = true;
            }
        }
        assert.ok(inWindow && windowEnded, "the watches saw the rollout from the first new pod to the last old pod gone");
        assert.ok(readyInWindow.length >= REPLICAS * 2, `observed ${readyInWindow.length} states during the rollout`);
        assert.ok(Math.min(...readyInWindow) >= REPLICAS, `ready endpoints during the rollout: ${readyInWindow.join(",")} (replicas ${REPLICAS})`);
        const newPods = new Set(pods.events.filter((e) => e.object.spec.containers[0].image === SWAPPED).map((e) => e.object.metadata.name));
        assert.ok(newPods.size >= REPLICAS, `${newPods.size} new pods`);
        console.log(`    swap: ${newPods.size} new pods; ready endpoints during the rollout (${readyInWindow.length} states): min ${Math.min(...readyInWindow)}, max ${Math.max(...readyInWindow)}`);

        const live = kubectl("get", "deployment", MODEL, "-n", NS, "-o", "json");
        assert.strictEqual(live.spec.template.spec.containers[0].image, SWAPPED);
        assert.notStrictEqual(live.metadata.generation, oldHash.metadata.generation);
        assert.strictEqual(live.status.updatedReplicas, REPLICAS);
        assert.strictEqual((await stack.outputs()).modelServing.value[MODEL].image, SWAPPED);
    });

    it("destroy leaves no model object", async function () {
        this.timeout(600_000);
        const result = await stack.destroy({ onOutput: log });
        destroyed = true;
        assert.strictEqual(result.summary.result, "succeeded");
        for (const [kind, name] of [["deployment", MODEL], ["service", MODEL], ["deployment", "regressor"], ["namespace", NS]]) {
            assert.ok(!exists(kind, name, kind === "namespace" ? undefined : NS), `${kind} ${name} left`);
        }
    });
});
