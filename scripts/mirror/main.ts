// make mirror / mirror-list / mirror-export / mirror-import (scripts/mirror.sh; docs/air-gap.md):
//   mirror STACK          copy every image and chart of the stack into its mirror, write the lock
//   list STACK            print every image and chart: source, where it is read from, target (JSON)
//   export STACK BUNDLE   write them as OCI layouts + manifest.json into one tar (connected side)
//   import STACK BUNDLE   push a bundle into the stack's mirror, verifying every digest
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { Crane, crane, CraneError, dockerConfigWith, humanBytes } from "./crane";
import { fetchRepoChart, writeChartLayout } from "./chart";
import { ChartEntry, inventoryByPreview, inventoryUnderMocks, readStack, StackMirror } from "./stack";

/** One thing to carry: an image or a chart, from its source to its place in the mirror. */
interface Item {
    kind: "image" | "chart";
    /** The image (canonical, the lock's key) or chart source as the stack names it. */
    source: string;
    /** Where it is read from: the source, or its rewrite by MLPLAT_MIRROR_SOURCE_MAP. */
    pull: string;
    /** Full reference in the mirror. */
    target: string;
    /** Path below the mirror prefix (images) or chart mirror (charts): what a bundle records. */
    rel: string;
    /** A chart of a classic repository (index.yaml): fetched and packed here, not copied. */
    repo?: { url: string; chart: string; version: string };
}

/** What the copy of one item needs: the digest it must end with, and how to get it there. */
interface Prepared {
    digest: string;
    bytes: number;
    /** An OCI layout written here (a repo chart), pushed instead of copied. */
    layout?: string;
    from: string;
}

const say = (msg: string) => process.stderr.write(`[mlplat] ${msg}\n`);

/**
 * MLPLAT_MIRROR_SOURCE_MAP, e.g. `{"docker.io/": "proxy.corp/dockerhub/"}`: read sources through
 * a pull-through cache or an internal copy instead of the public registries (prefix rewrite).
 */
function mapSource(source: string): string {
    const map = JSON.parse(process.env.MLPLAT_MIRROR_SOURCE_MAP ?? "{}") as Record<string, string>;
    const from = Object.keys(map).filter((k) => source.startsWith(k)).sort((a, b) => b.length - a.length)[0];
    return from === undefined ? source : map[from] + source.slice(from.length);
}

/** Where a chart is read from: its source through the source map (a repository may map to an OCI location). */
function mappedChart(c: ChartEntry): ChartEntry {
    const mapped = mapSource(c.source);
    const repoToOci = !c.source.startsWith("oci://") && mapped.startsWith("oci://");
    return { ...c, source: repoToOci ? `${mapped.replace(/\/+$/, "")}/${c.chart}` : mapped };
}

function chartItem(c: ChartEntry): Item {
    const rel = `${c.chart}:${c.version}`;
    const source = c.source.startsWith("oci://") ? `${c.source}:${c.version}` : `${c.source} ${c.chart} ${c.version}`;
    const from = mappedChart(c).source;
    if (from.startsWith("oci://")) return { kind: "chart", source, pull: `${from.slice(6)}:${c.version}`, target: c.target, rel };
    return { kind: "chart", source, pull: from, target: c.target, rel, repo: { url: from, chart: c.chart, version: c.version } };
}

/** Every image and chart of the stack, charts first. */
async function items(s: StackMirror): Promise<Item[]> {
    const inv = await inventoryUnderMocks(s);
    const charts = inv.charts.map(chartItem);
    let images = inv.images;
    // Chart-rendered images only exist in a preview (the provider renders the charts).
    if (charts.length > 0 && process.env.MLPLAT_MIRROR_PREVIEW !== "0") {
        say(`the stack installs ${charts.length} chart(s): previewing it for the images they render`);
        const all = new Map(images.map((i) => [i.source, i]));
        for (const i of inventoryByPreview(s, inv.charts.map(mappedChart))) all.set(i.source, i);
        images = [...all.values()];
    }
    const imageItems = images.map((i): Item => ({ kind: "image", source: i.source, pull: mapSource(i.source), target: i.target, rel: i.target.slice(s.prefix.length + 1) }));
    const seen = new Set<string>();
    return [...charts, ...imageItems].filter((i) => !seen.has(i.target) && seen.add(i.target));
}

