// Digest pinning (registry.mirror.pinDigests): with the image lock `make mirror` writes, mirror
// mode references every image by digest; an image the lock lacks fails the stack, named.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { lockKey, pinnedImage } from "../../components/registry";
import { configProblems, PROD_FIXTURE_LOCK, runStack, StackRun, stackFileConfig, tempKubeconfig } from "./harness";

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

    it("inventory mode (make mirror's preview) needs no lock, and ignores a broken one", async () => {
        const lockFile = writeLock({});
        fs.writeFileSync(lockFile, "{ not json");
        const inventory = path.join(path.dirname(lockFile), "inventory.json");
        process.env.MLPLAT_IMAGE_INVENTORY = inventory;
        try {
            const { ["registry.mirror.pinDigests"]: _, ...byDefault } = pinned(lockFile);
            const run = await runStack(byDefault);
            if (run.error) throw run.error;
        } finally {
            delete process.env.MLPLAT_IMAGE_INVENTORY;
        }
        const listed = JSON.parse(fs.readFileSync(inventory, "utf8")) as { source: string }[];
        assert.deepStrictEqual(listed.map((e) => e.source).sort(), [...SOURCES].sort());
    });

    it("pins by default in mirror mode: no pinDigests setting and no lock fails, naming the command", async () => {
        const { ["registry.mirror.pinDigests"]: _, ...byDefault } = pinned(path.join(os.tmpdir(), "mlplat-no-such-dir", "images.unit.lock"));
        const run = await runStack(byDefault);
        assert.match(run.error?.message ?? "", /registry\.mirror\.pinDigests is on, but there is no image lock/);
        assert.match(run.error!.message, /- docker\.io\/library\/postgres:16\.15-alpine\n/);
        assert.match(run.error!.message, /fix: make mirror STACK=unit/);
    });

    it("public mode is unchanged: the default is accepted, the opt-out refused as ignored", async () => {
        const dev = { ...stackFileConfig("dev"), "cluster.kubeconfig": KUBECONFIG };
        assert.deepStrictEqual(await configProblems({ ...dev, "registry.mirror.pinDigests": "true" }), []);
        const problems = await configProblems({ ...dev, "registry.mirror.pinDigests": "false" });
        assert.deepStrictEqual(problems, [["mlplat:registry.mirror.pinDigests", "is set but registry.mode is public, so it would be ignored"]]);
        const run = await runStack(dev);
        if (run.error) throw run.error;
        assert.ok(podImages(run).every((i) => !i.includes("@sha256:")), "public images by tag");
    });

    it("prod (mirror mode) renders only with its lock: the fixture's digests, or every image named", async () => {
        const prod = { ...stackFileConfig("prod"), "cluster.kubeconfig": KUBECONFIG, "registry.mirror.password": "p", "data.postgresql.external.dsn": "postgres://a:b@db:5432/x", "aiAppStore.keycloak.backendClientSecret": "s" };
        const secrets = ["registry.mirror.password", "data.postgresql.external.dsn", "aiAppStore.keycloak.backendClientSecret"];
        const fixture = JSON.parse(fs.readFileSync(PROD_FIXTURE_LOCK, "utf8")).images as Record<string, string>;
        const run = await runStack(prod, secrets);
        if (run.error) throw run.error;
        const images = podImages(run);
        assert.ok(images.length >= 5 && images.every((i) => /^registry\.corp:5000\/mlplat\/[^@:]+@sha256:[0-9a-f]{64}$/.test(i)), images.join(" "));
        assert.deepStrictEqual([...new Set(images.map((i) => i.split("@")[1]))].sort(), Object.values(fixture).sort());
        const missing = await runStack({ ...prod, "registry.mirror.lockFile": path.join(os.tmpdir(), "mlplat-no-such-dir", "images.prod.lock") }, secrets);
        for (const source of Object.keys(fixture)) assert.ok(missing.error?.message.includes(`  - ${source}\n`), `${source} not named: ${missing.error?.message}`);
        assert.match(missing.error!.message, new RegExp(`for ${Object.keys(fixture).length} image\\(s\\)[^]*fix: make mirror STACK=unit`));
    });
});
