// Brings a stack's state back in line with the cluster before `pulumi up`, so that the
// main job converges on rerun (scripts/stack.sh runs it):
//   - a lock left by a pulumi process that no longer runs (killed, crashed, timed out)
//     is cleared;
//   - when the local control plane was recreated (its CA is not the one the state's
//     Kubernetes provider holds), the objects of the old cluster are dropped from the
//     state: they are gone with it, and every delete through the old credentials fails;
//   - pending creates of an interrupted run are taken into the state when the object
//     exists and carries this stack's label (the stack created it), and cleared
//     otherwise, so a foreign object is still refused by the next up.
//
//   ts-node scripts/stack-state.ts prepare STACK [--kubeconfig FILE]
// Needs the environment of scripts/stack.sh (pulumi on PATH, backend, passphrase).
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { STACK_LABEL, stackIdentity } from "../components/core/ownership";

const log = (msg: string) => process.stderr.write(`[mlplat] ${msg}\n`);

export interface LockFile { file: string; pid: number; hostname: string }

/** Lock files of a file backend (`file://DIR`) for `stack`. */
export function lockFiles(backendUrl: string, stack: string): LockFile[] {
    if (!backendUrl.startsWith("file://")) return [];
    const dir = path.join(backendUrl.slice("file://".length), ".pulumi", "locks");
    if (!fs.existsSync(dir)) return [];
    const files = fs.readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".json") && path.basename(path.dirname(f)) === stack);
    return files.map((f) => {
        const content = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { pid: number; hostname: string };
        return { file: path.join(dir, f), pid: content.pid, hostname: content.hostname };
    });
}

function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** Locks whose process is known to be gone: taken on this host by a pid that no longer runs. */
export function staleLocks(locks: LockFile[], host = os.hostname(), alive = processAlive): LockFile[] {
    return locks.filter((l) => l.hostname === host && !alive(l.pid));
}

/** The CA of a kubeconfig's current context (the data, or the file it names), or undefined. */
export function kubeconfigCA(kubeconfig: string): string | undefined {
    const doc = parse(kubeconfig) as any;
    const context = (doc?.contexts ?? []).find((c: any) => c.name === doc["current-context"])?.context;
    const cluster = (doc?.clusters ?? []).find((c: any) => c.name === context?.cluster)?.cluster;
    if (cluster?.["certificate-authority-data"]) return Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8").trim();
    if (cluster?.["certificate-authority"] && fs.existsSync(cluster["certificate-authority"])) {
        return fs.readFileSync(cluster["certificate-authority"], "utf8").trim();
    }
    return undefined;
}

/** A value of an exported state, with `--show-secrets` secrets unwrapped. */
function plain(v: any): any {
    return v && typeof v === "object" && "plaintext" in v ? JSON.parse(v.plaintext) : v;
}

/** Kubernetes providers of the state whose cluster CA is not `currentCA`, with how many resources use each. */
export function staleProviders(deployment: any, currentCA: string): { urn: string; resources: number }[] {
    const resources: any[] = deployment?.resources ?? [];
    return resources
        .filter((r) => r.type === "pulumi:providers:kubernetes")
        .filter((p) => {
            const kubeconfig = plain(p.inputs?.kubeconfig);
            const ca = typeof kubeconfig === "string" ? kubeconfigCA(kubeconfig) : undefined;
            return ca !== undefined && ca !== currentCA;
        })
        // A replaced provider keeps its URN: the reference is URN::ID.
        .map((p) => ({ urn: p.urn, resources: resources.filter((r) => r.provider === `${p.urn}::${p.id}`).length }))
        .filter((p) => p.resources > 0);
}

export interface PendingObject {
    urn: string;
    /** `kind.version.group` as kubectl takes it (`namespace` for the core group). */
    resource: string;
    name: string;
    namespace?: string;
    /** The id Pulumi's Kubernetes provider gives the object: `namespace/name` or `name`. */
    id: string;
}

/** The Kubernetes objects an interrupted run was creating (its pending creates). */
export function pendingCreates(deployment: any): PendingObject[] {
    return (deployment?.pending_operations ?? [])
        .filter((op: any) => op.type === "creating" && op.resource?.type?.startsWith("kubernetes:") && op.resource.inputs?.metadata?.name)
        .map((op: any) => {
            const { apiVersion, kind, metadata } = op.resource.inputs;
            const [group, version] = String(apiVersion).includes("/") ? String(apiVersion).split("/") : ["", apiVersion];
            const name = plain(metadata.name);
            const namespace = metadata.namespace ? plain(metadata.namespace) : undefined;
            return {
                urn: op.resource.urn, name, namespace,
                resource: group ? `${kind}.${version}.${group}`.toLowerCase() : String(kind).toLowerCase(),
                id: namespace ? `${namespace}/${name}` : name,
            };
        });
}

function pulumi(args: string[], env: NodeJS.ProcessEnv = process.env): string {
    return execFileSync("pulumi", args, { encoding: "utf8", env, maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "inherit"] });
}