/** Resolves an item's source: its digest and size (a repo chart is fetched and packed into `work`). */
async function prepare(item: Item, c: Crane, work: string): Promise<Prepared> {
    try {
        if (!item.repo) return { digest: c.digest(item.pull), bytes: c.size(item.pull), from: item.pull };
        const tgz = await fetchRepoChart(item.repo.url, item.repo.chart, item.repo.version);
        const layout = fs.mkdtempSync(path.join(work, "chart-"));
        return { digest: writeChartLayout(tgz, layout), bytes: tgz.length, layout, from: layout };
    } catch (e) {
        throw new Error(`${item.kind} ${item.source}: cannot read the source${item.pull !== item.source ? ` (${item.pull})` : ""}: ${(e as Error).message}`);
    }
}

/** The completed copies of an interrupted run (JSON lines; a line cut by a kill is ignored). */
function readState(file: string): Map<string, string> {
    const done = new Map<string, string>();
    if (!fs.existsSync(file)) return done;
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        try { const e = JSON.parse(line); done.set(`${e.source} ${e.target}`, e.digest); } catch { /* partial line */ }
    }
    return done;
}

function writeLock(s: StackMirror, done: Map<Item, string>): void {
    const pick = (kind: Item["kind"], key: (i: Item) => string) => Object.fromEntries([...done].filter(([i]) => i.kind === kind)
        .map(([i, d]) => [key(i), d]).sort(([a], [b]) => a.localeCompare(b)));
    const lock = {
        comment: `Image lock of stack ${s.stack}, written by make mirror: commit it. registry.mirror.pinDigests makes the stack reference these digests.`,
        images: pick("image", (i) => i.source), charts: pick("chart", (i) => `oci://${i.target}`),
    };
    fs.writeFileSync(s.lockFile, `${JSON.stringify(lock, null, 2)}\n`);
    say(`wrote ${s.lockFile} (${Object.keys(lock.images).length} images, ${Object.keys(lock.charts).length} charts)`);
}

/** Runs `step` on every item, numbering progress; a failure is reported and the rest still run. */
async function each(list: Item[], step: (item: Item, n: string) => Promise<void>): Promise<string[]> {
    const errors: string[] = [];
    for (const [i, item] of list.entries()) {
        try {
            await step(item, `[${i + 1}/${list.length}]`);
        } catch (e) {
            const msg = e instanceof CraneError ? `${item.kind} ${item.source} → ${item.target}: ${e.message}` : (e as Error).message;
            errors.push(msg);
            say(`[${i + 1}/${list.length}] FAILED ${msg}`);
        }
    }
    return errors;
}

async function mirror(s: StackMirror, c: Crane, work: string): Promise<string[]> {
    const list = await items(s);
    const stateFile = path.join(s.projectDir, ".local", "mirror", `${s.stack}.state.jsonl`);
    fs.mkdirSync(path.dirname(stateFile), { recursive: true });
    const state = readState(stateFile);
    const done = new Map<Item, string>();
    let total = 0;
    say(`mirroring ${list.length} images and charts of stack ${s.stack} into ${s.prefix}${state.size ? ` (resuming: ${state.size} done before)` : ""}`);
    const errors = await each(list, async (item, n) => {
        const recorded = state.get(`${item.source} ${item.target}`);
        if (recorded && (() => { try { return c.digest(item.target) === recorded; } catch { return false; } })()) {
            done.set(item, recorded);
            say(`${n} ${item.source}: already copied (${recorded.slice(0, 19)})`);
            return;
        }
        const src = await prepare(item, c, work);
        const start = Date.now();
        if (src.layout) c.run("push", src.layout, item.target);
        else if (src.from !== item.target) c.run("copy", src.from, item.target);
        const got = c.digest(item.target);
        if (got !== src.digest) throw new Error(`${item.kind} ${item.source}: the mirror holds ${got} after the copy, not ${src.digest}`);
        fs.appendFileSync(stateFile, `${JSON.stringify({ source: item.source, target: item.target, digest: got })}\n`);
        done.set(item, got);
        total += src.bytes;
        say(`${n} ${item.source} → ${item.target} ${got.slice(0, 19)} ${humanBytes(src.bytes)} in ${((Date.now() - start) / 1000).toFixed(1)}s`);
    });
    writeLock(s, done);
    say(`copied ${humanBytes(total)}; ${done.size}/${list.length} in the mirror`);
    if (errors.length === 0) fs.rmSync(stateFile, { force: true }); // complete: the next run checks every source again
    return errors;
}

