// Redpoint AML (the vendor's "Deploying AML on Kubernetes" guide) as one component: its
// fourteen microservices as data, each a Deployment and a Service in namespace `aml`, the
// guide's secrets table enforced per container, MongoDB (our data service, the user's, or a
// CosmosDB account with the MongoDB API), the private Docker Hub pull secret, the five
// Ingresses, and NetworkPolicies.
//
//   Ingress (ui, admin, docs, realtime, auth) ─▶ the services they name
//   14 microservices ─▶ MongoDB (MONGODB_NAME)   ObjectStore (S3_*)   Keycloak, RPDM, RPI, SMTP (outside)
//
// What the guide's five `kubectl apply`s and its hand-edited secrets script did; see
// docs/platforms/redpoint-aml.md for the mapping of each step.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as cosmosdb from "@pulumi/azure-native/cosmosdb";
import type { PlatformContext } from "../../core/context";
import { imageTag } from "../../core/images";
import { selectorLabels, standardLabels } from "../../core/labels";
import { PlatformNamespace } from "../../core/namespace";
import { byName, DNS_EGRESS, serviceAwaitAnnotations, tcp } from "../../core/network";
import { keyRef, secretFromOutputs } from "../../core/secrets";
import { container, disruptionBudget, httpProbe, podSpec, SecretKeyRef, tcpProbe } from "../../core/workload";
import { CONNECTIONS, connectionStringForm, DataConnection, DataService, DataServiceArgs, isConnectionString } from "../../data";
import { dockerConfigJson } from "../../registry";
import { CREDENTIAL_KEYS, ObjectStore } from "../../storage/types";
import { envProblems, OPTIONAL_SECRETS, SECRETS_TABLE, secretKeyOf, SecretVariableName, secretVariablesOf, SETTING_SECRETS, SettingSecret } from "./secrets";
import {
    AmlEndpoint, AmlIngressArgs, AmlProblem, AmlServiceArgs, AML_NAMESPACE, AML_RUN_AS_USER, DEFAULT_SERVICE_RESOURCES, ENDPOINTS,
    ingressProblems, AML_PART_OF, serviceProblems,
} from "./services";

export * from "./services";
export * from "./secrets";

/** A CosmosDB account with the MongoDB API, created by the component. */
export interface CosmosDbArgs {
    /** Resource group of the account (exists already). */
    resourceGroupName: string;
    /** Azure region of the account, e.g. `westeurope`. */
    location: string;
    /** Account name: globally unique, 3-44 lowercase letters, digits and '-'. */
    accountName: string;
    /** The MongoDB database AML uses; default `aml`. */
    databaseName?: string;
    /** MongoDB API version of the account; default `4.2`. */
    serverVersion?: string;
}

/** Where AML's MongoDB comes from: a data service (embedded, chart, external), an existing connection, or CosmosDB. */
export type AmlMongoArgs = DataServiceArgs<"mongodb"> | DataConnection<"mongodb"> | { cosmosdb: CosmosDbArgs };

export interface RedpointAmlArgs {
    /** Namespace of every AML object; default `aml` (the guide's). */
    namespace?: string;
    /** The microservices: the five public ones (PUBLIC_SERVICES) and the vendor's others. */
    services: AmlServiceArgs[];
    /** The `--secret` values of the secrets table (ADL2_ACCESS_KEY and GCS_CREDENTIAL may be empty). */
    secrets: Partial<Record<SettingSecret, pulumi.Input<string>>>;
    /** MongoDB: MONGODB_NAME is its connection string. */
    mongodb: AmlMongoArgs;
    /** The stack's object storage: S3_ACCESS_KEY and S3_SECRET_ACCESS_KEY are its bucket user's. */
    storage: ObjectStore;
    /** The Docker Hub account Redpoint granted pull access; ignored in mirror mode (the mirror's pull secret is used). */
    dockerHub?: { username: string; token: pulumi.Input<string>; server?: string };
    /** The five Ingresses: the service and path of each. */
    ingresses: Record<AmlEndpoint, AmlIngressArgs>;
    /** Host of the Ingresses; default none (any host: the ingress controller's address). */
    host?: string;
    /** TLS: a `kubernetes.io/tls` Secret, or a cert-manager ClusterIssuer that issues it (needs `host`). */
    tls?: { secretName?: string; clusterIssuer?: string };
    /** Namespace of the ingress controller: only it reaches the routed services. Default any namespace. */
    ingressNamespace?: string;
    /** TCP ports the services may reach outside the cluster (Keycloak, RPDM, RPI, SMTP, ADLS, GCS); default 443 and 587. */
    egressPorts?: number[];
}

