// Model serving on the stack side: the `modelServing.*` settings (with one set per model,
// `modelServing.models.<name>.*`), their formats and rules, and the adapter from the flat
// config to ModelServerArgs (components/platforms/model-serving).
import { z } from "zod";
import {
    DEFAULT_MODEL_RESOURCES, DEFAULT_NAMESPACE, DEFAULT_PORT, DEFAULT_PROBE_PATH, ModelServerArgs, modelServerProblems, ModelServiceType,
} from "../../components/platforms/model-serving";
import type { FoundationConfig, FoundationKey } from "../foundation";
import {
    bool, changedUnder, choice, ConfigOf, count, Format, InstanceSettings, InstancesOf, int, isSet, list, namespaceName, optional, pinnedOrEmpty,
    PlatformSettings, Rule, setCmd, Setting, str,
} from "../setting";

export const MODEL_SERVING_SETTINGS = {
    "modelServing.enabled": bool(false, "Serve the models of `modelServing.models.<name>.*` (MLEM's Kubernetes deployment, with probes and no-downtime swaps); see docs/platforms/model-serving.md."),
    "modelServing.namespace": str(DEFAULT_NAMESPACE, "Namespace of the models that set no namespace of their own (MLEM's default, `mlem`)."),
    "modelServing.nodeAddress": str("", "Address of any node, for the NodePort models' endpoint URLs in the `modelServing` output (`http://<address>:<nodePort>`); empty: those URLs are left out (the node port is still given)."),
    "modelServing.ecr.enabled": bool(false, "Create an ECR repository per model (scan on push, immutable tags, lifecycle policy), where `make model-image` pushes; EKS nodes pull from it through their IAM role. Needs cluster.kind eks, or registry.mode mirror."),
    "modelServing.ecr.region": str("", "AWS region of the repositories; empty means the `aws:region` config."),
    "modelServing.ecr.repositoryPrefix": str("", "Prefix of every repository name, e.g. `mlplat/` gives `mlplat/<model>`; empty: the repository is named after the model (as MLEM's image_name)."),
    "modelServing.ecr.forceDelete": bool(false, "Let `pulumi destroy` delete repositories that still hold images."),
    "modelServing.ecr.keepImages": int(30, "Images kept per repository; older ones expire (lifecycle policy)."),
    "modelServing.ecr.untaggedExpiryDays": int(7, "Days after which untagged images expire (lifecycle policy)."),
} satisfies Record<string, Setting>;

/** The settings of one model: `modelServing.models.<name>.<field>`. */
export const MODEL_SETTINGS = {
    image: str("", "The model's server image by digest (`repo@sha256:…`, what `make model-image` prints) or by a tag other than latest. Required. Changing it rolls the model's Deployment, nothing else."),
    port: int(DEFAULT_PORT, "Port the server listens on; also the Service's port (MLEM: 8080)."),
    replicas: int(1, "Pods of the model; with more than one, a PodDisruptionBudget keeps all but one through node drains."),
    serviceType: choice(["NodePort", "LoadBalancer", "ClusterIP"] as const, "NodePort", "How the model is exposed (MLEM's service_type): `NodePort` (default), `LoadBalancer` (needs a cluster with load balancers) or `ClusterIP` (in-cluster only)."),
    nodePort: int(0, "Fixed node port (30000-32767) of a NodePort or LoadBalancer model; 0: the cluster picks one."),
    probePath: str(DEFAULT_PROBE_PATH, "HTTP path of the readiness, liveness and startup probes (MLEM's server answers `GET /interface.json`); empty: TCP probes on the port."),
    startupSeconds: int(300, "Seconds the server may take to load its model before liveness applies."),
    namespace: str("", "Namespace of this model; empty means modelServing.namespace. Several models share a namespace."),
    cpu: str(DEFAULT_MODEL_RESOURCES.requests.cpu, "CPU request."),
    cpuLimit: str(DEFAULT_MODEL_RESOURCES.limits.cpu, "CPU limit."),
    memory: str(DEFAULT_MODEL_RESOURCES.requests.memory, "Memory request."),
    memoryLimit: str(DEFAULT_MODEL_RESOURCES.limits.memory, "Memory limit."),
    gpus: int(0, "NVIDIA GPUs per pod (`nvidia.com/gpu`); the pods then tolerate the `nvidia.com/gpu` taint."),
    allowedCidrs: list("Source ranges allowed to reach the model (its NetworkPolicy), e.g. `[\"10.0.0.0/8\"]`; empty: anywhere for NodePort/LoadBalancer, any pod of the cluster for ClusterIP."),
} satisfies Record<string, Setting>;

