// The local control plane does what Pulumi's await logic needs: rollouts, Endpoints,
// Jobs, PVC binding, LoadBalancer/Ingress addresses, namespace finalization, PV reuse.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { ROOT } from "./env";

describe("local control plane", () => {
    it("passes the smoke checks (scripts/cluster-smoke.sh)", function () {
        this.timeout(600_000);
        const res = spawnSync(path.join(ROOT, "scripts", "cluster-smoke.sh"), { encoding: "utf8" });
        const summary = `${res.stdout}\n${res.stderr}`.split("\n").filter((l) => /passed|failed|FAIL/.test(l)).join("\n");
        assert.strictEqual(res.status, 0, summary);
        assert.match(res.stdout + res.stderr, /^\d+ passed, 0 failed$/m);
    });
});