/** The Docker Hub registry of `.dockerconfigjson`. */
export const DOCKER_HUB = "https://index.docker.io/v1/";
/** The platform's own Secret: the `--secret` values of the table. */
export const SECRET_NAME = "aml-secrets";
export const PULL_SECRET_NAME = "aml-dockerhub";
const COSMOS_PORT = 10255;

const isConnection = (m: AmlMongoArgs): m is DataConnection<"mongodb"> => typeof (m as DataConnection<"mongodb">).secretIn === "function";
const isCosmos = (m: AmlMongoArgs): m is { cosmosdb: CosmosDbArgs } => "cosmosdb" in m;

/** Every problem with `args`, named by the Args field; the constructor refuses any. */
export function redpointAmlProblems(args: RedpointAmlArgs): AmlProblem[] {
    const problems = [...serviceProblems(args.services), ...envProblems(args.services), ...ingressProblems(args.ingresses, args.services)];
    const add = (field: string, message: string) => problems.push({ field, message });
    for (const k of SETTING_SECRETS) if (!OPTIONAL_SECRETS.includes(k) && !args.secrets[k]) add(`secrets.${k}`, `has no value (${k} is in the guide's secrets table)`);
    const m = args.mongodb;
    if (isCosmos(m)) {
        if (!m.cosmosdb.location) add("mongodb.cosmosdb.location", "CosmosDB needs an Azure location");
        if (!m.cosmosdb.resourceGroupName) add("mongodb.cosmosdb.resourceGroupName", "CosmosDB needs a resource group");
        if (!/^[a-z0-9][a-z0-9-]{1,42}[a-z0-9]$/.test(m.cosmosdb.accountName ?? "")) add("mongodb.cosmosdb.accountName", "must be 3-44 lowercase letters, digits and '-'");
    } else if (!isConnection(m) && m.mode === "external" && typeof m.external === "string" && !isConnectionString("mongodb", m.external)) {
        add("mongodb.external", `must be ${connectionStringForm("mongodb")}`);
    }
    if (args.tls?.clusterIssuer && !args.host) add("tls.clusterIssuer", "cert-manager issues certificates for a host: give host");
    return problems;
}

const problemText = (p: AmlProblem) => `${p.service ? `service ${p.service}: ` : p.endpoint ? `ingress ${p.endpoint}: ` : ""}${p.field}: ${p.message}`;

/** The MongoDB connection as the containers see it. */
interface MongoSource {
    mode: string;
    keyRef: SecretKeyRef;
    ready: pulumi.Resource[];
    /** Where the services reach it: pods here, or a port anywhere. */
    here: boolean;
    port: pulumi.Input<number>;
    /** The CosmosDB account, in cosmosdb mode. */
    account?: cosmosdb.DatabaseAccount;
}

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/**
 * Redpoint AML: its namespace, MongoDB, the secrets table's Secret, the Docker Hub pull
 * secret, a Deployment and a Service per microservice, five Ingresses and NetworkPolicies.
 */
