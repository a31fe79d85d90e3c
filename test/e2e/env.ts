// What the e2e tests run against: the project's tool environment, the local control
// plane, and a throwaway copy of the project with its own state backend.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.join(__dirname, "..", "..");

/** The environment scripts/env.sh sets up (pulumi on PATH, PULUMI_HOME, no downloads). */
export function toolEnv(): Record<string, string> {
    const out = execFileSync("bash", ["-c", `source "${ROOT}/scripts/env.sh" >/dev/null && env -0`], { encoding: "utf8" });
    return Object.fromEntries(out.split("\0").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

function cluster(...args: string[]) {
    return spawnSync(path.join(ROOT, "scripts", "cluster.sh"), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Starts the local control plane; returns whether it was already running (then it is left running). */
export function clusterUp(): boolean {
    const wasRunning = cluster("status").status === 0;
    const up = cluster("up");
    if (up.status !== 0) throw new Error(`scripts/cluster.sh up failed:\n${up.stderr}`);
    return wasRunning;
}

export function clusterDown(): void {
    const down = cluster("down");
    if (down.status !== 0) throw new Error(`scripts/cluster.sh down failed:\n${down.stderr}`);
}

/** The built kubectl against the local control plane; returns parsed JSON for `-o json`. */
export function kubectl(...args: string[]): any {
    const res = cluster("kubectl", ...args);
    if (res.status !== 0) throw new Error(`kubectl ${args.join(" ")}: ${res.stderr.trim()}`);
    return args.includes("json") ? JSON.parse(res.stdout) : res.stdout;
}

/** True when `kubectl get` finds the object. */
export function exists(kind: string, name: string, namespace?: string): boolean {
    const res = cluster("kubectl", "get", kind, name, ...(namespace ? ["-n", namespace] : []), "-o", "name");
    if (res.status === 0) return true;
    if (/NotFound|not found/.test(res.stderr)) return false;
    throw new Error(`kubectl get ${kind} ${name}: ${res.stderr.trim()}`);
}

/** A copy of the program in a temp dir (node_modules linked), so the test's stack files and state never touch the checkout. */
export function projectCopy(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-e2e-"));
    for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "index.ts", "lib.ts", "tsconfig.json", "package.json"]) {
        fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    for (const d of ["components", "stacks", "test/fixtures"]) {
        if (fs.existsSync(path.join(ROOT, d))) fs.cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    fs.mkdirSync(path.join(dir, ".state"));
    return dir;
}
