// crane (go-containerregistry, tools/crane) as the mirror tool's only registry client:
// copy, digest, manifest, pull --format=oci, push. Credentials reach it through a private
// DOCKER_CONFIG directory that is never printed and removed on exit.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export class CraneError extends Error {}

export interface Crane {
    /** Runs crane; returns stdout, throws CraneError with crane's own message on failure. */
    run(...args: string[]): string;
    digest(ref: string): string;
    /** Bytes of an image or index: every manifest, config and layer it references. */
    size(ref: string): number;
}

export function crane(bin: string, dockerConfig: string | undefined, insecure: boolean): Crane {
    const env = dockerConfig ? { ...process.env, DOCKER_CONFIG: dockerConfig } : process.env;
    const run = (...args: string[]) => {
        const res = spawnSync(bin, [...args, ...(insecure ? ["--insecure"] : [])], { encoding: "utf8", env, maxBuffer: 64 << 20 });
        if (res.status !== 0) {
            // crane's own log lines (timestamped, e.g. "HEAD request failed, falling back on GET") are not the error.
            const msg = (res.stderr || res.error?.message || "").trim().split("\n")
                .filter((l) => l && !/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /.test(l) && !l.startsWith("Usage:")).slice(-3).join(" ");
            throw new CraneError(msg.replace(/^Error: /, ""));
        }
        return res.stdout.trim();
    };
    const size = (ref: string): number => {
        const m = JSON.parse(run("manifest", ref));
        if (Array.isArray(m.manifests)) {
            const repo = ref.replace(/[@:][^/]*$/, "");
            return m.manifests.reduce((n: number, d: { digest: string; size: number }) => n + d.size + size(`${repo}@${d.digest}`), 0);
        }
        return (m.config?.size ?? 0) + (m.layers ?? []).reduce((n: number, l: { size: number }) => n + l.size, 0);
    };
    return { run, digest: (ref) => run("digest", ref), size };
}

/**
 * A DOCKER_CONFIG directory for crane: the user's own config (source registries, helpers)
 * plus the mirror's credentials from the stack. Mode 0700/0600; the caller removes it.
 */
export function dockerConfigWith(hosts: string[], username: string, password: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-mirror-auth-"));
    fs.chmodSync(dir, 0o700);
    const own = path.join(process.env.DOCKER_CONFIG ?? path.join(os.homedir(), ".docker"), "config.json");
    const config = fs.existsSync(own) ? JSON.parse(fs.readFileSync(own, "utf8")) : {};
    config.auths = { ...(config.auths ?? {}) };
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    for (const host of hosts) config.auths[host] = { auth };
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config), { mode: 0o600 });
    return dir;
}

export function humanBytes(n: number): string {
    const units = ["B", "kB", "MB", "GB"];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
