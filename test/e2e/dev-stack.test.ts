// End to end: `pulumi up` of the dev stack onto the local control plane through the
// Automation API, checked in the real API server; then a no-op preview, an image
// change that rolls exactly one Deployment, secrets encrypted in state, and destroy.
import * as assert from "assert";
import { execFileSync } from "child_process";
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { E2E_CLUSTER_DIR, exists, kubectl, objectsOfKinds, projectCopy, toolEnv } from "./env";
import * as path from "path";
import { Setting, SettingKey, SETTINGS } from "../../stacks/settings";
import { stackFileConfig } from "../unit/harness";
import { redpointAmlChecks } from "./redpoint-aml";

const ROOT_PASSWORD = "e2e-minio-root-6c1d93";
const NEW_MINIO_IMAGE = "minio/minio:RELEASE.2025-05-24T17-08-30Z";
const timings: Record<string, number> = {};

/** A dev stack setting: Pulumi.dev.yaml's value, else the declared default. */
function devConfig(key: SettingKey): string {
    const value = stackFileConfig("dev")[key] ?? (SETTINGS[key] as Setting).default;
    return typeof value === "string" ? value : JSON.stringify(value);
}

interface Declared {
    urn: string;
    type: string;
    kind: string;
    name: string;
    namespace?: string;
    outputs: any;
}

