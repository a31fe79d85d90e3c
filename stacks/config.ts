// Stack configuration: Pulumi config → one typed, validated object.
//
// `parseConfig` is pure (raw strings + which keys are secret → StackConfig) so that
// every rule is testable without a Pulumi engine; `loadConfig` feeds it from the
// running program. Validation collects every problem before throwing, so a user
// fixes their config in one round; nothing is registered before it passes.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { isPinnedImage } from "../components/core/images";
import { connectionStringForm, DataMode, isConnectionString } from "../components/data/connection";
import { DATA_SERVICES, DataServiceName, PROJECT, SETTINGS, Setting, SettingKey } from "./settings";
import { pipelineSettingsProblems } from "../components/platforms/inference-pipeline/config";
import { isPemCertificate } from "../components/platforms/ai-app-store/config";
import { EMISSARY, KNATIVE, knativeTooOld } from "../components/platforms/ai-app-store/versions";
import { compareVersions } from "../components/cluster/types";

type ValueOf<S> =
    S extends { secret: true } ? pulumi.Output<string> | undefined :
    S extends { type: "boolean" } ? boolean :
    S extends { type: "integer" } ? number :
    S extends { type: "array" } ? string[] :
    S extends { choices: readonly (infer C)[] } ? C :
    string;

/** The whole stack configuration, keyed exactly as users set it (`mlplat:` implied). */
export type StackConfig = { readonly [K in SettingKey]: ValueOf<(typeof SETTINGS)[K]> };

