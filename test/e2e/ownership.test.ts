// A stack never takes over what it did not create: a namespace someone else made (with
// a PVC holding their data) is refused by `make up`, survives the cleanup destroy of
// that failed stack, and, once declared existing, is used without being owned: the
// destroy removes the stack's objects from it and leaves the namespace and the PVC.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubectl, labelled, projectCopy, stackScript, writeDevStack } from "./env";

const NS = "team-data";
const STACK_OBJECTS = "mlplat.dev/stack=mlplat.dev";
const uid = (kind: string, name: string, ns?: string) => kubectl("get", kind, name, ...(ns ? ["-n", ns] : []), "-o", "json").metadata.uid as string;
const config = (extra: Record<string, string | string[]> = {}) => ({
    "cluster.kind": "local", "storage.kind": "minio", "storage.bucket": "team-models",
    "storage.minio.namespace": NS, "storage.minio.size": "1Gi", ...extra,
});

describe("objects the stack did not create", function () {
    let workDir: string;
    let owned: { ns: string; pvc: string };

    // Someone else's namespace, with a PVC holding their data, made with kubectl.
    before(function () {
        this.timeout(120_000);
        kubectl("create", "namespace", NS);
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-e2e-pvc-")), "pvc.json");
        fs.writeFileSync(file, JSON.stringify({
            apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "team-pvc", namespace: NS },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
        }));
        kubectl("create", "-f", file);
        owned = { ns: uid("namespace", NS), pvc: uid("pvc", "team-pvc", NS) };
        workDir = projectCopy();
    });

    it("make up refuses a stack whose namespace already exists, names it and the choices, and creates nothing", function () {
        this.timeout(600_000);
        writeDevStack(workDir, config());
        const up = stackScript(workDir, "up");
        assert.notStrictEqual(up.status, 0, "the up must fail");
        assert.match(up.output, /namespaces "team-data" already exists/);
        assert.match(up.output, /cluster\.existingNamespaces/);
        assert.match(up.output, /pulumi import/);
        assert.deepStrictEqual(labelled(STACK_OBJECTS), [], "the refused up created objects");
    });

    it("the cleanup destroy of the failed stack leaves the namespace and the PVC", function () {
        this.timeout(600_000);
        const destroy = stackScript(workDir, "destroy");
        assert.strictEqual(destroy.status, 0, destroy.output);
        assert.deepStrictEqual({ ns: uid("namespace", NS), pvc: uid("pvc", "team-pvc", NS) }, owned);
    });

    it("declared existing, the namespace is used as it is: MinIO runs in it, the namespace is not labelled", function () {
        this.timeout(600_000);
        writeDevStack(workDir, config({ "cluster.existingNamespaces": [NS] }));
        const up = stackScript(workDir, "up");
        assert.strictEqual(up.status, 0, up.output);
        const deployment = kubectl("get", "deployment", "minio", "-n", NS, "-o", "json");
        assert.strictEqual(deployment.metadata.labels["mlplat.dev/stack"], "mlplat.dev");
        const ns = kubectl("get", "namespace", NS, "-o", "json");
        assert.strictEqual(ns.metadata.labels?.["mlplat.dev/stack"], undefined, "the stack labelled a namespace it does not own");
    });

    it("destroy deletes the stack's objects and leaves the namespace and the PVC", function () {
        this.timeout(600_000);
        const destroy = stackScript(workDir, "destroy");
        assert.strictEqual(destroy.status, 0, destroy.output);
        assert.deepStrictEqual(labelled(STACK_OBJECTS), []);
        assert.deepStrictEqual({ ns: uid("namespace", NS), pvc: uid("pvc", "team-pvc", NS) }, owned);
    });

    after(function () {
        this.timeout(300_000);
        if (workDir) stackScript(workDir, "destroy");
        kubectl("delete", "namespace", NS, "--ignore-not-found", "--wait=false");
    });
});
