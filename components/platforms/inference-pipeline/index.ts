// The asynchronous inference pipeline (go-with-me-ml architecture) as one component:
//
//   Ingress ─▶ api-gateway ─▶ RabbitMQ requests queue ─▶ ml-worker (KEDA-scaled) ─▶ model service
//      │            │ PostgreSQL (users, quotas, requests) · Redis (quota counters)      │
//      │            ▼                                                                    ▼
//      └─▶ api-service (GET /status/{id}, /quota)   results-collector ◀─ results queue ◀─┘
//
// Every name comes from names.ts, every Benthos config from benthos.ts/api.ts, the schema
// from schema.ts; this file turns them into Kubernetes objects in one namespace, with the
// data services (components/data) in that namespace, a DB-init Job the workloads wait for,
// KEDA objects, an Ingress and NetworkPolicies (default deny; see docs/platforms/inference-pipeline.md).
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ChartMirror, HelmChart, resolveChartSource } from "../../core/chart";
import type { PlatformContext } from "../../core/context";
import { imageTag } from "../../core/images";
import { selectorLabels, standardLabels } from "../../core/labels";
import { PlatformNamespace } from "../../core/namespace";
import { byName, controllerNetworkPolicies, DNS_EGRESS, namespaceNamed, serviceAwaitAnnotations } from "../../core/network";
import { container, disruptionBudget, httpProbe, needsDisruptionBudget, podSpec, Resources, SecretKeyRef } from "../../core/workload";
import { CONNECTIONS, DataConnection, DataService, DataServiceArgs, externalConnectionValues } from "../../data";
import { API_ROUTES, API_SERVICE_ENV, apiServiceConfigYaml } from "./api";
import { BENTHOS_IMAGE, benthosConfigs } from "./benthos";
import { BenthosComponent, BenthosWorkloadNames, ENV, EnvVarName, PipelineNames, PipelineSettings, pipelineNames } from "./names";
import { schemaSql } from "./schema";

export * from "./names";
export * from "./benthos";
export * from "./schema";
export * from "./api";

/** The data services the pipeline talks to. */
export type PipelineDataServiceName = "postgresql" | "redis" | "rabbitmq";
export const PIPELINE_DATA_SERVICES: readonly PipelineDataServiceName[] = ["postgresql", "redis", "rabbitmq"];

/**
 * A data service of the pipeline: the settings of one the pipeline creates in its own
 * namespace (`embedded`, `chart` or `external`; `createDataService`'s arguments), or a
 * connection that exists already (e.g. shared by several platforms), whose Secret the
 * pipeline copies into its namespace with `secretIn`.
 */
export type PipelineDataSource<S extends PipelineDataServiceName> = DataServiceArgs<S> | DataConnection<S>;

/** KEDA: installed by the pipeline from its pinned chart, or already present in the cluster. */
export type KedaArgs =
    | {
        /** Install KEDA (kedacore/keda chart, CRDs included) before the ScaledObject. */
        install: true;
        /** Exact kedacore/keda chart version; default `KEDA_CHART_VERSION`. */
        chartVersion?: string;
        /** Namespace KEDA is installed in (created); default `keda`. */
        namespace?: string;
        /** OCI registry mirroring charts (`registry.chartMirror`); the chart is pulled from `<mirror>/keda`. */
        chartMirror?: ChartMirror;
    }
    | {
        /** KEDA and its CRDs are already in the cluster. */
        install: false;
        /** Namespace KEDA's operator runs in (allowed to reach an in-namespace RabbitMQ); default `keda`. */
        namespace?: string;
    };

