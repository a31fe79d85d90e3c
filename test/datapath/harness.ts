// Process harness of the data-path test: real servers from Debian packages on
// loopback, each in its own process group under a temp dir, every one stopped
// at the end (and killed if the test runner itself is interrupted).

import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value; throws after `timeoutMs` with the last error. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false | null>, intervalMs = 250): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const v = await probe();
            if (v) return v;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
        }
        await sleep(intervalMs);
    }
}

/** A free TCP port on 127.0.0.1 (bound and released; distinct within this run). */
const handedOut = new Set<number>();
export async function freePort(): Promise<number> {
    for (;;) {
        const port = await new Promise<number>((resolve, reject) => {
            const srv = net.createServer();
            srv.once("error", reject);
            srv.listen(0, "127.0.0.1", () => {
                const p = (srv.address() as net.AddressInfo).port;
                srv.close(() => resolve(p));
            });
        });
        if (!handedOut.has(port)) {
            handedOut.add(port);
            return port;
        }
    }
}

/** Resolves when something accepts TCP connections on 127.0.0.1:port. */
export function tcpOpen(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const s = net.connect({ host: "127.0.0.1", port });
        s.setTimeout(1000);
        s.once("connect", () => { s.destroy(); resolve(true); });
        s.once("error", () => resolve(false));
        s.once("timeout", () => { s.destroy(); resolve(false); });
    });
}

export interface RunResult { code: number; stdout: string; stderr: string }

/** Runs a command to completion (bounded by `timeoutMs`); never throws on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; user?: SystemUser; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return new Promise((resolve) => {
        execFile(cmd, args, {
            env: withMarker(opts.env ?? process.env), cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20,
            ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
        }, (err, stdout, stderr) => {
            const errCode = err ? (err as { code?: unknown }).code : 0;
            const code = typeof errCode === "number" ? errCode : err ? 1 : 0;
            const note = err && typeof errCode !== "number" ? `\n${String(err)}` : "";
            resolve({ code, stdout: String(stdout), stderr: String(stderr) + note });
        });
    });
}

/** Like `run` but throws with the output on a non-zero exit. */
export async function runOk(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<string> {
    const r = await run(cmd, args, opts);
    if (r.code !== 0) throw new Error(`${path.basename(cmd)} ${args.join(" ")} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
}

/**
 * Every process this run starts carries `MLPLAT_DATAPATH_RUN=<unique id>` in its
 * environment, inherited by daemons that leave the process group (epmd): the
 * final sweep kills exactly those, by pid, and nothing else.
 */
export const RUN_MARKER_VAR = "MLPLAT_DATAPATH_RUN";
let runMarker = "";
export function setRunMarker(id: string): void { runMarker = id; }

function withMarker(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return runMarker ? { ...env, [RUN_MARKER_VAR]: runMarker } : env;
}

/** Pids (other than ours) whose environment holds this run's marker. */
export function markedPids(): number[] {
    if (!runMarker || !fs.existsSync("/proc")) return [];
    const needle = `${RUN_MARKER_VAR}=${runMarker}`;
    const pids: number[] = [];
    for (const d of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
        try {
            if (fs.readFileSync(`/proc/${d}/environ`, "latin1").split("\0").includes(needle)) pids.push(Number(d));
        } catch { /* gone or not ours */ }
    }
    return pids;
}

/** Sends `signal` to every process carrying this run's marker. */
export function killMarked(signal: NodeJS.Signals = "SIGKILL"): number[] {
    const pids = markedPids();
    for (const pid of pids) {
        try { process.kill(pid, signal); } catch { /* gone */ }
    }
    return pids;
}

/** An account to run a server as; `undefined` when we are not root (then we run as ourselves). */
export interface SystemUser { name: string; uid: number; gid: number }

export function systemUser(name: string): SystemUser | undefined {
    if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
    const line = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${name}:`));
    if (!line) {
        // Root, but the package's account is missing: fall back to nobody.
        const nobody = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("nobody:"));
        if (!nobody) throw new Error(`neither ${name} nor nobody exists in /etc/passwd`);
        const f = nobody.split(":");
        return { name: "nobody", uid: Number(f[2]), gid: Number(f[3]) };
    }
    const f = line.split(":");
    return { name, uid: Number(f[2]), gid: Number(f[3]) };
}

