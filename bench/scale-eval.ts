// One program evaluation under mocks with N extra model servers, printed as one JSON line:
//   node_modules/.bin/ts-node --transpile-only bench/scale-eval.ts N
// The dev stack's config (Pulumi.dev.yaml, as the unit tests read it) plus N models
// `modelServing.models.mNNNN.*` (ClusterIP: NodePorts would run out at 2,768), evaluated by the
// unit harness (test/unit/harness.ts runStack: the real composition, every resource registered
// with the mock monitor). Time: from before the config is parsed to the last registration;
// memory: the process's peak RSS and the heap after the run.
import { performance } from "perf_hooks";
import { runStack, stackFileConfig, tempKubeconfig } from "../test/unit/harness";

export function modelsConfig(n: number): Record<string, string> {
    const out: Record<string, string> = { "modelServing.enabled": "true" };
    for (let i = 1; i <= n; i++) {
        const m = `modelServing.models.m${String(i).padStart(4, "0")}`;
        out[`${m}.image`] = "hashicorp/http-echo:1.0.0";
        out[`${m}.port`] = "5678";
        out[`${m}.probePath`] = "/";
        out[`${m}.serviceType`] = "ClusterIP";
        out[`${m}.startupSeconds`] = "60";
    }
    return out;
}

async function main(): Promise<void> {
    const n = Number(process.argv[2] ?? "10");
    const config = { ...stackFileConfig("dev"), "cluster.kubeconfig": tempKubeconfig(), ...modelsConfig(n) };
    const t0 = performance.now();
    const run = await runStack(config);
    const ms = performance.now() - t0;
    if (run.error) throw run.error;
    const models = Object.keys(run.outputs?.modelServing ?? {}).length;
    console.log(JSON.stringify({
        n, models, resources: run.resources.length, seconds: +(ms / 1000).toFixed(3),
        maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 1048576),
    }));
}

main().catch((e) => { console.error(e); process.exit(1); });