type ModelField = keyof typeof MODEL_SETTINGS;
type ModelConfig = ConfigOf<typeof MODEL_SETTINGS>;
type ModelServingKey = keyof typeof MODEL_SERVING_SETTINGS;
export const MODELS = "modelServing.models";
/** The parsed models, as the parser hands them to rules and the adapter. */
export type ModelServingInstances = { readonly [MODELS]: InstancesOf<typeof MODEL_SETTINGS> };

const quantity = (example: string): Format => ({ schema: z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, "must be a Kubernetes quantity"), example });
const cidr = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

export const MODEL_INSTANCES: InstanceSettings<ModelField> = {
    prefix: MODELS,
    name: {
        pattern: /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
        message: "a model name is a DNS-1035 label: lowercase letters, digits and '-', a letter first, at most 63 (it names the Deployment and Service)",
        example: "classifier",
    },
    settings: MODEL_SETTINGS,
    formats: {
        image: { schema: pinnedOrEmpty, example: "123456789012.dkr.ecr.us-east-1.amazonaws.com/classifier@sha256:<digest>" },
        port: { schema: z.number().int().min(1, "must be 1-65535").max(65535, "must be 1-65535"), example: "8080" },
        replicas: { schema: count(1, "must be at least 1"), example: "2" },
        nodePort: { schema: z.number().int().refine((p) => p === 0 || (p >= 30000 && p <= 32767), "must be 0 (assigned) or in 30000-32767"), example: "30080" },
        probePath: { schema: optional(/^\/\S*$/, "must be an absolute HTTP path like /interface.json"), example: "/interface.json" },
        startupSeconds: { schema: count(1, "must be at least 1"), example: "300" },
        namespace: { schema: z.string().refine((v) => v === "" || /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v), "must be a namespace name (DNS label)"), example: "mlem" },
        cpu: quantity("250m"),
        cpuLimit: quantity("2"),
        memory: quantity("512Mi"),
        memoryLimit: quantity("2Gi"),
        gpus: { schema: count(0, "must not be negative"), example: "1" },
        allowedCidrs: { schema: z.array(z.string().regex(cidr, "each entry must be a CIDR like 10.0.0.0/8")), example: `'["10.0.0.0/8"]'` },
    },
};

export const MODEL_SERVING_FORMATS = {
    "modelServing.namespace": namespaceName(DEFAULT_NAMESPACE),
    "modelServing.nodeAddress": { schema: optional(/^[A-Za-z0-9.:-]+$/, "must be a host name or IP address"), example: "203.0.113.10" },
    "modelServing.ecr.repositoryPrefix": { schema: optional(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*\/$/, "must be a lowercase repository path ending in '/'"), example: "mlplat/" },
    "modelServing.ecr.keepImages": { schema: count(1, "must be at least 1"), example: "30" },
    "modelServing.ecr.untaggedExpiryDays": { schema: count(1, "must be at least 1"), example: "7" },
} satisfies Partial<Record<ModelServingKey, Format>>;

const modelKey = (name: string, field: string) => `${MODELS}.${name}.${field}`;

/** Whether LoadBalancer Services get an address, as the Cluster component will decide it. */
function clusterHasLoadBalancer(v: Record<string, unknown>): boolean {
    const declared = v["cluster.loadBalancer"];
    if (declared === "true" || declared === "false") return declared === "true";
    return v["cluster.kind"] !== "existing";
}