export interface ConfigProblem {
    /** Full config key, e.g. `mlplat:registry.mirror.host`. */
    key: string;
    message: string;
    hint: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: ConfigProblem[]) {
        super(`invalid mlplat configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map((p) => `  - ${p.key}: ${p.message}\n      fix: ${p.hint}`).join("\n"));
        this.name = "ConfigError";
    }
}

const KEYS = Object.keys(SETTINGS) as SettingKey[];
const full = (key: string) => `${PROJECT}:${key}`;
const setCmd = (key: string, example: string, secret = false) =>
    `pulumi config set ${secret ? "--secret " : ""}${key} ${example}`;

// Formats of single values. Empty strings mean "not set" and are always accepted here;
// whether a value is required is a cross-field rule below.
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const optional = (re: RegExp, what: string) => z.string().refine((v) => v === "" || re.test(v), what);
// Formats shared by several settings: one wording per rule.
const PINNED = "must be an image with a pinned tag or digest (not latest)";
const pinnedImage = z.string().refine(isPinnedImage, PINNED);
const pinnedOrEmpty = z.string().refine((v) => v === "" || isPinnedImage(v), PINNED);
const NAMESPACE = "must be a namespace name (DNS label)";
const namespaceName = (example: string) => ({ schema: z.string().regex(dnsLabel, NAMESPACE), example });
const hostName = (example: string) => ({ schema: optional(dnsName, "must be a DNS host name (lowercase letters, digits, '-' and '.', no scheme, port or path)"), example });
const FORMATS: Partial<Record<SettingKey, { schema: z.ZodType; example: string }>> = {
    "cluster.kubernetesVersion": { schema: optional(/^v?\d+\.\d+(\.\d+)?$/, "must look like 1.34 or 1.34.2"), example: "1.34" },
    "cluster.nodeCount": { schema: z.number().int().min(0, "must not be negative"), example: "3" },
    "cluster.storageClass": { schema: optional(dnsName, "must be a Kubernetes object name (lowercase, digits, '-', '.')"), example: "standard" },
    "ingress.className": { schema: z.string().regex(dnsName, "must be a Kubernetes object name"), example: "nginx" },
    "registry.mirror.host": {
        schema: optional(/^[a-zA-Z0-9.-]+(:\d{1,5})?$/, "must be a host with an optional port, without scheme or path"),
        example: "registry.corp:5000",
    },
    "registry.mirror.pathPrefix": { schema: optional(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, "must be a lowercase repository path without leading or trailing '/'"), example: "mirror" },
    "registry.pullSecretName": { schema: z.string().regex(dnsName, "must be a Kubernetes object name"), example: "mlplat-registry" },
    "registry.chartMirror": { schema: optional(/^oci:\/\/[a-zA-Z0-9.-]+(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*\/?$/, "must be an OCI registry URL without credentials, like oci://registry.corp:5000/charts"), example: "oci://registry.corp:5000/charts" },
    "storage.bucket": { schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid bucket name: 3-63 lowercase letters, digits, '.' or '-'"), example: "model-zoo" },
    "storage.minio.namespace": namespaceName("mlplat-storage"),
    "storage.minio.size": { schema: z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/, "must be a Kubernetes quantity"), example: "10Gi" },
    "storage.minio.ingressHost": hostName("storage.example.com"),
    "storage.minio.image": { schema: pinnedImage, example: "minio/minio:RELEASE.2025-04-22T22-12-26Z" },
    "storage.minio.clientImage": { schema: pinnedImage, example: "minio/mc:RELEASE.2025-04-16T18-13-26Z" },
    "storage.s3.credentialsNamespace": namespaceName("mlplat-storage"),
    "cluster.existingNamespaces": { schema: z.array(z.string().regex(dnsLabel, "each entry " + NAMESPACE)), example: `'["team-ml"]'` },
    "labels.extra": { schema: z.array(z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?=([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, "each label must be key=value")), example: `'["team=ml"]'` },
};

// data.<service>.* formats, the same for every service.
const identifier = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, "must be a lowercase name: a letter, then letters, digits or '_' (at most 63)");
for (const name of Object.keys(DATA_SERVICES) as DataServiceName[]) {
    const { image, chartVersion, size, secretKey, example } = DATA_SERVICES[name];
    const formats: Record<string, { schema: z.ZodType; example: string }> = {
        image: { schema: pinnedImage, example: image },
        chartVersion: { schema: z.string().regex(/^\d+\.\d+\.\d+$/, "must be an exact chart version like 1.2.3"), example: chartVersion },
        size: { schema: z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/, "must be a Kubernetes quantity"), example: size },
        storageClass: { schema: optional(dnsName, "must be a Kubernetes object name (lowercase, digits, '-', '.')"), example: "standard" },
        username: { schema: identifier, example: "app_user" },
        database: { schema: identifier, example: "app_db" },
        [`external.${secretKey}`]: { schema: z.string().refine((v) => v === "" || isConnectionString(name, v), `must be ${connectionStringForm(name)}`), example: `'${example}'` },
    };
    for (const [suffix, format] of Object.entries(formats)) {
        if (`data.${name}.${suffix}` in SETTINGS) FORMATS[`data.${name}.${suffix}` as SettingKey] = format;
    }
}

function coerce(key: SettingKey, setting: Setting, raw: string | undefined, problems: ConfigProblem[]): unknown {
    if (raw === undefined) return setting.default;
    const bad = (message: string, example: string) => {
        problems.push({ key: full(key), message, hint: setCmd(key, example) });
        return setting.default;
    };
    switch (setting.type) {
        case "boolean":
            return raw === "true" ? true : raw === "false" ? false : bad(`must be true or false, got "${raw}"`, "true");
        case "integer":
            return /^-?\d+$/.test(raw) ? Number(raw) : bad(`must be an integer, got "${raw}"`, "3");
        case "array": {
            try {
                const v: unknown = JSON.parse(raw);
                if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
            } catch { /* reported below */ }
            return bad("must be a JSON array of strings", `'["a","b"]'`);
        }
        case "string":
            if (setting.choices && !setting.choices.includes(raw)) {
                return bad(`must be one of ${setting.choices.join(", ")}; got "${raw}"`, setting.choices[0]);
            }
            return raw;
    }
}

function nearest(key: string): string | undefined {
    const distance = (a: string, b: string) => {
        const d = Array.from({ length: b.length + 1 }, (_, i) => i);
        for (let i = 1; i <= a.length; i++) {
            let prev = d[0];
            d[0] = i;
            for (let j = 1; j <= b.length; j++) {
                const tmp = d[j];
                d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
                prev = tmp;
            }
        }
        return d[b.length];
    };
    const best = KEYS.map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
    return best && best.d <= Math.max(3, key.length / 4) ? best.k : undefined;
}

type Values = { [K in SettingKey]: unknown };
type Rule = (v: Values, problem: (key: SettingKey, message: string, hint: string) => void) => void;

const isSet = (v: unknown) => v !== "" && v !== undefined;
/** Keys under `prefix` that were changed from their defaults. */
const changedUnder = (v: Values, prefix: string) =>
    KEYS.filter((k) => k.startsWith(prefix) && JSON.stringify(v[k]) !== JSON.stringify(SETTINGS[k].default));

/** The modes a `data.<service>.<setting>` applies to; settings not listed apply to every mode (external.* has its own rule). */
const DATA_KEY_MODES: Record<string, readonly DataMode[]> = {
    image: ["embedded"],
    chartVersion: ["chart"],
    size: ["embedded", "chart"],
    storageClass: ["embedded", "chart"],
    username: ["embedded", "chart"],
};

// Contradictions between settings. Each names the key to change and how.
const RULES: Rule[] = [
    (v, problem) => {
        if (v["registry.mode"] === "mirror" && !isSet(v["registry.mirror.host"])) {
            problem("registry.mirror.host", "is required when registry.mode is mirror", setCmd("registry.mirror.host", "registry.corp:5000"));
        }
        if (v["registry.mode"] === "public") {
            for (const k of changedUnder(v, "registry.mirror.")) {
                problem(k, "is set but registry.mode is public, so it would be ignored",
                    `pulumi config set registry.mode mirror (or pulumi config rm ${k})`);
            }
        }
        if (v["registry.mode"] === "mirror" && isSet(v["registry.mirror.username"]) !== isSet(v["registry.mirror.password"])) {
            const missing = isSet(v["registry.mirror.username"]) ? "registry.mirror.password" : "registry.mirror.username";
            problem(missing, "the mirror's username and password go together", setCmd(missing, "<value>", missing.endsWith("password")));
        }
    },
    (v, problem) => {
        const kind = v["storage.kind"];
        for (const [impl, other] of [["minio", "s3"], ["s3", "minio"]] as const) {
            if (kind === impl) continue;
            for (const k of changedUnder(v, `storage.${impl}.`)) {
                problem(k, `is ${impl === "s3" ? "an S3" : "a MinIO"} setting but storage.kind is ${kind}: ${kind === other ? "MinIO and S3 cannot both be selected" : "no object storage is selected"}`,
                    `pulumi config set storage.kind ${impl} (or pulumi config rm ${k})`);
            }
        }
        if (isSet(v["storage.minio.ingressHost"]) && v["ingress.controller"] === "none") {
            problem("storage.minio.ingressHost", "needs an ingress controller but ingress.controller is none",
                "pulumi config set ingress.controller present (or pulumi config rm storage.minio.ingressHost)");
        }
    },
    (v, problem) => {
        for (const name of Object.keys(DATA_SERVICES) as DataServiceName[]) {
            const secretKey = `data.${name}.external.${DATA_SERVICES[name].secretKey}` as SettingKey;
            const mode = v[`data.${name}.mode` as SettingKey];
            if (mode === "external" && !isSet(v[secretKey])) {
                problem(secretKey, `is required when data.${name}.mode is external: it is the connection secret of your ${name}`,
                    setCmd(secretKey, `'${DATA_SERVICES[name].example}'`, true));
            }
            if (mode !== "external" && isSet(v[secretKey])) {
                problem(secretKey, `is set but data.${name}.mode is ${mode}, so it would be ignored`,
                    `pulumi config set data.${name}.mode external (or pulumi config rm ${secretKey})`);
            }
            for (const k of changedUnder(v, `data.${name}.`)) {
                const modes = DATA_KEY_MODES[k.slice(`data.${name}.`.length)];
                if (modes && !modes.includes(mode as DataMode)) {
                    problem(k, `applies only when data.${name}.mode is ${modes.join(" or ")}, but it is ${mode}, so it would be ignored`,
                        `pulumi config set data.${name}.mode ${modes[0]} (or pulumi config rm ${k})`);
                }
            }
        }
        const charted = (Object.keys(DATA_SERVICES) as DataServiceName[]).filter((name) => v[`data.${name}.mode` as SettingKey] === "chart");
        if (v["registry.mode"] === "mirror" && charted.length > 0 && !isSet(v["registry.chartMirror"])) {
            problem("registry.chartMirror", `is required when registry.mode is mirror and a data service uses its chart (${charted.map((n) => `data.${n}.mode`).join(", ")}): the air-gapped cluster cannot reach the public chart registry`,
                setCmd("registry.chartMirror", "oci://registry.corp:5000/charts"));
        }
    },
    (v, problem) => {
        const kind = v["cluster.kind"];
        if (kind === "local") {
            for (const k of ["cluster.context", "cluster.inCluster"] as const) {
                if (JSON.stringify(v[k]) !== JSON.stringify(SETTINGS[k].default)) {
                    problem(k, "applies to existing clusters only; the local control plane has its own kubeconfig",
                        `pulumi config set cluster.kind existing (or pulumi config rm ${k})`);
                }
            }
        }
        if (v["cluster.inCluster"] === true) {
            for (const k of ["cluster.kubeconfig", "cluster.context"] as const) {
                if (isSet(v[k])) {
                    problem(k, "cannot be combined with cluster.inCluster=true", `pulumi config rm ${k} (or pulumi config set cluster.inCluster false)`);
                }
            }
        }
        const kubeconfig = v["cluster.kubeconfig"];
        if (kind === "existing" && typeof kubeconfig === "string" && kubeconfig !== "" && !fs.existsSync(expandHome(kubeconfig))) {
            problem("cluster.kubeconfig", `file ${kubeconfig} does not exist`, setCmd("cluster.kubeconfig", "~/.kube/config"));
        }
    },
    (v, problem) => {
        const needsIngress = [["inferencePipeline.enabled", "the inference pipeline"], ["aiAppStore.enabled", "the AI App Store"]] as const;
        for (const [key, what] of needsIngress) {
            if (v[key] === true && v["ingress.controller"] === "none") {
                problem("ingress.controller", `${what} (${key}) needs an ingress controller, but none is enabled or declared present`,
                    "pulumi config set ingress.controller install (the pinned ingress-nginx chart), or present (when the cluster runs one serving ingress.className)");
            }
        }
        if (v["aiAppStore.enabled"] === true && v["storage.kind"] === "none") {
            problem("storage.kind", "the AI App Store (aiAppStore.enabled) needs object storage", "pulumi config set storage.kind minio (or s3)");
        }
    },
];

// ---- inferencePipeline.* (components/platforms/inference-pipeline): formats and rules ----
const quantity = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/;
const urlPath = /^\/[A-Za-z0-9._~\/-]*$/;
const cidr = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;
const count = (min: number, what: string) => z.number().int().min(min, what);
Object.assign(FORMATS, {
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
} satisfies Partial<Record<SettingKey, { schema: z.ZodType; example: string }>>);

/** A Kubernetes quantity in base units (cores, bytes), for request ≤ limit checks. */
function quantityValue(q: string): number {
    const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(q);
    if (!m) return NaN;
    const unit: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
    return Number(m[1]) * (m[2] ? unit[m[2]] : 1);
}

RULES.push((v, problem) => {
    const p = "inferencePipeline.";
    if (v["inferencePipeline.enabled"] !== true) {
        for (const k of changedUnder(v, p).filter((k) => k !== "inferencePipeline.enabled")) {
            problem(k, "is set but inferencePipeline.enabled is false, so it would be ignored",
                `pulumi config set inferencePipeline.enabled true (or pulumi config rm ${k})`);
        }
        return;
    }
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
            if (v[k] !== SETTINGS[k].default) {
                problem(k, "applies only to a custom inferencePipeline.apiService.image; the built-in API service serves /ping and /ready",
                    `pulumi config set inferencePipeline.apiService.image <your pinned image> (or pulumi config rm ${k})`);
            }
        }
    }
    if (v["inferencePipeline.keda.install"] === false && v["inferencePipeline.keda.chartVersion"] !== SETTINGS["inferencePipeline.keda.chartVersion"].default) {
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
    for (const { key, message } of pipelineSettingsProblems(v as unknown as StackConfig)) {
        problem(key, message, setCmd(key, String(SETTINGS[key].default)));
    }
});
// ---- end inferencePipeline.* ----

// ---- ingress.nginx.* and aiAppStore.* (components/ingress, components/platforms/ai-app-store): formats and rules ----
const exactVersion = (example: string) => ({ schema: z.string().regex(/^\d+\.\d+\.\d+$/, `must be an exact version like ${example}`), example });
const httpUrl = (example: string) => ({ schema: z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, "must be an http(s) URL like https://app.clear.ml"), example });
const taggedImage = (example: string) => ({
    schema: z.string().refine((v) => isPinnedImage(v) && !v.includes("@"), "must be an image with a pinned tag (repository:tag; the chart takes a tag, not a digest)"), example,
});
Object.assign(FORMATS, {
    "ingress.nginx.chartVersion": exactVersion("4.12.1"),
    "ingress.nginx.namespace": namespaceName("ingress-nginx"),
    "aiAppStore.namespace": namespaceName("ai-appstore"),
    "aiAppStore.inferenceNamespace": namespaceName("inference-engine"),
    "aiAppStore.webHost": hostName("web.appstore.example.com"),
    "aiAppStore.apiHost": hostName("api.appstore.example.com"),
    "aiAppStore.tls.secretName": { schema: optional(dnsName, "must be a Kubernetes object name"), example: "ai-appstore-tls" },
    "aiAppStore.tls.clusterIssuer": { schema: optional(dnsName, "must be a Kubernetes object name"), example: "letsencrypt" },
    "aiAppStore.corsOrigins": {
        schema: z.array(z.string().regex(/^https?:\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/, "each entry must be an origin like https://web.appstore.example.com (scheme, host and optional port; no path)")),
        example: `'["https://web.appstore.example.com"]'`,
    },
    "aiAppStore.maxUploadSizeGb": { schema: count(1, "must be at least 1"), example: "10" },
    "aiAppStore.superuser.id": { schema: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 letters, digits, '.', '_' or '-'"), example: "admin" },
    "aiAppStore.clearml.webHost": httpUrl("https://app.clear.ml"),
    "aiAppStore.clearml.apiHost": httpUrl("https://api.clear.ml"),
    "aiAppStore.clearml.filesHost": httpUrl("https://files.clear.ml"),
    "aiAppStore.backend.image": { schema: pinnedOrEmpty, example: "registry.example.com/ai-appstore/aas-backend:1.1.0" },
    "aiAppStore.frontend.image": { schema: pinnedOrEmpty, example: "registry.example.com/ai-appstore/aas-frontend:1.1.0" },
    "aiAppStore.backend.replicas": { schema: count(1, "must be at least 1"), example: "1" },
    "aiAppStore.frontend.replicas": { schema: count(1, "must be at least 1"), example: "1" },
    "aiAppStore.emissary.namespace": namespaceName("emissary"),
    "aiAppStore.emissary.chartVersion": exactVersion(EMISSARY.chartVersion),
    "aiAppStore.emissary.image": taggedImage(EMISSARY.image),
    "aiAppStore.emissary.agentImage": taggedImage(EMISSARY.agentImage),
    "aiAppStore.knative.version": exactVersion(KNATIVE.version),
    "aiAppStore.knative.kourierVersion": exactVersion(KNATIVE.kourierVersion),
    "aiAppStore.knative.domain": { schema: optional(dnsName, "must be a DNS domain (lowercase letters, digits, '-' and '.')"), example: "knative.example.com" },
    "aiAppStore.mongodb.hostPath": { schema: z.string().regex(/^\/[A-Za-z0-9._\/-]*[A-Za-z0-9._-]$/, "must be an absolute path other than /"), example: "/bitnami/mongodb" },
} satisfies Partial<Record<SettingKey, { schema: z.ZodType; example: string }>>);

RULES.push((v, problem) => {
    const controller = v["ingress.controller"];
    if (controller !== "install") {
        for (const k of changedUnder(v, "ingress.nginx.")) {
            problem(k, `applies only when ingress.controller is install, but it is ${controller}, so it would be ignored`,
                `pulumi config set ingress.controller install (or pulumi config rm ${k})`);
        }
    } else if (v["registry.mode"] === "mirror" && !isSet(v["registry.chartMirror"])) {
        problem("registry.chartMirror", "is required when registry.mode is mirror and ingress.controller is install: the air-gapped cluster cannot reach the ingress-nginx chart repository",
            setCmd("registry.chartMirror", "oci://registry.corp:5000/charts"));
    }
});

RULES.push((v, problem) => {
    const p = "aiAppStore.";
    if (v["aiAppStore.enabled"] !== true) {
        for (const k of changedUnder(v, p).filter((k) => k !== "aiAppStore.enabled")) {
            problem(k, "is set but aiAppStore.enabled is false, so it would be ignored",
                `pulumi config set aiAppStore.enabled true (or pulumi config rm ${k})`);
        }
        return;
    }
    const required: [SettingKey, string, string][] = [
        ["aiAppStore.webHost", "the host name the frontend's Ingress serves", "web.appstore.example.com"],
        ["aiAppStore.apiHost", "the host name the backend's (API) Ingress serves", "api.appstore.example.com"],
        ["aiAppStore.backend.image", "the pinned aas-backend image you built (build-images.sh) and pushed; there is no public one", "registry.example.com/ai-appstore/aas-backend:1.1.0"],
        ["aiAppStore.frontend.image", "the pinned aas-frontend image you built (build-images.sh) and pushed; there is no public one", "registry.example.com/ai-appstore/aas-frontend:1.1.0"],
    ];
    for (const [key, what, example] of required) {
        if (!isSet(v[key])) problem(key, `is required when aiAppStore.enabled is true: ${what}`, setCmd(key, example));
    }
    if (isSet(v["aiAppStore.webHost"]) && v["aiAppStore.webHost"] === v["aiAppStore.apiHost"]) {
        problem("aiAppStore.apiHost", `must differ from aiAppStore.webHost (${v["aiAppStore.webHost"]}): the frontend and the backend are each served at the root of their own host`,
            setCmd("aiAppStore.apiHost", `api.${v["aiAppStore.webHost"]}`));
    }
    if (v["storage.kind"] === "minio" && !isSet(v["storage.minio.ingressHost"])) {
        problem("storage.minio.ingressHost", "is required when aiAppStore.enabled is true and storage.kind is minio: browsers download the App Store's files from presigned URLs on this host",
            setCmd("storage.minio.ingressHost", "storage.appstore.example.com"));
    }

    // Engines.
    const engines = v["aiAppStore.engines"] as string;
    const has = (e: string) => engines === e || engines === "both";
    const version = v["cluster.kubernetesVersion"] as string;
    if (has("knative") && isSet(version) && compareVersions(version, KNATIVE.minKubernetes) < 0) {
        problem("aiAppStore.engines", knativeTooOld(version), "pulumi config set aiAppStore.engines emissary");
    }
    const serviceType = v["aiAppStore.serviceType"] as string;
    if (serviceType !== "auto" && !has(serviceType)) {
        problem("aiAppStore.serviceType", `is ${serviceType} but aiAppStore.engines is ${engines}: the backend can only create services on an installed engine`,
            `pulumi config set aiAppStore.serviceType auto (or pulumi config set aiAppStore.engines both)`);
    }
    const mirror = v["registry.mode"] === "mirror";
    const engineSettings = [
        { engine: "emissary", title: "Emissary", install: v["aiAppStore.emissary.install"] === true, installOnly: ["chartVersion", "image", "agentImage", "crdsManifest"] },
        { engine: "knative", title: "Knative", install: v["aiAppStore.knative.install"] === true, installOnly: ["version", "kourierVersion", "manifests", "domain"] },
    ];
    for (const e of engineSettings) {
        const changed = changedUnder(v, `aiAppStore.${e.engine}.`);
        if (!has(e.engine)) {
            for (const k of changed) {
                problem(k, `is ${e.title === "Emissary" ? "an" : "a"} ${e.title} setting but aiAppStore.engines is ${engines}, so it would be ignored`,
                    `pulumi config set aiAppStore.engines both (or pulumi config rm ${k})`);
            }
            continue;
        }
        if (!e.install) {
            for (const k of changed.filter((k) => e.installOnly.includes(k.slice(`aiAppStore.${e.engine}.`.length)))) {
                problem(k, `is set but aiAppStore.${e.engine}.install is false (${e.title} declared present), so it would be ignored`,
                    `pulumi config set aiAppStore.${e.engine}.install true (or pulumi config rm ${k})`);
            }
        }
    }
    if (has("emissary") && v["aiAppStore.emissary.install"] === true && mirror) {
        if (!isSet(v["registry.chartMirror"])) {
            problem("registry.chartMirror", "is required when registry.mode is mirror and aiAppStore.emissary.install is true: the air-gapped cluster cannot reach the Emissary chart repository",
                setCmd("registry.chartMirror", "oci://registry.corp:5000/charts"));
        }
        if (!isSet(v["aiAppStore.emissary.crdsManifest"])) {
            problem("aiAppStore.emissary.crdsManifest", "is required when registry.mode is mirror and aiAppStore.emissary.install is true: the default is a public URL (app.getambassador.io)",
                setCmd("aiAppStore.emissary.crdsManifest", "/srv/mirror/emissary/3.4.0/emissary-crds.yaml"));
        }
    }
    if (has("knative") && v["aiAppStore.knative.install"] === true && mirror && !isSet(v["aiAppStore.knative.manifests"])) {
        problem("aiAppStore.knative.manifests", "is required when registry.mode is mirror and aiAppStore.knative.install is true: the default is a public URL (github.com releases)",
            setCmd("aiAppStore.knative.manifests", "/srv/mirror/knative"));
    }

    // Backend settings.
    const tls = isSet(v["aiAppStore.tls.secretName"]) || isSet(v["aiAppStore.tls.clusterIssuer"]);
    if (v["aiAppStore.secureCookies"] === "true" && !tls) {
        problem("aiAppStore.secureCookies", "is true but the hosts are served over http (no aiAppStore.tls.secretName or aiAppStore.tls.clusterIssuer): browsers drop Secure cookies there",
            "pulumi config set aiAppStore.secureCookies auto (or pulumi config set aiAppStore.tls.secretName ai-appstore-tls)");
    }
    if (isSet(v["aiAppStore.clearml.accessKey"]) !== isSet(v["aiAppStore.clearml.secretKey"])) {
        const missing = isSet(v["aiAppStore.clearml.accessKey"]) ? "aiAppStore.clearml.secretKey" : "aiAppStore.clearml.accessKey";
        problem(missing, "ClearML's access key and secret key go together", setCmd(missing, "<value>", true));
    }
    const ca = v["aiAppStore.clearml.caCertFile"];
    if (typeof ca === "string" && ca !== "") {
        const file = expandHome(ca);
        if (!fs.existsSync(file)) {
            problem("aiAppStore.clearml.caCertFile", `file ${ca} does not exist`, setCmd("aiAppStore.clearml.caCertFile", "~/clearml-ca.pem"));
        } else if (!isPemCertificate(fs.readFileSync(file, "utf8"))) {
            problem("aiAppStore.clearml.caCertFile", `file ${ca} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`, setCmd("aiAppStore.clearml.caCertFile", "~/clearml-ca.pem"));
        }
    }

    // Namespaces: each is created once (engines that are installed create theirs).
    const taken: [string, unknown][] = [];
    if (v["storage.kind"] === "minio") taken.push(["storage.minio.namespace", v["storage.minio.namespace"]]);
    if (v["storage.kind"] === "s3") taken.push(["storage.s3.credentialsNamespace", v["storage.s3.credentialsNamespace"]]);
    if (v["inferencePipeline.enabled"] === true) taken.push(["inferencePipeline.namespace", v["inferencePipeline.namespace"]]);
    if (v["ingress.controller"] === "install") taken.push(["ingress.nginx.namespace", v["ingress.nginx.namespace"]]);
    const own: [SettingKey, unknown][] = [["aiAppStore.namespace", v["aiAppStore.namespace"]], ["aiAppStore.inferenceNamespace", v["aiAppStore.inferenceNamespace"]]];
    if (has("emissary") && v["aiAppStore.emissary.install"] === true) {
        own.push(["aiAppStore.emissary.namespace", v["aiAppStore.emissary.namespace"]]);
        taken.push(["Emissary's CRDs manifest", EMISSARY.apiextNamespace]);
    }
    if (has("knative") && v["aiAppStore.knative.install"] === true) taken.push(["Knative's manifests", KNATIVE.servingNamespace], ["Knative's manifests", KNATIVE.kourierNamespace]);
    own.forEach(([key, value], i) => {
        const clash = [...own.slice(0, i), ...taken].find(([, other]) => other === value);
        if (clash) problem(key, `must differ from ${clash[0]} (${value}): each creates its namespace`, setCmd(key, String(SETTINGS[key].default)));
    });
});
// ---- end aiAppStore.* ----

export function expandHome(p: string): string {
    return p.startsWith("~/") ? path.join(process.env.HOME ?? "", p.slice(2)) : p;
}

/**
 * The project's raw config as flat keys. The CLI hands Pulumi.yaml's defaults of dotted
 * keys to the program as nested objects (`mlplat:cluster` = `{"kind":"local"}`), and so
 * does `pulumi config set --path`, while plain `pulumi config set cluster.kind` stays flat:
 * nested values are flattened to dotted keys, and flat keys win over them. A nested
 * object's leaves count as secret when the CLI marks the object secret.
 */
function flattenConfig(raw: Record<string, string>, secretKeys: ReadonlySet<string>): { given: Map<string, string>; secret: Set<string> } {
    const flat = new Map<string, string>();
    const nested = new Map<string, string>();
    const secret = new Set<string>();
    const walk = (prefix: string, v: unknown, isSecret: boolean) => {
        if (v !== null && typeof v === "object" && !Array.isArray(v)) {
            for (const [k, child] of Object.entries(v)) walk(`${prefix}.${k}`, child, isSecret);
        } else {
            nested.set(prefix, typeof v === "string" ? v : JSON.stringify(v));
            if (isSecret) secret.add(prefix);
        }
    };
    for (const [k, value] of Object.entries(raw)) {
        if (!k.startsWith(`${PROJECT}:`)) continue;
        const key = k.slice(PROJECT.length + 1);
        const object = key in SETTINGS ? undefined : parseObject(value);
        if (object) {
            for (const [child, v] of Object.entries(object)) walk(`${key}.${child}`, v, secretKeys.has(k));
        } else {
            flat.set(key, value);
            if (secretKeys.has(k)) secret.add(key);
        }
    }
    // A flat value replaces the nested one of the same key, secrecy included.
    for (const key of flat.keys()) if (!secretKeys.has(full(key))) secret.delete(key);
    return { given: new Map([...nested, ...flat]), secret };
}

function parseObject(value: string): Record<string, unknown> | undefined {
    if (!value.startsWith("{")) return undefined;
    try {
        const v: unknown = JSON.parse(value);
        return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Parses raw Pulumi config (keys with or without the `mlplat:` namespace, values as
 * strings) into a StackConfig. Throws a ConfigError listing every problem.
 */
export function parseConfig(raw: Record<string, string>, secretKeys: ReadonlySet<string>): StackConfig {
    const problems: ConfigProblem[] = [];
    const values = {} as Values;
    const { given, secret } = flattenConfig(raw, secretKeys);
    for (const k of given.keys()) {
        if (!(k in SETTINGS)) {
            const guess = nearest(k);
            problems.push({
                key: full(k), message: "is not an mlplat setting",
                hint: guess ? `did you mean ${full(guess)}? pulumi config rm ${k}` : `pulumi config rm ${k} (see docs/configuration.md)`,
            });
        }
    }
    for (const key of KEYS) {
        const setting: Setting = SETTINGS[key];
        const raw = given.get(key);
        if (setting.secret && raw !== undefined && raw !== "" && !secret.has(key)) {
            problems.push({
                key: full(key), message: "is a secret but was set as plain text (it is stored unencrypted in the stack file)",
                hint: `${setCmd(key, "<value>", true)}`,
            });
        }
        values[key] = coerce(key, setting, raw, problems);
        const format = FORMATS[key];
        if (format && raw !== undefined) {
            const result = format.schema.safeParse(values[key]);
            if (!result.success) {
                problems.push({ key: full(key), message: result.error.issues.map((i) => i.message).join("; "), hint: setCmd(key, format.example, setting.secret) });
            }
        }
    }
    for (const rule of RULES) {
        rule(values, (key, message, hint) => problems.push({ key: full(key), message, hint }));
    }
    if (problems.length > 0) throw new ConfigError(problems);

    // Secrets leave the parser as secret Outputs only.
    const config = { ...values } as Record<string, unknown>;
    for (const key of KEYS) {
        if ((SETTINGS[key] as Setting).secret) {
            config[key] = isSet(values[key]) ? pulumi.secret(values[key] as string) : undefined;
        }
    }
    return config as StackConfig;
}

// `isConfigSecret` is exported by the runtime module but missing from its typings.
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };

/** Reads the running program's config. */
export function loadConfig(): StackConfig {
    const raw = pulumi.runtime.allConfig();
    const secretKeys = new Set(Object.keys(raw).filter((k) => runtimeConfig.isConfigSecret(k)));
    return parseConfig(raw, secretKeys);
}
