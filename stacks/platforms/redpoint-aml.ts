// Redpoint AML on the stack side: the `redpointAml.*` settings (with one set per microservice,
// `redpointAml.services.<name>.*`), their formats and rules, and the adapter from the flat
// config to RedpointAmlArgs (components/platforms/redpoint-aml).
import { z } from "zod";
import {
    AmlEndpoint, AmlServiceArgs, DEFAULT_ENDPOINT_SERVICES, AML_NAMESPACE, DEFAULT_PATHS, AML_RUN_AS_USER, DEFAULT_SERVICE_RESOURCES,
    ENDPOINTS, envProblems, ingressProblems, KNOWN_PORTS, OPTIONAL_SECRETS, PUBLIC_SERVICES, RedpointAmlArgs, SECRETS_TABLE, serviceProblems, SETTING_SECRETS, SettingSecret,
} from "../../components/platforms/redpoint-aml";
import type { ObjectStore } from "../../components/storage";
import { dataServiceArgs, FoundationConfig, FoundationKey } from "../foundation";
import {
    bool, changedUnder, choice, ConfigOf, count, dnsName, enabledOrRefused, Format, hostName, InstanceSettings, InstancesOf, int, isSet, list,
    namespaceName, optional, pinnedOrEmpty, PlatformSettings, Rule, secret, setCmd, Setting, str,
} from "../setting";

const ENDPOINT_TITLES: Record<AmlEndpoint, string> = {
    ui: "the UI login (the guide's `http://EXTERNAL-IP/#/Login`)",
    admin: "the admin page (the guide's `/Admin/`)",
    docs: "the Swagger docs (the guide's `/docs/`)",
    realtime: "the socket.io endpoint (single-VM guide: port 8930)",
    auth: "the auth endpoint (single-VM guide: port 8903)",
};

const ingressSettings = Object.fromEntries(ENDPOINTS.flatMap((e) => [
    [`redpointAml.ingress.${e}.service`, str(DEFAULT_ENDPOINT_SERVICES[e] ?? "", `Service (redpointAml.services.<name>) behind ${ENDPOINT_TITLES[e]}: the name in the vendor's ingress manifest.${DEFAULT_ENDPOINT_SERVICES[e] ? "" : " Required when AML is enabled."}`)],
    [`redpointAml.ingress.${e}.path`, str(DEFAULT_PATHS[e], `Path prefix of the Ingress of ${ENDPOINT_TITLES[e]}.`)],
])) as Record<`redpointAml.ingress.${AmlEndpoint}.${"service" | "path"}`, Setting & { type: "string" }>;

const secretSettings = Object.fromEntries(SETTING_SECRETS.map((k) => [
    `redpointAml.secrets.${k}`,
    secret(`${k} of the guide's secrets table, given to ${SECRETS_TABLE[k].services.join(", ")} through a Secret.${OPTIONAL_SECRETS.includes(k) ? " May stay empty when AML uses no such store (the variable is then set, empty)." : " Required when AML is enabled."}`),
])) as Record<`redpointAml.secrets.${SettingSecret}`, ReturnType<typeof secret>>;

