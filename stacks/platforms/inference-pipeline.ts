// The inference pipeline on the stack side: its `inferencePipeline.*` settings, their formats
// and rules, and the adapter from the flat config to InferencePipelineArgs
// (components/platforms/inference-pipeline). The config rules validate the same
// PipelineSettings the component derives its names from, so a bad queue name or path is
// reported by its config key before anything is registered.
import { z } from "zod";
import { DATA_SERVICES } from "../../components/data";
import {
    InferencePipelineArgs, PipelineSettings, PipelineSettingsError, QuotaResetFrequency, pipelineNames,
} from "../../components/platforms/inference-pipeline";
import { chartMirrorOf, dataServiceArgs, FoundationConfig, FoundationKey } from "../foundation";
import {
    bool, choice, enabledOrRefused, ConfigOf, count, dnsLabel, dnsName, Format, hostName, int, isSet, list, namespaceName, optional,
    pinnedImage, pinnedOrEmpty, PlatformSettings, Rule, setCmd, Setting, str,
} from "../setting";

export const INFERENCE_PIPELINE_SETTINGS = {
    "inferencePipeline.enabled": bool(false, "Deploy the asynchronous inference pipeline (needs an ingress controller); see docs/platforms/inference-pipeline.md. Its PostgreSQL, Redis and RabbitMQ come from data.postgresql.*, data.redis.*, data.rabbitmq.*."),
    "inferencePipeline.namespace": str("mlplat-inference", "Namespace of the pipeline (and of its embedded or chart data services)."),
    "inferencePipeline.namePrefix": str("inference", "Prefix of every Kubernetes object name of the pipeline (`<prefix>-api-gateway`, `<prefix>-ml-worker`, ...): a DNS label of at most 30 characters."),
    "inferencePipeline.host": str("", "Host name of the pipeline's Ingress, e.g. `inference.example.com`: the gateway's path and, unless inferencePipeline.apiHost is set, the API service's `/status/` and `/quota`. Required when the pipeline is enabled."),
    "inferencePipeline.apiHost": str("", "Host name for the API service's routes (`/status/{id}`, `/quota`); empty means inferencePipeline.host."),
    "inferencePipeline.tls.secretName": str("", "`kubernetes.io/tls` Secret in the pipeline's namespace for the Ingress hosts; setting it (or tls.clusterIssuer) turns the URLs to https. Empty with tls.clusterIssuer set means `<namePrefix>-tls`."),
    "inferencePipeline.tls.clusterIssuer": str("", "cert-manager ClusterIssuer that issues the Ingress certificate (annotation `cert-manager.io/cluster-issuer`); empty for none."),
    "inferencePipeline.ingressNamespace": str("", "Namespace of the ingress controller: the NetworkPolicies let only it reach the gateway and the API service. Empty means ingress.nginx.namespace when the stack installs ingress-nginx (ingress.controller install), else any namespace (still only those two workloads and ports)."),
    "inferencePipeline.externalDataCidrs": list("CIDRs the pipeline may reach `external` data services in (egress on their ports only), e.g. `[\"10.20.0.0/16\"]`; empty means any address."),
    "inferencePipeline.gateway.replicas": int(2, "Replicas of the API gateway (Benthos)."),
    "inferencePipeline.gateway.path": str("/api/v1/inference", "Path of the inference endpoint (`POST`), routed by the Ingress to the gateway."),
    "inferencePipeline.worker.minReplicas": int(1, "Fewest ML worker replicas KEDA scales to (0 allows scale to zero)."),
    "inferencePipeline.worker.maxReplicas": int(10, "Most ML worker replicas KEDA scales to."),
    "inferencePipeline.worker.queueLength": int(5, "Target messages in the requests queue per worker replica (KEDA RabbitMQ trigger, mode QueueLength)."),
    "inferencePipeline.worker.pollingInterval": int(15, "Seconds between KEDA's checks of the queue length."),
    "inferencePipeline.worker.cooldownPeriod": int(30, "Seconds KEDA waits after the last active trigger before scaling the workers to zero (minReplicas 0 only)."),
    "inferencePipeline.collector.replicas": int(1, "Replicas of the results collector (Benthos)."),
    "inferencePipeline.queues.requests": str("inference_requests", "RabbitMQ queue of inference jobs (gateway → workers); the ScaledObject watches it."),
    "inferencePipeline.queues.results": str("inference_results", "RabbitMQ queue of results (workers → collector)."),
    "inferencePipeline.model.image": str("", "Image of your model server, pinned (never latest). It serves `POST <model.inferencePath>`, `<model.healthPath>` and `<model.readyPath>` on model.port and finds its model under model.path (env MODEL_PATH). Required when the pipeline is enabled."),
    "inferencePipeline.model.port": int(8080, "Container and Service port of the model server."),
    "inferencePipeline.model.inferencePath": str("/v1/generate", "Path the workers POST inference requests to."),
    "inferencePipeline.model.healthPath": str("/health", "Liveness probe path of the model server."),
    "inferencePipeline.model.readyPath": str("/ready", "Readiness probe path of the model server."),
    "inferencePipeline.model.timeout": str("60s", "Timeout of one model call (Go duration), before the worker retries (twice) and then fails the request."),
    "inferencePipeline.model.path": str("/models", "Where the model volume is mounted in the model server (env MODEL_PATH)."),
    "inferencePipeline.model.size": str("10Gi", "Size of the model PersistentVolumeClaim."),
    "inferencePipeline.model.storageClass": str("", "StorageClass of the model PersistentVolumeClaim; empty means cluster.storageClass."),
    "inferencePipeline.model.accessMode": choice(["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany"] as const, "ReadWriteOnce", "Access mode of the model volume. More than one model replica needs ReadWriteMany or ReadOnlyMany (with ReadWriteOnce the Deployment uses the Recreate strategy)."),
    "inferencePipeline.model.replicas": int(1, "Replicas of the model server."),
    "inferencePipeline.model.cpu": str("500m", "CPU request of the model server."),
    "inferencePipeline.model.cpuLimit": str("2", "CPU limit of the model server."),
    "inferencePipeline.model.memory": str("1Gi", "Memory request of the model server."),
    "inferencePipeline.model.memoryLimit": str("4Gi", "Memory limit of the model server."),
    "inferencePipeline.model.gpus": int(0, "NVIDIA GPUs (`nvidia.com/gpu`) per model server replica; 0 for none."),
    "inferencePipeline.model.runAsUser": int(1000, "UID the model server runs as (non-root; also the group owning the model volume)."),
    "inferencePipeline.apiService.image": str("", "Image of your own API service (`GET /status/{id}`, `GET /quota?user_id=`), pinned; empty means the built-in one: a generated Benthos config on the pinned jeffail/benthos:4.21.0."),
    "inferencePipeline.apiService.port": int(8080, "Container port of the API service."),
    "inferencePipeline.apiService.replicas": int(1, "Replicas of the API service."),
    "inferencePipeline.apiService.healthPath": str("/ping", "Liveness probe path of a custom inferencePipeline.apiService.image (the built-in one serves /ping)."),
    "inferencePipeline.apiService.readyPath": str("/ready", "Readiness probe path of a custom inferencePipeline.apiService.image (the built-in one serves /ready)."),
    "inferencePipeline.dbInit.image": str(DATA_SERVICES.postgresql.image, "PostgreSQL client image of the DB-init Job (runs psql), pinned."),
    "inferencePipeline.quota.requestLimit": int(1000, "Requests per window of users without a `quotas` row."),
    "inferencePipeline.quota.tokenLimit": int(1_000_000, "Tokens per window of users without a `quotas` row."),
    "inferencePipeline.quota.tier": str("free", "Tier name of the default quota."),
    "inferencePipeline.quota.resetFrequency": choice(["daily", "monthly", "never"] as const, "daily", "Window of the default quota's counters."),
    "inferencePipeline.seedTestUser": bool(false, "Create the user `test-user` (default quota) in the DB-init Job, for smoke tests. Keep it off in production."),
    "inferencePipeline.keda.install": bool(true, "`true`: install KEDA from its pinned chart (kedacore/keda) in inferencePipeline.keda.namespace, CRDs first. `false`: KEDA is already present in the cluster (its CRDs and operator)."),
    "inferencePipeline.keda.chartVersion": str("2.14.1", "Version of the kedacore/keda chart (https://kedacore.github.io/charts, or registry.chartMirror) when inferencePipeline.keda.install is true."),
    "inferencePipeline.keda.namespace": str("keda", "Namespace KEDA runs in (installed there, or already present); its operator may reach an in-namespace RabbitMQ to read the queue length."),
} satisfies Record<string, Setting>;

