// The component package as another Pulumi program uses it: build it (tsc -p tsconfig.build.json
// → bin/), then run test/fixtures/package-consumer, which imports "mlplat" from that build and
// constructs InferencePipeline and Minio with hand-written Args, under mocks, with no mlplat
// stack config set.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

const ROOT = path.join(__dirname, "..", "..");
const FIXTURE = path.join(ROOT, "test", "fixtures", "package-consumer");

describe("component package (built, used by a separate program)", function () {
    this.timeout(300_000);
    const resources: { type: string; name: string }[] = [];
    let outputs: Record<string, unknown> | undefined;

    before(async () => {
        const build = spawnSync(path.join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], { cwd: ROOT, encoding: "utf8" });
        assert.strictEqual(build.status, 0, `tsc -p tsconfig.build.json failed:\n${build.stdout}${build.stderr}`);
        // "mlplat" resolves as an installed package would: node_modules/mlplat → the project (main: bin/lib.js).
        const link = path.join(FIXTURE, "node_modules", "mlplat");
        fs.mkdirSync(path.dirname(link), { recursive: true });
        if (!fs.existsSync(link)) fs.symlinkSync(path.relative(path.dirname(link), ROOT), link, "dir");

        pulumi.runtime.setMocks({
            newResource: (args) => {
                resources.push({ type: args.type, name: args.name });
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: (args) => args.inputs,
        }, "package-consumer", "test", false);
        pulumi.runtime.setAllConfig({}, []);
        outputs = await pulumi.runtime.runInPulumiStack(async () => require(path.join(FIXTURE, "index.js")));
    });

    it("loads mlplat from the build output, not from source", () => {
        assert.strictEqual(fs.realpathSync(outputs?.mlplatPath as string), path.join(ROOT, "bin", "lib.js"));
        assert.deepStrictEqual(Object.keys(pulumi.runtime.allConfig()), [], "no stack config");
    });

    it("constructs InferencePipeline and Minio with their data services and workloads", () => {
        const types = new Set(resources.map((r) => r.type));
        for (const t of ["mlplat:platforms:InferencePipeline", "mlplat:storage:Minio", "mlplat:data:PostgreSQL", "mlplat:data:Redis", "mlplat:data:RabbitMQ"]) {
            assert.ok(types.has(t), `${t} registered`);
        }
        const deployments = resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment").map((r) => r.name).sort();
        assert.deepStrictEqual(deployments, ["inference-api", "inference-collector", "inference-gateway", "inference-model", "inference-worker", "minio-server"]);
        // keda.install false: no chart.
        assert.ok(!resources.some((r) => r.type.startsWith("kubernetes:helm")), "no KEDA chart");
    });
});
