// Reliability and isolation of every platform, on the rendered objects of the dev and prod
// stacks (issue 16, items 10-13): a PodDisruptionBudget and spreading across nodes for every
// replicated or autoscaled workload, liveness distinct from readiness, runAsGroup with
// runAsUser, Pod Security admission labels on every namespace the stack creates, and a
// default deny in and out in each of them. Also the builder's pieces on their own.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { disruptionBudget, livenessOf, needsDisruptionBudget, podSpec, container, httpProbe, execProbe, spreadAcrossNodes } from "../../components/core/workload";
import { podSecurityLabels } from "../../components/core/namespace";
import { controllerPolicySpecs } from "../../components/core/network";
import { POD_SECURITY } from "../../components/platforms/ai-app-store";
import type { Exemption } from "../../policy/rules";
import { byType, Registered, runStack, StackRun, stackFileConfig, tempKubeconfig } from "./harness";

const KUBECONFIG = tempKubeconfig();
const EXEMPTIONS: Exemption[] = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "policy", "exemptions.json"), "utf8"));
const STACKS = {
    dev: { config: () => ({ ...stackFileConfig("dev"), "cluster.kubeconfig": KUBECONFIG }), secrets: [] as string[] },
    prod: {
        config: () => ({
            ...stackFileConfig("prod"), "cluster.kubeconfig": KUBECONFIG,
            "registry.mirror.password": "unit-mirror-password-7d1f",
            "data.postgresql.external.dsn": "postgres://app:unit-db-password-93ab@db.corp:5432/ml?sslmode=require",
            "aiAppStore.keycloak.backendClientSecret": "unit-keycloak-secret-5c2e",
        }),
        secrets: ["registry.mirror.password", "data.postgresql.external.dsn", "aiAppStore.keycloak.backendClientSecret"],
    },
};
const WORKLOADS = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"];
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject";

const ns = (r: Registered) => r.inputs.metadata.namespace;
const id = (r: Registered) => `${r.type.split(":").at(-1)} ${ns(r)}/${r.inputs.metadata.name}`;
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
/** Workloads with more than one replica or an autoscaler (a ScaledObject targets them). */
function replicated(run: StackRun): Registered[] {
    const scaled = new Set(byType(run, SCALED_OBJECT).map((s) => `${ns(s)}/${s.inputs.spec.scaleTargetRef.name}`));
    return WORKLOADS.flatMap((t) => byType(run, t)).filter((w) => (w.inputs.spec.replicas ?? 1) > 1 || scaled.has(`${ns(w)}/${w.inputs.metadata.name}`));
}

