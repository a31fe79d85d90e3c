// One data service (PostgreSQL, Redis, RabbitMQ or MongoDB) in one of three modes, behind
// one connection contract. The shape of the StatefulSet, the chart wiring, the generated
// credentials and the per-namespace connection Secrets are written here once for all four
// services; services.ts holds what differs between them.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { ChartMirror, HelmChart, resolveChartSource } from "../core/chart";
import type { PlatformContext } from "../core/context";
import { imageTag } from "../core/images";
import { selectorLabels, standardLabels } from "../core/labels";
import type { PlatformNamespace } from "../core/namespace";
import { serviceAwaitAnnotations } from "../core/network";
import { keyRef, secretFromOutputs, SecretPerNamespace } from "../core/secrets";
import { container, execProbe, podSpec, Resources, SecretKeyRef } from "../core/workload";
import {
    CONNECTIONS, ConnectionKey, connectionValues, DATA_SERVICES, DataMode, DataServiceName, externalConnectionValues,
} from "./connection";
import { ServiceSpec, SPECS } from "./services";

/**
 * What a platform gets from a data service, whatever its mode. Platforms read credentials
 * only through the connection Secret (`secretIn`, `keyRef`), so switching a service between
 * embedded, chart and external changes nothing on the platform's side.
 */
export interface DataConnection<S extends DataServiceName = DataServiceName> {
    /** Which data service this is. */
    readonly service: S;
    /** How it is provided: `embedded` (our StatefulSet), `chart` (Bitnami chart) or `external` (the user's). */
    readonly mode: DataMode;
    /** In-cluster DNS name of the service (embedded, chart); undefined for external, whose Secret holds the host. */
    readonly host?: pulumi.Output<string>;
    /** Port of `host` (embedded, chart); undefined for external. */
    readonly port?: number;
    /** Name of the connection Secret in every namespace: `postgres-credentials`, `redis-credentials`, `rabbitmq-credentials`, `mongodb-credentials`. */
    readonly secretName: string;
    /**
     * Keys of the connection Secret, the same in every mode; the first is the connection string.
     * postgresql: dsn, username, password, database, host, port; redis: url, password, host, port;
     * rabbitmq: url, username, password, host, port; mongodb: uri, username, password, database
     * (MongoDB's is the service user, never root).
     */
    readonly keys: readonly ConnectionKey<S>[];
    /** The connection Secret in `namespace`, created on first request (pods read only Secrets of their own namespace). */
    secretIn(namespace: PlatformNamespace): k8s.core.v1.Secret;
    /** A `secretKeyRef` to one key of the connection Secret in `namespace`, for `ContainerArgs.secretEnv`. */
    keyRef(namespace: PlatformNamespace, key: ConnectionKey<S>): SecretKeyRef;
    /** Resources a consumer waits for (`dependsOn`): the StatefulSet and its Services, or the chart; empty for external. */
    readonly ready: pulumi.Resource[];
}

export interface DataServiceArgs<S extends DataServiceName = DataServiceName> {
    /** Which data service. */
    service: S;
    /** `embedded`, `chart` or `external`. */
    mode: DataMode;
    /** Official image (embedded), pinned; default `DATA_SERVICES[service].image`. */
    image?: string;
    /** Version of the Bitnami chart (chart); default `DATA_SERVICES[service].chartVersion`. */
    chartVersion?: string;
    /** OCI registry mirroring the charts (`registry.chartMirror`, `registry.chartMirrorPlainHttp`); empty or undefined for Bitnami's public registry. */
    chartMirror?: ChartMirror;
    /** Size of the PersistentVolumeClaim (embedded, chart); default `DATA_SERVICES[service].size`. */
    size?: string;
    /** StorageClass of the PersistentVolumeClaim; undefined means the cluster's (`ClusterInfo.storageClass`). */
    storageClass?: string;
    /** The platform's user (postgresql, rabbitmq, mongodb; embedded and chart create it); default `DATA_SERVICES[service].username`. */
    username?: string;
    /** The platform's database (postgresql, mongodb): created in embedded and chart modes, the fallback when an external connection string names none; default `DATA_SERVICES[service].database`. */
    database?: string;
    /** The user's connection string (external; required there), a secret. */
    external?: pulumi.Input<string>;
    /** `app.kubernetes.io/part-of` of the objects; default `mlplat-data`. */
    partOf?: string;
}

/** Bitnami's OCI registry: it keeps every chart version (the https index at charts.bitnami.com keeps only recent ones). */
export const BITNAMI_CHARTS = "oci://registry-1.docker.io/bitnamicharts";

/** A default of DataServiceArgs (DATA_SERVICES), when the service has one. */
const setting = (service: DataServiceName, key: "image" | "chartVersion" | "size" | "username" | "database"): string | undefined =>
    (DATA_SERVICES[service] as Partial<Record<string, string>>)[key];

const k8sResources = (r: Resources) => {
    const f = (x: Resources["requests"]) => ({ cpu: x.cpu, memory: x.memory, "ephemeral-storage": x.ephemeralStorage });
    return { requests: f(r.requests), limits: f(r.limits) };
};

