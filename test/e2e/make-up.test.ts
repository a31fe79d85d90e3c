// The main job converges on rerun, as a new user meets it: `scripts/stack.sh up` (what
// `make up` runs) of the dev stack, then an object deleted behind Pulumi's back, the
// local control plane purged and recreated, and an up killed half-way; after each, the
// next `make up` ends with every Deployment of the stack Available.
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cluster, clusterUp, kubectl, labelled, projectCopy, stackScript } from "./env";

const STACK_OBJECTS = "mlplat.dev/stack=mlplat.dev";

/** Every Deployment of the stack: `namespace/name` → Available with all replicas. */
function deployments(): Record<string, boolean> {
    const list = kubectl("get", "deployments", "-A", "-l", STACK_OBJECTS, "-o", "json").items as any[];
    return Object.fromEntries(list.map((d) => [`${d.metadata.namespace}/${d.metadata.name}`,
        d.status.conditions?.some((c: any) => c.type === "Available" && c.status === "True") === true &&
        d.status.availableReplicas === d.spec.replicas]));
}

function assertUp(result: { status: number | null; output: string }, expected?: string[]): void {
    assert.strictEqual(result.status, 0, result.output.slice(0, 6000));
    const live = deployments();
    // Unknown when this test runs alone (--grep): then only the count is checked.
    if (expected) assert.deepStrictEqual(Object.keys(live).sort(), expected);
    else assert.ok(Object.keys(live).length >= 8, `only ${Object.keys(live)}`);
    assert.deepStrictEqual(Object.entries(live).filter(([, ok]) => !ok), [], "Deployments not Available");
}

function purgeCluster(): void {
    const down = cluster("down", "--purge");
    assert.strictEqual(down.status, 0, down.stderr);
}

/** Starts `stack.sh up` and kills it (SIGKILL, its whole process group, as an OOM kill or a CI timeout does) once `minObjects` of its objects exist. */
async function killedUp(workDir: string, minObjects: number): Promise<number> {
    const log = fs.openSync(path.join(workDir, "killed-up.log"), "w");
    const child = spawn("bash", [path.join(workDir, "scripts", "stack.sh"), "up"], {
        cwd: workDir, detached: true, stdio: ["ignore", log, log],
        env: { ...process.env, STACK: "dev", PULUMI_BACKEND_URL: `file://${path.join(workDir, ".state")}` },
    });
    const deadline = Date.now() + 600_000;
    try {
        for (;;) {
            const count = (() => { try { return labelled(STACK_OBJECTS).length; } catch { return 0; } })();
            if (count >= minObjects) return count;
            if (child.exitCode !== null) {
                throw new Error(`the up ended (${child.exitCode}) before ${minObjects} objects existed:\n${fs.readFileSync(path.join(workDir, "killed-up.log"), "utf8").slice(0, 6000)}`);
            }
            if (Date.now() > deadline) throw new Error("no objects appeared in time");
            await new Promise((r) => setTimeout(r, 500));
        }
    } finally {
        if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
    }
}

describe("make up converges on rerun", function () {
    let workDir: string;
    let expected: string[] | undefined;

    before(() => {
        workDir = projectCopy();
    });

    it("deploys the dev stack: every Deployment Available", function () {
        this.timeout(900_000);
        const up = stackScript(workDir, "up");
        assert.strictEqual(up.status, 0, up.output.slice(0, 6000));
        expected = Object.keys(deployments()).sort();
        assert.ok(expected.length >= 8, `only ${expected.length} Deployments: ${expected}`);
        assertUp(up, expected);
    });

    it("recreates a Deployment deleted behind Pulumi's back", function () {
        this.timeout(900_000);
        kubectl("delete", "deployment", "minio", "-n", "mlplat-storage", "--wait=true");
        assertUp(stackScript(workDir, "up"), expected);
    });

    it("after the local control plane is purged and recreated, drops the old cluster's objects and deploys anew", function () {
        this.timeout(900_000);
        purgeCluster();
        const up = stackScript(workDir, "up");
        assert.match(up.output, /local control plane was recreated/);
        assertUp(up, expected);
    });

    it("after an up killed half-way, clears the dead lock, takes back its own objects and converges", async function () {
        this.timeout(1_200_000);
        purgeCluster();
        clusterUp();
        const created = await killedUp(workDir, 15);
        const up = stackScript(workDir, "up");
        assert.match(up.output, /no longer runs/, "the stale lock is cleared");
        assert.match(up.output, /pending creates/);
        assert.doesNotMatch(up.output, /already exists/);
        assertUp(up, expected);
        assert.ok(created >= 15);
    });

    after(function () {
        this.timeout(900_000);
        if (workDir) stackScript(workDir, "destroy");
    });
});