export interface InferencePipelineArgs {
    /** Namespace created for the pipeline and for the data services it creates. */
    namespace: string;
    /** Names, queues, tables, ports, paths, default quota and seed users (names.ts); every field optional. */
    settings?: PipelineSettings;
    /** Host of the Ingress: the gateway's path, and the API routes unless `apiHost` is given. */
    host: string;
    /** Host of the API service's routes (`/status/`, `/quota`); default `host`. */
    apiHost?: string;
    /**
     * TLS of the Ingress. `secretName`: a `kubernetes.io/tls` Secret in the namespace;
     * `clusterIssuer`: cert-manager issues it (into `secretName`, default `<prefix>-tls`).
     * Either makes the URLs https.
     */
    tls?: { secretName?: string; clusterIssuer?: string };
    /** Namespace of the ingress controller, the only source allowed to reach the gateway and the API service; undefined means any namespace. */
    ingressNamespace?: string;
    /** PostgreSQL (requests, quotas), Redis (quota counters), RabbitMQ (queues). */
    data: { [S in PipelineDataServiceName]: PipelineDataSource<S> };
    /** CIDRs `external` data services are reached in (egress on their ports only); undefined or empty means any address. */
    externalDataCidrs?: string[];
    /** API gateway replicas; default 2. */
    gateway?: { replicas?: number };
    /** Results collector replicas; default 1. */
    collector?: { replicas?: number };
    /** KEDA scaling of the ML workers on the requests queue's length. */
    worker?: {
        /** Fewest replicas (0: scale to zero); default 1. */
        minReplicas?: number;
        /** Most replicas; default 10. */
        maxReplicas?: number;
        /** Target queue length per replica (RabbitMQ trigger, mode QueueLength); default 5. */
        queueLength?: number;
        /** Seconds between queue checks; default 15. */
        pollingInterval?: number;
        /** Seconds after the last activity before scaling to zero; default 30. */
        cooldownPeriod?: number;
    };
    /** The user's model server (port and paths come from `settings.modelService`). */
    model: {
        /** Pinned image of the model server. */
        image: string;
        /** Mount path of the model volume, also `MODEL_PATH`; default `/models`. */
        path?: string;
        /** Size of the model PersistentVolumeClaim; default `10Gi`. */
        size?: string;
        /** StorageClass of the claim; default the cluster's (`ClusterInfo.storageClass`). */
        storageClass?: string;
        /** Access mode of the claim; default ReadWriteOnce (then the Deployment uses Recreate). */
        accessMode?: "ReadWriteOnce" | "ReadWriteMany" | "ReadOnlyMany";
        /** Replicas; default 1. */
        replicas?: number;
        /** Requests and limits; default 500m/1Gi requests, 2/4Gi limits, ephemeral storage 256Mi/2Gi. */
        resources?: Resources;
        /** `nvidia.com/gpu` per replica; default 0. */
        gpus?: number;
        /** Non-root UID (and fsGroup of the model volume); default 1000. */
        runAsUser?: number;
    };
    /**
     * The API service. Without `image` it is the built-in one (api.ts) on the Benthos image;
     * with `image`, the user's own: it gets `PORT`, `POSTGRES_DSN`, `REDIS_URL` and
     * `REDIS_KEY_PREFIX` and is probed on `healthPath`/`readyPath`.
     */
    apiService?: { image?: string; replicas?: number; healthPath?: string; readyPath?: string };
    /** PostgreSQL client image of the DB-init Job (psql), pinned; default `DB_INIT_IMAGE`. */
    dbInitImage?: string;
    /** Benthos image of the gateway, worker, collector (and built-in API service); default `BENTHOS_IMAGE`. */
    benthosImage?: string;
    /** KEDA installed by chart (default) or present. */
    keda?: KedaArgs;
}

/** The pinned kedacore/keda chart version (2.14.x). */
export const KEDA_CHART_VERSION = "2.14.1";
export const KEDA_CHART_REPO = "https://kedacore.github.io/charts";
/** Ports of the chart's pods the API server calls: the metrics API server (6443) and the admission webhooks (9443). */
export const KEDA_API_SERVER_PORTS = [6443, 9443];
/** Default DB-init image: the same PostgreSQL image as the embedded server. */
export const DB_INIT_IMAGE = "postgres:16.15-alpine";
/** UIDs of the images' own non-root users (jeffail/benthos: `benthos`; postgres alpine: `postgres`). */
const BENTHOS_UID = 10001;
const POSTGRES_UID = 70;
const PART_OF = "mlplat-inference";
const CONFIG_HASH = "checksum/config";

const BENTHOS_RESOURCES: Resources = {
    requests: { cpu: "50m", memory: "64Mi", ephemeralStorage: "32Mi" },
    limits: { cpu: "1", memory: "256Mi", ephemeralStorage: "128Mi" },
};
const MODEL_RESOURCES: Resources = {
    requests: { cpu: "500m", memory: "1Gi", ephemeralStorage: "256Mi" },
    limits: { cpu: "2", memory: "4Gi", ephemeralStorage: "2Gi" },
};

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const isConnection = <S extends PipelineDataServiceName>(d: PipelineDataSource<S>): d is DataConnection<S> =>
    typeof (d as DataConnection<S>).secretIn === "function";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type NetworkPolicyEgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** How the pipeline's pods reach one data service, for the NetworkPolicies. */
interface DataRoute {
    conn: DataConnection<PipelineDataServiceName>;
    /** Port the clients connect to. */
    port: pulumi.Input<number>;
    /** Pods of the service in the pipeline's namespace (created by the pipeline, embedded or chart). */
    podSelector?: Record<string, string>;
    /** Where the service is otherwise: any namespace (a connection handed in) or addresses (external). */
    to?: NetworkPolicyPeer[];
}

/** What a workload talks to, for its NetworkPolicy. */
interface Talks {
    data: PipelineDataServiceName[];
    model?: boolean;
    /** Reachable from the ingress controller on this port. */
    fromIngress?: number;
}

/**
 * The asynchronous inference pipeline in its own namespace: data services, DB-init Job,
 * Benthos gateway/worker/collector, KEDA ScaledObject, model service, API service,
 * Ingress and NetworkPolicies.
 */
