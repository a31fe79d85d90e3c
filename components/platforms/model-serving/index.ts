// Model serving (MLEM's Kubernetes deployment, done so that a model swap never drops a
// request): any number of model images, each behind its own Deployment and Service, in one
// namespace (`mlem`, as MLEM) or several.
//
//   client ─▶ Service <model> (NodePort | LoadBalancer | ClusterIP, port = container port)
//                 └─▶ pods of Deployment <model>: readiness + liveness on the model's API
//                     (MLEM: GET /interface.json), rolling update with maxUnavailable 0,
//                     PodDisruptionBudget when replicas > 1, NetworkPolicy, secure defaults
//
// Optionally an ECR repository per model (components/registry/ecr.ts), where
// `make model-image` pushes. See docs/platforms/model-serving.md.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { PlatformContext } from "../../core/context";
import { imageTag, isPinnedImage } from "../../core/images";
import { selectorLabels, standardLabels } from "../../core/labels";
import { PlatformNamespace } from "../../core/namespace";
import { DNS_RULE, serviceAwaitAnnotations } from "../../core/network";
import { BuiltContainer, container, podSpec, Resources } from "../../core/workload";
import { EcrRepository, ecrRepositoryNameProblem } from "../../registry/ecr";

export const PART_OF = "mlplat-model-serving";
/** MLEM's namespace. */
export const DEFAULT_NAMESPACE = "mlem";
/** MLEM's server port (FastAPI on 0.0.0.0:8080; MLEM's Service uses the same port). */
export const DEFAULT_PORT = 8080;
/** MLEM's server has no health endpoint; its HTTP client reads this descriptor first. */
export const DEFAULT_PROBE_PATH = "/interface.json";
/** The UID model containers run as (MLEM's images run as root; `make model-image` sets this user). */
export const DEFAULT_RUN_AS_USER = 65532;
export const NODE_PORT_RANGE = [30000, 32767] as const;

export type ModelServiceType = "NodePort" | "LoadBalancer" | "ClusterIP";

export const DEFAULT_MODEL_RESOURCES: Resources = {
    requests: { cpu: "250m", memory: "512Mi", ephemeralStorage: "256Mi" },
    limits: { cpu: "2", memory: "2Gi", ephemeralStorage: "1Gi" },
};

export interface ModelArgs {
    /** The model's name: its Deployment, Service and (with ECR) repository name. A DNS-1035 label. */
    name: string;
    /** Image by digest (`repo@sha256:…`) or by a tag that is not `latest`. Changing it rolls the Deployment only. */
    image: string;
    /** Namespace of this model; default ModelServerArgs.namespace. */
    namespace?: string;
    /** Container port the server listens on, also the Service port; default 8080. */
    port?: number;
    /** Pods; default 1. With more than one, a PodDisruptionBudget keeps all but one through voluntary disruptions. */
    replicas?: number;
    /** Requests and limits; default DEFAULT_MODEL_RESOURCES. */
    resources?: Resources;
    /** NVIDIA GPUs per pod (`nvidia.com/gpu`); default 0. Pods then tolerate the `nvidia.com/gpu` taint. */
    gpus?: number;
    /** Service type; default NodePort (as MLEM). LoadBalancer needs a cluster that provides load balancers. */
    serviceType?: ModelServiceType;
    /** Fixed node port (NodePort/LoadBalancer); default: the API server picks one. */
    nodePort?: number;
    /** HTTP path of the readiness and liveness probes; default `/interface.json`. Empty: TCP probes on the port. */
    probePath?: string;
    /** Seconds a starting server may take before liveness applies (model loading); default 300. */
    startupSeconds?: number;
    /** Seconds a terminating pod keeps serving after it left the endpoints (preStop sleep); default 5, 0 for none. */
    drainSeconds?: number;
    /** Plain environment variables for the server. */
    env?: Record<string, string>;
    /** UID to run as; default 65532. */
    runAsUser?: number;
    /** Default true; set false for servers that write outside /tmp. */
    readOnlyRootFilesystem?: boolean;
    /** Source ranges allowed to reach the server; default anywhere (NodePort/LoadBalancer) or any pod of the cluster (ClusterIP). */
    allowedCidrs?: string[];
}