export const modelServingRule: Rule<FoundationKey | ModelServingKey | "inferencePipeline.enabled" | "inferencePipeline.namespace" | "aiAppStore.enabled" | "aiAppStore.namespace"> = (v, problem) => {
    // Model keys are made up by the user: report them through the same callback.
    const report = problem as (key: string, message: string, hint: string) => void;
    const models = ((v as Record<string, unknown>)[MODELS] ?? {}) as Record<string, ModelConfig>;
    const names = Object.keys(models);
    if (v["modelServing.enabled"] !== true) {
        for (const k of changedUnder(v, "modelServing.", MODEL_SERVING_SETTINGS).filter((k) => k !== "modelServing.enabled")) {
            problem(k, "is set but modelServing.enabled is false, so it would be ignored", `pulumi config set modelServing.enabled true (or pulumi config rm ${k})`);
        }
        for (const name of names) {
            report(modelKey(name, "image"), "is set but modelServing.enabled is false, so the model would not be served",
                `pulumi config set modelServing.enabled true (or pulumi config rm ${modelKey(name, "image")})`);
        }
        return;
    }
    if (names.length === 0) {
        report(MODELS, "modelServing.enabled is true but no model is configured",
            setCmd(modelKey("classifier", "image"), "registry.example.com/classifier@sha256:<digest>"));
    }
    for (const name of names) {
        if (!isSet(models[name].image)) report(modelKey(name, "image"), "is required: the model's server image, by digest or a pinned tag", setCmd(modelKey(name, "image"), "registry.example.com/classifier@sha256:<digest>"));
    }
    // What the component refuses (ports, node ports, load balancers, repository names), by key.
    const args = modelServerArgs(v as unknown as FoundationConfig & ConfigOf<typeof MODEL_SERVING_SETTINGS> & ModelServingInstances);
    const hints: Record<string, (name: string) => string> = {
        serviceType: (n) => `pulumi config set ${modelKey(n, "serviceType")} NodePort (or pulumi config set cluster.loadBalancer true when the cluster has load balancers)`,
        nodePort: (n) => `pulumi config set ${modelKey(n, "nodePort")} ${30080 + names.indexOf(n)} (or 0 to let the cluster pick)`,
        name: (n) => `pulumi config rm ${modelKey(n, "image")} and name the model e.g. ${n.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`,
        repository: () => setCmd("modelServing.ecr.repositoryPrefix", "mlplat/"),
    };
    for (const p of modelServerProblems(args, { loadBalancer: clusterHasLoadBalancer(v as Record<string, unknown>) })) {
        if (!p.model || p.field === "image") continue; // images: the formats above already said it
        const key = p.field === "repository" ? "modelServing.ecr.repositoryPrefix" : modelKey(p.model, p.field === "name" ? "image" : p.field);
        if (p.field === "port" || p.field === "replicas" || p.field === "probePath" || p.field === "gpus" || p.field === "namespace") continue; // formats
        report(key, p.message, (hints[p.field] ?? (() => `pulumi config set ${key} <value>`))(p.model));
    }
    // ECR: EKS nodes pull from it through their IAM role; any other cluster would need a pull secret.
    if (v["modelServing.ecr.enabled"] === true) {
        if (v["cluster.kind"] !== "eks" && v["registry.mode"] !== "mirror") {
            problem("modelServing.ecr.enabled", `needs cluster.kind eks (nodes pull from ECR through their IAM role), but cluster.kind is ${v["cluster.kind"]}; or copy the images into a mirror (registry.mode mirror)`,
                "pulumi config set cluster.kind eks (or pulumi config set modelServing.ecr.enabled false)");
        }
        if (v["registry.mode"] === "mirror" && !isSet(v["registry.mirror.host"])) {
            problem("modelServing.ecr.enabled", "in mirror mode the models' images are pulled through the mirror like every other image, but registry.mirror.host is not set: copy the ECR images into the mirror and set its host",
                setCmd("registry.mirror.host", "registry.corp:5000"));
        }
    } else {
        for (const k of changedUnder(v, "modelServing.ecr.", MODEL_SERVING_SETTINGS).filter((k) => k !== "modelServing.ecr.enabled")) {
            problem(k, "is set but modelServing.ecr.enabled is false, so it would be ignored", `pulumi config set modelServing.ecr.enabled true (or pulumi config rm ${k})`);
        }
    }
    // Each namespace is created once: not one another platform creates.
    const taken: [string, unknown][] = [];
    if (v["storage.kind"] === "minio") taken.push(["storage.minio.namespace", v["storage.minio.namespace"]]);
    if (v["storage.kind"] === "s3") taken.push(["storage.s3.credentialsNamespace", v["storage.s3.credentialsNamespace"]]);
    if (v["inferencePipeline.enabled"] === true) taken.push(["inferencePipeline.namespace", v["inferencePipeline.namespace"]]);
    if (v["aiAppStore.enabled"] === true) taken.push(["aiAppStore.namespace", v["aiAppStore.namespace"]]);
    if (v["ingress.controller"] === "install") taken.push(["ingress.nginx.namespace", v["ingress.nginx.namespace"]]);
    const own: [string, unknown][] = [["modelServing.namespace", v["modelServing.namespace"]], ...names.filter((n) => isSet(models[n].namespace)).map((n): [string, unknown] => [modelKey(n, "namespace"), models[n].namespace])];
    for (const [key, value] of own) {
        const clash = taken.find(([, other]) => other === value);
        if (clash) report(key, `must differ from ${clash[0]} (${value}): each creates its namespace`, setCmd(key, DEFAULT_NAMESPACE));
    }
};

