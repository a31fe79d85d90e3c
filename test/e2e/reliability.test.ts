// Reliability and isolation on the local control plane (issue 16): the dev stack, with the
// App Store's backend and frontend and the pipeline's gateway at two replicas, deployed by
// `pulumi up`; its PodDisruptionBudgets accepted, its namespaces labelled for Pod Security
// admission, its NetworkPolicies in place; a drain of one KWOK node leaves every replicated
// workload available. And the real upstream CRDs (../shared/upstream/crds, served by
// scripts/cluster.sh) refuse a deliberately broken object of each kind the stack or the
// App Store's backend creates.
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { cluster, E2E_CLUSTER_DIR, kubectl, projectCopy, ROOT, toolEnv } from "./env";

/** `kubectl apply --dry-run=server` of one object: the API server's answer. */
function serverDryRun(object: unknown): { ok: boolean; message: string } {
    const res = spawnSync(path.join(ROOT, "scripts", "cluster.sh"), ["kubectl", "apply", "--dry-run=server", "-f", "-"], { input: JSON.stringify(object), encoding: "utf8" });
    return { ok: res.status === 0, message: `${res.stdout}${res.stderr}`.trim() };
}

const meta = (name: string, namespace = "default") => ({ name, namespace });

describe("upstream CRDs on the local control plane refuse what the real controllers would", function () {
    this.timeout(120_000);

    const cases: { kind: string; good: any; bad: any; because: RegExp }[] = [
        {
            kind: "KEDA ScaledObject (trigger metadata values are strings)",
            good: { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: meta("e2e-good"), spec: { scaleTargetRef: { name: "w" }, triggers: [{ type: "rabbitmq", metadata: { value: "5" } }] } },
            bad: { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: meta("e2e-bad"), spec: { scaleTargetRef: { name: "w" }, triggers: [{ type: "rabbitmq", metadata: { value: 5 } }] } },
            because: /metadata\.value|must be of type string|Invalid value/,
        },
        {
            kind: "KEDA TriggerAuthentication (secretTargetRef needs parameter, name, key)",
            good: { apiVersion: "keda.sh/v1alpha1", kind: "TriggerAuthentication", metadata: meta("e2e-good"), spec: { secretTargetRef: [{ parameter: "host", name: "s", key: "url" }] } },
            bad: { apiVersion: "keda.sh/v1alpha1", kind: "TriggerAuthentication", metadata: meta("e2e-bad"), spec: { secretTargetRef: [{ name: "s", key: "url" }] } },
            because: /parameter: Required value/,
        },
        {
            kind: "Emissary Listener v3alpha1 (securityModel required)",
            good: { apiVersion: "getambassador.io/v3alpha1", kind: "Listener", metadata: meta("e2e-good"), spec: { port: 8080, protocol: "HTTP", securityModel: "XFP", hostBinding: { namespace: { from: "ALL" } } } },
            bad: { apiVersion: "getambassador.io/v3alpha1", kind: "Listener", metadata: meta("e2e-bad"), spec: { port: 8080, protocol: "HTTP", hostBinding: { namespace: { from: "ALL" } } } },
            because: /securityModel: Required value/,
        },
        {
            kind: "Emissary Host v3alpha1 (hostname is a string)",
            good: { apiVersion: "getambassador.io/v3alpha1", kind: "Host", metadata: meta("e2e-good"), spec: { hostname: "*", acmeProvider: { authority: "none" } } },
            bad: { apiVersion: "getambassador.io/v3alpha1", kind: "Host", metadata: meta("e2e-bad"), spec: { hostname: 5, acmeProvider: { authority: "none" } } },
            because: /hostname|must be of type string/,
        },
        {
            kind: "Emissary Mapping v2, as the App Store's backend creates it (service required)",
            good: {
                apiVersion: "getambassador.io/v2", kind: "Mapping", metadata: meta("e2e-good"),
                spec: { hostname: "*", prefix: "/svc/", service: "svc:8080", retry_policy: { retry_on: "5xx", num_retries: 10, per_try_timeout: "5s" } },
            },
            bad: { apiVersion: "getambassador.io/v2", kind: "Mapping", metadata: meta("e2e-bad"), spec: { hostname: "*", prefix: "/svc/" } },
            because: /service: Required value/,
        },
    ];
    for (const c of cases) {
        it(`${c.kind}: the valid one accepted, the broken one refused`, () => {
            const good = serverDryRun(c.good);
            assert.ok(good.ok, good.message);
            const bad = serverDryRun(c.bad);
            assert.ok(!bad.ok, `accepted: ${bad.message}`);
            assert.match(bad.message, c.because);
        });
    }
});