export class RedpointAml extends pulumi.ComponentResource {
    readonly namespace: PlatformNamespace;
    readonly deployments: Record<string, k8s.apps.v1.Deployment> = {};
    readonly services: Record<string, k8s.core.v1.Service> = {};
    readonly ingresses = {} as Record<AmlEndpoint, k8s.networking.v1.Ingress>;
    /** How MongoDB is provided: embedded, chart, external or cosmosdb. */
    readonly mongodbMode: string;
    /** The CosmosDB account, in cosmosdb mode. */
    readonly cosmosAccount?: cosmosdb.DatabaseAccount;
    /** The guide's UI login (`<base>/#/Login`), admin page and Swagger docs; undefined until the Ingress has an address (no host). */
    readonly uiLoginUrl: pulumi.Output<string | undefined>;
    readonly adminUrl: pulumi.Output<string | undefined>;
    readonly docsUrl: pulumi.Output<string | undefined>;
    /** The Docker Hub pull secret (public registry mode only). */
    readonly pullSecret?: k8s.core.v1.Secret;

    private readonly ctx: PlatformContext;
    private readonly resourceName: string;

    constructor(name: string, args: RedpointAmlArgs, ctx: PlatformContext, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:platforms:RedpointAml", name, {}, opts);
        this.ctx = ctx;
        this.resourceName = name;
        const problems = redpointAmlProblems(args);
        if (problems.length > 0) throw new Error(`RedpointAml ${name}: ${problems.map(problemText).join("; ")}`);

        this.namespace = this.createNamespace(args);
        const mongo = this.mongoSource(args.mongodb);
        this.mongodbMode = mongo.mode;
        this.cosmosAccount = mongo.account;
        const refs = this.secretRefs(args, mongo);
        this.pullSecret = this.dockerHubSecret(args);
        for (const s of args.services) this.microservice(s, refs, mongo.ready);
        const base = this.ingressFor(args);
        this.uiLoginUrl = base("ui").apply((b) => b && `${b}#/Login`);
        this.adminUrl = base("admin");
        this.docsUrl = base("docs");
        this.networkPolicies(args, mongo);
        this.registerOutputs({ uiLoginUrl: this.uiLoginUrl, adminUrl: this.adminUrl, docsUrl: this.docsUrl });
    }

    private labels(component: string, name: string, image?: string): Record<string, string> {
        return standardLabels({ name, component, partOf: AML_PART_OF, version: image ? imageTag(image) : undefined }, this.ctx.extraLabels);
    }

    /** The namespace, restricted unless a service needs the runAsRoot escape hatch. */
    private createNamespace(args: RedpointAmlArgs): PlatformNamespace {
        const root = args.services.filter((s) => s.runAsRoot).map((s) => s.name);
        const podSecurity = root.length > 0
            ? { level: "baseline" as const, reason: `Redpoint AML services ${root.join(", ")} run as root (redpointAml.services.<name>.runAsRoot): their vendor images need it` }
            : undefined;
        return new PlatformNamespace(`${this.resourceName}-ns`, { name: args.namespace ?? AML_NAMESPACE, partOf: AML_PART_OF, podSecurity }, this.ctx, { parent: this });
    }

    /** MongoDB: our data service in the namespace, a connection handed in, or a CosmosDB account. */
    private mongoSource(m: AmlMongoArgs): MongoSource {
        if (isCosmos(m)) return this.cosmosMongo(m.cosmosdb);
        const conn = isConnection(m) ? m : new DataService(`${this.resourceName}-mongodb`, { partOf: AML_PART_OF, ...m }, this.ctx, this.namespace, { parent: this });
        const here = !isConnection(m) && conn.mode !== "external";
        // An external server: only its port leaves the secret.
        const external = isConnection(m) ? undefined : m.external;
        const port = conn.mode !== "external" ? conn.port ?? CONNECTIONS.mongodb.port
            : external ? pulumi.unsecret(pulumi.output(external).apply(mongoPort)) : CONNECTIONS.mongodb.port;
        return { mode: conn.mode, keyRef: conn.keyRef(this.namespace, "uri"), ready: conn.ready, here, port };
    }