export class InferencePipeline extends pulumi.ComponentResource {
    readonly names: PipelineNames;
    readonly namespace: PlatformNamespace;
    /** The data connections the pipeline uses (its own or handed in). */
    readonly data: { [S in PipelineDataServiceName]: DataConnection<S> };
    readonly dbInit: k8s.batch.v1.Job;
    readonly deployments: Record<BenthosComponent | "model" | "api", k8s.apps.v1.Deployment>;
    readonly scaledObject: k8s.apiextensions.CustomResource;
    readonly triggerAuthentication: k8s.apiextensions.CustomResource;
    readonly ingress: k8s.networking.v1.Ingress;
    /** The KEDA chart, when the pipeline installs KEDA. */
    readonly keda?: HelmChart;
    /** `POST` endpoint of the gateway through the Ingress, e.g. `https://inference.example.com/api/v1/inference`. */
    readonly gatewayUrl: pulumi.Output<string>;
    /** `GET` status of a request through the Ingress, with `{id}` to replace by the request id. */
    readonly statusUrl: pulumi.Output<string>;
    /** `GET` quota through the Ingress (`?user_id=`). */
    readonly quotaUrl: pulumi.Output<string>;
    /** The gateway's Service inside the cluster. */
    readonly gatewayServiceUrl: pulumi.Output<string>;
    /** The model service inside the cluster (`ML_SERVICE_URL`). */
    readonly modelServiceUrl: pulumi.Output<string>;

    private readonly ctx: PlatformContext;
    private readonly resourceName: string;

    constructor(name: string, args: InferencePipelineArgs, ctx: PlatformContext, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:platforms:InferencePipeline", name, {}, opts);
        this.ctx = ctx;
        this.resourceName = name;
        this.names = pipelineNames(args.settings);
        this.namespace = new PlatformNamespace(`${name}-ns`, { name: args.namespace, partOf: PART_OF }, ctx, { parent: this });
        const { data, routes } = this.dataServices(args);
        this.data = data;
        this.dbInit = this.databaseInit(args);
        const model = this.modelServer(args);
        const { gateway, worker, collector, gatewayService } = this.benthosWorkloads(args, model);
        const api = this.apiService(args);
        this.deployments = { gateway, worker, collector, model: model.deployment, api: api.deployment };
        const scaling = this.scaling(args, worker, routes.rabbitmq.port);
        this.keda = scaling.keda;
        this.triggerAuthentication = scaling.triggerAuthentication;
        this.scaledObject = scaling.scaledObject;
        const ingress = this.ingressFor(args, gatewayService, api.service);
        this.ingress = ingress.ingress;
        this.networkPolicies(args, routes, scaling.kedaNamespace);

        const n = this.names;
        const ns = this.namespace.name;
        const { scheme, apiHost } = ingress;
        this.gatewayUrl = pulumi.output(`${scheme}://${args.host}${n.gateway.path}`);
        this.statusUrl = pulumi.output(`${scheme}://${apiHost}${API_ROUTES.status}{id}`);
        this.quotaUrl = pulumi.output(`${scheme}://${apiHost}${API_ROUTES.quota}`);
        this.gatewayServiceUrl = pulumi.interpolate`http://${gatewayService.metadata.name}.${ns}.svc.cluster.local${n.gateway.path}`;
        this.modelServiceUrl = pulumi.interpolate`http://${model.service.metadata.name}.${ns}.svc.cluster.local:${n.modelService.port}`;
        this.registerOutputs({
            namespace: ns, gatewayUrl: this.gatewayUrl, statusUrl: this.statusUrl, quotaUrl: this.quotaUrl,
            gatewayServiceUrl: this.gatewayServiceUrl, modelServiceUrl: this.modelServiceUrl,
        });
    }

    /** Data services: its own (DataService in its namespace) or handed in, and how its pods reach each. */
    private dataServices(args: InferencePipelineArgs) {
        const name = this.resourceName;
        const ctx = this.ctx;
        const nsObj = this.namespace;
        const routes = {} as Record<PipelineDataServiceName, DataRoute>;
        const data = {} as { [S in PipelineDataServiceName]: DataConnection<S> };
        for (const service of PIPELINE_DATA_SERVICES) {
            const source = args.data[service] as PipelineDataSource<PipelineDataServiceName>;
            const defaultPort = CONNECTIONS[service].port;
            const anywhere = (args.externalDataCidrs ?? []).length > 0 ? args.externalDataCidrs!.map((cidr) => ({ ipBlock: { cidr } })) : undefined;
            if (isConnection(source)) {
                (data as Record<string, DataConnection<PipelineDataServiceName>>)[service] = source;
                // Not ours: its pods are in another namespace, or it is external; its port as announced (default for external).
                routes[service] = {
                    conn: source, port: source.port ?? defaultPort,
                    to: source.mode === "external" ? anywhere : [{ namespaceSelector: {} }],
                };
                continue;
            }
            const conn = new DataService(`${name}-${service}`, { partOf: PART_OF, ...source } as DataServiceArgs<PipelineDataServiceName>, ctx, nsObj, { parent: this });
            (data as Record<string, DataConnection<PipelineDataServiceName>>)[service] = conn;
            if (source.mode === "external") {
                // The port is read from the connection string; only the port leaves the secret.
                const port = pulumi.unsecret(pulumi.output(source.external!).apply((url) =>
                    Number(externalConnectionValues(service, url).port)));
                routes[service] = { conn, port, to: anywhere };
            } else {
                routes[service] = { conn, port: conn.port ?? defaultPort, podSelector: { "app.kubernetes.io/name": service } };
            }
        }
        return { data, routes };
    }