/**
 * PostgreSQL, Redis, RabbitMQ or MongoDB for a platform, in the platform's namespace:
 * `embedded` (a StatefulSet on the official image), `chart` (the pinned Bitnami chart) or
 * `external` (the user's connection string). In-cluster modes generate every credential
 * with `@pulumi/random` and keep the administrative ones in the service's own auth Secret
 * (`<service>-auth`); platforms get the connection Secret only.
 */
export class DataService<S extends DataServiceName = DataServiceName> extends pulumi.ComponentResource implements DataConnection<S> {
    readonly service: S;
    readonly mode: DataMode;
    readonly host?: pulumi.Output<string>;
    readonly port?: number;
    readonly secretName: string;
    readonly keys: readonly ConnectionKey<S>[];
    readonly ready: pulumi.Resource[] = [];
    /** The service's own Secret: administrative and application passwords (the chart's `existingSecret`); undefined for external. */
    readonly authSecret?: k8s.core.v1.Secret;
    /** The StatefulSet (embedded). */
    readonly statefulSet?: k8s.apps.v1.StatefulSet;
    /** The chart (chart). */
    readonly chart?: HelmChart;
    /** The connection Secret's values (a secret). */
    private readonly values: pulumi.Output<Record<string, string>>;
    private readonly labels: Record<string, string>;
    private secrets?: SecretPerNamespace;

    constructor(private readonly resourceName: string, args: DataServiceArgs<S>, ctx: PlatformContext, namespace: PlatformNamespace, opts?: pulumi.ComponentResourceOptions) {
        const spec = SPECS[args.service];
        super(`mlplat:data:${spec.title}`, resourceName, {}, opts);
        const service = args.service;
        this.service = service;
        this.mode = args.mode;
        this.secretName = CONNECTIONS[service].secretName;
        this.keys = CONNECTIONS[service].keys as readonly ConnectionKey<S>[];
        const partOf = args.partOf ?? "mlplat-data";
        this.labels = standardLabels({ name: service, component: "credentials", partOf }, ctx.extraLabels);
        const username = service === "redis" ? "" : args.username ?? setting(service, "username") ?? "";
        const database = args.database ?? setting(service, "database") ?? "";

        if (args.mode === "external") {
            if (!args.external) throw new Error(`data.${service}: external mode needs the connection string (data.${service}.external.${DATA_SERVICES[service].secretKey})`);
            this.values = pulumi.secret(pulumi.output(args.external).apply((url): Record<string, string> => externalConnectionValues(service, url, database)));
            this.registerOutputs({ secretName: this.secretName });
            return;
        }

        const passwordKeys = [...spec.passwords, ...(args.mode === "chart" ? spec.chart.passwords ?? [] : [])];
        const passwords = Object.fromEntries(passwordKeys.map((key) =>
            [key, new random.RandomPassword(`${resourceName}-${key}`, { length: 32, special: false }, { parent: this }).result]));
        const file = args.mode === "embedded" ? spec.embedded.secretFile : undefined;
        this.authSecret = secretFromOutputs(`${resourceName}-auth`, {
            name: `${service}-auth`, namespace: namespace.name,
            labels: standardLabels({ name: service, component: "server", partOf }, ctx.extraLabels),
            data: { ...passwords, ...(file ? { [file.key]: file.content(passwords) } : {}) },
        }, { parent: this });

        const input = { username, database };
        const size = args.size ?? setting(service, "size")!;
        const storageClass = args.storageClass ?? ctx.cluster.storageClass;
        const ns = namespace.name;
        let serviceName: string;
        if (args.mode === "embedded") {
            serviceName = service;
            this.statefulSet = this.embedded(spec, args.image ?? setting(service, "image")!, size, storageClass, input, ctx, ns, partOf);
        } else {
            serviceName = `${service}${spec.chart.serviceSuffix}`;
            const source = resolveChartSource({ oci: `${BITNAMI_CHARTS}/${spec.chart.name}`, version: args.chartVersion ?? setting(service, "chartVersion")! }, args.chartMirror);
            const workload = { persistence: { size, storageClass }, resources: k8sResources(spec.resources) };
            this.chart = new HelmChart(`${resourceName}-chart`, {
                source, namespace: ns, releaseName: service,
                values: {
                    fullnameOverride: service,
                    commonLabels: ctx.extraLabels,
                    // The images come from docker.io/bitnamilegacy, which the charts treat as substituted.
                    global: { security: { allowInsecureImages: true } },
                    // The name as an Output: the chart waits for the auth Secret.
                    ...spec.chart.values({ ...input, authSecret: this.authSecret.metadata.name }),
                    ...(spec.chart.workloadKey ? { [spec.chart.workloadKey]: workload } : workload),
                },
            }, { parent: this });
            this.ready.push(this.chart);
        }

        this.host = pulumi.interpolate`${serviceName}.${ns}.svc.cluster.local`;
        this.port = spec.port;
        const appPassword = passwords[spec.appPasswordKey];
        this.values = pulumi.secret(pulumi.all([this.host, appPassword]).apply(([host, password]): Record<string, string> =>
            connectionValues(service, { host, port: spec.port, username, password, database })));
        this.registerOutputs({ host: this.host, port: this.port, secretName: this.secretName });
    }

