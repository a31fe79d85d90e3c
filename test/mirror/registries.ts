// Loopback registries for the mirror tests: `crane registry serve` on a port the kernel picks,
// and a small Basic-auth front (the registry itself has no auth) so the mirror is authenticated
// the way a private registry is: 401 with a challenge, then credentials on every request.
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as path from "path";

export const ROOT = path.join(__dirname, "..", "..");

export function craneBin(): string {
    const build = path.join(ROOT, "tools", "crane", "build.sh");
    execFileSync("bash", [build], { stdio: ["ignore", "ignore", "inherit"] });
    return path.join(execFileSync("bash", [build, "--print-dir"], { encoding: "utf8" }).trim(), "crane");
}

export interface Running {
    host: string;
    stop(): void;
}

/** `crane registry serve` on 127.0.0.1:<free port>; resolves with its host:port. */
export function serveRegistry(crane: string): Promise<Running> {
    const proc: ChildProcess = spawn(crane, ["registry", "serve", "--address", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
    return new Promise((resolve, reject) => {
        let text = "";
        const timer = setTimeout(() => reject(new Error(`crane registry serve printed no port: ${text}`)), 20_000);
        const read = (chunk: Buffer) => {
            text += chunk.toString();
            const m = /serving on port (\d+)/.exec(text);
            if (m) { clearTimeout(timer); resolve({ host: `127.0.0.1:${m[1]}`, stop: () => proc.kill() }); }
        };
        proc.stdout!.on("data", read);
        proc.stderr!.on("data", read);
        proc.on("exit", (code) => reject(new Error(`crane registry serve exited ${code}: ${text}`)));
    });
}

/**
 * A Basic-auth front for `backend` (host:port), in its own process (the tests call crane
 * synchronously): requests without `user:password` get 401 and a challenge.
 */
export function authFront(backend: string, user: string, password: string): Promise<Running> {
    const proc = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "auth-front.ts"), backend, user],
        { stdio: ["pipe", "pipe", "inherit"], cwd: ROOT });
    proc.stdin!.end(password); // not on the command line
    return new Promise((resolve, reject) => {
        proc.stdout!.once("data", (d) => resolve({ host: d.toString().trim(), stop: () => proc.kill() }));
        proc.on("exit", (code) => reject(new Error(`auth front exited ${code}`)));
    });
}