export const REDPOINT_AML_SETTINGS = {
    "redpointAml.enabled": bool(false, "Deploy Redpoint AML (its microservices from `redpointAml.services.<name>.*`, the guide's secrets table, five Ingresses); needs an ingress controller and object storage. See docs/platforms/redpoint-aml.md."),
    "redpointAml.namespace": str(AML_NAMESPACE, "Namespace of every AML object (the guide's `aml`)."),
    "redpointAml.mongodb.mode": choice(["data", "cosmosdb"] as const, "data", "AML's MongoDB (MONGODB_NAME is its connection string): `data` is the stack's data.mongodb.* (embedded, chart, or external with the --secret data.mongodb.external.uri), created in AML's namespace; `cosmosdb` creates an Azure Cosmos DB account with the MongoDB API (redpointAml.cosmosdb.*)."),
    "redpointAml.cosmosdb.resourceGroup": str("", "Resource group of the Cosmos DB account (exists already). Required in cosmosdb mode."),
    "redpointAml.cosmosdb.location": str("", "Azure region of the Cosmos DB account, e.g. `westeurope`. Required in cosmosdb mode."),
    "redpointAml.cosmosdb.accountName": str("", "Name of the Cosmos DB account: globally unique, 3-44 lowercase letters, digits and '-'. Required in cosmosdb mode."),
    "redpointAml.cosmosdb.database": str("aml", "MongoDB database AML uses in the Cosmos DB account (put in the connection string)."),
    "redpointAml.cosmosdb.serverVersion": str("4.2", "MongoDB API version of the Cosmos DB account."),
    "redpointAml.dockerHub.username": str("", "Docker Hub account Redpoint support granted pull access to its private repository: a `kubernetes.io/dockerconfigjson` Secret (`aml-dockerhub`) is attached to every AML pod. Empty: no pull secret (public images). In mirror mode the pods use the mirror's pull secret instead (this account is then the one the images are copied into the mirror with)."),
    "redpointAml.dockerHub.token": secret("Access token (or password) of redpointAml.dockerHub.username."),
    "redpointAml.host": str("", "Host name of the five Ingresses, e.g. `aml.example.com`; empty: any host (the URLs use the ingress controller's address, as the guide's EXTERNAL-IP)."),
    "redpointAml.tls.secretName": str("", "`kubernetes.io/tls` Secret in AML's namespace for redpointAml.host; setting it (or tls.clusterIssuer) makes the URLs https. Empty with tls.clusterIssuer set means `aml-tls`."),
    "redpointAml.tls.clusterIssuer": str("", "cert-manager ClusterIssuer issuing the certificate of redpointAml.host (annotation `cert-manager.io/cluster-issuer`); empty for none."),
    ...ingressSettings,
    "redpointAml.egressPorts": { ...list("TCP ports AML's services may reach outside the cluster (Keycloak, RPDM, RPI, SMTP, ADLS, GCS; their NetworkPolicy)."), default: ["443", "587"] },
    ...secretSettings,
} satisfies Record<string, Setting>;

/** The settings of one microservice: `redpointAml.services.<name>.<field>`. */
export const SERVICE_SETTINGS = {
    image: str("", "The service's image from Redpoint's private Docker Hub repository (or your mirror), pinned: a tag other than latest, or a digest. Required."),
    port: int(0, "Port the service listens on (the container, Service and probe port), from the vendor's manifests; 0: ml-servicesapi's 8913 (single-VM guide), required for the others."),
    extraPorts: list("Further ports the service listens on (also on its Service), e.g. `[\"8990\"]`."),
    replicas: int(1, "Pods; above one, a PodDisruptionBudget and spreading across nodes."),
    probePath: str("", "HTTP path of the readiness probe; empty: TCP on the port (the vendor publishes no health path)."),
    cpu: str(DEFAULT_SERVICE_RESOURCES.requests.cpu, "CPU request."),
    cpuLimit: str(DEFAULT_SERVICE_RESOURCES.limits.cpu, "CPU limit."),
    memory: str(DEFAULT_SERVICE_RESOURCES.requests.memory, "Memory request."),
    memoryLimit: str(DEFAULT_SERVICE_RESOURCES.limits.memory, "Memory limit."),
    runAsUser: int(AML_RUN_AS_USER, "UID the container runs as (not 0: see runAsRoot)."),
    runAsRoot: bool(false, "Escape hatch for an image that only runs as root: UID 0, AML's namespace drops to Pod Security baseline, and the policy pack flags the Deployment (pod-security-restricted) until exempted in policy/exemptions.json."),
    writableRootFs: bool(false, "Escape hatch for an image that writes outside /tmp: a writable root filesystem."),
    env: list("Plain settings `KEY=value` from the vendor's manifests (never secrets: those come from the secrets table)."),
} satisfies Record<string, Setting>;

type AmlKey = keyof typeof REDPOINT_AML_SETTINGS;
type ServiceField = keyof typeof SERVICE_SETTINGS;
type ServiceConfig = ConfigOf<typeof SERVICE_SETTINGS>;
export const SERVICES = "redpointAml.services";
/** The parsed services, as the parser hands them to rules and the adapter. */
export type RedpointAmlInstances = { readonly [SERVICES]: InstancesOf<typeof SERVICE_SETTINGS> };
type AmlConfig = FoundationConfig & ConfigOf<typeof REDPOINT_AML_SETTINGS> & RedpointAmlInstances;

const quantity = (example: string): Format => ({ schema: z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, "must be a Kubernetes quantity"), example });
const portList = (example: string): Format => ({ schema: z.array(z.string().regex(/^\d{1,5}$/, "each entry must be a port number").refine((p) => Number(p) >= 1 && Number(p) <= 65535, "each port must be 1-65535")), example });
const IMAGE_EXAMPLE = "redpointglobal/<service>:<version>";