/** The stack label of a live object: undefined when it does not exist, "" when it has none. */
function liveOwner(obj: PendingObject, kubeconfig: string): string | undefined {
    const args = ["--kubeconfig", kubeconfig, "get", obj.resource, obj.name, "-o", "json", ...(obj.namespace ? ["-n", obj.namespace] : [])];
    const res = spawnSync("kubectl", args, { encoding: "utf8" });
    if (res.status !== 0) {
        if (/NotFound|not found/.test(res.stderr)) return undefined;
        throw new Error(`kubectl ${args.join(" ")}: ${res.stderr.trim()}`);
    }
    return JSON.parse(res.stdout).metadata?.labels?.[STACK_LABEL] ?? "";
}

function clearStaleLock(stack: string): void {
    const locks = lockFiles(process.env.PULUMI_BACKEND_URL ?? "", stack);
    const stale = staleLocks(locks);
    if (stale.length === 0 || stale.length < locks.length) return;
    log(`stack ${stack} is locked by pulumi process ${stale.map((l) => l.pid).join(", ")}, which no longer runs ` +
        "(killed, crashed or timed out): clearing the lock");
    pulumi(["cancel", "--yes", "--stack", stack]);
}

function dropOldCluster(stack: string, deployment: any, kubeconfig: string): boolean {
    const currentCA = kubeconfigCA(fs.readFileSync(kubeconfig, "utf8"));
    const stale = currentCA ? staleProviders(deployment, currentCA) : [];
    if (stale.length === 0) return false;
    const count = stale.reduce((n, p) => n + p.resources, 0);
    log(`the local control plane was recreated since stack ${stack} last deployed to it (its CA changed): ` +
        `the ${count} objects the state lists are gone with the old cluster. Dropping them from the state ` +
        "(refresh with PULUMI_K8S_DELETE_UNREACHABLE=true); the up then creates them anew");
    pulumi(["refresh", "--yes", "--skip-preview", "--clear-pending-creates", "--stack", stack],
        { ...process.env, PULUMI_K8S_DELETE_UNREACHABLE: "true" });
    return true;
}

function resolvePendingCreates(stack: string, deployment: any, kubeconfig: string): void {
    const pending = pendingCreates(deployment);
    if (pending.length === 0) return;
    const identity = stackIdentity(parse(fs.readFileSync("Pulumi.yaml", "utf8")).name, stack);
    const ours = new Map<string, string>();
    for (const obj of pending) {
        const owner = liveOwner(obj, kubeconfig);
        if (owner === identity) ours.set(obj.urn, obj.id);
        else if (owner !== undefined) log(`${obj.resource} ${obj.id} exists but was not created by this stack (${STACK_LABEL}=${owner || "none"}): the up will refuse it`);
    }
    log(`an interrupted run left ${pending.length} pending creates: ${ours.size} objects it created ` +
        `(labelled ${STACK_LABEL}=${identity}) are taken back into the state, the others are cleared`);
    // Edited in the exported state (secrets stay encrypted): `pulumi refresh
    // --import-pending-creates` marks them but the refresh of 3.248 drops them again.
    const state = JSON.parse(pulumi(["stack", "export", "--stack", stack]));
    state.deployment = adoptPendingCreates(state.deployment, ours);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-state-")), "state.json");
    fs.writeFileSync(file, JSON.stringify(state));
    pulumi(["stack", "import", "--file", file, "--stack", stack]);
    fs.rmSync(path.dirname(file), { recursive: true });
}

/**
 * The deployment with the pending creates in `ours` (URN → id) turned into resources of the
 * state (the up's refresh then reads their live outputs) and every other pending create dropped.
 */
export function adoptPendingCreates(deployment: any, ours: Map<string, string>): any {
    const ops: any[] = deployment.pending_operations ?? [];
    const adopted = ops.filter((op) => op.type === "creating" && ours.has(op.resource.urn))
        .map((op) => {
            const outputs = Object.keys(op.resource.outputs ?? {}).length > 0 ? op.resource.outputs : op.resource.inputs;
            return { ...op.resource, id: ours.get(op.resource.urn), custom: true, outputs };
        });
    return {
        ...deployment,
        resources: [...(deployment.resources ?? []), ...adopted],
        pending_operations: ops.filter((op) => op.type !== "creating"),
    };
}

function prepare(stack: string, kubeconfig?: string): void {
    clearStaleLock(stack);
    const deployment = JSON.parse(pulumi(["stack", "export", "--show-secrets", "--stack", stack])).deployment;
    if (!kubeconfig || !fs.existsSync(kubeconfig)) return;
    if (dropOldCluster(stack, deployment, kubeconfig)) return;
    resolvePendingCreates(stack, deployment, kubeconfig);
}

if (require.main === module) {
    const [command, stack, flag, kubeconfig] = process.argv.slice(2);
    if (command !== "prepare" || !stack || (flag !== undefined && flag !== "--kubeconfig")) {
        log("usage: stack-state.ts prepare STACK [--kubeconfig FILE]");
        process.exit(2);
    }
    prepare(stack, kubeconfig);
}