    /** `secretKeyRef`s for the connection env variables of `envs`. */
    private secretEnv(envs: readonly EnvVarName[]): Record<string, SecretKeyRef> {
        const refs: Record<string, SecretKeyRef> = {};
        for (const e of envs) {
            if (e === ENV.postgresDsn) refs[e] = this.data.postgresql.keyRef(this.namespace, "dsn");
            if (e === ENV.rabbitmqUrl) refs[e] = this.data.rabbitmq.keyRef(this.namespace, "url");
            if (e === ENV.redisUrl) refs[e] = this.data.redis.keyRef(this.namespace, "url");
        }
        return refs;
    }

    /** What a workload waits for before it starts using `services`. */
    private ready(...services: PipelineDataServiceName[]): pulumi.Resource[] {
        return services.flatMap((s) => this.data[s].ready);
    }

    /** The DB-init Job: the schema SQL, run with psql once PostgreSQL is up (again when the SQL changes). */
    private databaseInit(args: InferencePipelineArgs): k8s.batch.v1.Job {
        const name = this.resourceName;
        const n = this.names;
        const ns = this.namespace.name;
        const sql = schemaSql(n);
        const sqlConfig = new k8s.core.v1.ConfigMap(`${name}-db-init-sql`, {
            metadata: { name: n.dbInit.configMap, namespace: ns, labels: this.labels("db-init", n.dbInit.jobName) },
            data: { [n.dbInit.scriptKey]: sql },
        }, { parent: this });
        const dbInitImage = args.dbInitImage ?? DB_INIT_IMAGE;
        const dbInitSa = this.serviceAccount(n.dbInit.jobName, "db-init");
        const psql = container({
            name: "db-init",
            image: dbInitImage,
            // Idempotent SQL (IF NOT EXISTS, ON CONFLICT DO NOTHING, one transaction under an advisory lock).
            command: ["sh", "-c", `exec psql -X -v ON_ERROR_STOP=1 -f /sql/${n.dbInit.scriptKey} "$${ENV.postgresDsn}"`],
            env: { HOME: "/tmp", PGCONNECT_TIMEOUT: "10" },
            secretEnv: this.secretEnv([ENV.postgresDsn]),
            runAsUser: POSTGRES_UID,
            writablePaths: ["/tmp"],
            volumeMounts: [{ name: "sql", mountPath: "/sql", readOnly: true }],
            resources: {
                requests: { cpu: "20m", memory: "32Mi", ephemeralStorage: "16Mi" },
                limits: { cpu: "200m", memory: "128Mi", ephemeralStorage: "64Mi" },
            },
        });
        const jobLabels = this.labels("db-init", n.dbInit.jobName, dbInitImage);
        return new k8s.batch.v1.Job(`${name}-db-init`, {
            metadata: { name: n.dbInit.jobName, namespace: ns, labels: jobLabels },
            spec: {
                // Retries while PostgreSQL starts; no ttlSecondsAfterFinished: Pulumi owns the Job,
                // and a Job deleted by its TTL would come back as drift on the next update.
                backoffLimit: 10,
                template: {
                    // A change of the SQL changes the template: the Job is replaced and runs again.
                    metadata: { labels: jobLabels, annotations: { [CONFIG_HASH]: sha256(sql) } },
                    spec: {
                        ...podSpec({
                            containers: [psql],
                            serviceAccountName: dbInitSa.metadata.name,
                            restartPolicy: "OnFailure",
                            runToCompletion: true,
                            volumes: [{ name: "sql", configMap: { name: sqlConfig.metadata.name } }],
                        }),
                        enableServiceLinks: false,
                    },
                },
            },
        }, { parent: this, dependsOn: this.ready("postgresql"), deleteBeforeReplace: true });
    }