export const SERVICE_INSTANCES: InstanceSettings<ServiceField> = {
    prefix: SERVICES,
    name: {
        pattern: /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
        message: "a service name is a DNS-1035 label as in the vendor's manifests: lowercase letters, digits and '-', a letter first (it names the Deployment and Service)",
        example: "ml-servicesapi",
    },
    settings: SERVICE_SETTINGS,
    formats: {
        image: { schema: pinnedOrEmpty, example: IMAGE_EXAMPLE },
        port: { schema: z.number().int().min(0, "must be 1-65535").max(65535, "must be 1-65535"), example: "8913" },
        extraPorts: portList(`'["8990"]'`),
        replicas: { schema: count(1, "must be at least 1"), example: "2" },
        probePath: { schema: optional(/^\/\S*$/, "must be an absolute HTTP path like /health"), example: "/health" },
        cpu: quantity("100m"),
        cpuLimit: quantity("1"),
        memory: quantity("256Mi"),
        memoryLimit: quantity("1Gi"),
        runAsUser: { schema: count(1, "must be a UID above 0 (runAsRoot is the escape hatch for root)"), example: String(AML_RUN_AS_USER) },
        env: { schema: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*=/, "each entry must be KEY=value")), example: `'["LOG_LEVEL=info"]'` },
    },
};

