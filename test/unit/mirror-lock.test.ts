// Digest pinning (registry.mirror.pinDigests): with the image lock `make mirror` writes, mirror
// mode references every image by digest; an image the lock lacks fails the stack, named.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { lockKey, pinnedImage } from "../../components/registry";
import { configProblems, runStack, StackRun, stackFileConfig, tempKubeconfig } from "./harness";

const KUBECONFIG = tempKubeconfig();
const digest = (n: number) => `sha256:${n.toString(16).padStart(2, "0").repeat(32)}`;
// The dev stack's images by source (all on Docker Hub), read from its unpinned mirror-mode run in before().
let SOURCES: string[] = [];
let FULL_LOCK: Record<string, string> = {};

function writeLock(images: Record<string, string>): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-lock-")), "images.unit.lock");
    fs.writeFileSync(file, JSON.stringify({ images }));
    return file;
}
const pinned = (lockFile: string, extra: Record<string, string> = {}) => ({
    ...stackFileConfig("dev"), "cluster.kubeconfig": KUBECONFIG,
    "registry.mode": "mirror", "registry.mirror.host": "registry.corp:5000", "registry.mirror.pathPrefix": "mlplat",
    "registry.mirror.pinDigests": "true", "registry.mirror.lockFile": lockFile, ...extra,
});

function podImages(run: StackRun): string[] {
    const out: string[] = [];
    const walk = (o: any) => {
        if (!o || typeof o !== "object") return;
        if (Array.isArray(o.containers)) for (const c of [...o.containers, ...(o.initContainers ?? [])]) out.push(c.image);
        else Object.values(o).forEach(walk);
    };
    for (const r of run.resources) if (r.type.startsWith("kubernetes:")) walk(r.inputs?.spec);
    return out;
}

describe("image lock: references by digest", function () {
    this.timeout(30_000);
    before(async function () {
        const run = await runStack(pinned("unused", { "registry.mirror.pinDigests": "false" }));
        if (run.error) throw run.error;
        SOURCES = (run.outputs.images as string[]).map((i) => i.replace("registry.corp:5000/mlplat/", "docker.io/"));
        assert.ok(SOURCES.includes("docker.io/library/postgres:16.15-alpine") && SOURCES.includes("docker.io/library/redis:7.4.11-alpine"), SOURCES.join(" "));
        FULL_LOCK = Object.fromEntries(SOURCES.map((src, i) => [src, digest(i + 1)]));
    });

    it("keys images whatever way they are spelled, and pins the mirror reference", () => {
        assert.strictEqual(lockKey("postgres:16.4"), "docker.io/library/postgres:16.4");
        assert.strictEqual(lockKey("index.docker.io/bitnami/redis:7"), "docker.io/bitnami/redis:7");
        const lock = { file: "x", images: { "docker.io/library/postgres:16.4": digest(7) } };
        const mirror = { host: "registry.corp:5000", pathPrefix: "m" };
        assert.strictEqual(pinnedImage("postgres:16.4", mirror, lock), `registry.corp:5000/m/library/postgres@${digest(7)}`);
        assert.strictEqual(pinnedImage("postgres:16.5", mirror, lock), undefined, "another tag is another image");
        assert.strictEqual(pinnedImage(`quay.io/x/y@${digest(9)}`, mirror, lock), `registry.corp:5000/m/x/y@${digest(9)}`, "a digest needs no entry");
    });

    it("references every pod image of the dev stack in mirror mode by the lock's digest", async () => {
        const run = await runStack(pinned(writeLock(FULL_LOCK)));
        if (run.error) throw run.error;
        const images = podImages(run);
        assert.ok(images.length >= 10, images.join(" "));
        for (const image of images) {
            const m = /^registry\.corp:5000\/mlplat\/(.+)@(sha256:[0-9a-f]{64})$/.exec(image);
            assert.ok(m, `${image} is not a mirror reference by digest`);
            const source = SOURCES.find((s) => s.slice("docker.io/".length).startsWith(`${m![1]}:`));
            assert.strictEqual(m![2], FULL_LOCK[source!], image);
        }
        assert.deepStrictEqual(run.outputs.images, SOURCES.map((s) => `registry.corp:5000/mlplat/${s.slice("docker.io/".length).replace(/:.*/, "")}@${FULL_LOCK[s]}`).sort());
    });

    it("fails naming every image the lock lacks, and a changed tag, with the command to run", async () => {
        const { ["docker.io/library/redis:7.4.11-alpine"]: _, ...partial } = FULL_LOCK;
        const run = await runStack(pinned(writeLock(partial), { "data.postgresql.image": "postgres:16.16-alpine" }));
        assert.ok(run.error, "the stack must fail");
        const msg = run.error!.message;
        assert.match(msg, /has no digest for 2 image\(s\)/);
        assert.match(msg, /- docker\.io\/library\/postgres:16\.16-alpine\n/);
        assert.match(msg, /- docker\.io\/library\/redis:7\.4\.11-alpine\n/);
        assert.match(msg, /make mirror STACK=unit/);
    });

    it("fails without a lock file, and leaves the lock out unless pinDigests is on", async () => {
        const missing = path.join(os.tmpdir(), "mlplat-no-such-dir", "images.unit.lock");
        const run = await runStack(pinned(missing));
        assert.match(run.error?.message ?? "", new RegExp(`there is no image lock .*images\\.unit\\.lock for ${SOURCES.length} image\\(s\\)`));
        const off = await runStack(pinned(missing, { "registry.mirror.pinDigests": "false" }));
        if (off.error) throw off.error;
        assert.ok(podImages(off).every((i) => /^registry\.corp:5000\/mlplat\/[^@]+:[^@]+$/.test(i)), "tags, not digests");
    });

    it("refuses pinDigests in public mode (public mode is unchanged)", async () => {
        const problems = await configProblems({ ...stackFileConfig("dev"), "cluster.kubeconfig": KUBECONFIG, "registry.mirror.pinDigests": "true" });
        assert.ok(problems.some(([key]) => key === "mlplat:registry.mirror.pinDigests"), JSON.stringify(problems));
    });
});