/** A directory owned by `user` (mode 0700). */
export function ownedDir(dir: string, user?: SystemUser): string {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (user) fs.chownSync(dir, user.uid, user.gid);
    return dir;
}

export interface ManagedProcess {
    name: string;
    child: ChildProcess;
    logFile: string;
    exitCode: number | null | undefined;
    exited: Promise<void>;
}

/** Every process group started and not yet reaped, for the emergency kill. */
const live = new Map<number, ManagedProcess>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
    try { process.kill(-pid, signal); } catch { /* gone */ }
}

let emergencyInstalled = false;
function installEmergencyKill(): void {
    if (emergencyInstalled) return;
    emergencyInstalled = true;
    const killAll = () => {
        for (const pid of live.keys()) killGroup(pid, "SIGKILL");
        killMarked("SIGKILL");
    };
    process.on("exit", killAll);
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.once(sig, () => {
            killAll();
            process.exit(130);
        });
    }
}

/** Starts a long-running process in its own process group, output to `<logDir>/<name>.log`. */
export function startProcess(name: string, cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; logDir: string; user?: SystemUser; cwd?: string }): ManagedProcess {
    installEmergencyKill();
    const logFile = path.join(opts.logDir, `${name}.log`);
    const fd = fs.openSync(logFile, "a");
    const child = spawn(cmd, args, {
        env: withMarker(opts.env),
        cwd: opts.cwd,
        detached: true, // own process group: stop() reaches every descendant
        stdio: ["ignore", fd, fd],
        ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
    });
    fs.closeSync(fd);
    const p: ManagedProcess = { name, child, logFile, exitCode: undefined, exited: Promise.resolve() };
    p.exited = new Promise<void>((resolve) => {
        child.once("exit", (code, signal) => { p.exitCode = code ?? (signal ? -1 : null); resolve(); });
        child.once("error", (e) => { fs.appendFileSync(logFile, `spawn error: ${e}\n`); p.exitCode = -2; resolve(); });
    });
    if (child.pid) {
        live.set(child.pid, p);
        void p.exited.then(() => live.delete(child.pid!));
    }
    return p;
}

/** Stops a process group: `signal`, then SIGKILL after `graceMs`. Resolves when the leader exited. */
export async function stopProcess(p: ManagedProcess, signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<void> {
    const pid = p.child.pid;
    if (!pid) return;
    if (p.exitCode === undefined) {
        killGroup(pid, signal);
        const timer = setTimeout(() => killGroup(pid, "SIGKILL"), graceMs);
        await p.exited;
        clearTimeout(timer);
    }
    // Descendants that outlived the leader in the same group.
    killGroup(pid, "SIGKILL");
    live.delete(pid);
}

/** The last `lines` lines of a log file. */
export function tail(file: string, lines = 40): string {
    try {
        return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log)";
    }
}

/** A temp dir that other (service) users can traverse. */
export function makeTempRoot(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.chmodSync(dir, 0o755);
    return dir;
}

/** Highest installed PostgreSQL bin dir (`/usr/lib/postgresql/<v>/bin`). */
export function postgresBinDir(): string | undefined {
    const base = "/usr/lib/postgresql";
    if (!fs.existsSync(base)) return undefined;
    const versions = fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a));
    return versions.length ? path.join(base, versions[0], "bin") : undefined;
}

/** First existing path. */
export function firstExisting(...candidates: string[]): string | undefined {
    return candidates.find((c) => fs.existsSync(c));
}
