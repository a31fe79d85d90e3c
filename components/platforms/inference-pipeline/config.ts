// The stack config's `inferencePipeline.*` keys → the pipeline's typed inputs. Pure: the
// config rules (stacks/config.ts) validate the same PipelineSettings the component
// derives its names from, so a bad queue name or path is reported by its config key
// before anything is registered. `inferencePipelineArgs` is what stacks/compose.ts hands
// the component.
import type { StackConfig } from "../../../stacks/config";
import { dataServiceArgs } from "../../data/service";
import type { InferencePipelineArgs } from "./index";
import { PipelineSettings, PipelineSettingsError, QuotaResetFrequency, pipelineNames } from "./names";

/** The `inferencePipeline.*` values this module reads (a StackConfig, or the parser's raw values). */
type PipelineConfig = Pick<StackConfig, Extract<keyof StackConfig, `inferencePipeline.${string}`>>;

/** PipelineSettings (names.ts) from the stack config. */
export function pipelineSettingsFromConfig(cfg: PipelineConfig): PipelineSettings {
    return {
        namePrefix: cfg["inferencePipeline.namePrefix"],
        queues: { requests: cfg["inferencePipeline.queues.requests"], results: cfg["inferencePipeline.queues.results"] },
        gateway: { path: cfg["inferencePipeline.gateway.path"] },
        modelService: {
            port: cfg["inferencePipeline.model.port"],
            inferencePath: cfg["inferencePipeline.model.inferencePath"],
            healthPath: cfg["inferencePipeline.model.healthPath"],
            readyPath: cfg["inferencePipeline.model.readyPath"],
            timeout: cfg["inferencePipeline.model.timeout"],
        },
        apiService: { port: cfg["inferencePipeline.apiService.port"] },
        defaultQuota: {
            requestLimit: cfg["inferencePipeline.quota.requestLimit"],
            tokenLimit: cfg["inferencePipeline.quota.tokenLimit"],
            tier: cfg["inferencePipeline.quota.tier"],
            resetFrequency: cfg["inferencePipeline.quota.resetFrequency"] as QuotaResetFrequency,
        },
        // names.ts seeds `test-user` by default; the stack does so only when asked.
        seedUsers: cfg["inferencePipeline.seedTestUser"] ? undefined : [],
    };
}

/** The config key behind each PipelineSettings path that pipelineNames() reports problems under. */
const SETTING_KEYS: Record<string, keyof PipelineConfig> = {
    "namePrefix": "inferencePipeline.namePrefix",
    "queues": "inferencePipeline.queues.results",
    "queues.requests": "inferencePipeline.queues.requests",
    "queues.results": "inferencePipeline.queues.results",
    "gateway.path": "inferencePipeline.gateway.path",
    "modelService.port": "inferencePipeline.model.port",
    "modelService.inferencePath": "inferencePipeline.model.inferencePath",
    "modelService.healthPath": "inferencePipeline.model.healthPath",
    "modelService.readyPath": "inferencePipeline.model.readyPath",
    "modelService.timeout": "inferencePipeline.model.timeout",
    "apiService.port": "inferencePipeline.apiService.port",
    "defaultQuota.requestLimit": "inferencePipeline.quota.requestLimit",
    "defaultQuota.tokenLimit": "inferencePipeline.quota.tokenLimit",
    "defaultQuota.tier": "inferencePipeline.quota.tier",
    "defaultQuota.resetFrequency": "inferencePipeline.quota.resetFrequency",
};

/**
 * The problems pipelineNames() finds in the configured settings, by config key (e.g.
 * `inferencePipeline.gateway.path` → `"/ping" must be an absolute URL path other than ...`).
 */
export function pipelineSettingsProblems(cfg: PipelineConfig): { key: keyof PipelineConfig; message: string }[] {
    try {
        pipelineNames(pipelineSettingsFromConfig(cfg));
        return [];
    } catch (e) {
        if (!(e instanceof PipelineSettingsError)) throw e;
        return e.problems.map((p) => {
            const i = p.indexOf(": ");
            const path = p.slice(0, i);
            return { key: SETTING_KEYS[path] ?? "inferencePipeline.namePrefix", message: p.slice(i + 2) };
        });
    }
}

/** The InferencePipelineArgs the stack config gives (`inferencePipeline.*`, `data.*`, `registry.chartMirror`). */
export function inferencePipelineArgs(cfg: StackConfig): InferencePipelineArgs {
    const c = cfg;
    const cidrs = c["inferencePipeline.externalDataCidrs"];
    return {
        namespace: c["inferencePipeline.namespace"],
        settings: pipelineSettingsFromConfig(c),
        host: c["inferencePipeline.host"],
        apiHost: c["inferencePipeline.apiHost"] || undefined,
        tls: {
            secretName: c["inferencePipeline.tls.secretName"] || undefined,
            clusterIssuer: c["inferencePipeline.tls.clusterIssuer"] || undefined,
        },
        ingressNamespace: c["inferencePipeline.ingressNamespace"] || undefined,
        data: {
            postgresql: dataServiceArgs(c, "postgresql"),
            redis: dataServiceArgs(c, "redis"),
            rabbitmq: dataServiceArgs(c, "rabbitmq"),
        },
        externalDataCidrs: cidrs.length > 0 ? cidrs : undefined,
        gateway: { replicas: c["inferencePipeline.gateway.replicas"] },
        collector: { replicas: c["inferencePipeline.collector.replicas"] },
        worker: {
            minReplicas: c["inferencePipeline.worker.minReplicas"],
            maxReplicas: c["inferencePipeline.worker.maxReplicas"],
            queueLength: c["inferencePipeline.worker.queueLength"],
            pollingInterval: c["inferencePipeline.worker.pollingInterval"],
            cooldownPeriod: c["inferencePipeline.worker.cooldownPeriod"],
        },
        model: {
            image: c["inferencePipeline.model.image"],
            path: c["inferencePipeline.model.path"],
            size: c["inferencePipeline.model.size"],
            storageClass: c["inferencePipeline.model.storageClass"] || undefined,
            accessMode: c["inferencePipeline.model.accessMode"],
            replicas: c["inferencePipeline.model.replicas"],
            resources: {
                requests: { cpu: c["inferencePipeline.model.cpu"], memory: c["inferencePipeline.model.memory"], ephemeralStorage: "256Mi" },
                limits: { cpu: c["inferencePipeline.model.cpuLimit"], memory: c["inferencePipeline.model.memoryLimit"], ephemeralStorage: "2Gi" },
            },
            gpus: c["inferencePipeline.model.gpus"],
            runAsUser: c["inferencePipeline.model.runAsUser"],
        },
        apiService: {
            image: c["inferencePipeline.apiService.image"] || undefined,
            replicas: c["inferencePipeline.apiService.replicas"],
            healthPath: c["inferencePipeline.apiService.healthPath"],
            readyPath: c["inferencePipeline.apiService.readyPath"],
        },
        dbInitImage: c["inferencePipeline.dbInit.image"],
        keda: c["inferencePipeline.keda.install"]
            ? { install: true, chartVersion: c["inferencePipeline.keda.chartVersion"], namespace: c["inferencePipeline.keda.namespace"], chartMirror: c["registry.chartMirror"] || undefined }
            : { install: false, namespace: c["inferencePipeline.keda.namespace"] },
    };
}