/** The ModelServerArgs the stack config gives. */
export function modelServerArgs(cfg: FoundationConfig & ConfigOf<typeof MODEL_SERVING_SETTINGS> & ModelServingInstances): ModelServerArgs {
    const models = cfg[MODELS] ?? {};
    return {
        namespace: cfg["modelServing.namespace"],
        nodeAddress: cfg["modelServing.nodeAddress"] || undefined,
        ecr: cfg["modelServing.ecr.enabled"] ? {
            region: cfg["modelServing.ecr.region"] || undefined,
            repositoryPrefix: cfg["modelServing.ecr.repositoryPrefix"] || undefined,
            forceDelete: cfg["modelServing.ecr.forceDelete"],
            keepImages: cfg["modelServing.ecr.keepImages"],
            untaggedExpiryDays: cfg["modelServing.ecr.untaggedExpiryDays"],
        } : undefined,
        models: Object.keys(models).sort().map((name) => {
            const m = models[name];
            return {
                name,
                image: m.image,
                namespace: m.namespace || undefined,
                port: m.port,
                replicas: m.replicas,
                serviceType: m.serviceType as ModelServiceType,
                nodePort: m.nodePort || undefined,
                probePath: m.probePath,
                startupSeconds: m.startupSeconds,
                gpus: m.gpus,
                resources: {
                    requests: { cpu: m.cpu, memory: m.memory, ephemeralStorage: DEFAULT_MODEL_RESOURCES.requests.ephemeralStorage },
                    limits: { cpu: m.cpuLimit, memory: m.memoryLimit, ephemeralStorage: DEFAULT_MODEL_RESOURCES.limits.ephemeralStorage },
                },
                allowedCidrs: m.allowedCidrs.length > 0 ? m.allowedCidrs : undefined,
            };
        }),
    };
}

/** Model serving's part of the settings table and the parser. */
export const MODEL_SERVING: PlatformSettings<ModelServingKey> = {
    enabled: "modelServing.enabled",
    title: "model serving",
    needsIngress: false,
    needsStorage: false,
    settings: MODEL_SERVING_SETTINGS,
    formats: MODEL_SERVING_FORMATS,
    rule: modelServingRule,
    instances: MODEL_INSTANCES as InstanceSettings,
};
