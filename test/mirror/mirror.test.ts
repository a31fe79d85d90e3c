// make mirror / mirror-export / mirror-import (scripts/mirror.sh) for real, on loopback: a
// "public" source registry seeded with images built here (one single-arch, one multi-arch
// index, one larger) and the fixture chart as an OCI artifact; an authenticated mirror; a stack
// whose config points at them (a real pulumi stack in a temporary project, its mirror password
// a secret). The stack's public ingress-nginx chart repository is read from the source registry
// through MLPLAT_MIRROR_SOURCE_MAP (the pull-through-cache setting).
import * as assert from "assert";
import { execFileSync, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeChartLayout } from "../../scripts/mirror/chart";
import { runStack } from "../unit/harness";
import { authFront, craneBin, ROOT, Running, serveRegistry } from "./registries";

const STACK = "mirrortest";
const USER = "pusher";
const PASSWORD = "mirror-test-password-5e1b";
const CHART_VERSION = "4.12.1"; // ingress.nginx.chartVersion's default

describe("make mirror on loopback registries", function () {
    this.timeout(180_000);
    let crane = "";
    let work = "";
    let project = "";
    let source: Running, mirrorBackend: Running, mirror: Running;
    const stopped: Running[] = [];
    const env = () => ({
        ...process.env, MLPLAT_PROJECT_DIR: project, PULUMI_BACKEND_URL: `file://${project}/state`, PULUMI_CONFIG_PASSPHRASE: "mirror-test",
        MLPLAT_MIRROR_PREVIEW: "0", MLPLAT_MIRROR_SOURCE_MAP: JSON.stringify({ "https://kubernetes.github.io/ingress-nginx": `oci://${source.host}/charts` }),
    });
    /** scripts/mirror.sh; returns exit code and output (the password must never appear in it). */
    const run = (...args: string[]) => {
        const res = spawnSync("bash", [path.join(ROOT, "scripts", "mirror.sh"), ...args], { encoding: "utf8", env: env() });
        const out = `${res.stdout}${res.stderr}`;
        assert.ok(!out.includes(PASSWORD), "the mirror password was printed");
        if (process.env.MLPLAT_MIRROR_TEST_LOG) fs.appendFileSync(process.env.MLPLAT_MIRROR_TEST_LOG, `$ mirror.sh ${args.join(" ")}\n${out}`);
        return { code: res.status, out };
    };
    const c = (...args: string[]) => execFileSync(crane, args, { encoding: "utf8", env: { ...process.env, DOCKER_CONFIG: path.join(work, "docker") } }).trim();
    const pulumi = (...args: string[]) => execFileSync("bash", ["-c", `source "${ROOT}/scripts/env.sh" && cd "${project}" && pulumi "$@"`, "pulumi", ...args],
        { encoding: "utf8", env: env() });
    const stackFile = (extra: Record<string, string>) => fs.writeFileSync(path.join(project, `Pulumi.${STACK}.yaml`), `${fs.readFileSync(path.join(project, "base.yaml"), "utf8")}
${Object.entries({ ...baseConfig(), ...extra }).map(([k, v]) => `  mlplat:${k}: "${v}"`).join("\n")}\n`);
    const baseConfig = () => ({
        "cluster.kind": "existing", "cluster.kubeconfig": path.join(work, "kubeconfig"), "storage.kind": "none",
        "registry.mode": "mirror", "registry.mirror.host": mirror.host, "registry.mirror.pathPrefix": "mlplat", "registry.mirror.username": USER,
        "registry.chartMirror": `oci://${mirror.host}/charts`, "ingress.controller": "install",
        "modelServing.enabled": "true", "modelServing.nodeAddress": "127.0.1.1",
        "modelServing.models.app.image": `${source.host}/team/app:1.0`, "modelServing.models.big.image": `${source.host}/team/big:1.0`,
        "modelServing.models.multi.image": `${source.host}/team/multi:2.0`,
    });
    const images = () => ["team/app:1.0", "team/big:1.0", "team/multi:2.0"];
    const lock = () => JSON.parse(fs.readFileSync(path.join(project, `images.${STACK}.lock`), "utf8"));

    /** A one-layer image from `files`, pushed to `ref`; `platform` sets os/arch in its config. */
    const pushImage = (ref: string, files: Record<string, Buffer | string>, platform?: string) => {
        const dir = fs.mkdtempSync(path.join(work, "layer-"));
        for (const [f, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), data);
        execFileSync("tar", ["-C", dir, "-cf", `${dir}.tar`, "."]);
        c("append", "--oci-empty-base", "-f", `${dir}.tar`, "-t", ref);
        if (platform) c("mutate", ref, "--set-platform", platform, "-t", ref);
    };

    before(async function () {
        this.timeout(600_000);
        crane = craneBin();
        work = fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-mirror-test-"));
        fs.mkdirSync(path.join(work, "docker"));
        fs.writeFileSync(path.join(work, "docker", "config.json"), "{}");
        // No cluster: a preview must not need one (the port is closed).
        fs.writeFileSync(path.join(work, "kubeconfig"), "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \"https://127.0.0.1:9\"}}]\n"
            + "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n");
        source = await serveRegistry(crane);
        mirrorBackend = await serveRegistry(crane);
        mirror = await authFront(mirrorBackend.host, USER, PASSWORD);
        stopped.push(source, mirrorBackend, mirror);
        pushImage(`${source.host}/team/app:1.0`, { "app.txt": "app v1" });
        pushImage(`${source.host}/team/big:1.0`, { "weights.bin": crypto.randomBytes(8 << 20) });
        pushImage(`${source.host}/team/multi:amd64`, { "bin": "amd64 build" }, "linux/amd64");
        pushImage(`${source.host}/team/multi:arm64`, { "bin": "arm64 build" }, "linux/arm64");
        c("index", "append", "-m", `${source.host}/team/multi:amd64`, "-m", `${source.host}/team/multi:arm64`, "-t", `${source.host}/team/multi:2.0`);
        // The fixture chart, as ingress-nginx 4.12.1, packaged and pushed as an OCI artifact where the source map points.
        const charts = path.join(work, "charts");
        fs.cpSync(path.join(ROOT, "test", "fixtures", "charts", "demo"), path.join(charts, "ingress-nginx"), { recursive: true });
        const chartYaml = path.join(charts, "ingress-nginx", "Chart.yaml");
        fs.writeFileSync(chartYaml, fs.readFileSync(chartYaml, "utf8").replace(/^name: .*$/m, "name: ingress-nginx").replace(/^version: .*$/m, `version: ${CHART_VERSION}`));
        const tgz = execFileSync("tar", ["-C", charts, "-czf", "-", "ingress-nginx"]);
        const layout = path.join(work, "chart-layout");
        writeChartLayout(tgz, layout);
        c("push", layout, `${source.host}/charts/ingress-nginx:${CHART_VERSION}`);
        // A temporary copy of the program (a preview runs it), a file backend, the password set as a secret.
        project = path.join(work, "project");
        fs.mkdirSync(path.join(project, "state"), { recursive: true });
        for (const f of ["Pulumi.yaml", "index.ts", "tsconfig.json", "package.json"]) fs.copyFileSync(path.join(ROOT, f), path.join(project, f));
        for (const d of ["components", "stacks"]) fs.cpSync(path.join(ROOT, d), path.join(project, d), { recursive: true });
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(project, "node_modules"));
        pulumi("stack", "init", STACK, "--secrets-provider", "passphrase");
        pulumi("config", "set", "--secret", "registry.mirror.password", PASSWORD);
        fs.copyFileSync(path.join(project, `Pulumi.${STACK}.yaml`), path.join(project, "base.yaml"));
        stackFile({});
    });

    after(() => {
        for (const r of stopped) r.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("the mirror refuses anonymous and wrong credentials, and a refused push names every image and chart", () => {
        assert.throws(() => c("digest", `${mirror.host}/anything:1`), /401|UNAUTHORIZED|authentication/i);
        fs.writeFileSync(path.join(work, "docker", "config.json"), JSON.stringify({ auths: { [mirror.host]: { auth: Buffer.from(`${USER}:wrong`).toString("base64") } } }));
        const res = spawnSync("bash", [path.join(ROOT, "scripts", "mirror.sh"), "mirror", STACK], { encoding: "utf8", env: { ...env(), MLPLAT_MIRROR_AUTH: "docker", DOCKER_CONFIG: path.join(work, "docker") } });
        fs.writeFileSync(path.join(work, "docker", "config.json"), "{}");
        assert.strictEqual(res.status, 1, res.stderr);
        for (const i of images()) assert.ok(res.stderr.includes(`FAILED image ${source.host}/${i} → `), `${i} named: ${res.stderr}`);
        assert.match(res.stderr, /FAILED chart https:\/\/kubernetes\.github\.io\/ingress-nginx ingress-nginx 4\.12\.1/);
        assert.match(res.stderr, /4 of them failed/);
    });

    it("copies every image (multi-arch index kept) and the chart, resumes after a killed run, and writes the lock", async () => {
        // First run, killed as soon as the first copy is recorded.
        const proc = spawn("bash", [path.join(ROOT, "scripts", "mirror.sh"), "mirror", STACK], { env: env(), detached: true, stdio: ["ignore", "ignore", "pipe"] });
        let first = "";
        await new Promise<void>((resolve) => {
            proc.stderr!.on("data", (d) => {
                first += d.toString();
                if (/\[1\/4\] .* → /.test(first)) { try { process.kill(-proc.pid!, "SIGKILL"); } catch { /* gone */ } }
            });
            proc.on("exit", () => resolve());
        });
        assert.match(first, /\[1\/4\] https:\/\/kubernetes\.github\.io\/ingress-nginx ingress-nginx 4\.12\.1 → /);
        const stateFile = path.join(project, ".local", "mirror", `${STACK}.state.jsonl`);
        const recorded = fs.readFileSync(stateFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
        assert.ok(recorded.length >= 1 && recorded.length < 4, `killed after ${recorded.length} copies`);
        // Only verified copies are recorded: each is in the mirror with its digest.
        const digestIn = (ref: string) => execFileSync(crane, ["digest", ref], { encoding: "utf8", env: { ...process.env, DOCKER_CONFIG: authDir() } }).trim();
        for (const r of recorded) assert.strictEqual(digestIn(r.target), r.digest);

        const second = run("mirror", STACK);
        assert.strictEqual(second.code, 0, second.out);
        assert.match(second.out, /resuming: \d done before/);
        for (const r of recorded) assert.ok(second.out.includes(`${r.source}: already copied`), second.out);
        assert.match(second.out, /\[\d\/4\] docker\.io\/.*|\[\d\/4\] 127\.0\.0\.1:\d+\/team\/multi:2\.0 → /);
        assert.ok(!fs.existsSync(stateFile), "a complete run leaves no state");

        // Every manifest and digest in the mirror equals the source's; the index keeps both platforms.
        for (const i of images()) assert.strictEqual(digestIn(`${mirror.host}/mlplat/team/${i.slice(5)}`), c("digest", `${source.host}/${i}`), i);
        const index = JSON.parse(execFileSync(crane, ["manifest", `${mirror.host}/mlplat/team/multi:2.0`], { encoding: "utf8", env: { ...process.env, DOCKER_CONFIG: authDir() } }));
        assert.deepStrictEqual(index.manifests.map((m: any) => `${m.platform.os}/${m.platform.architecture}`).sort(), ["linux/amd64", "linux/arm64"]);
        for (const m of index.manifests) assert.strictEqual(digestIn(`${mirror.host}/mlplat/team/multi@${m.digest}`), m.digest);
        const chart = `${mirror.host}/charts/ingress-nginx:${CHART_VERSION}`;
        assert.strictEqual(digestIn(chart), c("digest", `${source.host}/charts/ingress-nginx:${CHART_VERSION}`));
        const chartManifest = JSON.parse(execFileSync(crane, ["manifest", chart], { encoding: "utf8", env: { ...process.env, DOCKER_CONFIG: authDir() } }));
        assert.strictEqual(chartManifest.config.mediaType, "application/vnd.cncf.helm.config.v1+json");

        // The lock: each source image (as the stack names it) → its digest; the chart too.
        const l = lock();
        assert.deepStrictEqual(Object.keys(l.images), images().map((i) => `${source.host}/${i}`));
        for (const i of images()) assert.strictEqual(l.images[`${source.host}/${i}`], c("digest", `${source.host}/${i}`));
        assert.deepStrictEqual(l.charts, { [`oci://${chart}`]: digestIn(chart) });
    });

    it("renders the stack with every image referenced by the lock's digest", async () => {
        const config = { ...baseConfig(), "registry.mirror.password": PASSWORD, "registry.mirror.pinDigests": "true", "registry.mirror.lockFile": path.join(project, `images.${STACK}.lock`) };
        const stack = await runStack(config, ["registry.mirror.password"]);
        if (stack.error) throw stack.error;
        const l = lock();
        assert.deepStrictEqual(stack.outputs.images, images().map((i) => `${mirror.host}/mlplat/${i.replace(/:.*/, "")}@${l.images[`${source.host}/${i}`]}`));
        const deployments = stack.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment");
        assert.deepStrictEqual(deployments.map((d) => d.inputs.spec.template.spec.containers[0].image).sort(), stack.outputs.images);
    });

    it("names a missing source image, copies the rest, and exits nonzero", () => {
        stackFile({ "modelServing.models.gone.image": `${source.host}/team/gone:3.0` });
        try {
            const res = run("mirror", STACK);
            assert.strictEqual(res.code, 1, res.out);
            assert.match(res.out, new RegExp(`FAILED image ${source.host.replace(/[.]/g, "\\.")}/team/gone:3\\.0: cannot read the source`));
            assert.match(res.out, /1 of them failed/);
            assert.deepStrictEqual(Object.keys(lock().images), images().map((i) => `${source.host}/${i}`), "the lock holds what was copied");
        } finally {
            stackFile({});
        }
    });

    it("exports a bundle and imports it into another mirror, verifying every digest", async () => {
        const bundle = path.join(work, "bundle.tar");
        const exp = run("export", STACK, bundle);
        assert.strictEqual(exp.code, 0, exp.out);
        const manifest = JSON.parse(execFileSync("tar", ["-xOf", bundle, "./manifest.json"], { encoding: "utf8" }));
        assert.deepStrictEqual(manifest.items.map((i: any) => i.path), [`ingress-nginx:${CHART_VERSION}`, ...images()]);
        // The disconnected side: a new mirror (anonymous here), the same stack pointing at it.
        const second = await serveRegistry(crane);
        stopped.push(second);
        stackFile({ "registry.mirror.host": second.host, "registry.chartMirror": `oci://${second.host}/charts` });
        try {
            const imp = run("import", STACK, bundle);
            assert.strictEqual(imp.code, 0, imp.out);
            for (const item of manifest.items) {
                const ref = item.kind === "chart" ? `${second.host}/charts/${item.path}` : `${second.host}/mlplat/${item.path}`;
                assert.strictEqual(c("digest", ref), item.digest, ref);
            }
            assert.strictEqual(JSON.parse(c("manifest", `${second.host}/mlplat/team/multi:2.0`)).manifests.length, 2);
            // A bundle whose recorded digest does not match what it holds is refused, naming the item.
            const bad = path.join(work, "bad");
            fs.mkdirSync(bad);
            execFileSync("tar", ["-xf", bundle, "-C", bad]);
            manifest.items[1].digest = `sha256:${"0".repeat(64)}`;
            fs.writeFileSync(path.join(bad, "manifest.json"), JSON.stringify(manifest));
            execFileSync("tar", ["-cf", `${bad}.tar`, "-C", bad, "."]);
            fs.rmSync(path.join(project, `images.${STACK}.lock`));
            const refused = run("import", STACK, `${bad}.tar`);
            assert.strictEqual(refused.code, 1, refused.out);
            assert.match(refused.out, new RegExp(`FAILED image ${source.host.replace(/[.]/g, "\\.")}/team/app:1\\.0: the mirror holds sha256:[0-9a-f]{64} after the push, the bundle sha256:0{64}`));
        } finally {
            stackFile({});
        }
    });

    it("previews a stack with charts for the images they render (the chart read from its source), and copies those too", () => {
        // The chart renders Docker Hub images: the source map reads them from the source registry.
        const rendered = ["bitnami/kubectl:1.33.4", "library/busybox:1.36.1", "library/nginx:1.27.3"];
        for (const i of rendered) pushImage(`${source.host}/hub/${i}`, { "image.txt": i });
        const map = JSON.parse(env().MLPLAT_MIRROR_SOURCE_MAP!);
        const res = spawnSync("bash", [path.join(ROOT, "scripts", "mirror.sh"), "mirror", STACK], {
            encoding: "utf8", env: { ...env(), MLPLAT_MIRROR_PREVIEW: "1", MLPLAT_MIRROR_SOURCE_MAP: JSON.stringify({ ...map, "docker.io/": `${source.host}/hub/` }) },
        });
        assert.strictEqual(res.status, 0, res.stderr);
        assert.match(res.stderr, /previewing it for the images they render/);
        const l = lock();
        for (const i of rendered) {
            assert.strictEqual(l.images[`docker.io/${i}`], c("digest", `${source.host}/hub/${i}`), i);
            assert.strictEqual(execFileSync(crane, ["digest", `${mirror.host}/mlplat/${i}`], { encoding: "utf8", env: { ...process.env, DOCKER_CONFIG: authDir() } }).trim(), l.images[`docker.io/${i}`]);
        }
        assert.strictEqual(Object.keys(l.images).length, images().length + rendered.length);
    });

    it("stops a real preview (pinDigests left at its default, on) when an image has no lock entry, naming it and the command", function () {
        // No chart (a chart would be pulled from the mirror), no cluster: the engine's own preview,
        // slow against an unreachable cluster (170 s measured on a loaded 2-core machine).
        this.timeout(420_000);
        stackFile({ "ingress.controller": "none", "registry.chartMirror": "", "registry.mirror.lockFile": "no-such.lock" });
        try {
            const res = spawnSync("bash", ["-c", `source "${ROOT}/scripts/env.sh" && cd "${project}" && pulumi preview --stack ${STACK} --non-interactive`], { encoding: "utf8", env: env() });
            const out = `${res.stdout}${res.stderr}`;
            assert.notStrictEqual(res.status, 0, out);
            assert.match(out, /there is no image lock \S*no-such\.lock for 3 image\(s\) of stack mirrortest/);
            for (const i of images()) assert.ok(out.includes(`- ${source.host}/${i}`), `${i} named: ${out}`);
            assert.match(out, /fix: make mirror STACK=mirrortest/);
        } finally {
            stackFile({});
        }
    });

    /** A DOCKER_CONFIG with the mirror's credentials, for the test's own reads. */
    function authDir(): string {
        const dir = path.join(work, "auth");
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ auths: { [mirror.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString("base64") } } }));
        return dir;
    }
});