/** The Kubernetes objects the stack's state says it created. */
function declared(state: any): Declared[] {
    return (state.deployment.resources ?? [])
        .filter((r: any) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm") && r.outputs?.metadata?.name)
        .map((r: any) => ({
            urn: r.urn, type: r.type, outputs: r.outputs,
            kind: `${r.outputs.kind}${r.outputs.apiVersion.includes("/") ? `.${r.outputs.apiVersion.split("/")[0]}` : ""}`,
            name: r.outputs.metadata.name, namespace: r.outputs.metadata.namespace,
        }));
}

async function timed<T>(label: string, f: () => Promise<T>): Promise<T> {
    const start = Date.now();
    try {
        return await f();
    } finally {
        timings[label] = (Date.now() - start) / 1000;
    }
}

describe("dev stack on the local control plane", function () {
    let stack: Stack;
    let objects: Declared[] = [];
    let stackEnv: Record<string, string> = {};
    const log = (s: string) => process.env.MLPLAT_E2E_VERBOSE && process.stdout.write(s);

    before(async function () {
        this.timeout(600_000);
        const workDir = projectCopy();
        const env = toolEnv();
        // The Automation API runs `pulumi` from this process's PATH.
        Object.assign(process.env, env);
        stackEnv = {
            PULUMI_BACKEND_URL: `file://${path.join(workDir, ".state")}`,
            // The public dev passphrase, matching the salt committed in Pulumi.dev.yaml.
            PULUMI_CONFIG_PASSPHRASE: "mlplat-dev",
            MLPLAT_LOCAL_CLUSTER_DIR: E2E_CLUSTER_DIR,
        };
        stack = await LocalWorkspace.createOrSelectStack({ stackName: "dev", workDir }, { envVars: stackEnv });
        await stack.setConfig("mlplat:storage.minio.rootPassword", { value: ROOT_PASSWORD, secret: true });
    });

    after(async function () {
        this.timeout(900_000);
        console.log(`    timings (s): ${JSON.stringify(timings)}; Kubernetes objects: ${objects.length}`);
        // Nothing stays behind when a test failed before the destroy test.
        if (stack && timings.destroy === undefined) {
            await stack.destroy({ onOutput: log }).catch((e) => console.error(`    cleanup destroy failed: ${e}`));
        }
    });

    it("pulumi up deploys the stack", async function () {
        this.timeout(900_000);
        const result = await timed("up", () => stack.up({ onOutput: log }));
        assert.strictEqual(result.summary.result, "succeeded");
        assert.ok((result.outputs.images.value as string[]).length > 0);
        objects = declared((await stack.exportStack()));
        timings.resources = Object.values(result.summary.resourceChanges ?? {}).reduce((a, b) => a + (b ?? 0), 0);
        assert.ok(objects.length > 0, "the stack declares Kubernetes objects");
    });

    it("every object the stack declares exists in the API server", () => {
        const found = objectsOfKinds(objects.map((o) => o.kind));
        const missing = objects.filter((o) => !found.has(`${o.kind} ${o.namespace ?? ""}/${o.name}`));
        assert.deepStrictEqual(missing.map((o) => `${o.kind} ${o.namespace ?? ""}/${o.name}`), []);
        const kinds = new Set(objects.map((o) => o.outputs.kind));
        for (const k of ["Namespace", "Deployment", "Service", "Secret", "Job"]) assert.ok(kinds.has(k), `the dev stack declares a ${k}`);
    });

    it("Deployments are Available, StatefulSets ready, Jobs complete", () => {
        for (const o of objects) {
            const live = o.outputs.kind === "Deployment" || o.outputs.kind === "StatefulSet" || o.outputs.kind === "Job"
                ? kubectl("get", o.kind, o.name, "-n", o.namespace!, "-o", "json") : undefined;
            if (o.outputs.kind === "Deployment") {
                const available = live.status.conditions?.find((c: any) => c.type === "Available");
                assert.strictEqual(available?.status, "True", `${o.name} Available`);
                assert.strictEqual(live.status.availableReplicas, live.spec.replicas, `${o.name} replicas`);
            }
            if (o.outputs.kind === "StatefulSet") assert.strictEqual(live.status.readyReplicas, live.spec.replicas, `${o.name} ready`);
            if (o.outputs.kind === "Job") {
                assert.strictEqual(live.status.conditions?.find((c: any) => c.type === "Complete")?.status, "True", `${o.name} Complete`);
            }
        }
    });

    it("objects carry the fields the stack declared", () => {
        const minio = kubectl("get", "deployment", "minio", "-n", "mlplat-storage", "-o", "json");
        const c = minio.spec.template.spec.containers[0];
        assert.strictEqual(c.image, "minio/minio:RELEASE.2025-04-22T22-12-26Z");
        assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true);
        assert.deepStrictEqual(c.securityContext.capabilities, { drop: ["ALL"] });
        assert.strictEqual(minio.spec.template.spec.automountServiceAccountToken, false);
        assert.strictEqual(minio.metadata.labels.environment, "dev");
        const pvc = kubectl("get", "pvc", "minio-data", "-n", "mlplat-storage", "-o", "json");
        assert.strictEqual(pvc.status.phase, "Bound");
        const svc = kubectl("get", "service", "minio", "-n", "mlplat-storage", "-o", "json");
        assert.deepStrictEqual(svc.spec.ports.map((p: any) => p.port), [9000, 9001]);
    });

    it("the pipeline's ScaledObject scales the worker on the requests queue", () => {
        const outputs = objects.find((o) => o.outputs.kind === "ScaledObject");
        assert.ok(outputs, "the dev stack declares a ScaledObject");
        const so = kubectl("get", "scaledobjects.keda.sh", outputs.name, "-n", outputs.namespace!, "-o", "json");
        assert.strictEqual(so.spec.scaleTargetRef.name, "inference-ml-worker");
        assert.ok(exists("deployment", so.spec.scaleTargetRef.name, outputs.namespace), "the target Deployment exists");
        const worker = ["minReplicas", "maxReplicas", "pollingInterval", "cooldownPeriod", "queueLength"].map((k) => Number(devConfig(`inferencePipeline.worker.${k}` as SettingKey)));
        assert.deepStrictEqual([so.spec.minReplicaCount, so.spec.maxReplicaCount, so.spec.pollingInterval, so.spec.cooldownPeriod], worker.slice(0, 4));
        const [trigger] = so.spec.triggers;
        assert.strictEqual(trigger.type, "rabbitmq");
        assert.deepStrictEqual([trigger.metadata.queueName, trigger.metadata.mode, trigger.metadata.value],
            [devConfig("inferencePipeline.queues.requests"), "QueueLength", String(worker[4])]);
        assert.ok(exists("triggerauthentications.keda.sh", trigger.authenticationRef.name, outputs.namespace));
    });

    it("the AI App Store is up: backend, frontend, MongoDB, Emissary listener and host, ingress with an address", async () => {
        const outputs = (await stack.outputs()).aiAppStore;
        assert.ok(outputs, "the dev stack enables the AI App Store");
        const app = outputs.value;
        const ns = app.namespace as string;
        assert.strictEqual(app.frontendUrl, `http://${devConfig("aiAppStore.webHost")}`);
        assert.strictEqual(app.apiUrl, `http://${devConfig("aiAppStore.apiHost")}`);
        const kinds = (kind: string) => objects.filter((o) => o.outputs.kind === kind);
        for (const kind of ["Listener", "Host"]) {
            const [o] = kinds(kind);
            assert.ok(o && exists(o.kind, o.name, o.namespace), `Emissary ${kind}`);
        }
        const backend = objects.find((o) => o.outputs.kind === "Deployment" && o.namespace === ns && /backend/.test(o.name));
        assert.ok(backend, "a backend Deployment");
        const env = kubectl("get", "deployment", backend.name, "-n", ns, "-o", "json").spec.template.spec.containers[0].env as any[];
        const password = env.find((e) => e.name === "PROD_FIRST_SUPERUSER_PASSWORD");
        assert.ok(password.valueFrom?.secretKeyRef && !password.value, "the superuser password comes from a Secret");
        const secret = kubectl("get", "secret", password.valueFrom.secretKeyRef.name, "-n", ns, "-o", "json");
        assert.strictEqual(Buffer.from(secret.data[password.valueFrom.secretKeyRef.key], "base64").toString(), app.superuserPassword);
        const ingresses = kinds("Ingress").filter((o) => o.namespace === ns);
        assert.ok(ingresses.length > 0);
        for (const i of ingresses) {
            assert.ok(kubectl("get", "ingress", i.name, "-n", ns, "-o", "json").status.loadBalancer.ingress?.[0], `${i.name} has an address`);
        }
    });

    // Redpoint AML, enabled in the dev stack (test/e2e/redpoint-aml.ts).
    redpointAmlChecks(() => stack);

    it("a second preview reports no changes", async function () {
        this.timeout(600_000);
        const preview = await timed("no-op preview", () => stack.preview({ onOutput: log }));
        const changed = Object.entries(preview.changeSummary).filter(([op, n]) => op !== "same" && n);
        assert.deepStrictEqual(changed, []);
    });

    it("Secrets hold the configured values while the state holds only ciphertext", async () => {
        const secret = kubectl("get", "secret", "minio-root", "-n", "mlplat-storage", "-o", "json");
        assert.strictEqual(Buffer.from(secret.data.MINIO_ROOT_PASSWORD, "base64").toString(), ROOT_PASSWORD);
        // The CLI's own export, as an operator runs it (the Automation API's exportStack shows secrets).
        const state = execFileSync("pulumi", ["stack", "export", "--stack", "dev"], { cwd: stack.workspace.workDir, env: { ...process.env, ...stackEnv }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
        assert.ok(!state.includes(ROOT_PASSWORD), "plaintext in state");
        assert.ok(!state.includes(Buffer.from(ROOT_PASSWORD).toString("base64")), "base64 in state");
        assert.ok(state.includes("ciphertext"));
    });

    it("changing one image tag rolls exactly that Deployment", async function () {
        this.timeout(900_000);
        await stack.setConfig("mlplat:storage.minio.image", { value: NEW_MINIO_IMAGE });
        const updates: string[] = [];
        const onEvent = (e: EngineEvent) => {
            const m = e.resourcePreEvent?.metadata;
            if (m && m.op !== "same" && m.op !== "read") updates.push(`${m.op} ${m.type} ${m.urn.split("::").pop()}`);
        };
        const preview = await stack.preview({ onEvent });
        assert.deepStrictEqual(updates, ["update kubernetes:apps/v1:Deployment minio-server"]);
        assert.strictEqual(preview.changeSummary.update, 1);
        const up = await stack.up({ onOutput: log });
        assert.strictEqual(up.summary.resourceChanges?.update, 1);
        const live = kubectl("get", "deployment", "minio", "-n", "mlplat-storage", "-o", "json");
        assert.strictEqual(live.spec.template.spec.containers[0].image, NEW_MINIO_IMAGE);
        assert.strictEqual(live.status.updatedReplicas, live.spec.replicas);
        assert.strictEqual(live.status.observedGeneration, live.metadata.generation);
    });

    it("destroy leaves none of the stack's objects or namespaces", async function () {
        this.timeout(900_000);
        const result = await timed("destroy", () => stack.destroy({ onOutput: log }));
        assert.strictEqual(result.summary.result, "succeeded");
        const found = objectsOfKinds(objects.map((o) => o.kind));
        const left = objects.filter((o) => found.has(`${o.kind} ${o.namespace ?? ""}/${o.name}`));
        assert.deepStrictEqual(left.map((o) => `${o.kind} ${o.namespace ?? ""}/${o.name}`), []);
    });
});
