// What a stack needs carried into its mirror, computed without deploying: the stack's config
// (through the pulumi CLI, secrets included, never printed), then the program itself under
// the unit-test mocks (seconds, no cluster, no cloud). The mocks see every image of our own
// objects and every chart with its public source, but not the images inside charts: those
// are only rendered by the kubernetes provider, so stacks with charts are also previewed,
// with MLPLAT_IMAGE_INVENTORY set, their charts rendered from their public sources.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { InventoryEntry } from "../../components/registry";
import { defaultLockFile } from "../../components/registry/lock";
import type { StackConfig } from "../../stacks/config";

export interface StackMirror {
    stack: string;
    projectDir: string;
    /** `host[:port][/pathPrefix]`: where images go. */
    prefix: string;
    /** Host of registry.chartMirror with its path, without `oci://`; undefined when charts are not mirrored. */
    chartPrefix?: string;
    /** The mirror's credentials from the stack (registry.mirror.username/password). */
    username?: string;
    password?: string;
    lockFile: string;
    raw: Record<string, string>;
    secretKeys: string[];
}

/** A chart the stack installs: its public source and its place in the chart mirror. */
export interface ChartEntry {
    /** `oci://host/path/chart` or a classic repository URL. */
    source: string;
    chart: string;
    version: string;
    /** `host/path/chart:version` in the chart mirror. */
    target: string;
}

/** The stack's config from `pulumi config --json --show-secrets` (run in the project directory). */
export function readStack(stack: string, projectDir: string): StackMirror {
    const res = spawnSync("pulumi", ["config", "--json", "--show-secrets", "--stack", stack], { cwd: projectDir, encoding: "utf8" });
    if (res.status !== 0) throw new Error(`pulumi config of stack ${stack} failed: ${res.stderr.trim()}`);
    const doc = JSON.parse(res.stdout) as Record<string, { value?: string; secret?: boolean }>;
    const raw: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(doc)) {
        if (v.value === undefined) continue;
        raw[k] = v.value;
        if (v.secret) secretKeys.push(k);
    }
    const get = (k: string) => raw[`mlplat:${k}`] ?? "";
    if (get("registry.mode") !== "mirror") throw new Error(`stack ${stack} is not in mirror mode (pulumi config set registry.mode mirror, then registry.mirror.host)`);
    const host = get("registry.mirror.host");
    if (!host) throw new Error(`stack ${stack} has no registry.mirror.host`);
    const chartMirror = get("registry.chartMirror").replace(/^oci:\/\//, "").replace(/\/+$/, "");
    return {
        stack, projectDir, raw, secretKeys,
        prefix: [host, get("registry.mirror.pathPrefix")].filter(Boolean).join("/"),
        chartPrefix: chartMirror || undefined,
        username: get("registry.mirror.username") || undefined,
        password: get("registry.mirror.password") || undefined,
        lockFile: path.resolve(projectDir, get("registry.mirror.lockFile") || defaultLockFile(stack)),
    };
}