    /** A CosmosDB account (MongoDB API) and its database; the listed primary connection string, with the database, in a Secret. */
    private cosmosMongo(c: CosmosDbArgs): MongoSource {
        const name = this.resourceName;
        const database = c.databaseName ?? "aml";
        const account = new cosmosdb.DatabaseAccount(`${name}-cosmosdb`, {
            resourceGroupName: c.resourceGroupName,
            accountName: c.accountName,
            location: c.location,
            kind: "MongoDB",
            databaseAccountOfferType: "Standard",
            apiProperties: { serverVersion: c.serverVersion ?? "4.2" },
            locations: [{ locationName: c.location, failoverPriority: 0 }],
            consistencyPolicy: { defaultConsistencyLevel: "Session" },
            minimalTlsVersion: "Tls12",
        }, { parent: this });
        const db = new cosmosdb.MongoDBResourceMongoDBDatabase(`${name}-cosmosdb-database`, {
            resourceGroupName: c.resourceGroupName, accountName: account.name, databaseName: database, resource: { id: database },
        }, { parent: this });
        const listed = cosmosdb.listDatabaseAccountConnectionStringsOutput({ resourceGroupName: c.resourceGroupName, accountName: account.name }, { parent: this });
        const uri = pulumi.secret(listed.apply((l) => cosmosMongoUri(l.connectionStrings ?? [], database)));
        const secret = secretFromOutputs(`${name}-cosmosdb-connection`, {
            name: "aml-mongodb", namespace: this.namespace.name, labels: this.labels("mongodb", "aml-mongodb"), data: { uri },
        }, { parent: this, dependsOn: [db] });
        return { mode: "cosmosdb", keyRef: keyRef(secret, "uri"), ready: [db], here: false, port: COSMOS_PORT, account };
    }

    /** The secrets table's references: the platform's Secret for settings, the store's for S3, MongoDB's for its URI. */
    private secretRefs(args: RedpointAmlArgs, mongo: MongoSource): Record<SecretVariableName, SecretKeyRef> {
        const own = secretFromOutputs(`${this.resourceName}-secrets`, {
            name: SECRET_NAME, namespace: this.namespace.name, labels: this.labels("secrets", SECRET_NAME),
            data: Object.fromEntries(SETTING_SECRETS.map((k) => [secretKeyOf(k), args.secrets[k] ?? ""])),
        }, { parent: this });
        const store = args.storage.credentialsSecret(this.namespace);
        const refs = {} as Record<SecretVariableName, SecretKeyRef>;
        for (const v of Object.keys(SECRETS_TABLE) as SecretVariableName[]) {
            const source = SECRETS_TABLE[v].source;
            refs[v] = source === "mongodb" ? mongo.keyRef
                : source === "objectStore" ? keyRef(store, v === "S3_ACCESS_KEY" ? CREDENTIAL_KEYS.accessKey : CREDENTIAL_KEYS.secretKey)
                    : keyRef(own, secretKeyOf(v as SettingSecret));
        }
        return refs;
    }

    /** The Docker Hub pull secret, unless images come from the mirror (whose pull secret the registry attaches). */
    private dockerHubSecret(args: RedpointAmlArgs): k8s.core.v1.Secret | undefined {
        if (this.ctx.registry.mode === "mirror" || !args.dockerHub) return undefined;
        const d = args.dockerHub;
        return new k8s.core.v1.Secret(`${this.resourceName}-dockerhub`, {
            metadata: { name: PULL_SECRET_NAME, namespace: this.namespace.name, labels: this.labels("registry", PULL_SECRET_NAME) },
            type: "kubernetes.io/dockerconfigjson",
            stringData: { ".dockerconfigjson": dockerConfigJson(d.server ?? DOCKER_HUB, d.username, d.token) },
        }, { parent: this, additionalSecretOutputs: ["data", "stringData"] });
    }