type PipelineKey = keyof typeof INFERENCE_PIPELINE_SETTINGS;
/** The `inferencePipeline.*` values (a StackConfig, or the parser's raw values). */
type PipelineConfig = ConfigOf<typeof INFERENCE_PIPELINE_SETTINGS>;

const quantity = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/;
const urlPath = /^\/[A-Za-z0-9._~\/-]*$/;
const cidr = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;
export const INFERENCE_PIPELINE_FORMATS = {
    "inferencePipeline.namespace": namespaceName("mlplat-inference"),
    "inferencePipeline.host": hostName("inference.example.com"),
    "inferencePipeline.apiHost": hostName("api.inference.example.com"),
    "inferencePipeline.tls.secretName": { schema: optional(dnsName, "must be a Kubernetes object name"), example: "inference-tls" },
    "inferencePipeline.tls.clusterIssuer": { schema: optional(dnsName, "must be a Kubernetes object name"), example: "letsencrypt" },
    "inferencePipeline.ingressNamespace": { schema: optional(dnsLabel, "must be a namespace name (DNS label)"), example: "ingress-nginx" },
    "inferencePipeline.externalDataCidrs": { schema: z.array(z.string().regex(cidr, "each entry must be a CIDR like 10.20.0.0/16")), example: `'["10.20.0.0/16"]'` },
    "inferencePipeline.gateway.replicas": { schema: count(1, "must be at least 1"), example: "2" },
    "inferencePipeline.gateway.path": { schema: z.string().regex(urlPath, "must be an absolute URL path"), example: "/api/v1/inference" },
    "inferencePipeline.worker.minReplicas": { schema: count(0, "must not be negative"), example: "1" },
    "inferencePipeline.worker.maxReplicas": { schema: count(1, "must be at least 1"), example: "10" },
    "inferencePipeline.worker.queueLength": { schema: count(1, "must be at least 1"), example: "5" },
    "inferencePipeline.worker.pollingInterval": { schema: count(1, "must be at least 1 (seconds)"), example: "15" },
    "inferencePipeline.worker.cooldownPeriod": { schema: count(0, "must not be negative (seconds)"), example: "30" },
    "inferencePipeline.collector.replicas": { schema: count(1, "must be at least 1"), example: "1" },
    "inferencePipeline.model.image": { schema: pinnedOrEmpty, example: "registry.example.com/ml/model-server:1.4.2" },
    "inferencePipeline.model.path": { schema: z.string().regex(/^\/[A-Za-z0-9._-][A-Za-z0-9._\/-]*$/, "must be an absolute path other than /"), example: "/models" },
    "inferencePipeline.model.size": { schema: z.string().regex(quantity, "must be a Kubernetes quantity"), example: "10Gi" },
    "inferencePipeline.model.storageClass": { schema: optional(dnsName, "must be a Kubernetes object name (lowercase, digits, '-', '.')"), example: "standard" },
    "inferencePipeline.model.replicas": { schema: count(1, "must be at least 1"), example: "1" },
    "inferencePipeline.model.cpu": { schema: z.string().regex(quantity, "must be a Kubernetes quantity"), example: "500m" },
    "inferencePipeline.model.cpuLimit": { schema: z.string().regex(quantity, "must be a Kubernetes quantity"), example: "2" },
    "inferencePipeline.model.memory": { schema: z.string().regex(quantity, "must be a Kubernetes quantity"), example: "1Gi" },
    "inferencePipeline.model.memoryLimit": { schema: z.string().regex(quantity, "must be a Kubernetes quantity"), example: "4Gi" },
    "inferencePipeline.model.gpus": { schema: count(0, "must not be negative"), example: "1" },
    "inferencePipeline.model.runAsUser": { schema: count(1, "must be a non-root UID (1 or more)"), example: "1000" },
    "inferencePipeline.apiService.image": { schema: pinnedOrEmpty, example: "registry.example.com/ml/api-service:1.0.3" },
    "inferencePipeline.apiService.replicas": { schema: count(1, "must be at least 1"), example: "1" },
    "inferencePipeline.apiService.healthPath": { schema: z.string().regex(urlPath, "must be an absolute URL path"), example: "/health" },
    "inferencePipeline.apiService.readyPath": { schema: z.string().regex(urlPath, "must be an absolute URL path"), example: "/ready" },
    "inferencePipeline.dbInit.image": { schema: pinnedImage, example: DATA_SERVICES.postgresql.image },
    "inferencePipeline.keda.chartVersion": { schema: z.string().regex(/^\d+\.\d+\.\d+$/, "must be an exact chart version like 2.14.1"), example: "2.14.1" },
    "inferencePipeline.keda.namespace": namespaceName("keda"),
} satisfies Partial<Record<PipelineKey, Format>>;

