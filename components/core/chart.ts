// Helm charts through @pulumi/kubernetes helm.v4.Chart: rendered by the provider, each
// object a resource of its own (per-object preview diffs, transforms, policy coverage).
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** Where a chart comes from. Repository and OCI sources are pinned by version. */
export type ChartSource =
    | { repo: string; chart: string; version: string }
    /** `plainHttp`: the OCI registry speaks plain HTTP (a chart mirror without TLS). */
    | { oci: string; version: string; plainHttp?: boolean }
    | { path: string };

/**
 * The stack's chart mirror (`registry.chartMirror`, e.g. `oci://registry.corp:5000/charts`):
 * its URL, or the URL and whether it is plain HTTP (`registry.chartMirrorPlainHttp`).
 */
export type ChartMirror = string | { url: string; plainHttp?: boolean };

/**
 * Resolves a component's public chart source against the stack's chart mirror: with one set
 * every public chart is pulled from `<mirror>/<chart>` at the same pinned version (over plain
 * HTTP if the mirror says so); local paths stay local.
 */
export function resolveChartSource(source: ChartSource, chartMirror: ChartMirror | undefined): ChartSource {
    const mirror = typeof chartMirror === "string" ? { url: chartMirror } : chartMirror;
    if (!mirror?.url || "path" in source) return source;
    const chart = "chart" in source ? source.chart : source.oci.slice(source.oci.lastIndexOf("/") + 1);
    return { oci: `${mirror.url.replace(/\/+$/, "")}/${chart}`, version: source.version, ...(mirror.plainHttp ? { plainHttp: true } : {}) };
}

export interface HelmChartArgs {
    source: ChartSource;
    /** Namespace the chart's namespaced objects go to. */
    namespace: pulumi.Input<string>;
    /** Release name seen by the chart's templates. */
    releaseName: string;
    values?: Record<string, unknown>;
    /** Leave the chart's CRDs out (when a separate CRD chart installs them). */
    skipCrds?: boolean;
}

export class HelmChart extends pulumi.ComponentResource {
    readonly chart: k8s.helm.v4.Chart;
    /** Every object the chart rendered; resolves once all of them are registered. */
    readonly resources: pulumi.Output<unknown[]>;

    constructor(name: string, args: HelmChartArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:core:HelmChart", name, {}, opts);
        const s = args.source;
        const where = "path" in s ? { chart: s.path }
            : "oci" in s ? { chart: s.oci, version: s.version, ...(s.plainHttp ? { plainHttp: true } : {}) }
            : { chart: s.chart, version: s.version, repositoryOpts: { repo: s.repo } };
        // The wrapper's dependsOn holds for the chart itself (children do not inherit it), so
        // e.g. a CRDs manifest or chart is installed before the chart whose objects use them.
        this.chart = new k8s.helm.v4.Chart(name, {
            ...where,
            name: args.releaseName,
            namespace: args.namespace,
            values: args.values,
            skipCrds: args.skipCrds,
        }, { parent: this, dependsOn: opts?.dependsOn });
        this.resources = this.chart.resources;
        this.registerOutputs({ resources: this.resources });
    }
}