    /** One microservice: its Deployment (its row of the secrets table only), PodDisruptionBudget when replicated, and Service. */
    private microservice(s: AmlServiceArgs, refs: Record<SecretVariableName, SecretKeyRef>, ready: pulumi.Resource[]): void {
        const id = `${this.resourceName}-${s.name}`;
        const replicas = s.replicas ?? 1;
        const selector = selectorLabels({ name: s.name, component: "microservice" });
        const versioned = this.labels("microservice", s.name, s.image);
        const ports = [s.port, ...(s.extraPorts ?? [])].map((p, i) => ({ name: i === 0 ? "service" : `port-${p}`, containerPort: p }));
        const built = container({
            name: s.name,
            image: s.image,
            ports,
            env: s.env,
            secretEnv: Object.fromEntries(secretVariablesOf(s.name).map((v) => [v, refs[v]])),
            resources: s.resources ?? DEFAULT_SERVICE_RESOURCES,
            readiness: s.probePath ? httpProbe(s.probePath, "service", 10) : tcpProbe("service", 10),
            startup: { ...tcpProbe("service", 5), periodSeconds: 5, failureThreshold: 60 },
            runAsUser: s.runAsRoot ? undefined : s.runAsUser ?? AML_RUN_AS_USER,
            readOnlyRootFilesystem: !s.writableRootFs,
            writablePaths: ["/tmp"],
        });
        const spec = podSpec({ containers: [built], spreadSelector: replicas > 1 ? selector : undefined });
        if (s.runAsRoot) asRoot(built.container, spec);
        if (this.pullSecret) spec.imagePullSecrets = [{ name: PULL_SECRET_NAME }];
        disruptionBudget(`${id}-pdb`, { name: s.name, namespace: this.namespace.name, labels: this.labels("microservice", s.name), selector, replicas }, { parent: this });
        this.deployments[s.name] = new k8s.apps.v1.Deployment(id, {
            metadata: { name: s.name, namespace: this.namespace.name, labels: versioned },
            spec: {
                replicas,
                selector: { matchLabels: selector },
                template: { metadata: { labels: versioned }, spec: { ...spec, enableServiceLinks: false } },
            },
        }, { parent: this, dependsOn: [...ready, ...(this.pullSecret ? [this.pullSecret] : [])] });
        this.services[s.name] = new k8s.core.v1.Service(`${id}-service`, {
            metadata: { name: s.name, namespace: this.namespace.name, labels: this.labels("microservice", s.name), annotations: serviceAwaitAnnotations("ClusterIP") },
            spec: { type: "ClusterIP", selector, ports: ports.map((p) => ({ name: p.name, protocol: "TCP", port: p.containerPort, targetPort: p.name })) },
        }, { parent: this });
    }

    /** The five Ingresses on the stack's ingress class; returns each endpoint's base URL. */
    private ingressFor(args: RedpointAmlArgs): (e: AmlEndpoint) => pulumi.Output<string | undefined> {
        const tlsSecret = args.tls?.secretName || (args.tls?.clusterIssuer ? "aml-tls" : undefined);
        const scheme = tlsSecret ? "https" : "http";
        const annotations = args.tls?.clusterIssuer ? { "cert-manager.io/cluster-issuer": args.tls.clusterIssuer } : undefined;
        for (const e of ENDPOINTS) {
            const { service, path } = args.ingresses[e];
            const name = `aml-${e}`;
            this.ingresses[e] = new k8s.networking.v1.Ingress(`${this.resourceName}-ingress-${e}`, {
                metadata: { name, namespace: this.namespace.name, labels: this.labels("ingress", name), annotations },
                spec: {
                    ingressClassName: this.ctx.cluster.ingress?.className,
                    rules: [{ host: args.host, http: { paths: [{ path, pathType: "Prefix", backend: { service: { name: this.services[service].metadata.name, port: { name: "service" } } } }] } }],
                    tls: tlsSecret ? [{ hosts: args.host ? [args.host] : undefined, secretName: tlsSecret }] : undefined,
                },
            }, { parent: this });
        }
        return (e) => {
            const path = args.ingresses[e].path;
            if (args.host) return pulumi.output(`${scheme}://${args.host}${path}`);
            return this.ingresses[e].status.apply((s) => {
                const lb = s?.loadBalancer?.ingress?.[0];
                const address = lb?.hostname || lb?.ip;
                return address ? `${scheme}://${address}${path}` : undefined;
            });
        };
    }