export const REDPOINT_AML_FORMATS: Partial<Record<AmlKey, Format>> = {
    "redpointAml.namespace": namespaceName(AML_NAMESPACE),
    "redpointAml.host": hostName("aml.example.com"),
    "redpointAml.tls.secretName": { schema: optional(dnsName, "must be a Kubernetes object name"), example: "aml-tls" },
    "redpointAml.tls.clusterIssuer": { schema: optional(dnsName, "must be a Kubernetes object name"), example: "letsencrypt" },
    "redpointAml.cosmosdb.location": { schema: optional(/^[a-z][a-z0-9]{2,30}$/, "must be an Azure region name like westeurope"), example: "westeurope" },
    "redpointAml.cosmosdb.accountName": { schema: optional(/^[a-z0-9][a-z0-9-]{1,42}[a-z0-9]$/, "must be 3-44 lowercase letters, digits and '-'"), example: "mlplat-aml" },
    "redpointAml.cosmosdb.database": { schema: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, "must be a database name (letters, digits, '_', '-')"), example: "aml" },
    "redpointAml.cosmosdb.serverVersion": { schema: z.enum(["3.2", "3.6", "4.0", "4.2", "5.0", "6.0", "7.0"]), example: "4.2" },
    "redpointAml.egressPorts": portList(`'["443","587"]'`),
    ...Object.fromEntries(ENDPOINTS.flatMap((e) => [
        [`redpointAml.ingress.${e}.path`, { schema: z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, "must be an absolute path like /Admin/"), example: DEFAULT_PATHS[e] }],
        [`redpointAml.ingress.${e}.service`, { schema: optional(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a service name (DNS-1035 label)"), example: "ml-servicesapi" }],
    ])),
};

const serviceKey = (name: string, field: string) => `${SERVICES}.${name}.${field}`;
/** The services to deploy: the five public ones whether configured or not (their images are required), then the others. */
const serviceNames = (services: Record<string, unknown>) => [...PUBLIC_SERVICES, ...Object.keys(services).filter((n) => !(PUBLIC_SERVICES as readonly string[]).includes(n)).sort()];

export const redpointAmlRule: Rule<FoundationKey | AmlKey | "inferencePipeline.enabled" | "inferencePipeline.namespace" | "aiAppStore.enabled" | "aiAppStore.namespace" | "modelServing.enabled" | "modelServing.namespace"> = (v, problem) => {
    const report = problem as (key: string, message: string, hint: string) => void;
    const services = ((v as Record<string, unknown>)[SERVICES] ?? {}) as Record<string, ServiceConfig>;
    if (!enabledOrRefused(v, "redpointAml.enabled", REDPOINT_AML_SETTINGS, problem)) {
        for (const name of Object.keys(services)) {
            report(`${SERVICES}.${name}`, "is set but redpointAml.enabled is false, so the service would not be deployed", `pulumi config set redpointAml.enabled true (or pulumi config rm ${SERVICES}.${name}.<field>)`);
        }
        return;
    }
    for (const name of serviceNames(services)) {
        if (!isSet(services[name]?.image)) report(serviceKey(name, "image"), "is required: the service's pinned image (Redpoint's Docker Hub repository or your mirror)", setCmd(serviceKey(name, "image"), IMAGE_EXAMPLE.replace("<service>", name)));
    }
    for (const k of SETTING_SECRETS.filter((k) => !OPTIONAL_SECRETS.includes(k))) {
        const key = `redpointAml.secrets.${k}` as AmlKey;
        if (!isSet(v[key])) problem(key, `is required when redpointAml.enabled is true: ${k} of the guide's secrets table (${SECRETS_TABLE[k].services.join(", ")})`, setCmd(key, "<value>", true));
    }
    componentProblems(v as unknown as AmlConfig, services, report);
    mongoRule(v, problem);
    registryAndTlsRule(v, problem);
    namespaceRule(v, problem);
};

/** What the component refuses (ports, names, ingress services and paths), by config key. */
function componentProblems(cfg: AmlConfig, services: Record<string, ServiceConfig>, report: (key: string, message: string, hint: string) => void): void {
    const args = amlServices(cfg);
    for (const p of [...serviceProblems(args), ...envProblems(args)]) {
        // Images: required above, pinned by the format; port ranges and replicas: formats.
        if (!p.service || p.field === "image" || p.field === "replicas" || p.field === "probePath" || p.field === "runAsUser") continue;
        if (p.field === "port" && isSet(services[p.service]?.port) && services[p.service].port !== 0) continue;
        const key = serviceKey(p.service, p.field === "name" ? "image" : p.field);
        report(key, p.message, p.field === "port" ? setCmd(key, "8913") : `pulumi config set ${key} <value>`);
    }
    for (const p of ingressProblems(amlIngresses(cfg), args)) {
        const key = `redpointAml.ingress.${p.endpoint}.${p.field}`;
        report(key, p.message, p.field === "path" ? setCmd(key, DEFAULT_PATHS[p.endpoint!]) : setCmd(key, args[0]?.name ?? "ml-servicesapi"));
    }
}

const mongoRule: Rule<FoundationKey | AmlKey> = (v, problem) => {
    const cosmos = changedUnder(v, "redpointAml.cosmosdb.", REDPOINT_AML_SETTINGS);
    if (v["redpointAml.mongodb.mode"] !== "cosmosdb") {
        for (const k of cosmos) problem(k, "is a Cosmos DB setting but redpointAml.mongodb.mode is data, so it would be ignored", `pulumi config set redpointAml.mongodb.mode cosmosdb (or pulumi config rm ${k})`);
        return;
    }
    const required: [AmlKey, string, string][] = [
        ["redpointAml.cosmosdb.location", "the Azure region of the Cosmos DB account", "westeurope"],
        ["redpointAml.cosmosdb.resourceGroup", "the resource group of the Cosmos DB account", "mlplat-prod"],
        ["redpointAml.cosmosdb.accountName", "the globally unique Cosmos DB account name", "mlplat-aml"],
    ];
    for (const [key, what, example] of required) {
        if (!isSet(v[key])) problem(key, `is required when redpointAml.mongodb.mode is cosmosdb: ${what}`, setCmd(key, example));
    }
};

const registryAndTlsRule: Rule<FoundationKey | AmlKey> = (v, problem) => {
    const user = isSet(v["redpointAml.dockerHub.username"]);
    const token = isSet(v["redpointAml.dockerHub.token"]);
    // In mirror mode the pods pull with the mirror's secret; the account is still the one the
    // images are copied into the mirror with, so its settings are not refused there.
    if (user !== token) {
        const missing = user ? "redpointAml.dockerHub.token" : "redpointAml.dockerHub.username";
        problem(missing, "the Docker Hub username and token go together", setCmd(missing, user ? "<token>" : "mycompany", !user ? false : true));
    }
    if (isSet(v["redpointAml.tls.clusterIssuer"]) && !isSet(v["redpointAml.host"])) {
        problem("redpointAml.host", "is required with redpointAml.tls.clusterIssuer: cert-manager issues certificates for a host", setCmd("redpointAml.host", "aml.example.com"));
    }
};

const namespaceRule: Rule<FoundationKey | AmlKey | "inferencePipeline.enabled" | "inferencePipeline.namespace" | "aiAppStore.enabled" | "aiAppStore.namespace" | "modelServing.enabled" | "modelServing.namespace"> = (v, problem) => {
    const taken: [string, unknown][] = [];
    if (v["storage.kind"] === "minio") taken.push(["storage.minio.namespace", v["storage.minio.namespace"]]);
    if (v["storage.kind"] === "s3") taken.push(["storage.s3.credentialsNamespace", v["storage.s3.credentialsNamespace"]]);
    if (v["inferencePipeline.enabled"] === true) taken.push(["inferencePipeline.namespace", v["inferencePipeline.namespace"]]);
    if (v["aiAppStore.enabled"] === true) taken.push(["aiAppStore.namespace", v["aiAppStore.namespace"]]);
    if (v["modelServing.enabled"] === true) taken.push(["modelServing.namespace", v["modelServing.namespace"]]);
    if (v["ingress.controller"] === "install") taken.push(["ingress.nginx.namespace", v["ingress.nginx.namespace"]]);
    const clash = taken.find(([, other]) => other === v["redpointAml.namespace"]);
    if (clash) problem("redpointAml.namespace", `must differ from ${clash[0]} (${v["redpointAml.namespace"]}): each creates its namespace`, setCmd("redpointAml.namespace", AML_NAMESPACE));
};

const resources = (s: ServiceConfig) => ({
    requests: { cpu: s.cpu, memory: s.memory, ephemeralStorage: DEFAULT_SERVICE_RESOURCES.requests.ephemeralStorage },
    limits: { cpu: s.cpuLimit, memory: s.memoryLimit, ephemeralStorage: DEFAULT_SERVICE_RESOURCES.limits.ephemeralStorage },
});
const defaults = Object.fromEntries(Object.entries(SERVICE_SETTINGS).map(([f, s]) => [f, s.default])) as unknown as ServiceConfig;

/** The services the config gives: the five public ones first, then the vendor's others by name. */
export function amlServices(cfg: AmlConfig): AmlServiceArgs[] {
    const services = cfg[SERVICES] ?? {};
    return serviceNames(services).map((name) => {
        const s = services[name] ?? defaults;
        return {
            name,
            image: s.image,
            port: s.port || (KNOWN_PORTS as Record<string, number>)[name] || 0,
            extraPorts: s.extraPorts.length > 0 ? s.extraPorts.map(Number) : undefined,
            replicas: s.replicas,
            probePath: s.probePath || undefined,
            resources: resources(s),
            runAsUser: s.runAsUser,
            runAsRoot: s.runAsRoot || undefined,
            writableRootFs: s.writableRootFs || undefined,
            env: s.env.length > 0 ? Object.fromEntries(s.env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])) : undefined,
        };
    });
}