    /** The user's model server: its volume, Deployment and Service. */
    private modelServer(args: InferencePipelineArgs): { deployment: k8s.apps.v1.Deployment; service: k8s.core.v1.Service } {
        const name = this.resourceName;
        const n = this.names;
        const ns = this.namespace.name;
        const m = args.model;
        const modelUid = m.runAsUser ?? 1000;
        const accessMode = m.accessMode ?? "ReadWriteOnce";
        const modelClaim = new k8s.core.v1.PersistentVolumeClaim(`${name}-models`, {
            metadata: { name: n.modelService.volumeClaim, namespace: ns, labels: this.labels("model", n.modelService.name) },
            spec: {
                accessModes: [accessMode],
                storageClassName: m.storageClass ?? this.ctx.cluster.storageClass,
                resources: { requests: { storage: m.size ?? "10Gi" } },
            },
        }, { parent: this });
        const modelPath = m.path ?? "/models";
        const modelResources = m.resources ?? MODEL_RESOURCES;
        const modelContainer = container({
            name: "model",
            image: m.image,
            ports: [{ name: "http", containerPort: n.modelService.port }],
            env: { MODEL_PATH: modelPath, PORT: String(n.modelService.port) },
            readiness: httpProbe(n.modelService.readyPath, "http", 10),
            liveness: { ...httpProbe(n.modelService.healthPath, "http", 30), periodSeconds: 20 },
            // Loading a model can take minutes: up to ten before liveness applies.
            startup: { ...httpProbe(n.modelService.healthPath, "http", 10), failureThreshold: 60 },
            resources: modelResources,
            runAsUser: modelUid,
            writablePaths: ["/tmp"],
            volumeMounts: [{ name: "models", mountPath: modelPath }],
        });
        if (m.gpus) {
            const r = modelContainer.container.resources as { requests: Record<string, string>; limits: Record<string, string> };
            r.limits["nvidia.com/gpu"] = String(m.gpus);
            r.requests["nvidia.com/gpu"] = String(m.gpus);
        }
        const model = this.deployment("model", n.modelService.name, m.image, m.replicas ?? 1, {
            containers: [modelContainer],
            fsGroup: modelUid,
            volumes: [{ name: "models", persistentVolumeClaim: { claimName: modelClaim.metadata.name } }],
        }, {}, [], accessMode === "ReadWriteOnce" ? "Recreate" : undefined);
        return { deployment: model, service: this.service("model", n.modelService.name, n.modelService.port, "http") };
    }

    /** The Benthos gateway, worker and collector, each with its generated config, and the gateway's Service. */
    private benthosWorkloads(args: InferencePipelineArgs, model: { deployment: k8s.apps.v1.Deployment; service: k8s.core.v1.Service }) {
        const name = this.resourceName;
        const n = this.names;
        const ns = this.namespace.name;
        const benthosImage = args.benthosImage ?? BENTHOS_IMAGE;
        const configs = benthosConfigs(n);
        const benthos = (component: BenthosComponent, w: BenthosWorkloadNames, replicas: number | undefined, dependsOn: pulumi.Resource[]) => {
            const config = new k8s.core.v1.ConfigMap(`${name}-${component}-config`, {
                metadata: { name: w.configMap, namespace: ns, labels: this.labels(component, w.name) },
                data: { [w.configKey]: configs[component] },
            }, { parent: this });
            const plainEnv: Record<string, string> = w.env.includes(ENV.mlServiceUrl) ? { [ENV.mlServiceUrl]: n.modelService.url } : {};
            return this.benthosDeployment(component, w.name, benthosImage, replicas, config, w, configs[component], plainEnv, this.secretEnv(w.env), dependsOn);
        };
        const collector = benthos("collector", n.collector, args.collector?.replicas ?? 1,
            [this.dbInit, ...this.ready("postgresql", "redis", "rabbitmq")]);
        // The worker's replicas belong to KEDA (no replicas field, so updates never fight the HPA).
        const worker = benthos("worker", n.worker, undefined,
            [this.dbInit, model.deployment, model.service, ...this.ready("rabbitmq")]);
        // Queues are declared by their consumers: the gateway starts after the worker and the collector.
        const gateway = benthos("gateway", n.gateway, args.gateway?.replicas ?? 2,
            [this.dbInit, worker, collector, ...this.ready("postgresql", "redis", "rabbitmq")]);
        const gatewayService = this.service("gateway", n.gateway.name, n.gateway.servicePort, "http");
        return { gateway, worker, collector, gatewayService };
    }

    /** The API service: the user's image, or the built-in one (a generated Benthos config). */
    private apiService(args: InferencePipelineArgs): { deployment: k8s.apps.v1.Deployment; service: k8s.core.v1.Service } {
        const name = this.resourceName;
        const n = this.names;
        const ns = this.namespace.name;
        const benthosImage = args.benthosImage ?? BENTHOS_IMAGE;
        const api = args.apiService ?? {};
        let apiDeployment: k8s.apps.v1.Deployment;
        if (api.image) {
            const c = container({
                name: "api",
                image: api.image,
                ports: [{ name: "http", containerPort: n.apiService.port }],
                env: { PORT: String(n.apiService.port), REDIS_KEY_PREFIX: n.redis.prefix },
                secretEnv: this.secretEnv(API_SERVICE_ENV),
                readiness: httpProbe(api.readyPath ?? "/ready", "http"),
                liveness: httpProbe(api.healthPath ?? "/ping", "http", 15),
                resources: BENTHOS_RESOURCES,
                runAsUser: 1000,
                writablePaths: ["/tmp"],
            });
            apiDeployment = this.deployment("api", n.apiService.name, api.image, api.replicas ?? 1, { containers: [c] }, {},
                [this.dbInit, ...this.ready("postgresql", "redis")]);
        } else {
            const yaml = apiServiceConfigYaml(n);
            const config = new k8s.core.v1.ConfigMap(`${name}-api-config`, {
                metadata: { name: n.apiService.configMap, namespace: ns, labels: this.labels("api", n.apiService.name) },
                data: { [n.apiService.configKey]: yaml },
            }, { parent: this });
            apiDeployment = this.benthosDeployment("api", n.apiService.name, benthosImage, api.replicas ?? 1, config,
                n.apiService, yaml, {}, this.secretEnv(API_SERVICE_ENV), [this.dbInit, ...this.ready("postgresql", "redis")]);
        }
        return { deployment: apiDeployment, service: this.service("api", n.apiService.name, n.apiService.servicePort, "http") };
    }