    /**
     * Default deny in and out, then exactly AML's flows: DNS; among its services; the ingress
     * controller to the routed services' ports; MongoDB; the object store; the outside
     * systems' ports (Keycloak, RPDM, RPI, SMTP).
     */
    private networkPolicies(args: RedpointAmlArgs, mongo: MongoSource): void {
        const policy = (key: string, spec: NetworkPolicySpec) => new k8s.networking.v1.NetworkPolicy(`${this.resourceName}-netpol-${key}`, {
            metadata: { name: `aml-${key}`, namespace: this.namespace.name, labels: this.labels("network", `aml-${key}`) },
            spec,
        }, { parent: this });
        const services = { matchLabels: { "app.kubernetes.io/component": "microservice", "app.kubernetes.io/part-of": AML_PART_OF } };
        const mongoPods = { matchLabels: selectorLabels({ name: "mongodb", component: "server" }) };
        policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        policy("dns", DNS_EGRESS);
        const routed = [...new Set(ENDPOINTS.map((e) => args.services.find((s) => s.name === args.ingresses[e].service)!.port))];
        const store = args.storage;
        policy("services", {
            podSelector: services, policyTypes: ["Ingress", "Egress"],
            ingress: [
                { from: [{ podSelector: services }] },
                { from: [{ namespaceSelector: args.ingressNamespace ? byName(args.ingressNamespace) : {} }], ports: routed.map(tcp) },
            ],
            egress: [
                { to: [{ podSelector: services }] },
                mongo.here ? { to: [{ podSelector: mongoPods }], ports: [tcp(mongo.port)] } : { ports: [tcp(mongo.port)] },
                store.serverNamespace ? { to: [{ namespaceSelector: byName(store.serverNamespace) }], ports: [tcp(store.serverPort ?? 443)] } : { ports: [tcp(store.serverPort ?? 443)] },
                { ports: (args.egressPorts ?? [443, 587]).map(tcp) },
            ],
        });
        if (mongo.here) {
            policy("mongodb", {
                podSelector: mongoPods, policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [{ podSelector: services }], ports: [tcp(mongo.port)] }, { from: [{ podSelector: mongoPods }] }],
                egress: [{ to: [{ podSelector: mongoPods }] }],
            });
        }
    }
}

/** The runAsRoot escape hatch: UID 0 for the container and the pod (the namespace is baseline, the pack flags it). */
function asRoot(c: k8s.types.input.core.v1.Container, spec: k8s.types.input.core.v1.PodSpec): void {
    c.securityContext = { ...(c.securityContext as object), runAsNonRoot: false, runAsUser: 0, runAsGroup: 0 };
    spec.securityContext = { ...(spec.securityContext as object), runAsNonRoot: false };
}

/** The port of a MongoDB URI's first host (27017 when it names none, as for mongodb+srv://). */
export function mongoPort(uri: string): number {
    const hosts = /^mongodb(?:\+srv)?:\/\/(?:.*@)?([^@/?]*)/i.exec(uri)?.[1] ?? "";
    const port = /:(\d+)$/.exec(hosts.split(",")[0])?.[1];
    return port ? Number(port) : CONNECTIONS.mongodb.port;
}

/** CosmosDB's primary MongoDB connection string with AML's database in its path (the listed one names none). */
export function cosmosMongoUri(strings: { connectionString: string; description: string }[], database: string): string {
    const primary = strings.find((s) => /primary mongodb/i.test(s.description)) ?? strings[0];
    if (!primary) throw new Error("CosmosDB listed no connection string");
    return primary.connectionString.replace(/^(mongodb:\/\/[^/?]*)\/?(\?|$)/, `$1/${database}$2`);
}