export interface ModelEcrArgs {
    /** AWS region of the repositories; the provider's region when empty. */
    region?: string;
    /** Prefix of every repository name, e.g. `mlplat/` → `mlplat/<model>`; default none (MLEM: repository = image name). */
    repositoryPrefix?: string;
    /** Let destroy delete repositories that still hold images. */
    forceDelete?: boolean;
    /** Tagged images to keep per repository; default 30. */
    keepImages?: number;
    /** Days after which untagged images expire; default 7. */
    untaggedExpiryDays?: number;
}

export interface ModelServerArgs {
    /** Namespace of the models that name none; default `mlem`. */
    namespace?: string;
    /** The models; names unique. */
    models: ModelArgs[];
    /** An address of any node, for NodePort endpoint URLs (`http://<nodeAddress>:<nodePort>`). */
    nodeAddress?: string;
    /** An ECR repository per model (EKS); none when undefined. */
    ecr?: ModelEcrArgs;
}

/** What the stack outputs per model. */
export interface ModelEndpoint {
    namespace: string;
    serviceType: ModelServiceType;
    /** Where clients reach the model: node address + node port, load balancer address + port, or the in-cluster URL. Unknown when the node address is not set (NodePort). */
    url: pulumi.Output<string | undefined>;
    /** The Service inside the cluster. */
    clusterUrl: string;
    nodePort?: pulumi.Output<number | undefined>;
    /** The image the pods pull (after relocation to a mirror). */
    image: string;
    /** The model's ECR repository URL, when the stack creates one. */
    repository?: pulumi.Output<string>;
}

/** A problem with the arguments: the model (when one) and the field it concerns. */
export interface ModelServerProblem {
    model?: string;
    field: "name" | "image" | "namespace" | "port" | "replicas" | "gpus" | "serviceType" | "nodePort" | "probePath" | "models" | "repository";
    message: string;
}

const DNS_1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Every problem with `args` on a cluster with or without load balancers; the constructor refuses args with any. */
export function modelServerProblems(args: ModelServerArgs, cluster: { loadBalancer: boolean }): ModelServerProblem[] {
    const problems: ModelServerProblem[] = [];
    const add = (model: string | undefined, field: ModelServerProblem["field"], message: string) => problems.push({ model, field, message });
    if (args.models.length === 0) add(undefined, "models", "no model to serve");
    const seen = new Set<string>();
    const nodePorts = new Map<number, string>();
    for (const m of args.models) {
        const ns = m.namespace ?? args.namespace ?? DEFAULT_NAMESPACE;
        if (!DNS_1035.test(m.name)) add(m.name, "name", `model name ${m.name} must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter, at most 63)`);
        if (seen.has(`${ns}/${m.name}`)) add(m.name, "name", `model ${m.name} is defined twice in namespace ${ns}`);
        seen.add(`${ns}/${m.name}`);
        if (!DNS_LABEL.test(ns)) add(m.name, "namespace", `namespace ${ns} must be a DNS label`);
        if (!m.image) add(m.name, "image", "has no image");
        else if (!isPinnedImage(m.image)) add(m.name, "image", `image ${m.image} must be pinned by digest or by a tag other than latest`);
        const port = m.port ?? DEFAULT_PORT;
        if (!Number.isInteger(port) || port < 1 || port > 65535) add(m.name, "port", `port ${port} must be 1-65535`);
        if (m.replicas !== undefined && (!Number.isInteger(m.replicas) || m.replicas < 1)) add(m.name, "replicas", `replicas ${m.replicas} must be at least 1`);
        if (m.gpus !== undefined && (!Number.isInteger(m.gpus) || m.gpus < 0)) add(m.name, "gpus", `gpus ${m.gpus} must be 0 or more`);
        const type = m.serviceType ?? "NodePort";
        if (type === "LoadBalancer" && !cluster.loadBalancer) {
            add(m.name, "serviceType", "is LoadBalancer but the cluster provides no load balancers (use NodePort or ClusterIP, or declare cluster.loadBalancer true)");
        }
        if (m.nodePort !== undefined) {
            if (type === "ClusterIP") add(m.name, "nodePort", "is set but the Service type ClusterIP has no node port");
            else if (!Number.isInteger(m.nodePort) || m.nodePort < NODE_PORT_RANGE[0] || m.nodePort > NODE_PORT_RANGE[1]) {
                add(m.name, "nodePort", `node port ${m.nodePort} must be in ${NODE_PORT_RANGE[0]}-${NODE_PORT_RANGE[1]}`);
            } else if (nodePorts.has(m.nodePort)) {
                add(m.name, "nodePort", `node port ${m.nodePort} is already used by model ${nodePorts.get(m.nodePort)} (node ports are cluster-wide)`);
            } else nodePorts.set(m.nodePort, m.name);
        }
        if (m.probePath && !m.probePath.startsWith("/")) add(m.name, "probePath", `probe path ${m.probePath} must start with /`);
        if (args.ecr) {
            const p = ecrRepositoryNameProblem(`${args.ecr.repositoryPrefix ?? ""}${m.name}`);
            if (p) add(m.name, "repository", p);
        }
    }
    return problems;
}