    /** The StatefulSet on the official image with a headless and a client Service. */
    private embedded(spec: ServiceSpec, image: string, size: string, storageClass: string | undefined,
        input: { username: string; database: string }, ctx: PlatformContext, ns: pulumi.Output<string>, partOf: string): k8s.apps.v1.StatefulSet {
        const name = this.service;
        const e = spec.embedded;
        const labels = standardLabels({ name, component: "server", partOf }, ctx.extraLabels);
        // The version label goes on the workload only, so an image change updates the workload alone.
        const versioned = standardLabels({ name, component: "server", partOf, version: imageTag(image) }, ctx.extraLabels);
        const selector = selectorLabels({ name, component: "server" });
        const auth = this.authSecret!;
        const { env, secretEnv } = e.env(input);
        const volumes: k8s.types.input.core.v1.Volume[] = [];
        const mounts: k8s.types.input.core.v1.VolumeMount[] = [{ name: "data", mountPath: e.dataPath }];
        if (e.initScript) {
            const init = new k8s.core.v1.ConfigMap(`${this.resourceName}-init`, {
                metadata: { name: `${name}-init`, namespace: ns, labels },
                data: { [e.initScript.file]: e.initScript.content },
            }, { parent: this });
            volumes.push({ name: "init", configMap: { name: init.metadata.name, defaultMode: 0o444 } });
            mounts.push({ name: "init", mountPath: "/docker-entrypoint-initdb.d", readOnly: true });
        }
        if (e.secretFile) {
            volumes.push({ name: "auth", secret: { secretName: auth.metadata.name, items: [{ key: e.secretFile.key, path: e.secretFile.key }], defaultMode: 0o440 } });
            mounts.push({ name: "auth", mountPath: e.secretFile.dir, readOnly: true });
        }
        const probe = execProbe(e.probe);
        const ports = [{ name, port: spec.port }, ...spec.extraPorts];
        const server = container({
            name,
            image,
            args: e.args,
            ports: ports.map((p) => ({ name: p.name, containerPort: p.port })),
            env,
            secretEnv: Object.fromEntries(Object.entries(secretEnv).map(([envName, key]) => [envName, keyRef(auth, key)])),
            resources: spec.resources,
            readiness: { ...probe, timeoutSeconds: 10 },
            liveness: { ...probe, timeoutSeconds: 10, periodSeconds: 20 },
            // First starts initialise the data directory: up to five minutes before liveness applies.
            startup: { ...probe, timeoutSeconds: 10, failureThreshold: 30 },
            runAsUser: e.uid,
            runAsGroup: e.gid,
            writablePaths: e.writablePaths,
            volumeMounts: mounts,
        });

        const servicePorts = ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name }));
        const headless = new k8s.core.v1.Service(`${this.resourceName}-headless`, {
            metadata: { name: `${name}-headless`, namespace: ns, labels },
            spec: { clusterIP: "None", selector, ports: servicePorts },
        }, { parent: this });
        const client = new k8s.core.v1.Service(`${this.resourceName}-service`, {
            metadata: { name, namespace: ns, labels, annotations: serviceAwaitAnnotations("ClusterIP") },
            spec: { type: "ClusterIP", selector, ports: servicePorts },
        }, { parent: this });
        const statefulSet = new k8s.apps.v1.StatefulSet(`${this.resourceName}-server`, {
            metadata: { name, namespace: ns, labels: versioned },
            spec: {
                replicas: 1,
                serviceName: headless.metadata.name,
                selector: { matchLabels: selector },
                template: {
                    metadata: { labels: versioned },
                    spec: {
                        ...podSpec({ containers: [server], fsGroup: e.gid, volumes }),
                        // No SERVICE_HOST/PORT variables: images read environment variables with their own names.
                        enableServiceLinks: false,
                    },
                },
                volumeClaimTemplates: [{
                    metadata: { name: "data", labels },
                    spec: { accessModes: ["ReadWriteOnce"], storageClassName: storageClass, resources: { requests: { storage: size } } },
                }],
            },
        }, { parent: this });
        this.ready.push(statefulSet, client, headless);
        return statefulSet;
    }

    secretIn(namespace: PlatformNamespace): k8s.core.v1.Secret {
        this.secrets ??= new SecretPerNamespace(this, {
            resourcePrefix: this.resourceName, secretName: this.secretName, labels: this.labels,
            data: Object.fromEntries(this.keys.map((key) => [key, this.values.apply((v) => v[key])])),
        });
        return this.secrets.in(namespace);
    }

    keyRef(namespace: PlatformNamespace, key: ConnectionKey<S>): SecretKeyRef {
        return keyRef(this.secretIn(namespace), key);
    }
}