/** A Kubernetes quantity in base units (cores, bytes), for request ≤ limit checks. */
function quantityValue(q: string): number {
    const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(q);
    if (!m) return NaN;
    const unit: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
    return Number(m[1]) * (m[2] ? unit[m[2]] : 1);
}

export const inferencePipelineRule: Rule<FoundationKey | PipelineKey> = (v, problem) => {
    if (!enabledOrRefused(v, "inferencePipeline.enabled", INFERENCE_PIPELINE_SETTINGS, problem)) return;
    if (!isSet(v["inferencePipeline.host"])) {
        problem("inferencePipeline.host", "is required when inferencePipeline.enabled is true: the host name the pipeline's Ingress serves",
            setCmd("inferencePipeline.host", "inference.example.com"));
    }
    if (!isSet(v["inferencePipeline.model.image"])) {
        problem("inferencePipeline.model.image", "is required when inferencePipeline.enabled is true: the pinned image of your model server",
            setCmd("inferencePipeline.model.image", "registry.example.com/ml/model-server:1.4.2"));
    }
    const min = v["inferencePipeline.worker.minReplicas"] as number;
    const max = v["inferencePipeline.worker.maxReplicas"] as number;
    if (min > max) {
        problem("inferencePipeline.worker.minReplicas", `must not be greater than inferencePipeline.worker.maxReplicas (${min} > ${max})`,
            `pulumi config set inferencePipeline.worker.minReplicas ${max} (or raise inferencePipeline.worker.maxReplicas)`);
    }
    for (const [request, limit] of [["inferencePipeline.model.cpu", "inferencePipeline.model.cpuLimit"], ["inferencePipeline.model.memory", "inferencePipeline.model.memoryLimit"]] as const) {
        const r = quantityValue(v[request] as string);
        const l = quantityValue(v[limit] as string);
        if (r > l) {
            problem(request, `must not be greater than ${limit} (${v[request]} > ${v[limit]})`, `pulumi config set ${request} ${v[limit]} (or raise ${limit})`);
        }
    }
    if ((v["inferencePipeline.model.replicas"] as number) > 1 && v["inferencePipeline.model.accessMode"] === "ReadWriteOnce") {
        problem("inferencePipeline.model.accessMode", `is ReadWriteOnce, but inferencePipeline.model.replicas is ${v["inferencePipeline.model.replicas"]}: replicas on different nodes cannot mount one ReadWriteOnce volume`,
            "pulumi config set inferencePipeline.model.accessMode ReadWriteMany (or ReadOnlyMany; or pulumi config set inferencePipeline.model.replicas 1)");
    }
    if (!isSet(v["inferencePipeline.apiService.image"])) {
        for (const k of ["inferencePipeline.apiService.healthPath", "inferencePipeline.apiService.readyPath"] as const) {
            if (v[k] !== INFERENCE_PIPELINE_SETTINGS[k].default) {
                problem(k, "applies only to a custom inferencePipeline.apiService.image; the built-in API service serves /ping and /ready",
                    `pulumi config set inferencePipeline.apiService.image <your pinned image> (or pulumi config rm ${k})`);
            }
        }
    }
    if (v["inferencePipeline.keda.install"] === false && v["inferencePipeline.keda.chartVersion"] !== INFERENCE_PIPELINE_SETTINGS["inferencePipeline.keda.chartVersion"].default) {
        problem("inferencePipeline.keda.chartVersion", "is set but inferencePipeline.keda.install is false (KEDA declared present), so it would be ignored",
            "pulumi config set inferencePipeline.keda.install true (or pulumi config rm inferencePipeline.keda.chartVersion)");
    }
    const ns = v["inferencePipeline.namespace"];
    if (v["inferencePipeline.keda.install"] === true && v["inferencePipeline.keda.namespace"] === ns) {
        problem("inferencePipeline.keda.namespace", `must differ from inferencePipeline.namespace (${ns}): KEDA is cluster-wide and gets a namespace of its own`,
            setCmd("inferencePipeline.keda.namespace", "keda"));
    }
    if (v["storage.kind"] === "minio" && v["storage.minio.namespace"] === ns) {
        problem("inferencePipeline.namespace", `must differ from storage.minio.namespace (${ns}): each creates its namespace`,
            setCmd("inferencePipeline.namespace", "mlplat-inference"));
    }
    const pipelineData = ["postgresql", "redis", "rabbitmq"] as const;
    if ((v["inferencePipeline.externalDataCidrs"] as string[]).length > 0 && !pipelineData.some((s) => v[`data.${s}.mode`] === "external")) {
        problem("inferencePipeline.externalDataCidrs", "is set but none of data.postgresql.mode, data.redis.mode, data.rabbitmq.mode is external, so it would be ignored",
            "pulumi config rm inferencePipeline.externalDataCidrs (or pulumi config set data.postgresql.mode external)");
    }
    const charted = pipelineData.some((s) => v[`data.${s}.mode`] === "chart") || v["data.mongodb.mode"] === "chart";
    if (v["inferencePipeline.keda.install"] === true && v["registry.mode"] === "mirror" && !isSet(v["registry.chartMirror"]) && !charted) {
        problem("registry.chartMirror", "is required when registry.mode is mirror and inferencePipeline.keda.install is true: the air-gapped cluster cannot reach the KEDA chart repository",
            setCmd("registry.chartMirror", "oci://registry.corp:5000/charts"));
    }
    for (const { key, message } of pipelineSettingsProblems(v as unknown as PipelineConfig)) {
        problem(key, message, setCmd(key, String(INFERENCE_PIPELINE_SETTINGS[key].default)));
    }
};

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
export function inferencePipelineArgs(cfg: FoundationConfig & PipelineConfig): InferencePipelineArgs {
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
        // Unset: the namespace of the ingress-nginx the stack installs, else any namespace.
        ingressNamespace: c["inferencePipeline.ingressNamespace"] || (c["ingress.controller"] === "install" ? c["ingress.nginx.namespace"] : undefined),
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
            ? { install: true, chartVersion: c["inferencePipeline.keda.chartVersion"], namespace: c["inferencePipeline.keda.namespace"], chartMirror: chartMirrorOf(c) }
            : { install: false, namespace: c["inferencePipeline.keda.namespace"] },
    };
}

/** The pipeline's part of the settings table and the parser. */
export const INFERENCE_PIPELINE: PlatformSettings<PipelineKey> = {
    enabled: "inferencePipeline.enabled",
    title: "the inference pipeline",
    needsIngress: true,
    needsStorage: false,
    settings: INFERENCE_PIPELINE_SETTINGS,
    formats: INFERENCE_PIPELINE_FORMATS,
    rule: inferencePipelineRule,
};