type Probe = k8s.types.input.core.v1.Probe;

/**
 * Model servers: per model a ServiceAccount (no token), a Deployment rolled with
 * maxUnavailable 0 and gated by readiness on the model's API, a Service, a NetworkPolicy,
 * a PodDisruptionBudget when replicas > 1 and optionally an ECR repository.
 */
export class ModelServer extends pulumi.ComponentResource {
    readonly namespaces: Record<string, PlatformNamespace> = {};
    readonly deployments: Record<string, k8s.apps.v1.Deployment> = {};
    readonly services: Record<string, k8s.core.v1.Service> = {};
    readonly repositories: Record<string, EcrRepository> = {};
    /** Per model, what the stack outputs. */
    readonly endpoints: Record<string, ModelEndpoint> = {};

    constructor(name: string, args: ModelServerArgs, ctx: PlatformContext, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:platforms:ModelServer", name, {}, opts);
        const problems = modelServerProblems(args, ctx.cluster);
        if (problems.length > 0) {
            throw new Error(`model server ${name}: ${problems.map((p) => (p.model ? `model ${p.model}: ${p.field}: ${p.message}` : `${p.field}: ${p.message}`)).join("; ")}`);
        }
        for (const m of args.models) {
            const nsName = m.namespace ?? args.namespace ?? DEFAULT_NAMESPACE;
            if (!this.namespaces[nsName]) {
                const ns = new PlatformNamespace(`${name}-ns-${nsName}`, { name: nsName, partOf: PART_OF }, ctx, { parent: this });
                this.namespaces[nsName] = ns;
                // Default deny in the namespaces it creates (each model's policy then opens its port);
                // a namespace declared existing holds others' pods: only the models' own policies go there.
                if (!ns.existing) {
                    new k8s.networking.v1.NetworkPolicy(`${name}-ns-${nsName}-default-deny`, {
                        metadata: { name: "default-deny", namespace: ns.name, labels: standardLabels({ name: "default-deny", component: "network", partOf: PART_OF }, ctx.extraLabels) },
                        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
                    }, { parent: this });
                }
            }
            const repo = args.ecr ? new EcrRepository(`${name}-${m.name}-ecr`, {
                name: `${args.ecr.repositoryPrefix ?? ""}${m.name}`,
                region: args.ecr.region,
                forceDelete: args.ecr.forceDelete,
                keepImages: args.ecr.keepImages,
                untaggedExpiryDays: args.ecr.untaggedExpiryDays,
                tags: { "mlplat.dev/model": m.name },
            }, { parent: this }) : undefined;
            if (repo) this.repositories[m.name] = repo;
            this.model(name, m, this.namespaces[nsName], ctx, args.nodeAddress, repo);
        }
        this.registerOutputs({ models: Object.keys(this.endpoints) });
    }