describe("the prod stack's NetworkPolicies, as rendered (test/unit/snapshots/prod.json)", function () {
    this.timeout(300_000);
    // Prod installs KEDA and Emissary from charts the local control plane cannot fetch: its
    // policies (those of the controllers' namespaces included) are checked by the API server
    // in a dry run, in the default namespace (theirs do not exist here).
    const snapshot = JSON.parse(fs.readFileSync(path.join(ROOT, "test", "unit", "snapshots", "prod.json"), "utf8"));
    const policies = Object.entries(snapshot.resources as Record<string, { inputs: any }>)
        .filter(([urn]) => urn.startsWith("kubernetes:networking.k8s.io/v1:NetworkPolicy::"));

    it("every one is accepted by the API server (KEDA's, Emissary's and apiext's among them)", () => {
        const names = policies.map(([, r]) => `${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`);
        for (const ns of ["keda", "emissary", "emissary-system"]) assert.ok(names.some((n) => n.startsWith(`${ns}/`)), `${ns}: no policy rendered`);
        const refused = policies.map(([urn, r]) => ({ urn, res: serverDryRun({ ...r.inputs, metadata: { ...r.inputs.metadata, namespace: "default" } }) }))
            .filter((x) => !x.res.ok).map((x) => `${x.urn}: ${x.res.message}`);
        assert.deepStrictEqual(refused, []);
    });
});