function amlIngresses(cfg: AmlConfig): RedpointAmlArgs["ingresses"] {
    return Object.fromEntries(ENDPOINTS.map((e) => [e, { service: cfg[`redpointAml.ingress.${e}.service`], path: cfg[`redpointAml.ingress.${e}.path`] }])) as RedpointAmlArgs["ingresses"];
}

/** The RedpointAmlArgs the stack config gives, with the stack's object storage. */
export function redpointAmlArgs(cfg: AmlConfig, storage: ObjectStore): RedpointAmlArgs {
    const c = cfg;
    const user = c["redpointAml.dockerHub.username"];
    return {
        namespace: c["redpointAml.namespace"],
        services: amlServices(c),
        secrets: Object.fromEntries(SETTING_SECRETS.map((k) => [k, c[`redpointAml.secrets.${k}`]])),
        mongodb: c["redpointAml.mongodb.mode"] === "cosmosdb" ? {
            cosmosdb: {
                resourceGroupName: c["redpointAml.cosmosdb.resourceGroup"],
                location: c["redpointAml.cosmosdb.location"],
                accountName: c["redpointAml.cosmosdb.accountName"],
                databaseName: c["redpointAml.cosmosdb.database"],
                serverVersion: c["redpointAml.cosmosdb.serverVersion"],
            },
        } : dataServiceArgs(c, "mongodb"),
        storage,
        dockerHub: user && c["registry.mode"] !== "mirror" ? { username: user, token: c["redpointAml.dockerHub.token"]! } : undefined,
        ingresses: amlIngresses(c),
        host: c["redpointAml.host"] || undefined,
        tls: { secretName: c["redpointAml.tls.secretName"] || undefined, clusterIssuer: c["redpointAml.tls.clusterIssuer"] || undefined },
        ingressNamespace: c["ingress.controller"] === "install" ? c["ingress.nginx.namespace"] : undefined,
        egressPorts: c["redpointAml.egressPorts"].map(Number),
    };
}

/** Redpoint AML's part of the settings table and the parser. */
export const REDPOINT_AML: PlatformSettings<AmlKey> = {
    enabled: "redpointAml.enabled",
    title: "Redpoint AML",
    needsIngress: true,
    needsStorage: true,
    settings: REDPOINT_AML_SETTINGS,
    formats: REDPOINT_AML_FORMATS,
    rule: redpointAmlRule,
    instances: SERVICE_INSTANCES as InstanceSettings,
};