for (const stack of ["dev", "prod"] as const) {
    describe(`reliability and isolation: the ${stack} stack`, function () {
        this.timeout(60_000);
        let run: StackRun;
        before(async () => {
            run = await runStack(STACKS[stack].config(), STACKS[stack].secrets);
            if (run.error) throw run.error;
        });

        it("gives every replicated or autoscaled workload a PodDisruptionBudget (one pod at a time) and spreads it across nodes", () => {
            const workloads = replicated(run);
            assert.ok(workloads.length >= (stack === "dev" ? 2 : 3), workloads.map(id).join(", "));
            for (const w of workloads) {
                const labels = w.inputs.spec.template.metadata.labels;
                const pdbs = byType(run, PDB).filter((p) => ns(p) === ns(w) && matches(p.inputs.spec.selector.matchLabels, labels));
                assert.strictEqual(pdbs.length, 1, `${id(w)}: one PDB`);
                assert.strictEqual(pdbs[0].inputs.spec.maxUnavailable, 1, id(w));
                const spread = w.inputs.spec.template.spec.topologySpreadConstraints;
                assert.deepStrictEqual(spread?.map((c: any) => [c.topologyKey, c.maxSkew]), [["kubernetes.io/hostname", 1]], id(w));
                assert.ok(matches(spread[0].labelSelector.matchLabels, labels), `${id(w)}: the spread selects its own pods`);
            }
            // And no PDB for a single replica (it would only block drains or protect nothing).
            const covered = byType(run, PDB).filter((p) => !workloads.some((w) => ns(w) === ns(p) && matches(p.inputs.spec.selector.matchLabels, w.inputs.spec.template.metadata.labels)));
            assert.deepStrictEqual(covered.map((p) => `${ns(p)}/${p.inputs.metadata.name}`), []);
        });

        it("skips the provider's 10 s endpoint settle on every Service in front of awaited pods (headless and LoadBalancer ones keep it)", () => {
            const services = byType(run, "kubernetes:core/v1:Service").filter((s) => s.inputs.spec.selector && s.inputs.spec.clusterIP !== "None");
            assert.ok(services.length >= (stack === "dev" ? 25 : 5), `${services.length} Services`);
            const awaited = WORKLOADS.flatMap((t) => byType(run, t));
            for (const s of services) {
                const expected = s.inputs.spec.type === "LoadBalancer" ? undefined : "true";
                assert.strictEqual(s.inputs.metadata.annotations?.["pulumi.com/skipAwait"], expected, id(s));
                // Its pods are awaited through their workload instead.
                assert.ok(awaited.some((w) => ns(w) === ns(s) && matches(s.inputs.spec.selector, w.inputs.spec.template.metadata.labels)), `${id(s)}: selects an awaited workload's pods`);
            }
        });

        it("never uses the readiness probe as the liveness probe; a UID always comes with a GID", () => {
            for (const w of WORKLOADS.flatMap((t) => byType(run, t))) {
                for (const c of w.inputs.spec.template.spec.containers) {
                    assert.ok(c.livenessProbe, `${id(w)} ${c.name}: liveness`);
                    assert.notDeepStrictEqual(c.livenessProbe, c.readinessProbe, `${id(w)} ${c.name}: liveness distinct from readiness`);
                }
                for (const c of [...w.inputs.spec.template.spec.containers, ...(w.inputs.spec.template.spec.initContainers ?? [])]) {
                    const sc = c.securityContext ?? {};
                    if (sc.runAsUser !== undefined) assert.notStrictEqual(sc.runAsGroup, undefined, `${id(w)} ${c.name}: runAsGroup`);
                }
            }
        });

        it("labels every namespace it creates for Pod Security admission; anything below restricted says why", () => {
            const namespaces = byType(run, NAMESPACE);
            assert.ok(namespaces.length >= 4);
            for (const n of namespaces) {
                const labels = n.inputs.metadata.labels;
                const level = labels["pod-security.kubernetes.io/enforce"];
                assert.ok(["restricted", "baseline"].includes(level), `${n.inputs.metadata.name}: ${level}`);
                assert.deepStrictEqual([labels["pod-security.kubernetes.io/audit"], labels["pod-security.kubernetes.io/warn"]], ["restricted", "restricted"]);
                if (level !== "restricted") assert.ok(n.inputs.metadata.annotations?.["mlplat.dev/pod-security-reason"], `${n.inputs.metadata.name}: the reason`);
            }
            const inference = namespaces.find((n) => n.inputs.metadata.name === "inference-engine")!;
            assert.deepStrictEqual([inference.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], inference.inputs.metadata.annotations["mlplat.dev/pod-security-reason"]],
                [POD_SECURITY.inference.level, POD_SECURITY.inference.reason]);
        });

        if (stack === "prod") it("gives the namespaces of upstream controllers (KEDA, Emissary) their flows only: the API server's ports, the gateway's listener", () => {
            const flows = (namespace: string) => {
                const policies = byType(run, POLICY).filter((p) => ns(p) === namespace);
                const spec = (suffix: string) => policies.find((p) => p.inputs.metadata.name.endsWith(suffix))!.inputs.spec;
                const ports = (rules: any[]) => rules.filter((r) => !r.from && !r.to).flatMap((r) => r.ports.map((x: any) => x.port));
                const peers = (rules: any[]) => rules.flatMap((r) => r.from ?? r.to ?? []).map((p: any) => p.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] ?? "itself");
                return {
                    policies: policies.map((p) => p.inputs.metadata.name).sort(),
                    openPorts: ports(spec("-allow-in").ingress), from: peers(spec("-allow-in").ingress),
                    egressPorts: ports(spec("-allow-out").egress), to: peers(spec("-allow-out").egress),
                };
            };
            assert.deepStrictEqual(flows("keda"), {
                policies: ["keda-allow-in", "keda-allow-out", "keda-default-deny", "keda-dns"],
                openPorts: [6443, 9443], from: ["itself"], egressPorts: [443, 6443, 5672], to: ["itself"],
            });
            assert.deepStrictEqual(flows("emissary"), {
                policies: ["emissary-allow-in", "emissary-allow-out", "emissary-default-deny", "emissary-dns"],
                openPorts: [8080], from: ["itself"], egressPorts: [443, 6443], to: ["itself", "inference-engine"],
            });
            assert.deepStrictEqual(flows("emissary-system"), {
                policies: ["emissary-apiext-allow-in", "emissary-apiext-allow-out", "emissary-apiext-default-deny", "emissary-apiext-dns"],
                openPorts: [8443], from: ["itself"], egressPorts: [443, 6443], to: ["itself"],
            });
        });

        it("denies traffic in and out by default in every namespace it creates, but where an exemption says why not", () => {
            const exempt = (name: string) => EXEMPTIONS.some((e) => e.policy === "namespace-default-deny" && new RegExp(`^Namespace ${e.resource.slice("Namespace ".length).replace("*", ".*")}$`).test(`Namespace ${name}`)
                && (!e.stacks || e.stacks.includes(stack)));
            for (const n of byType(run, NAMESPACE).map((x) => x.inputs.metadata.name).filter((x: string) => !exempt(x))) {
                const denies = byType(run, POLICY).filter((p) => ns(p) === n && Object.keys(p.inputs.spec.podSelector).length === 0 && !p.inputs.spec.ingress && !p.inputs.spec.egress);
                assert.ok(denies.some((p) => ["Ingress", "Egress"].every((t) => p.inputs.spec.policyTypes.includes(t))), `${n}: default deny in and out`);
            }
        });
    });
}

