// scripts/stack-state.ts: what the main job decides from a stack's state before an up.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { adoptPendingCreates, kubeconfigCA, lockFiles, pendingCreates, staleLocks, staleProviders } from "../../scripts/stack-state";

const kubeconfig = (ca: string) => `apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "https://127.0.0.1:16443", certificate-authority-data: ${Buffer.from(ca).toString("base64")}}}]
users: [{name: admin, user: {token: t}}]
contexts: [{name: local, context: {cluster: local, user: admin}}]
current-context: local
`;
const secret = (v: string) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v) });
const PROVIDER = "urn:pulumi:dev::mlplat::mlplat:cluster:Cluster$pulumi:providers:kubernetes::cluster-k8s";

describe("stack state before an up", () => {
    it("reads the CA of the kubeconfig's current context", () => {
        assert.strictEqual(kubeconfigCA(kubeconfig("CA-1")), "CA-1");
        assert.strictEqual(kubeconfigCA("apiVersion: v1\nkind: Config\nclusters: []\n"), undefined);
    });

    it("finds the providers of a recreated cluster, with the objects bound to them", () => {
        const deployment = {
            resources: [
                { urn: PROVIDER, id: "id-1", type: "pulumi:providers:kubernetes", inputs: { kubeconfig: secret(kubeconfig("OLD-CA")) } },
                { urn: "urn:a", type: "kubernetes:core/v1:Namespace", provider: `${PROVIDER}::id-1` },
                { urn: "urn:b", type: "kubernetes:apps/v1:Deployment", provider: `${PROVIDER}::id-1` },
                // Its replacement (same URN, another id, the running cluster's CA) and what it created.
                { urn: PROVIDER, id: "id-2", type: "pulumi:providers:kubernetes", inputs: { kubeconfig: secret(kubeconfig("NEW-CA")) } },
                { urn: "urn:d", type: "kubernetes:core/v1:Namespace", provider: `${PROVIDER}::id-2` },
                { urn: "urn:c", type: "random:index/randomPassword:RandomPassword", provider: "urn:random::id" },
            ],
        };
        assert.deepStrictEqual(staleProviders(deployment, "NEW-CA"), [{ urn: PROVIDER, resources: 2 }]);
        assert.deepStrictEqual(staleProviders(deployment, "OLD-CA"), [{ urn: PROVIDER, resources: 1 }], "the replacement's objects are its own");
        assert.deepStrictEqual(staleProviders({ resources: [deployment.resources[0]] }, "NEW-CA"), [], "a provider nothing uses is left to the up");
    });

    it("turns pending creates into kubectl lookups and the ids the provider gives", () => {
        const op = (type: string, inputs: any) => ({ type: "creating", resource: { urn: `urn:${inputs.metadata.name}`, type, inputs } });
        const deployment = {
            pending_operations: [
                op("kubernetes:core/v1:Namespace", { apiVersion: "v1", kind: "Namespace", metadata: { name: "ai-appstore" } }),
                op("kubernetes:apps/v1:Deployment", { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "minio", namespace: "mlplat-storage" } }),
                op("kubernetes:getambassador.io/v3alpha1:Listener", { apiVersion: "getambassador.io/v3alpha1", kind: "Listener", metadata: { name: "l", namespace: secret("emissary") } }),
                { type: "updating", resource: { urn: "urn:x", type: "kubernetes:core/v1:Secret", inputs: { metadata: { name: "x" } } } },
                { type: "creating", resource: { urn: "urn:r", type: "random:index/randomPassword:RandomPassword", inputs: {} } },
            ],
        };
        assert.deepStrictEqual(pendingCreates(deployment), [
            { urn: "urn:ai-appstore", resource: "namespace", name: "ai-appstore", namespace: undefined, id: "ai-appstore" },
            { urn: "urn:minio", resource: "deployment.v1.apps", name: "minio", namespace: "mlplat-storage", id: "mlplat-storage/minio" },
            { urn: "urn:l", resource: "listener.v3alpha1.getambassador.io", name: "l", namespace: "emissary", id: "emissary/l" },
        ]);
    });

    it("clears only locks whose process is gone from this host", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-locks-"));
        const lockDir = path.join(dir, ".pulumi", "locks", "organization", "mlplat", "dev");
        fs.mkdirSync(lockDir, { recursive: true });
        fs.writeFileSync(path.join(lockDir, "a.json"), JSON.stringify({ pid: 111, hostname: "here" }));
        fs.writeFileSync(path.join(lockDir, "b.json"), JSON.stringify({ pid: 222, hostname: "elsewhere" }));
        const locks = lockFiles(`file://${dir}`, "dev");
        assert.strictEqual(locks.length, 2);
        assert.deepStrictEqual(lockFiles(`file://${dir}`, "prod"), []);
        assert.deepStrictEqual(staleLocks(locks, "here", () => false).map((l) => l.pid), [111]);
        assert.deepStrictEqual(staleLocks(locks, "here", () => true), [], "a live process keeps its lock");
    });

    it("takes the stack's own pending creates into the state and drops the others", () => {
        const resource = (urn: string) => ({ urn, type: "kubernetes:core/v1:Service", inputs: { metadata: { name: urn } }, outputs: {}, parent: "urn:parent" });
        const deployment = {
            resources: [{ urn: "urn:parent", type: "mlplat:x:Y" }],
            pending_operations: [
                { type: "creating", resource: resource("urn:ours") },
                { type: "creating", resource: resource("urn:foreign") },
                { type: "deleting", resource: resource("urn:old") },
            ],
        };
        const out = adoptPendingCreates(deployment, new Map([["urn:ours", "ns/ours"]]));
        assert.deepStrictEqual(out.resources.map((r: any) => [r.urn, r.id]), [["urn:parent", undefined], ["urn:ours", "ns/ours"]]);
        assert.deepStrictEqual(out.resources[1].outputs, { metadata: { name: "urn:ours" } }, "outputs start as the inputs; the refresh reads the live object");
        assert.strictEqual(out.resources[1].custom, true);
        assert.deepStrictEqual(out.pending_operations.map((op: any) => op.resource.urn), ["urn:old"]);
    });
});