    /** KEDA (installed from its chart, or present) and the ScaledObject scaling the workers on the requests queue. */
    private scaling(args: InferencePipelineArgs, worker: k8s.apps.v1.Deployment, rabbitmqPort: pulumi.Input<number>) {
        const name = this.resourceName;
        const n = this.names;
        const ns = this.namespace.name;
        const ctx = this.ctx;
        const kedaArgs: KedaArgs = args.keda ?? { install: true };
        const kedaNamespace = kedaArgs.namespace ?? "keda";
        const kedaDeps: pulumi.Resource[] = [];
        let keda: HelmChart | undefined;
        if (kedaArgs.install) {
            const kedaNs = new PlatformNamespace(`${name}-keda-ns`, { name: kedaNamespace, partOf: "keda" }, ctx, { parent: this });
            // The API server calls KEDA's metrics API server and admission webhooks; its operator
            // reads the requests queue's length (RabbitMQ here or external).
            controllerNetworkPolicies(`${name}-keda`, kedaNs.name, "keda",
                { openPorts: KEDA_API_SERVER_PORTS, egressPorts: [rabbitmqPort] }, this.labels("network", "keda"), { parent: this });
            keda = new HelmChart(`${name}-keda`, {
                source: resolveChartSource({ repo: KEDA_CHART_REPO, chart: "keda", version: kedaArgs.chartVersion ?? KEDA_CHART_VERSION }, kedaArgs.chartMirror),
                namespace: kedaNs.name,
                releaseName: "keda",
                // The chart's own defaults are secure (non-root, read-only root, resources); add our labels.
                values: { crds: { install: true }, additionalLabels: ctx.extraLabels },
            }, { parent: this });
            // CRDs (rendered by the chart) before any object of theirs.
            kedaDeps.push(keda);
        }
        const triggerAuthentication = new k8s.apiextensions.CustomResource(`${name}-trigger-auth`, {
            apiVersion: "keda.sh/v1alpha1",
            kind: "TriggerAuthentication",
            metadata: { name: n.scaling.triggerAuthentication, namespace: ns, labels: this.labels("worker", n.worker.name) },
            spec: {
                // The AMQP URL (credentials included) from the RabbitMQ connection Secret.
                secretTargetRef: [{ parameter: "host", name: this.data.rabbitmq.secretIn(this.namespace).metadata.name, key: "url" }],
            },
        }, { parent: this, dependsOn: kedaDeps });
        const w = args.worker ?? {};
        const scaledObject = new k8s.apiextensions.CustomResource(`${name}-scaler`, {
            apiVersion: "keda.sh/v1alpha1",
            kind: "ScaledObject",
            metadata: { name: n.scaling.scaledObject, namespace: ns, labels: this.labels("worker", n.worker.name) },
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: n.scaling.targetDeployment },
                minReplicaCount: w.minReplicas ?? 1,
                maxReplicaCount: w.maxReplicas ?? 10,
                pollingInterval: w.pollingInterval ?? 15,
                cooldownPeriod: w.cooldownPeriod ?? 30,
                triggers: [{
                    type: "rabbitmq",
                    metadata: { protocol: "amqp", queueName: n.scaling.queue, mode: "QueueLength", value: String(w.queueLength ?? 5) },
                    authenticationRef: { name: triggerAuthentication.metadata.name },
                }],
            },
        }, { parent: this, dependsOn: [worker, ...kedaDeps] });
        return { keda, kedaNamespace, triggerAuthentication, scaledObject };
    }

    /** The Ingress: the gateway's path and the API service's routes, on one host or two. */
    private ingressFor(args: InferencePipelineArgs, gatewayService: k8s.core.v1.Service, apiService: k8s.core.v1.Service) {
        const name = this.resourceName;
        const n = this.names;
        const ns = this.namespace.name;
        const apiHost = args.apiHost || args.host;
        const tlsSecret = args.tls?.secretName || (args.tls?.clusterIssuer ? n.ingress.tlsSecret : undefined);
        const scheme = tlsSecret ? "https" : "http";
        const backend = (svc: k8s.core.v1.Service) => ({ service: { name: svc.metadata.name, port: { name: "http" } } });
        const gatewayPath = { path: n.gateway.path, pathType: "Exact", backend: backend(gatewayService) };
        const apiPaths = [
            { path: API_ROUTES.status, pathType: "Prefix", backend: backend(apiService) },
            { path: API_ROUTES.quota, pathType: "Exact", backend: backend(apiService) },
        ];
        const rules = apiHost === args.host
            ? [{ host: args.host, http: { paths: [gatewayPath, ...apiPaths] } }]
            : [{ host: args.host, http: { paths: [gatewayPath] } }, { host: apiHost, http: { paths: apiPaths } }];
        const ingress = new k8s.networking.v1.Ingress(`${name}-ingress`, {
            metadata: {
                name: n.ingress.name, namespace: ns, labels: this.labels("ingress", n.ingress.name),
                annotations: args.tls?.clusterIssuer ? { "cert-manager.io/cluster-issuer": args.tls.clusterIssuer } : undefined,
            },
            spec: {
                ingressClassName: this.ctx.cluster.ingress?.className,
                rules,
                tls: tlsSecret ? [{ hosts: [...new Set([args.host, apiHost])], secretName: tlsSecret }] : undefined,
            },
        }, { parent: this });
        return { ingress, scheme, apiHost };
    }

    /** Pod selector of a workload (the component role → the workload's name). */
    private selector(workload: string): Record<string, string> {
        return selectorLabels({ name: workload });
    }

    /** Labels of an object of `component`; `name` is the workload it belongs to (or the object's own name). */
    private labels(component: string, name: string, image?: string): Record<string, string> {
        return standardLabels({ name, component, partOf: PART_OF, version: image ? imageTag(image) : undefined }, this.ctx.extraLabels);
    }

    private serviceAccount(workload: string, component: string): k8s.core.v1.ServiceAccount {
        // No RBAC: no pipeline workload talks to the API server.
        return new k8s.core.v1.ServiceAccount(`${this.resourceName}-${component}-sa`, {
            metadata: { name: workload, namespace: this.namespace.name, labels: this.labels(component, workload) },
            automountServiceAccountToken: false,
        }, { parent: this });
    }

    private deployment(component: string, workload: string, image: string, replicas: number | undefined,
        pod: Omit<Parameters<typeof podSpec>[0], "serviceAccountName">, annotations: Record<string, string>,
        dependsOn: pulumi.Resource[], strategy?: "Recreate"): k8s.apps.v1.Deployment {
        const sa = this.serviceAccount(workload, component);
        // The version label goes on the workload only, so an image change updates just the workload.
        const labels = { ...this.labels(component, workload, image) };
        // No replicas: an autoscaler (KEDA) owns them. Replicated or autoscaled: spread and a PDB.
        const availability = { replicas, autoscaled: replicas === undefined };
        const replicated = needsDisruptionBudget(availability);
        disruptionBudget(`${this.resourceName}-${component}-pdb`, {
            name: workload, namespace: this.namespace.name, labels: this.labels(component, workload), selector: this.selector(workload), ...availability,
        }, { parent: this });
        return new k8s.apps.v1.Deployment(`${this.resourceName}-${component}`, {
            metadata: { name: workload, namespace: this.namespace.name, labels },
            spec: {
                replicas,
                strategy: strategy ? { type: strategy } : undefined,
                selector: { matchLabels: this.selector(workload) },
                template: {
                    metadata: { labels, annotations: Object.keys(annotations).length > 0 ? annotations : undefined },
                    // No <SERVICE>_PORT variables: images read environment variables with their own names.
                    spec: {
                        ...podSpec({ ...pod, serviceAccountName: sa.metadata.name, spreadSelector: replicated ? this.selector(workload) : undefined }),
                        enableServiceLinks: false,
                    },
                },
            },
        }, { parent: this, dependsOn });
    }

    private benthosDeployment(component: string, workload: string, image: string, replicas: number | undefined,
        config: k8s.core.v1.ConfigMap, w: { configKey: string; configPath: string; port: number }, configText: string,
        env: Record<string, string>, secretEnv: Record<string, SecretKeyRef>, dependsOn: pulumi.Resource[]): k8s.apps.v1.Deployment {
        const dir = w.configPath.slice(0, w.configPath.lastIndexOf("/"));
        const c = container({
            name: component,
            image,
            args: ["-c", w.configPath],
            ports: [{ name: "http", containerPort: w.port }],
            env,
            secretEnv,
            readiness: httpProbe("/ready", "http", 5),
            liveness: httpProbe("/ping", "http", 10),
            resources: BENTHOS_RESOURCES,
            runAsUser: BENTHOS_UID,
            volumeMounts: [{ name: "config", mountPath: dir, readOnly: true }],
        });
        return this.deployment(component, workload, image, replicas, {
            containers: [c],
            volumes: [{ name: "config", configMap: { name: config.metadata.name, items: [{ key: w.configKey, path: w.configPath.slice(dir.length + 1) }] } }],
        }, { [CONFIG_HASH]: sha256(configText) }, dependsOn);
    }

    private service(component: string, workload: string, port: number, targetPort: string): k8s.core.v1.Service {
        return new k8s.core.v1.Service(`${this.resourceName}-${component}-service`, {
            metadata: { name: workload, namespace: this.namespace.name, labels: this.labels(component, workload), annotations: serviceAwaitAnnotations("ClusterIP") },
            spec: { type: "ClusterIP", selector: this.selector(workload), ports: [{ name: "http", port, targetPort }] },
        }, { parent: this });
    }

    /**
     * Default deny in the namespace; DNS to kube-system for every pod; per workload exactly
     * what it talks to; per in-namespace data service exactly its clients (and KEDA's
     * operator for RabbitMQ's queue length).
     */
    private networkPolicies(args: InferencePipelineArgs, routes: Record<PipelineDataServiceName, DataRoute>, kedaNamespace: string): void {
        const n = this.names;
        const talks: Record<"gateway" | "worker" | "collector" | "api" | "db-init" | "model", Talks> = {
            gateway: { data: ["postgresql", "redis", "rabbitmq"], fromIngress: n.gateway.port },
            worker: { data: ["rabbitmq"], model: true },
            collector: { data: ["postgresql", "redis", "rabbitmq"] },
            api: { data: ["postgresql", "redis"], fromIngress: n.apiService.port },
            "db-init": { data: ["postgresql"] },
            model: { data: [] },
        };
        const ns = this.namespace.name;
        const policy = (key: string, name: string, component: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
            new k8s.networking.v1.NetworkPolicy(`${this.resourceName}-netpol-${key}`, {
                metadata: { name, namespace: ns, labels: this.labels(component, name) },
                spec,
            }, { parent: this });
        policy("default-deny", n.networkPolicies.defaultDeny, "network", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        policy("dns", n.networkPolicies.dns, "network", DNS_EGRESS);

        const workloads: Record<keyof typeof talks, string> = {
            gateway: n.gateway.name, worker: n.worker.name, collector: n.collector.name,
            api: n.apiService.name, "db-init": n.dbInit.jobName, model: n.modelService.name,
        };
        const ingressFrom: NetworkPolicyPeer[] = [{
            namespaceSelector: args.ingressNamespace ? byName(args.ingressNamespace) : {},
        }];
        for (const [component, t] of Object.entries(talks) as [keyof typeof talks, Talks][]) {
            const egress: NetworkPolicyEgressRule[] = t.data.map((service) => {
                const r = routes[service];
                return {
                    to: r.podSelector ? [{ podSelector: { matchLabels: r.podSelector } }] : r.to,
                    ports: [{ protocol: "TCP", port: r.port }],
                };
            });
            if (t.model) {
                egress.push({ to: [{ podSelector: { matchLabels: this.selector(n.modelService.name) } }], ports: [{ protocol: "TCP", port: n.modelService.port }] });
            }
            const ingress = [];
            if (t.fromIngress) ingress.push({ from: ingressFrom, ports: [{ protocol: "TCP", port: t.fromIngress }] });
            if (component === "model") {
                ingress.push({ from: [{ podSelector: { matchLabels: this.selector(n.worker.name) } }], ports: [{ protocol: "TCP", port: n.modelService.port }] });
            }
            policy(component, workloads[component], component, {
                podSelector: { matchLabels: this.selector(workloads[component]) },
                policyTypes: ["Ingress", "Egress"],
                ingress,
                egress,
            });
        }

        // The in-namespace data services accept their clients only.
        for (const service of PIPELINE_DATA_SERVICES) {
            const r = routes[service];
            if (!r.podSelector) continue;
            const clients = (Object.entries(talks) as [keyof typeof talks, Talks][]).filter(([, t]) => t.data.includes(service)).map(([c]) => workloads[c]);
            const from: NetworkPolicyPeer[] = clients.map((c) => ({ podSelector: { matchLabels: this.selector(c) } }));
            // KEDA's operator reads the requests queue's length over AMQP.
            if (service === "rabbitmq") from.push(namespaceNamed(kedaNamespace));
            const self: NetworkPolicyPeer[] = [{ podSelector: { matchLabels: r.podSelector } }];
            policy(`${service}-clients`, n.networkPolicies[service], service, {
                podSelector: { matchLabels: r.podSelector },
                policyTypes: ["Ingress", "Egress"],
                // Its clients on the service port; its own pods on any port (CLI tools and probes that
                // connect through the pod's address, e.g. RabbitMQ's Erlang distribution).
                ingress: [{ from, ports: [{ protocol: "TCP", port: r.port }] }, { from: self }],
                egress: [{ to: self }],
            });
        }
    }
}
