// `make model-image` (scripts/model-image.sh, crane) against a registry on loopback
// (`crane registry serve`): the model becomes one layer on the server base image, the
// config gets the user, port and MODEL_PATH, the push is by digest, and the digest is
// stable for the same model and changes when the model changes. No Docker daemon, no cluster.
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const SCRIPT = path.join(ROOT, "scripts", "model-image.sh");

describe("make model-image (crane, loopback registry)", function () {
    this.timeout(120_000);
    let crane = "";
    let registry: ChildProcess | undefined;
    let host = "";
    let work = "";
    const base = () => `${host}/mlplat/server:1.0.0`;

    const craneOut = (...args: string[]) => execFileSync(crane, [...args, "--insecure"], { encoding: "utf8" }).trim();
    /** Runs the script; returns stdout (the reference) or throws with stderr. */
    const modelImage = (...args: string[]) => {
        const res = spawnSync("bash", [SCRIPT, ...args, "--insecure"], { encoding: "utf8" });
        if (res.status !== 0) throw new Error(`model-image.sh exited ${res.status}: ${res.stderr}`);
        return res.stdout.trim();
    };
    const modelDir = (files: Record<string, string>) => {
        const dir = fs.mkdtempSync(path.join(work, "model-"));
        for (const [name, content] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
            fs.writeFileSync(path.join(dir, name), content);
        }
        return dir;
    };

    before(async function () {
        this.timeout(1_200_000);
        const build = spawnSync("bash", [path.join(ROOT, "tools", "crane", "build.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
        assert.strictEqual(build.status, 0, "tools/crane/build.sh");
        crane = path.join(execFileSync("bash", [path.join(ROOT, "tools", "crane", "build.sh"), "--print-dir"], { encoding: "utf8" }).trim(), "crane");
        work = fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-model-image-"));
        // A registry on loopback, on a port the kernel picks.
        registry = spawn(crane, ["registry", "serve", "--address", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
        host = await new Promise<string>((resolve, reject) => {
            let text = "";
            const timer = setTimeout(() => reject(new Error(`crane registry serve printed no port: ${text}`)), 20_000);
            const read = (chunk: Buffer) => {
                text += chunk.toString();
                const m = /serving on port (\d+)/.exec(text);
                if (m) { clearTimeout(timer); resolve(`127.0.0.1:${m[1]}`); }
            };
            registry!.stdout!.on("data", read);
            registry!.stderr!.on("data", read);
            registry!.on("exit", (code) => reject(new Error(`crane registry serve exited ${code}: ${text}`)));
        });
        // A tiny server base image: one layer with a stand-in server.
        const root = path.join(work, "base");
        fs.mkdirSync(path.join(root, "srv"), { recursive: true });
        fs.writeFileSync(path.join(root, "srv", "server"), "#!/bin/sh\necho serving \"$MODEL_PATH\"\n", { mode: 0o755 });
        execFileSync("tar", ["-C", root, "-cf", path.join(work, "base.tar"), "srv"]);
        execFileSync(crane, ["append", "--oci-empty-base", "-f", path.join(work, "base.tar"), "-t", base(), "--insecure"], { stdio: "ignore" });
    });

    after(() => {
        registry?.kill();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("pushes the model as one layer on the base with the user, port and MODEL_PATH set, and prints the reference by digest", () => {
        const ref = modelImage("--model", modelDir({ "model.mlem": "object_type: model\n", "weights.bin": "weights-v1" }), "--base", base(), "--repo", `${host}/models/classifier`,
            "--entrypoint", "/srv/server");
        assert.match(ref, new RegExp(`^${host.replace(/[.]/g, "\\.")}/models/classifier@sha256:[0-9a-f]{64}$`));
        const manifest = JSON.parse(craneOut("manifest", ref));
        const baseManifest = JSON.parse(craneOut("manifest", base()));
        assert.strictEqual(manifest.layers.length, baseManifest.layers.length + 1, "one layer on top of the base");
        assert.deepStrictEqual(manifest.layers.slice(0, -1), baseManifest.layers, "the base's layers unchanged");
        const config = JSON.parse(craneOut("config", ref)).config;
        assert.strictEqual(config.User, "65532");
        assert.deepStrictEqual(config.ExposedPorts, { "8080/tcp": {} });
        assert.ok(config.Env.includes("MODEL_PATH=/model"), config.Env.join(" "));
        assert.deepStrictEqual(config.Entrypoint, ["/srv/server"]);
        const files = execFileSync("bash", ["-c", `"${crane}" export --insecure "${ref}" - | tar -t`], { encoding: "utf8" }).split("\n").filter(Boolean).sort();
        for (const f of ["model/model.mlem", "model/weights.bin", "srv/server"]) assert.ok(files.some((x) => x.replace(/^\.\//, "") === f), `${f} in ${files.join(", ")}`);
    });

    it("gives the same digest for the same model (other mtimes, other directory) and a new one when the model changes", () => {
        const push = (weights: string) => modelImage("--model", modelDir({ "model.mlem": "object_type: model\n", "weights.bin": weights }), "--base", base(), "--repo", `${host}/models/regressor`);
        const first = push("weights-v1");
        // Different mtimes and a different directory, same bytes.
        const later = modelDir({ "model.mlem": "object_type: model\n", "weights.bin": "weights-v1" });
        fs.utimesSync(path.join(later, "weights.bin"), new Date(2001, 1, 1), new Date(2001, 1, 1));
        const again = modelImage("--model", later, "--base", base(), "--repo", `${host}/models/regressor`);
        assert.strictEqual(again, first, "same model, same digest");
        const changed = push("weights-v2");
        assert.notStrictEqual(changed, first, "new model, new digest");
        const [a, b] = [first, changed].map((r) => JSON.parse(craneOut("manifest", r)).layers);
        assert.deepStrictEqual(a.slice(0, -1), b.slice(0, -1), "only the model layer differs");
        assert.notStrictEqual(a[a.length - 1].digest, b[b.length - 1].digest);
    });

    it("tags when asked, and refuses a floating base, a root user and a repository with a tag", () => {
        const ref = modelImage("--model", modelDir({ "w.bin": "x" }), "--base", base(), "--repo", `${host}/models/tagged`, "--tag", "v1", "--port", "9000");
        assert.strictEqual(craneOut("digest", `${host}/models/tagged:v1`), ref.split("@")[1]);
        assert.deepStrictEqual(JSON.parse(craneOut("config", ref)).config.ExposedPorts, { "9000/tcp": {} });
        const model = modelDir({ "w.bin": "x" });
        assert.throws(() => modelImage("--model", model, "--base", `${host}/mlplat/server:latest`, "--repo", `${host}/m`), /must be pinned by digest or by a tag other than latest/);
        assert.throws(() => modelImage("--model", model, "--base", base(), "--repo", `${host}/m`, "--user", "0"), /numeric non-root UID/);
        assert.throws(() => modelImage("--model", model, "--base", base(), "--repo", `${host}/m:1`), /repository without tag or digest/);
    });
});
