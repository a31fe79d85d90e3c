// Helm charts as OCI artifacts, the form `helm push` gives them and helm.v4.Chart pulls from
// registry.chartMirror: a manifest whose config is the chart's metadata (Chart.yaml as JSON)
// and whose one layer is the packaged chart. Charts of classic repositories (index.yaml) are
// downloaded and written as an OCI layout here; crane pushes the layout.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

const CONFIG_TYPE = "application/vnd.cncf.helm.config.v1+json";
const LAYER_TYPE = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
const MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";

const sha256 = (b: Buffer | string) => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;

/** Writes `chartTgz` (a packaged chart) as a one-manifest OCI layout in `dir`; returns the manifest digest. */
export function writeChartLayout(chartTgz: Buffer, dir: string): string {
    const list = execFileSync("tar", ["-tzf", "-"], { input: chartTgz, encoding: "utf8", maxBuffer: 64 << 20 }).split("\n");
    const chartYaml = list.find((f) => /^[^/]+\/Chart\.yaml$/.test(f));
    if (!chartYaml) throw new Error("not a packaged Helm chart (no <name>/Chart.yaml)");
    const meta = parse(execFileSync("tar", ["-xzOf", "-", chartYaml], { input: chartTgz, encoding: "utf8" }));
    const config = Buffer.from(JSON.stringify(meta));
    const manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: MANIFEST_TYPE,
        config: { mediaType: CONFIG_TYPE, digest: sha256(config), size: config.length },
        layers: [{ mediaType: LAYER_TYPE, digest: sha256(chartTgz), size: chartTgz.length }],
    }));
    const blobs = path.join(dir, "blobs", "sha256");
    fs.mkdirSync(blobs, { recursive: true });
    for (const b of [config, chartTgz, manifest]) fs.writeFileSync(path.join(blobs, sha256(b).slice(7)), b);
    fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    fs.writeFileSync(path.join(dir, "index.json"), JSON.stringify({
        schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [{ mediaType: MANIFEST_TYPE, digest: sha256(manifest), size: manifest.length }],
    }));
    return sha256(manifest);
}

/** Downloads `chart` at `version` from a classic Helm repository (its index.yaml), checking the index's digest. */
export async function fetchRepoChart(repo: string, chart: string, version: string): Promise<Buffer> {
    const base = repo.endsWith("/") ? repo : `${repo}/`;
    const res = await fetch(new URL("index.yaml", base));
    if (!res.ok) throw new Error(`${base}index.yaml: HTTP ${res.status}`);
    const index = parse(await res.text()) as { entries?: Record<string, { version: string; urls: string[]; digest?: string }[]> };
    const entry = index.entries?.[chart]?.find((e) => e.version === version);
    if (!entry) throw new Error(`chart ${chart} ${version} is not in ${base}index.yaml`);
    const tgz = await fetch(new URL(entry.urls[0], base));
    if (!tgz.ok) throw new Error(`${entry.urls[0]}: HTTP ${tgz.status}`);
    const bytes = Buffer.from(await tgz.arrayBuffer());
    if (entry.digest && sha256(bytes) !== `sha256:${entry.digest}`) throw new Error(`${chart} ${version}: the download does not match the digest in index.yaml`);
    return bytes;
}