    private model(name: string, m: ModelArgs, ns: PlatformNamespace, ctx: PlatformContext, nodeAddress: string | undefined, repo?: EcrRepository): void {
        const port = m.port ?? DEFAULT_PORT;
        const type = m.serviceType ?? "NodePort";
        const p: ModelParts = {
            id: `${name}-${m.name}`,
            m,
            ns,
            port,
            replicas: m.replicas ?? 1,
            type,
            selector: selectorLabels({ name: m.name, component: "model-server" }),
            labels: standardLabels({ name: m.name, component: "model-server", partOf: PART_OF }, ctx.extraLabels),
        };
        // Created in this order: ServiceAccount, Deployment, Service, PodDisruptionBudget, NetworkPolicy.
        const sa = new k8s.core.v1.ServiceAccount(`${p.id}-sa`, {
            metadata: { name: m.name, namespace: ns.name, labels: p.labels },
            automountServiceAccountToken: false,
        }, { parent: this });
        const deployment = this.modelDeployment(p, ctx, sa);
        const service = new k8s.core.v1.Service(`${p.id}-service`, {
            metadata: { name: m.name, namespace: ns.name, labels: p.labels, annotations: serviceAwaitAnnotations(type) },
            spec: {
                type,
                selector: p.selector,
                ports: [{ name: "http", protocol: "TCP", port, targetPort: "http", nodePort: type === "ClusterIP" ? undefined : m.nodePort }],
            },
        }, { parent: this });
        this.modelPolicies(p);

        this.deployments[m.name] = deployment;
        this.services[m.name] = service;
        const clusterUrl = `http://${m.name}.${ns.plainName}.svc.cluster.local:${port}`;
        const nodePort = service.spec.ports.apply((ports) => ports?.[0]?.nodePort as number | undefined);
        this.endpoints[m.name] = {
            namespace: ns.plainName,
            serviceType: type,
            url: modelUrl(type, service, port, clusterUrl, nodePort, nodeAddress),
            clusterUrl,
            image: ctx.registry.relocate(m.image),
            // Only the fields that apply, so the stack output has no empty keys.
            ...(type === "ClusterIP" ? {} : { nodePort }),
            ...(repo ? { repository: repo.url } : {}),
        };
    }

    /** The model's Deployment: rolled with maxUnavailable 0, spread over nodes when replicas > 1. */
    private modelDeployment(p: ModelParts, ctx: PlatformContext, sa: k8s.core.v1.ServiceAccount): k8s.apps.v1.Deployment {
        const { m, ns, replicas, selector } = p;
        // The version label goes on the Deployment and its pods only: a swap updates nothing else.
        const versioned = standardLabels({ name: m.name, component: "model-server", partOf: PART_OF, version: imageTag(m.image) }, ctx.extraLabels);
        const startupSeconds = m.startupSeconds ?? 300;
        const drain = m.drainSeconds ?? 5;
        const gpus = m.gpus ?? 0;
        const built = serverContainer(m, p.port, startupSeconds, drain, gpus);
        const spec = podSpec({ containers: [built], serviceAccountName: sa.metadata.name });
        return new k8s.apps.v1.Deployment(`${p.id}-deployment`, {
            metadata: { name: m.name, namespace: ns.name, labels: versioned },
            spec: {
                replicas,
                selector: { matchLabels: selector },
                // A new pod must be ready before an old one goes: serving capacity never drops below `replicas`.
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                minReadySeconds: 5,
                progressDeadlineSeconds: Math.max(600, startupSeconds + 120),
                revisionHistoryLimit: 5,
                template: {
                    metadata: { labels: versioned },
                    spec: {
                        ...spec,
                        enableServiceLinks: false,
                        terminationGracePeriodSeconds: drain + 30,
                        tolerations: gpus > 0 ? [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] : undefined,
                        topologySpreadConstraints: replicas > 1 ? [{
                            maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway",
                            labelSelector: { matchLabels: selector },
                        }] : undefined,
                    },
                },
            },
        }, { parent: this, dependsOn: ns.pullSecret ? [ns.pullSecret] : [] });
    }

