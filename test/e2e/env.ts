// What the e2e tests run against: the project's tool environment, the local control
// plane, and a throwaway copy of the project with its own state backend.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.join(__dirname, "..", "..");

/**
 * The e2e suite's own control plane: its own state directory and ports, started and
 * purged by the suite, so a developer's `make up` cluster and stack (in .local/cluster,
 * default ports) are never touched. Every child process inherits this environment.
 */
export const E2E_CLUSTER_DIR = process.env.MLPLAT_E2E_CLUSTER_DIR ?? path.join(ROOT, ".local", "e2e-cluster");
export const USER_CLUSTER_DIR = path.join(ROOT, ".local", "cluster");
// MLPLAT_E2E_PORT_SHIFT moves every port, for two suites on one machine (two checkouts).
const shift = Number(process.env.MLPLAT_E2E_PORT_SHIFT ?? 0);
const E2E_PORTS = Object.fromEntries(Object.entries({
    MLPLAT_APISERVER_PORT: 26443, MLPLAT_ETCD_PORT: 22379, MLPLAT_ETCD_PEER_PORT: 22380,
    MLPLAT_KCM_PORT: 20357, MLPLAT_SCHEDULER_PORT: 20359, MLPLAT_KWOK_PORT: 20347,
}).map(([k, port]) => [k, String(port + shift)]));
// The copies of the program (projectCopy) use the checkout's policy pack.
Object.assign(process.env, E2E_PORTS, {
    MLPLAT_CLUSTER_DIR: E2E_CLUSTER_DIR, MLPLAT_LOCAL_CLUSTER_DIR: E2E_CLUSTER_DIR, MLPLAT_POLICY_DIR: path.join(ROOT, "policy"),
});

/** The environment scripts/env.sh sets up (pulumi on PATH, PULUMI_HOME, no downloads). */
export function toolEnv(): Record<string, string> {
    const out = execFileSync("bash", ["-c", `source "${ROOT}/scripts/env.sh" >/dev/null && env -0`], { encoding: "utf8" });
    return Object.fromEntries(out.split("\0").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

export function cluster(...args: string[]) {
    return spawnSync(path.join(ROOT, "scripts", "cluster.sh"), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Starts the suite's own control plane. */
export function clusterUp(): void {
    const up = cluster("up");
    if (up.status !== 0) throw new Error(`scripts/cluster.sh up failed:\n${up.stderr}`);
}

/** Stops the suite's control plane and deletes its state. */
export function clusterPurge(): void {
    const down = cluster("down", "--purge");
    if (down.status !== 0) throw new Error(`scripts/cluster.sh down --purge failed:\n${down.stderr}`);
}

/** The user's control plane (`make up`'s), with the built kubectl; undefined when it is not running. */
export function userClusterObjects(): string[] | undefined {
    const env: NodeJS.ProcessEnv = { ...process.env, MLPLAT_CLUSTER_DIR: USER_CLUSTER_DIR };
    for (const k of Object.keys(E2E_PORTS)) delete env[k];
    const script = path.join(ROOT, "scripts", "cluster.sh");
    if (spawnSync(script, ["status"], { env, stdio: "ignore" }).status !== 0) return undefined;
    const res = spawnSync(script, ["kubectl", "get", "namespaces,all,pvc,secrets,configmaps,ingresses,networkpolicies,roles,rolebindings",
        "-A", "-o", "jsonpath={range .items[*]}{.kind} {.metadata.namespace}/{.metadata.name} {.metadata.uid}{\"\\n\"}{end}"],
    { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (res.status !== 0) throw new Error(`reading the user's cluster: ${res.stderr}`);
    return res.stdout.split("\n").filter(Boolean).sort();
}

/** The built kubectl against the local control plane; returns parsed JSON for `-o json`. */
export function kubectl(...args: string[]): any {
    const res = cluster("kubectl", ...args);
    if (res.status !== 0) throw new Error(`kubectl ${args.join(" ")}: ${res.stderr.trim()}`);
    return args.includes("json") ? JSON.parse(res.stdout) : res.stdout;
}

/**
 * The objects of the given kinds (`Kind[.group]`, as `kubectl get` takes them) in the API
 * server, as `Kind[.group] namespace/name`: one kubectl call for all of them, since one call
 * per object took minutes for the dev stack's few hundred objects on a loaded machine.
 */
export function objectsOfKinds(kinds: string[]): Set<string> {
    const out: string = kubectl("get", [...new Set(kinds)].join(","), "-A", "-o",
        "jsonpath={range .items[*]}{.apiVersion} {.kind} {.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}");
    return new Set(out.split("\n").filter(Boolean).map((line) => {
        const [apiVersion, kind, id] = line.split(" ");
        return `${kind}${apiVersion.includes("/") ? `.${apiVersion.split("/")[0]}` : ""} ${id}`;
    }));
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
    for (const d of ["components", "stacks", "scripts", "tools", "test/fixtures"]) {
        if (fs.existsSync(path.join(ROOT, d))) fs.cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    // The checkout's policy pack (built once, in place) and what scripts/policy-config.ts imports from it.
    fs.symlinkSync(path.join(ROOT, "policy"), path.join(dir, "policy"));
    fs.mkdirSync(path.join(dir, ".state"));
    return dir;
}

/** Runs the main job's script (`scripts/stack.sh ACTION`) in a project copy, with the copy's own state backend. */
export function stackScript(workDir: string, action: string): { status: number | null; output: string } {
    const res = spawnSync("bash", [path.join(workDir, "scripts", "stack.sh"), action], {
        cwd: workDir, encoding: "utf8", maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, STACK: "dev", PULUMI_BACKEND_URL: `file://${path.join(workDir, ".state")}` },
    });
    // stderr first: mlplat's own messages, ahead of the engine's long progress output.
    return { status: res.status, output: `${res.stderr}\n${res.stdout}` };
}

/** `kubectl get` of objects carrying `selector` in every namespace, as `Kind namespace/name uid` lines. */
export function labelled(selector: string, kinds = "namespaces,deployments,statefulsets,services,secrets,configmaps,pvc,jobs,ingresses"): string[] {
    const out = kubectl("get", kinds, "-A", "-l", selector, "-o",
        "jsonpath={range .items[*]}{.kind} {.metadata.namespace}/{.metadata.name} {.metadata.uid}{\"\\n\"}{end}") as string;
    return out.split("\n").filter(Boolean).sort();
}

/** Writes the dev stack file of a project copy with `config` (mlplat: keys) instead of the committed one, keeping its salt. */
export function writeDevStack(workDir: string, config: Record<string, string | string[]>): void {
    const salt = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8").split("\n").find((l) => l.startsWith("encryptionsalt:"));
    const lines = Object.entries(config).map(([k, v]) => `  mlplat:${k}: ${JSON.stringify(v)}`);
    fs.writeFileSync(path.join(workDir, "Pulumi.dev.yaml"), `config:\n${lines.join("\n")}\n${salt}\n`);
}