async function exportBundle(s: StackMirror, c: Crane, work: string, bundle: string): Promise<string[]> {
    const list = await items(s);
    const dir = path.join(work, "bundle");
    const entries: object[] = [];
    const done = new Map<Item, string>();
    const errors = await each(list, async (item, n) => {
        const layout = path.join("layouts", String(entries.length));
        const src = await prepare(item, c, work);
        if (src.layout) fs.cpSync(src.layout, path.join(dir, layout), { recursive: true });
        else c.run("pull", "--format=oci", src.from, path.join(dir, layout));
        const got = JSON.parse(fs.readFileSync(path.join(dir, layout, "index.json"), "utf8")).manifests[0].digest;
        if (got !== src.digest) throw new Error(`${item.kind} ${item.source}: the layout holds ${got}, the source ${src.digest}`);
        entries.push({ kind: item.kind, source: item.source, path: item.rel, digest: got, layout });
        done.set(item, got);
        say(`${n} ${item.source} ${got.slice(0, 19)} ${humanBytes(src.bytes)}`);
    });
    fs.writeFileSync(path.join(dir, "manifest.json"), `${JSON.stringify({ stack: s.stack, items: entries }, null, 2)}\n`);
    execFileSync("tar", ["-cf", path.resolve(bundle), "-C", dir, "."]);
    writeLock(s, done);
    say(`wrote ${bundle}: ${entries.length} images and charts (${humanBytes(fs.statSync(bundle).size)})`);
    return errors;
}

async function importBundle(s: StackMirror, c: Crane, work: string, bundle: string): Promise<string[]> {
    const dir = path.join(work, "bundle");
    fs.mkdirSync(dir);
    execFileSync("tar", ["-xf", path.resolve(bundle), "-C", dir]);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as { items: { kind: Item["kind"]; source: string; path: string; digest: string; layout: string }[] };
    const lock = fs.existsSync(s.lockFile) ? JSON.parse(fs.readFileSync(s.lockFile, "utf8")) : undefined;
    const list = manifest.items.map((e): Item & { digest: string; layout: string } => ({
        ...e, rel: e.path, pull: e.layout, target: `${e.kind === "image" ? s.prefix : s.chartPrefix}/${e.path}`,
    }));
    if (list.some((i) => i.kind === "chart") && !s.chartPrefix) throw new Error(`the bundle holds charts but stack ${s.stack} has no registry.chartMirror`);
    return each(list, async (item, n) => {
        const e = item as Item & { digest: string; layout: string };
        const locked = item.kind === "image" ? lock?.images?.[item.source] : lock?.charts?.[`oci://${item.target}`];
        if (locked && locked !== e.digest) throw new Error(`${item.kind} ${item.source}: the bundle holds ${e.digest} but ${s.lockFile} says ${locked}`);
        c.run("push", path.join(dir, e.layout), item.target);
        const got = c.digest(item.target);
        if (got !== e.digest) throw new Error(`${item.kind} ${item.source}: the mirror holds ${got} after the push, the bundle ${e.digest}`);
        say(`${n} ${item.target} ${got.slice(0, 19)} verified`);
    });
}

/** `list`: what `mirror` would copy, as JSON on stdout; nothing is read from a registry. */
async function list(s: StackMirror): Promise<number> {
    const entries = (await items(s)).map((i) => ({ kind: i.kind, source: i.source, ...(i.pull !== i.source ? { from: i.pull } : {}), target: i.target }));
    process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return 0;
}

async function main(): Promise<number> {
    const [command, stack, bundle] = process.argv.slice(2);
    if (!["mirror", "list", "export", "import"].includes(command) || !stack || (["export", "import"].includes(command) && !bundle)) {
        say("usage: main.ts mirror STACK | list STACK | export STACK BUNDLE | import STACK BUNDLE");
        return 2;
    }
    const s = readStack(stack, process.env.MLPLAT_PROJECT_DIR ?? path.join(__dirname, "..", ".."));
    if (command === "list") return list(s);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-mirror-"));
    const hosts = [...new Set([s.prefix, s.chartPrefix ?? ""].filter(Boolean).map((p) => p.split("/")[0]))];
    const auth = s.username && s.password && process.env.MLPLAT_MIRROR_AUTH !== "docker" ? dockerConfigWith(hosts, s.username, s.password) : undefined;
    try {
        const c = crane(process.env.CRANE ?? "crane", auth, process.env.MLPLAT_MIRROR_INSECURE === "1");
        const errors = command === "mirror" ? await mirror(s, c, work)
            : command === "export" ? await exportBundle(s, c, work, bundle) : await importBundle(s, c, work, bundle);
        if (errors.length === 0) return 0;
        say(`${errors.length} of them failed:`);
        for (const e of errors) say(`  - ${e}`);
        return 1;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
        if (auth) fs.rmSync(auth, { recursive: true, force: true });
    }
}

main().then((code) => process.exit(code), (e) => { say(`error: ${(e as Error).message}`); process.exit(1); });