describe("NetworkPolicies of a controller namespace", () => {
    it("denies by default, then opens DNS, its own namespace, the API server and exactly the flows given", () => {
        const specs = controllerPolicySpecs({ openPorts: [8443], fromNamespaces: ["kourier-system"], toNamespaces: ["kourier-system", "inference-engine"], egressPorts: [5672] });
        assert.deepStrictEqual(Object.keys(specs), ["default-deny", "dns", "allow-in", "allow-out"]);
        assert.deepStrictEqual(specs["default-deny"], { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepStrictEqual(specs["allow-in"].ingress, [
            { from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kourier-system" } } }] },
            { ports: [{ protocol: "TCP", port: 8443 }] },
        ]);
        assert.deepStrictEqual((specs["allow-out"].egress as any[])[1].ports.map((p: any) => p.port), [443, 6443, 5672]);
        assert.strictEqual((specs["allow-out"].egress as any[])[0].to.length, 3);
        // No open port: no rule that would admit every source.
        assert.deepStrictEqual(controllerPolicySpecs({ openPorts: [] })["allow-in"].ingress, [{ from: [{ podSelector: {} }] }]);
    });
});

describe("the workload builder's availability and probes", () => {
    it("needs a budget for more than one replica or an autoscaler only", () => {
        assert.deepStrictEqual([needsDisruptionBudget({ replicas: 1 }), needsDisruptionBudget({ replicas: 2 }), needsDisruptionBudget({ autoscaled: true }), needsDisruptionBudget({})],
            [false, true, true, false]);
        assert.strictEqual(disruptionBudget("x", { name: "x", namespace: "n", labels: {}, selector: { a: "b" }, replicas: 1 }, {}), undefined);
    });

    it("spreads by host name as a preference, never leaving a pod pending", () => {
        assert.deepStrictEqual(spreadAcrossNodes({ app: "a" }), [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app: "a" } } }]);
        const c = container({ name: "c", image: "app:1.0", readiness: httpProbe("/", 80) });
        assert.strictEqual(podSpec({ containers: [c] }).topologySpreadConstraints, undefined);
        assert.strictEqual((podSpec({ containers: [c], spreadSelector: { app: "a" } }).topologySpreadConstraints as any[]).length, 1);
    });

    it("derives a process-only liveness probe: TCP for HTTP readiness, the same command for exec, slower", () => {
        assert.deepStrictEqual(livenessOf(httpProbe("/ready", "http", 5)), { tcpSocket: { port: "http" }, initialDelaySeconds: 5, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 6 });
        assert.deepStrictEqual(livenessOf(execProbe(["pg_isready"]))?.exec, { command: ["pg_isready"] });
        assert.strictEqual(livenessOf(undefined), undefined);
    });

    it("sets runAsGroup to the UID unless told otherwise", () => {
        const sc = (args: { runAsUser?: number; runAsGroup?: number }) => container({ name: "c", image: "app:1.0", ...args }).container.securityContext as any;
        assert.deepStrictEqual([sc({ runAsUser: 1000 }).runAsGroup, sc({ runAsUser: 999, runAsGroup: 1000 }).runAsGroup, sc({}).runAsGroup], [1000, 1000, undefined]);
    });

    it("labels namespaces restricted unless a level with a reason is given", () => {
        assert.deepStrictEqual(podSecurityLabels(), {
            "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/warn": "restricted",
        });
        assert.strictEqual(podSecurityLabels({ level: "baseline", reason: "r" })["pod-security.kubernetes.io/enforce"], "baseline");
    });
});
