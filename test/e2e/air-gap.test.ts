// Air gap end to end (docs/air-gap.md): the dev stack in mirror mode against a loopback,
// authenticated mirror, with the image lock in force (registry.mirror.pinDigests, its default).
// A "public" source registry is seeded with a tiny image at each source the stack names
// (through MLPLAT_MIRROR_SOURCE_MAP); make mirror copies them and writes the lock; pulumi up
// deploys with every image referenced by the lock's digest; a changed tag stops the preview
// until make mirror is run again, then rolls exactly that Deployment. The local control plane
// pulls no image, so the references are checked in the API server, not run.
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { authFront, craneBin, Running, serveRegistry } from "../mirror/registries";
import { E2E_CLUSTER_DIR, kubectl, projectCopy, ROOT, toolEnv } from "./env";

const USER = "mlplat-pull";
const PASSWORD = "air-gap-e2e-password-4b7e";
const PREFIX = "mlplat";
const CLASSIFIER = "mlplat:modelServing.models.classifier.image";
const NEW_CLASSIFIER = "hashicorp/http-echo:1.0.1";
const WORKLOADS = ["Deployment", "StatefulSet", "Job", "CronJob"];

interface Listed { kind: "image" | "chart"; source: string; from?: string; target: string }

describe("air gap: the dev stack from a loopback mirror, pinned by the lock", function () {
    let stack: Stack;
    let workDir = "";
    let crane = "";
    let source: Running, mirrorBackend: Running, mirror: Running;
    const running: Running[] = [];
    let stackEnv: Record<string, string> = {};
    let listed: Listed[] = [];
    const log = (s: string) => process.env.MLPLAT_E2E_VERBOSE && process.stdout.write(s);

    /** crane with an empty Docker config (no developer credentials). */
    const c = (...args: string[]) => execFileSync(crane, args, { encoding: "utf8", env: { ...process.env, DOCKER_CONFIG: path.join(workDir, ".docker") }, stdio: ["ignore", "pipe", "pipe"] }).trim();
    /** Where the source registry holds a public image: each public registry under its own name. */
    const sourceMap = () => Object.fromEntries([...new Set(listed.map((l) => l.source.split("/")[0]))].map((r) => [`${r}/`, `${source.host}/${r}/`]));
    const mirrorSh = (...args: string[]) => {
        const res = spawnSync("bash", [path.join(ROOT, "scripts", "mirror.sh"), ...args], {
            encoding: "utf8", maxBuffer: 64 << 20,
            env: { ...process.env, ...stackEnv, MLPLAT_PROJECT_DIR: workDir, DOCKER_CONFIG: path.join(workDir, ".docker"), MLPLAT_MIRROR_SOURCE_MAP: JSON.stringify(sourceMap()) },
        });
        assert.ok(!`${res.stdout}${res.stderr}`.includes(PASSWORD), "the mirror password was printed");
        assert.strictEqual(res.status, 0, `mirror.sh ${args.join(" ")}:\n${res.stderr}`);
        return res.stdout;
    };
    /** A one-layer image (a file naming it, so every image has its own digest) at `ref`. */
    const seed = (ref: string) => {
        const dir = fs.mkdtempSync(path.join(workDir, ".layer-"));
        fs.writeFileSync(path.join(dir, "image.txt"), ref);
        execFileSync("tar", ["-C", dir, "-cf", `${dir}.tar`, "."]);
        c("append", "--oci-empty-base", "-f", `${dir}.tar`, "-t", ref);
    };
    const mapped = (image: string) => `${source.host}/${image}`;
    const lock = () => JSON.parse(fs.readFileSync(path.join(workDir, "images.dev.lock"), "utf8")) as { images: Record<string, string> };
    /** The mirror reference pinned by digest of a listed image. */
    const pinned = (l: Listed, digest: string) => `${l.target.replace(/:[^:/]+$/, "")}@${digest}`;

    before(async function () {
        this.timeout(600_000);
        Object.assign(process.env, toolEnv());
        crane = craneBin();
        workDir = projectCopy();
        fs.mkdirSync(path.join(workDir, ".docker"));
        fs.writeFileSync(path.join(workDir, ".docker", "config.json"), "{}");
        source = await serveRegistry(crane);
        mirrorBackend = await serveRegistry(crane);
        mirror = await authFront(mirrorBackend.host, USER, PASSWORD);
        running.push(source, mirrorBackend, mirror);
        stackEnv = {
            PULUMI_BACKEND_URL: `file://${path.join(workDir, ".state")}`,
            PULUMI_CONFIG_PASSPHRASE: "mlplat-dev", // the public dev passphrase of Pulumi.dev.yaml's salt
            MLPLAT_LOCAL_CLUSTER_DIR: E2E_CLUSTER_DIR,
        };
        stack = await LocalWorkspace.createOrSelectStack({ stackName: "dev", workDir }, { envVars: stackEnv });
        await stack.setAllConfig({
            "mlplat:registry.mode": { value: "mirror" },
            "mlplat:registry.mirror.host": { value: mirror.host },
            "mlplat:registry.mirror.pathPrefix": { value: PREFIX },
            "mlplat:registry.mirror.username": { value: USER },
            "mlplat:registry.mirror.password": { value: PASSWORD, secret: true },
            "mlplat:storage.minio.rootPassword": { value: "air-gap-e2e-minio-root-91d2", secret: true },
        });
        // What the stack deploys (make mirror-list), then every image seeded at its mapped source.
        listed = JSON.parse(mirrorSh("list", "dev")) as Listed[];
        for (const l of listed) seed(mapped(l.source));
    });

    after(async function () {
        this.timeout(900_000);
        if (stack) await stack.destroy({ onOutput: log }).catch((e) => console.error(`    cleanup destroy failed: ${e}`));
        for (const r of running) r.stop();
    });

    it("make mirror-list names every image of the dev stack, each relocated under the mirror's prefix", () => {
        assert.ok(listed.length >= 8, JSON.stringify(listed));
        assert.ok(listed.every((l) => l.kind === "image"), "the dev stack installs no chart");
        assert.ok(listed.some((l) => l.source === "docker.io/hashicorp/http-echo:1.0.0"), JSON.stringify(listed));
        for (const l of listed) assert.strictEqual(l.target, `${mirror.host}/${PREFIX}/${l.source.slice(l.source.indexOf("/") + 1)}`);
    });

    it("without a lock, the preview fails naming every image and make mirror STACK=dev", async function () {
        this.timeout(900_000);
        const err = await stack.preview().then(() => undefined, (e: Error) => e);
        assert.ok(err, "the preview must fail");
        const msg = String(err!.message);
        assert.match(msg, new RegExp(`there is no image lock \\S*images\\.dev\\.lock for ${listed.length} image\\(s\\) of stack dev`));
        for (const l of listed) assert.ok(msg.includes(`  - ${l.source}\n`), `${l.source} named`);
        assert.match(msg, /fix: make mirror STACK=dev/);
    });

    it("make mirror copies every image into the mirror and locks the source digests", function () {
        this.timeout(600_000);
        mirrorSh("mirror", "dev");
        const images = lock().images;
        assert.deepStrictEqual(Object.keys(images).sort(), listed.map((l) => l.source).sort());
        for (const l of listed) {
            assert.strictEqual(images[l.source], c("digest", mapped(l.source)), `${l.source}: the lock holds the source's digest`);
            // The mirror's backend holds it (the front refuses crane without credentials).
            assert.strictEqual(c("digest", l.target.replace(mirror.host, mirrorBackend.host)), images[l.source], `${l.target} in the mirror`);
        }
    });

    it("pulumi up deploys every workload with images by the lock's digest and the pull secret", async function () {
        this.timeout(900_000);
        const up = await stack.up({ onOutput: log });
        assert.strictEqual(up.summary.result, "succeeded");
        const expected = new Set(listed.map((l) => pinned(l, lock().images[l.source])));
        assert.deepStrictEqual([...new Set(up.outputs.images.value as string[])].sort(), [...expected].sort());
        const live = await workloads();
        assert.ok(live.length >= 8, `${live.length} workloads`);
        for (const w of live) {
            for (const image of w.images) assert.ok(expected.has(image), `${w.id}: ${image} is not a mirror reference by the lock's digest`);
            assert.deepStrictEqual(w.pullSecrets, ["mlplat-registry"], w.id);
        }
        const namespaces = new Set(live.map((w) => w.id.split(" ")[1].split("/")[0]));
        const pods = kubectl("get", "pods", "-A", "-o", "json").items.filter((p: any) => namespaces.has(p.metadata.namespace));
        assert.ok(pods.length > 0, "the workloads have pods");
        for (const p of pods) {
            assert.deepStrictEqual((p.spec.imagePullSecrets ?? []).map((s: any) => s.name), ["mlplat-registry"], p.metadata.name);
            for (const ctr of [...p.spec.containers, ...(p.spec.initContainers ?? [])]) assert.ok(expected.has(ctr.image), `pod ${p.metadata.name}: ${ctr.image}`);
        }
    });

    it("a changed model image without a refreshed lock stops the preview, naming it; the cluster is unchanged", async function () {
        this.timeout(900_000);
        const before = generations(await workloads());
        await stack.setConfig(CLASSIFIER, { value: NEW_CLASSIFIER });
        const err = await stack.preview().then(() => undefined, (e: Error) => e);
        assert.ok(err, "the preview must fail");
        assert.match(String(err!.message), /has no digest for 1 image\(s\) of stack dev[^]*  - docker\.io\/hashicorp\/http-echo:1\.0\.1\n[^]*fix: make mirror STACK=dev/);
        assert.deepStrictEqual(generations(await workloads()), before);
    });

    it("after make mirror, up rolls exactly the classifier's Deployment to the new digest", async function () {
        this.timeout(900_000);
        const newSource = "docker.io/hashicorp/http-echo:1.0.1";
        listed = JSON.parse(mirrorSh("list", "dev")) as Listed[];
        assert.ok(listed.some((l) => l.source === newSource), "the list has the new tag");
        seed(mapped(newSource));
        mirrorSh("mirror", "dev");
        const digest = lock().images[newSource];
        assert.strictEqual(digest, c("digest", mapped(newSource)));
        const before = generations(await workloads());
        const updates: string[] = [];
        const onEvent = (e: EngineEvent) => {
            const m = e.resourcePreEvent?.metadata;
            if (m && m.op !== "same" && m.op !== "read") updates.push(`${m.op} ${m.type}`);
        };
        const up = await stack.up({ onOutput: log, onEvent });
        assert.strictEqual(up.summary.result, "succeeded");
        assert.deepStrictEqual(updates, ["update kubernetes:apps/v1:Deployment"], updates.join("\n"));
        const after = generations(await workloads());
        const rolled = Object.keys(after).filter((id) => after[id] !== before[id]);
        assert.strictEqual(rolled.length, 1, `rolled: ${rolled.join(", ")}`);
        const [kind, id] = rolled[0].split(" ");
        const [ns, name] = id.split("/");
        const deployment = kubectl("get", kind, name, "-n", ns, "-o", "json");
        assert.deepStrictEqual(deployment.spec.template.spec.containers.map((x: any) => x.image), [`${mirror.host}/${PREFIX}/hashicorp/http-echo@${digest}`]);
    });

    /** The stack's workloads (from its state) as they are in the API server: their pod templates' images and pull secrets. */
    async function workloads(): Promise<{ id: string; images: string[]; pullSecrets: string[]; generation: number }[]> {
        const state = await stack.exportStack();
        const ids = new Set((state.deployment.resources ?? [])
            .filter((r: any) => r.custom && WORKLOADS.includes(r.outputs?.kind) && r.outputs?.metadata?.name)
            .map((r: any) => `${r.outputs.kind} ${r.outputs.metadata.namespace}/${r.outputs.metadata.name}`));
        const items = kubectl("get", "deployments,statefulsets,jobs,cronjobs", "-A", "-o", "json").items as any[];
        const found = items.map((o) => ({ o, id: `${o.kind} ${o.metadata.namespace}/${o.metadata.name}` })).filter(({ id }) => ids.has(id));
        assert.strictEqual(found.length, ids.size, `in the API server: ${found.map((f) => f.id).join(", ")} of ${[...ids].join(", ")}`);
        return found.map(({ o, id }) => {
            const spec = o.kind === "CronJob" ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec;
            return {
                id, generation: o.metadata.generation,
                images: [...spec.containers, ...(spec.initContainers ?? [])].map((x: any) => x.image),
                pullSecrets: (spec.imagePullSecrets ?? []).map((s: any) => s.name),
            };
        });
    }
});

const generations = (ws: { id: string; generation: number }[]) => Object.fromEntries(ws.map((w) => [w.id, w.generation]));