    /** A PodDisruptionBudget when replicas > 1, and the model's NetworkPolicy. */
    private modelPolicies(p: ModelParts): void {
        const { m, ns, port, type, selector, labels } = p;
        if (p.replicas > 1) {
            new k8s.policy.v1.PodDisruptionBudget(`${p.id}-pdb`, {
                metadata: { name: m.name, namespace: ns.name, labels },
                spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
            }, { parent: this });
        }

        // The server's pods: in from the allowed sources on the port only; out DNS only (a model server calls nothing).
        const from = m.allowedCidrs && m.allowedCidrs.length > 0
            ? m.allowedCidrs.map((cidr) => ({ ipBlock: { cidr } }))
            : type === "ClusterIP" ? [{ namespaceSelector: {} }] : [{ ipBlock: { cidr: "0.0.0.0/0" } }, { namespaceSelector: {} }];
        new k8s.networking.v1.NetworkPolicy(`${p.id}-netpol`, {
            metadata: { name: m.name, namespace: ns.name, labels },
            spec: {
                podSelector: { matchLabels: selector },
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ from, ports: [{ protocol: "TCP", port }] }],
                egress: [DNS_RULE],
            },
        }, { parent: this });
    }
}

/** What the per-model resources share. */
interface ModelParts {
    /** Prefix of the model's Pulumi resource names. */
    id: string;
    m: ModelArgs;
    ns: PlatformNamespace;
    port: number;
    replicas: number;
    type: string;
    selector: Record<string, string>;
    labels: Record<string, string>;
}

/** Readiness, liveness and startup probes on the model's API (its probe path, or the TCP port). */
function modelProbes(m: ModelArgs, startupSeconds: number): { readiness: Probe; liveness: Probe; startup: Probe } {
    const probePath = m.probePath ?? DEFAULT_PROBE_PATH;
    const action: Probe = probePath ? { httpGet: { path: probePath, port: "http" } } : { tcpSocket: { port: "http" } };
    // Readiness gates the rollout: a new pod takes traffic (and an old one is removed) only once it answers.
    const readiness: Probe = { ...action, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3, successThreshold: 1 };
    const liveness: Probe = { ...action, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 };
    // Liveness starts once the model is loaded: the startup probe gives it `startupSeconds`.
    const startup: Probe = { ...action, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: Math.max(1, Math.ceil(startupSeconds / 5)) };
    return { readiness, liveness, startup };
}

/** The server container, with its GPUs (if any) and a preStop drain. */
function serverContainer(m: ModelArgs, port: number, startupSeconds: number, drain: number, gpus: number): BuiltContainer {
    const built = container({
        name: "server",
        image: m.image,
        ports: [{ name: "http", containerPort: port }],
        env: m.env,
        resources: m.resources ?? DEFAULT_MODEL_RESOURCES,
        ...modelProbes(m, startupSeconds),
        runAsUser: m.runAsUser ?? DEFAULT_RUN_AS_USER,
        readOnlyRootFilesystem: m.readOnlyRootFilesystem ?? true,
        writablePaths: ["/tmp"],
    });
    if (gpus > 0) {
        const r = built.container.resources as { requests: Record<string, string>; limits: Record<string, string> };
        built.container.resources = { requests: { ...r.requests, "nvidia.com/gpu": String(gpus) }, limits: { ...r.limits, "nvidia.com/gpu": String(gpus) } };
    }
    // The endpoints controller and every kube-proxy take a moment to stop routing to a
    // terminating pod: it keeps serving for `drain` seconds before it gets SIGTERM.
    if (drain > 0) built.container.lifecycle = { preStop: { sleep: { seconds: drain } } };
    return built;
}

/** The URL clients outside the cluster use (the in-cluster one for ClusterIP); undefined until known. */
function modelUrl(type: string, service: k8s.core.v1.Service, port: number, clusterUrl: string,
    nodePort: pulumi.Output<number | undefined>, nodeAddress: string | undefined): pulumi.Output<string | undefined> {
    if (type === "ClusterIP") return pulumi.output(clusterUrl);
    if (type === "LoadBalancer") {
        return service.status.apply((s) => {
            const ingress = s?.loadBalancer?.ingress?.[0];
            const host = ingress?.hostname || ingress?.ip;
            return host ? `http://${host}:${port}` : undefined;
        });
    }
    return nodePort.apply((p) => (nodeAddress && p ? `http://${nodeAddress}:${p}` : undefined));
}