describe("dev stack: disruption budgets, Pod Security, NetworkPolicies, a node drain", function () {
    let stack: Stack;
    const log = (s: string) => process.env.MLPLAT_E2E_VERBOSE && process.stdout.write(s);

    before(async function () {
        this.timeout(900_000);
        const workDir = projectCopy();
        Object.assign(process.env, toolEnv());
        stack = await LocalWorkspace.createOrSelectStack({ stackName: "dev", workDir }, {
            envVars: { PULUMI_BACKEND_URL: `file://${path.join(workDir, ".state")}`, PULUMI_CONFIG_PASSPHRASE: "mlplat-dev", MLPLAT_LOCAL_CLUSTER_DIR: E2E_CLUSTER_DIR },
        });
        // Replicated workloads of each platform: their PDBs and spreading come from the builder.
        await stack.setAllConfig({
            "mlplat:aiAppStore.backend.replicas": { value: "2" },
            "mlplat:aiAppStore.frontend.replicas": { value: "2" },
            "mlplat:inferencePipeline.gateway.replicas": { value: "2" },
        });
        const up = await stack.up({ onOutput: log });
        assert.strictEqual(up.summary.result, "succeeded");
    });

    after(async function () {
        this.timeout(900_000);
        cluster("kubectl", "uncordon", "kwok-node-1", "kwok-node-2", "kwok-node-3");
        if (stack) await stack.destroy({ onOutput: log }).catch((e) => console.error(`    cleanup destroy failed: ${e}`));
    });

    /** Deployments with more than one desired replica, as `namespace/name`. */
    const replicated = (): { id: string; replicas: number; labels: Record<string, string> }[] =>
        (kubectl("get", "deployments", "-A", "-l", "mlplat.dev/stack", "-o", "json").items as any[])
            .filter((d) => (d.spec.replicas ?? 1) > 1)
            .map((d) => ({ id: `${d.metadata.namespace}/${d.metadata.name}`, replicas: d.spec.replicas, labels: d.spec.selector.matchLabels }));
    const available = (): Record<string, number> => Object.fromEntries((kubectl("get", "deployments", "-A", "-l", "mlplat.dev/stack", "-o", "json").items as any[])
        .map((d) => [`${d.metadata.namespace}/${d.metadata.name}`, d.status.availableReplicas ?? 0]));

    it("the API server accepted a PodDisruptionBudget for every replicated workload", () => {
        const workloads = replicated();
        assert.ok(workloads.length >= 4, workloads.map((w) => w.id).join(", "));
        const pdbs = kubectl("get", "poddisruptionbudgets", "-A", "-o", "json").items as any[];
        for (const w of workloads) {
            const [ns] = w.id.split("/");
            const pdb = pdbs.find((p) => p.metadata.namespace === ns && Object.entries(p.spec.selector.matchLabels).every(([k, v]) => w.labels[k] === v));
            assert.ok(pdb, `${w.id}: a PDB`);
            assert.strictEqual(pdb.status.expectedPods, w.replicas, `${w.id}: the PDB sees its pods`);
        }
    });

    it("labels every namespace it created for Pod Security admission (inference-engine baseline, with its reason)", () => {
        const namespaces = kubectl("get", "namespaces", "-l", "mlplat.dev/stack", "-o", "json").items as any[];
        assert.ok(namespaces.length >= 4);
        for (const n of namespaces) {
            assert.ok(["restricted", "baseline"].includes(n.metadata.labels["pod-security.kubernetes.io/enforce"]), n.metadata.name);
            assert.strictEqual(n.metadata.labels["pod-security.kubernetes.io/warn"], "restricted", n.metadata.name);
        }
        const inference = namespaces.find((n) => n.metadata.name === "inference-engine");
        assert.strictEqual(inference.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
        assert.ok(inference.metadata.annotations["mlplat.dev/pod-security-reason"]);
        // Admission enforces it: a privileged pod is refused in a restricted namespace.
        const res = spawnSync(path.join(ROOT, "scripts", "cluster.sh"), ["kubectl", "apply", "--dry-run=server", "-f", "-"], {
            input: JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "e2e-root", namespace: "ai-appstore" }, spec: { containers: [{ name: "c", image: "busybox:1.36", securityContext: { privileged: true } }] } }),
            encoding: "utf8",
        });
        assert.notStrictEqual(res.status, 0);
        assert.match(res.stderr, /violates PodSecurity "restricted/);
    });

    it("has a default deny in and out in the namespaces of MinIO, the App Store and its inference services", () => {
        for (const ns of ["mlplat-storage", "ai-appstore", "inference-engine", "mlplat-inference"]) {
            const policies = kubectl("get", "networkpolicies", "-n", ns, "-o", "json").items as any[];
            assert.ok(policies.some((p) => Object.keys(p.spec.podSelector).length === 0 && ["Ingress", "Egress"].every((t) => p.spec.policyTypes.includes(t)) && !p.spec.ingress && !p.spec.egress), ns);
        }
    });

    it("a drain of one node leaves every replicated workload available", async function () {
        this.timeout(300_000);
        const workloads = replicated();
        // The node holding the most of their pods.
        const pods = (kubectl("get", "pods", "-A", "-o", "json").items as any[]).filter((p) => p.spec.nodeName && workloads.some((w) =>
            w.id.startsWith(`${p.metadata.namespace}/`) && Object.entries(w.labels).every(([k, v]) => p.metadata.labels?.[k] === v)));
        const perNode = new Map<string, number>();
        for (const p of pods) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
        const node = [...perNode.entries()].sort((a, b) => b[1] - a[1])[0][0];
        let lowest: Record<string, number> = available();
        const drain = spawn(path.join(ROOT, "scripts", "cluster.sh"), ["kubectl", "drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=240s"], { stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        drain.stdout.on("data", (d) => { output += d; });
        drain.stderr.on("data", (d) => { output += d; });
        const done = new Promise<number | null>((resolve) => drain.on("exit", resolve));
        let exited = false;
        void done.then(() => { exited = true; });
        while (!exited) {
            const now = available();
            lowest = Object.fromEntries(Object.keys(lowest).map((k) => [k, Math.min(lowest[k], now[k] ?? 0)]));
            await new Promise((r) => setTimeout(r, 250));
        }
        assert.strictEqual(await done, 0, output);
        for (const w of workloads) assert.ok(lowest[w.id] >= 1, `${w.id} had ${lowest[w.id]} available pods during the drain of ${node}`);
        // And they come back to full strength on the other nodes.
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline && !workloads.every((w) => available()[w.id] === w.replicas)) await new Promise((r) => setTimeout(r, 1000));
        for (const w of workloads) assert.strictEqual(available()[w.id], w.replicas, w.id);
    });
});