/** A kubeconfig the mocked program can read (no cluster is contacted), with the stack's context. */
function dummyKubeconfig(context: string): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-mirror-kube-")), "kubeconfig");
    fs.writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\n`
        + `users: [{name: u, user: {token: t}}]\ncontexts: [{name: "${context}", context: {cluster: c, user: u}}]\ncurrent-context: "${context}"\n`);
    return file;
}

/** Runs the program under mocks: the images of its own objects (source → mirror) and its charts' public sources. */
export async function inventoryUnderMocks(s: StackMirror): Promise<{ images: InventoryEntry[]; charts: ChartEntry[] }> {
    // Loaded here, not at the top: the program takes seconds to load, and import needs none of it.
    const pulumi = await import("@pulumi/pulumi");
    const { composeStack } = await import("../../stacks/compose");
    const { loadConfig } = await import("../../stacks/config");
    const charts: ChartEntry[] = [];
    pulumi.runtime.setMocks({
        newResource: (args) => {
            if (args.type === "kubernetes:helm.sh/v4:Chart") charts.push(...chartEntry(args.inputs, s));
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
    }, "mlplat", s.stack, false);
    // The cluster's kubeconfig need not exist on this machine: the mocks contact no cluster.
    const raw = { ...s.raw };
    const kind = raw["mlplat:cluster.kind"] ?? "local";
    if (kind === "local" || (kind === "existing" && raw["mlplat:cluster.kubeconfig"])) raw["mlplat:cluster.kubeconfig"] = dummyKubeconfig(raw["mlplat:cluster.context"] || "local");
    pulumi.runtime.setAllConfig(raw, s.secretKeys);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-mirror-inv-")), "images.json");
    process.env.MLPLAT_IMAGE_INVENTORY = file;
    try {
        await pulumi.runtime.runInPulumiStack(async () => {
            // Public chart sources (not the chart mirror), and no lock: the inventory is what makes it.
            const cfg: StackConfig = { ...loadConfig(), "registry.chartMirror": "", "registry.mirror.pinDigests": false };
            const out = composeStack(cfg, (t) => pulumi.runtime.registerStackTransformation((a) => {
                const props = t({ type: a.type, props: a.props as Record<string, unknown> });
                return props ? { props, opts: a.opts } : undefined;
            }));
            return { images: out.images }; // the output whose resolution writes the inventory

        });
    } finally {
        delete process.env.MLPLAT_IMAGE_INVENTORY;
    }
    await new Promise((r) => setTimeout(r, 0));
    const images = JSON.parse(fs.readFileSync(file, "utf8")) as InventoryEntry[];
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    return { images, charts };
}

/** The chart-mirror entry of a helm.v4.Chart's inputs; none for a chart from a local path. */
function chartEntry(inputs: Record<string, any>, s: StackMirror): ChartEntry[] {
    const chart = String(inputs.chart ?? "");
    const repo = inputs.repositoryOpts?.repo as string | undefined;
    if (!repo && !chart.startsWith("oci://")) return [];
    const name = chart.slice(chart.lastIndexOf("/") + 1);
    if (!s.chartPrefix) throw new Error(`stack ${s.stack} installs the chart ${name} but has no registry.chartMirror (pulumi config set registry.chartMirror oci://<mirror>/charts)`);
    const version = String(inputs.version);
    return [{ source: repo ?? chart, chart: name, version, target: `${s.chartPrefix}/${name}:${version}` }];
}

/**
 * The complete image list, chart-rendered images included: `pulumi preview` of the stack with
 * MLPLAT_IMAGE_INVENTORY set (the registry then writes its inventory instead of enforcing the
 * lock; charts are rendered from their public sources).
 */
export function inventoryByPreview(s: StackMirror, charts: ChartEntry[]): InventoryEntry[] {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-mirror-inv-")), "images.json");
    // The preview renders each chart from its public source, not from the (maybe empty) chart mirror.
    // Plain HTTP where crane would use it too: loopback sources, or MLPLAT_MIRROR_INSECURE=1.
    const plainHttp = (src: string) => process.env.MLPLAT_MIRROR_INSECURE === "1" || /^oci:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])[:/]/.test(src);
    const sources = Object.fromEntries(charts.map((c) => [`oci://${s.chartPrefix}/${c.chart}`,
        c.source.startsWith("oci://") ? { chart: c.source, plainHttp: plainHttp(c.source) } : { chart: c.chart, repo: c.source }]));
    const env = { ...process.env, MLPLAT_IMAGE_INVENTORY: file, MLPLAT_CHART_SOURCES: JSON.stringify(sources) };
    const res = spawnSync("pulumi", ["preview", "--stack", s.stack, "--non-interactive", "--suppress-progress"],
        { cwd: s.projectDir, encoding: "utf8", env, maxBuffer: 64 << 20 });
    if (!fs.existsSync(file)) throw new Error(`pulumi preview of ${s.stack} wrote no image inventory (exit ${res.status}):\n${res.stdout.slice(-3000)}${res.stderr.slice(-2000)}`);
    const images = JSON.parse(fs.readFileSync(file, "utf8")) as InventoryEntry[];
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    return images;
}
