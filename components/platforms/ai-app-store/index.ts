// The AI App Store (DinoHub/appstore-ai) as one component: a model zoo whose backend
// serves users' models through an inference engine.
//
//   Ingress ─▶ aas-frontend (web host)            MongoDB (data component; service user only)
//      └────▶ aas-backend (API host) ──────────▶ ObjectStore (MinIO or S3; the stack's bucket)
//                 │ RBAC in inference-engine      ClearML (hosts and keys; optional CA bundle)
//                 ▼
//   users' inference services in inference-engine, served by Emissary (Listener 8080, Host *)
//   and/or Knative Serving with Kourier
//
// What the guide's ten `helm install` commands and hand-edited values files did; see
// docs/platforms/ai-app-store.md for the mapping of each step.
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { compareVersions } from "../../cluster/types";
import { ChartMirror, HelmChart, resolveChartSource } from "../../core/chart";
import type { PlatformContext } from "../../core/context";
import { imageTag, parseImage } from "../../core/images";
import { selectorLabels, standardLabels } from "../../core/labels";
import { namespaceAnnotations, namespaceLabels, PlatformNamespace, PodSecurity } from "../../core/namespace";
import { byName, ControllerFlows, controllerNetworkPolicies, DNS_EGRESS, namespaceNamed, serviceAwaitAnnotations, tcp } from "../../core/network";
import { keyRef, secretFromOutputs } from "../../core/secrets";
import { container, disruptionBudget, httpProbe, podSpec, SecretKeyRef, tcpProbe } from "../../core/workload";
import { CONNECTIONS, DATA_SERVICES, DataConnection, DataService, DataServiceArgs } from "../../data";
import { CREDENTIAL_KEYS, ObjectStore } from "../../storage/types";
import { AppLine, appLine, KEYCLOAK_FRONTEND_CLIENT } from "./contract";
import { backendRbacRules } from "./rbac";
import { ManifestTransformArgs } from "./transform";
import { APP, CLEARML_DEFAULTS, EMISSARY, KNATIVE, KNATIVE_IMAGE_FIELDS, knativeTooOld } from "./versions";

export * from "./versions";
export * from "./transform";
export * from "./rbac";
export * from "./contract";

/** An inference engine the backend serves users' models with. */
export type AppStoreEngine = "emissary" | "knative";

/** Emissary: installed by the App Store (CRDs manifest, then the chart) or already present. */
export type EmissaryArgs =
    | {
        install: true;
        /** Namespace created for Emissary; default `emissary`. */
        namespace?: string;
        /** Exact emissary-ingress chart version; default `EMISSARY.chartVersion` (8.4.0). */
        chartVersion?: string;
        /** OCI registry mirroring charts (`registry.chartMirror`): the chart is pulled from `<mirror>/emissary-ingress`. */
        chartMirror?: ChartMirror;
        /** Emissary image `repository:tag`; default `EMISSARY.image`. Its tag selects the CRDs manifest. */
        image?: string;
        /** Ambassador agent image `repository:tag`; default `EMISSARY.agentImage`. */
        agentImage?: string;
        /** Path or URL of emissary-crds.yaml; default the upstream manifest of the image's version. */
        crdsManifest?: string;
    }
    | {
        /** Emissary and its CRDs already run in `namespace`. */
        install: false;
        namespace?: string;
    };

/** Knative Serving with Kourier: installed from the release manifests or already present. */
export type KnativeArgs =
    | {
        install: true;
        /** Knative Serving release; default `KNATIVE.version` (1.8.3). */
        version?: string;
        /** net-kourier release; default `KNATIVE.kourierVersion` (1.8.1). */
        kourierVersion?: string;
        /** Directory or URL prefix with serving-crds.yaml, serving-core.yaml and kourier.yaml; default the GitHub releases. */
        manifests?: string;
    }
    | { install: false };

/** Keycloak, the login of the 1.2 line (PROD_KEYCLOAK_*, VUE_APP_KEYCLOAK_*). */
export interface KeycloakArgs {
    /** Keycloak's base URL, e.g. `https://keycloak.example.com` (PROD_KEYCLOAK_SERVER_URL, VUE_APP_KEYCLOAK_URL). */
    serverUrl: string;
    /** Realm (PROD_KEYCLOAK_REALM_NAME, VUE_APP_KEYCLOAK_REALM); default upstream's `CommonServices`. */
    realm?: string;
    /** The backend's confidential client (PROD_KEYCLOAK_CLIENT_ID); default upstream's `ai-appstore-backend`. */
    backendClientId?: string;
    /** That client's secret (PROD_KEYCLOAK_CLIENT_SECRET_KEY). */
    backendClientSecret: pulumi.Input<string>;
}

export interface AiAppStoreArgs {
    /**
     * The exact upstream release the images are built from (`1.0.11`, `1.2.1`): it selects the
     * settings the app reads (`ENV_CONTRACT`): 1.0.x the built-in superuser, 1.2.1+ Keycloak.
     */
    appVersion: string;
    /** Keycloak; required from 1.2.1, refused for 1.0.x. */
    keycloak?: KeycloakArgs;
    /** Namespace of the backend, frontend and in-namespace MongoDB; default `ai-appstore`. */
    namespace?: string;
    /** Namespace of users' inference services (PROD_IE_NAMESPACE); default `inference-engine`. */
    inferenceNamespace?: string;
    /** Host of the frontend. */
    webHost: string;
    /** Host of the backend; the frontend's VUE_APP_BACKEND_URL is derived from it. */
    apiHost: string;
    /**
     * The domain users' inference services are reached at (PROD_IE_DOMAIN): Emissary's
     * services at `<protocol>://<inferenceDomain>/<service>/`, Knative's at
     * `<service>.<inferenceNamespace>.<inferenceDomain>` (also Knative's `config-domain`).
     * Without it the backend reads the gateway Service's LoadBalancer IP, which a NodePort
     * gateway and an EKS load balancer (a hostname) do not have.
     */
    inferenceDomain: string;
    /** Namespace of the ingress controller: only it reaches the frontend and the backend. Default any namespace. */
    ingressNamespace?: string;
    /**
     * TLS of the Ingress. `secretName`: a `kubernetes.io/tls` Secret in the namespace;
     * `clusterIssuer`: cert-manager issues it (into `secretName`, default `ai-appstore-tls`).
     * Either makes the URLs https.
     */
    tls?: { secretName?: string; clusterIssuer?: string };
    /** CORS origins of the backend (PROD_FRONTEND_HOST); default the frontend's URL. */
    corsOrigins?: string[];
    /** PROD_SECURE_COOKIES; default true with TLS. */
    secureCookies?: boolean;
    /** Largest upload in GB (PROD_MAX_UPLOAD_SIZE_GB, the API's proxy-body-size, the backend's /tmp); default 10. */
    maxUploadSizeGb?: number;
    /** JWT signing (PROD_ALGORITHM, PROD_SECRET_KEY); the key is generated when not given. */
    jwt?: { algorithm?: "HS256" | "HS384" | "HS512"; secret?: pulumi.Input<string> };
    /**
     * The first administrator of the 1.0 line (PROD_FIRST_SUPERUSER_ID/PASSWORD); id default
     * `admin`, password generated when not given. The backend inserts it once, when the user
     * does not exist yet: a later password change does not reach the app.
     */
    superuser?: { id?: string; password?: pulumi.Input<string> };
    /** ClearML (CLEARML_*): hosts default to the hosted ClearML; keys optional; `caCert` (PEM) joins the backend's CA bundle. */
    clearml?: {
        webHost?: string;
        apiHost?: string;
        filesHost?: string;
        accessKey?: pulumi.Input<string>;
        secretKey?: pulumi.Input<string>;
        caCert?: string;
    };
    /** The aas-backend image (pinned) and replicas. */
    backend: { image: string; replicas?: number };
    /** The aas-frontend image (pinned) and replicas. */
    frontend: { image: string; replicas?: number };
    /** The inference engines; at least one. */
    engines: { emissary?: EmissaryArgs; knative?: KnativeArgs };
    /** PROD_IE_SERVICE_TYPE; default the only engine, Emissary when both. */
    serviceType?: AppStoreEngine;
    /** PROD_IE_DEFAULT_PROTOCOL; default `http`. */
    protocol?: "http" | "https";
    /** MongoDB: created in the App Store's namespace from these settings, or an existing connection. */
    mongodb: DataServiceArgs<"mongodb"> | DataConnection<"mongodb">;
    /** Node directory of the hostPath PersistentVolume made for MongoDB without a dynamic provisioner; default `/bitnami/mongodb`. */
    mongodbHostPath?: string;
    /** The object storage (MinIO or S3) holding the App Store's bucket. */
    storage: ObjectStore;
}

/** An engine's namespace, where the backend may read the gateway's Service. */
interface EngineNamespace {
    ns: pulumi.Input<string>;
    /** The name as a plain string, for resource names. */
    plain: string;
    /** What the Role there waits for (the engine's install). */
    ready: pulumi.Resource[];
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const isConnection = (d: DataServiceArgs<"mongodb"> | DataConnection<"mongodb">): d is DataConnection<"mongodb"> =>
    typeof (d as DataConnection<"mongodb">).secretIn === "function";

/** The app line of `args.appVersion`, checked against the Keycloak and superuser settings. */
export function checkedAppLine(args: Pick<AiAppStoreArgs, "appVersion" | "keycloak" | "superuser">): AppLine {
    const line = appLine(args.appVersion);
    if (typeof line !== "string") throw new Error(`AiAppStore: appVersion ${line.refused}`);
    if (line === "1.2" && !args.keycloak) throw new Error(`AiAppStore: appVersion ${args.appVersion} logs in through Keycloak: give keycloak (serverUrl, backendClientSecret)`);
    if (line === "1.0" && args.keycloak) throw new Error(`AiAppStore: appVersion ${args.appVersion} has its own login and reads no Keycloak settings: drop keycloak`);
    return line;
}

/**
 * PROD_MINIO_API_HOST. Upstream's get_presigned_url (internal/dependencies/minio_client.py)
 * strips the scheme from the presigned URL and replaces PROD_MINIO_DSN with this value, so the
 * result is a link only when this value carries the scheme: `http(s)://<external host>`.
 * Without one the browser gets a scheme-less, relative link.
 */
export function presignedUrlHost(store: Pick<ObjectStore, "externalUrl" | "url">): pulumi.Output<string> {
    return (store.externalUrl ?? store.url).apply((u) => u.replace(/\/+$/, ""));
}

/** `repository:tag` of a pinned image, for chart values. */
export function splitImage(image: string): { repository: string; tag: string } {
    const { reference } = parseImage(image);
    const tag = imageTag(image);
    if (!reference.startsWith(":") || reference.includes("@")) throw new Error(`image ${image} must be repository:tag (chart values take a tag)`);
    return { repository: image.slice(0, image.length - reference.length), tag };
}

/** The engines installed, and which one the backend creates services with. */
export function appStoreEngines(args: Pick<AiAppStoreArgs, "engines" | "serviceType">): { engines: AppStoreEngine[]; serviceType: AppStoreEngine } {
    const engines = (["emissary", "knative"] as const).filter((e) => args.engines[e]);
    if (engines.length === 0) throw new Error("AiAppStore: no inference engine: give engines.emissary and/or engines.knative");
    const serviceType = args.serviceType ?? engines[0];
    if (!engines.includes(serviceType)) throw new Error(`AiAppStore: serviceType ${serviceType} is not among the engines (${engines.join(", ")})`);
    return { engines, serviceType };
}

/** Every namespace the App Store creates, with the `app.kubernetes.io/part-of` it gives it. */
interface NamespaceSpec {
    /** Suffix of the Pulumi name, and the key the component finds it by. */
    key: string;
    name: string;
    partOf: string;
    /** An upstream manifest the App Store installs declares this Namespace too. */
    fromManifest?: boolean;
    /** Pod Security admission below restricted, with the reason. */
    podSecurity?: PodSecurity;
}

/**
 * Pod Security levels below restricted the App Store's namespaces need, and why. Knative's
 * namespaces stay restricted: every pod of Knative Serving 1.8.3's core manifest and of
 * net-kourier 1.8.1's (controller, Kourier gateway) runs non-root, without privilege
 * escalation, with all capabilities dropped and seccomp RuntimeDefault (their
 * config/core/deployments/*.yaml and config/300-*.yaml at those tags).
 */
export const POD_SECURITY: Record<"inference" | "emissary", PodSecurity> = {
    inference: {
        level: "baseline",
        reason: "the App Store backend creates users' inference services from its own templates (appstore-ai back-end/src/templates: Deployment, Knative Service) with no securityContext; restricted would refuse every one of them",
    },
    emissary: {
        level: "baseline",
        reason: "Emissary 3.4's pods set no seccomp profile and drop no capabilities: the emissary-ingress chart 8.4.0 gives only runAsUser 8888 and allowPrivilegeEscalation false, its ambassador-agent Deployment no securityContext at all, and the CRDs manifest's emissary-apiext none; restricted would refuse them",
    },
};

function namespacesOf(args: AiAppStoreArgs): NamespaceSpec[] {
    const out: NamespaceSpec[] = [
        { key: "ns", name: args.namespace ?? APP.namespace, partOf: APP.partOf },
        { key: "inference-ns", name: args.inferenceNamespace ?? APP.inferenceNamespace, partOf: APP.partOf, podSecurity: POD_SECURITY.inference },
    ];
    const e = args.engines.emissary;
    if (e?.install) {
        out.push({ key: "emissary-system-ns", name: EMISSARY.apiextNamespace, partOf: "emissary", fromManifest: true, podSecurity: POD_SECURITY.emissary });
        out.push({ key: "emissary-ns", name: e.namespace ?? EMISSARY.namespace, partOf: "emissary", podSecurity: POD_SECURITY.emissary });
    }
    if (args.engines.knative?.install) {
        out.push({ key: "knative-serving-ns", name: KNATIVE.servingNamespace, partOf: "knative", fromManifest: true });
        out.push({ key: "kourier-system-ns", name: KNATIVE.kourierNamespace, partOf: "knative", fromManifest: true });
    }
    return out;
}

/**
 * The transform the stack installs before constructing the App Store (stacks/compose.ts):
 * it aligns the Namespace objects of the upstream manifests with the namespaces the App
 * Store creates (`emissary-system`, `knative-serving`, `kourier-system`) and configures
 * Knative (Kourier as ingress class, the domain, a NodePort gateway without LoadBalancers).
 */
export function appStoreManifestTransform(args: AiAppStoreArgs, ctx: PlatformContext): ManifestTransformArgs {
    const namespaces: Record<string, Record<string, string>> = {};
    const annotations: Record<string, Record<string, string>> = {};
    for (const ns of namespacesOf(args).filter((n) => n.fromManifest)) {
        namespaces[ns.name] = namespaceLabels(ns, ctx);
        const a = namespaceAnnotations(ns);
        if (a) annotations[ns.name] = a;
    }
    const k = args.engines.knative;
    return {
        namespaces,
        namespaceAnnotations: annotations,
        // Knative's URLs (<service>.<namespace>.<domain>) are the ones the backend hands out.
        knative: k?.install ? { domain: args.inferenceDomain, nodePortGateway: !ctx.cluster.loadBalancer } : undefined,
    };
}

/**
 * The AI App Store: namespaces, MongoDB, the inference engines, the backend with its RBAC
 * and settings, the frontend, the Ingress and NetworkPolicies. Stack outputs come from
 * its public fields.
 */
export class AiAppStore extends pulumi.ComponentResource {
    readonly namespace: PlatformNamespace;
    readonly inferenceNamespace: PlatformNamespace;
    /** Every namespace the component created (engines' included). */
    readonly namespaces: PlatformNamespace[] = [];
    readonly engines: AppStoreEngine[];
    readonly serviceType: AppStoreEngine;
    readonly mongodb: DataConnection<"mongodb">;
    readonly backend: k8s.apps.v1.Deployment;
    readonly frontend: k8s.apps.v1.Deployment;
    readonly ingress: k8s.networking.v1.Ingress;
    /** The emissary-ingress chart, when the App Store installs Emissary. */
    readonly emissaryChart?: HelmChart;
    /** Emissary's CRDs manifest, installed strictly before the chart. */
    readonly emissaryCrds?: k8s.yaml.v2.ConfigFile;
    /** Knative Serving's CRDs and core manifests and Kourier's, in that order. */
    readonly knative?: { crds: k8s.yaml.v2.ConfigFile; core: k8s.yaml.v2.ConfigFile; kourier: k8s.yaml.v2.ConfigFile };
    /** `https://<webHost>` (http without TLS). */
    readonly frontendUrl: pulumi.Output<string>;
    /** `https://<apiHost>`: the frontend's VUE_APP_BACKEND_URL. */
    readonly apiUrl: pulumi.Output<string>;
    /** Where browsers reach the bucket (MinIO's ingress host, or S3). */
    readonly storageUrl: pulumi.Output<string>;
    /** The upstream release the images are built from, and its app line. */
    readonly appVersion: string;
    readonly appLine: AppLine;
    /** PROD_IE_DOMAIN: where users' inference services are reached. */
    readonly inferenceDomain: string;
    /** The first administrator (1.0 line only; Keycloak's users from 1.2). */
    readonly superuserId?: string;
    /** The first administrator's password (a secret; 1.0 line only). */
    readonly superuserPassword?: pulumi.Output<string>;

    private readonly ctx: PlatformContext;
    private readonly resourceName: string;

    constructor(name: string, args: AiAppStoreArgs, ctx: PlatformContext, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:platforms:AiAppStore", name, {}, opts);
        this.ctx = ctx;
        this.resourceName = name;
        const { engines, serviceType } = appStoreEngines(args);
        this.engines = engines;
        this.serviceType = serviceType;
        this.appLine = checkedAppLine(args);
        this.appVersion = args.appVersion;
        this.inferenceDomain = args.inferenceDomain;
        const version = ctx.cluster.kubernetesVersion;
        if (args.engines.knative && version && compareVersions(version, KNATIVE.minKubernetes) < 0) throw new Error(knativeTooOld(version));

        const nsByKey = this.createNamespaces(args);
        this.namespace = nsByKey.ns;
        this.inferenceNamespace = nsByKey["inference-ns"];
        this.mongodb = isConnection(args.mongodb) ? args.mongodb : this.createMongo(args.mongodb, args.mongodbHostPath);
        const installed = this.installEngines(args, nsByKey);
        this.emissaryCrds = installed.emissaryCrds;
        this.emissaryChart = installed.emissaryChart;
        this.knative = installed.knative;
        const access = this.backendAccess();

        const tlsSecret = args.tls?.secretName || (args.tls?.clusterIssuer ? APP.ingressTls : undefined);
        const scheme = tlsSecret ? "https" : "http";
        this.frontendUrl = pulumi.output(`${scheme}://${args.webHost}`);
        this.apiUrl = pulumi.output(`${scheme}://${args.apiHost}`);
        this.storageUrl = args.storage.externalUrl ?? args.storage.url;
        if (this.appLine === "1.0") this.superuserId = args.superuser?.id ?? "admin";
        const settings = this.backendSettings(args, scheme);
        this.superuserPassword = settings.superuserPassword;
        const backend = this.backendWorkload(args, settings, access);
        this.backend = backend.deployment;
        const frontend = this.frontendWorkload(args);
        this.frontend = frontend.deployment;
        this.ingress = this.ingressFor(args, tlsSecret, frontend.service, backend.service);
        this.networkPolicies(args, installed.gateways);
        this.enginePolicies(nsByKey);

        this.registerOutputs({
            frontendUrl: this.frontendUrl, apiUrl: this.apiUrl, storageUrl: this.storageUrl,
            superuserId: this.superuserId, superuserPassword: this.superuserPassword,
        });
    }

    /** The App Store's namespaces and those of the engines it installs, by key (`ns`, `inference-ns`, ...). */
    private createNamespaces(args: AiAppStoreArgs): Record<string, PlatformNamespace> {
        const nsByKey: Record<string, PlatformNamespace> = {};
        for (const n of namespacesOf(args)) {
            nsByKey[n.key] = new PlatformNamespace(`${this.resourceName}-${n.key}`, { name: n.name, partOf: n.partOf, podSecurity: n.podSecurity }, this.ctx, { parent: this });
            this.namespaces.push(nsByKey[n.key]);
        }
        return nsByKey;
    }

    /** Emissary and/or Knative, installed or present: the namespaces of their gateways. */
    private installEngines(args: AiAppStoreArgs, nsByKey: Record<string, PlatformNamespace>) {
        const gateways: EngineNamespace[] = [];
        let emissaryCrds: k8s.yaml.v2.ConfigFile | undefined;
        let emissaryChart: HelmChart | undefined;
        let knative: AiAppStore["knative"];
        if (args.engines.emissary) {
            const e = this.emissary(args.engines.emissary, nsByKey);
            emissaryCrds = e.crds;
            emissaryChart = e.chart;
            gateways.push(e.gateway);
        }
        if (args.engines.knative) {
            const k = this.installKnative(args.engines.knative, nsByKey);
            knative = k.manifests;
            gateways.push(k.gateway);
        }
        return { gateways, emissaryCrds, emissaryChart, knative };
    }

    /**
     * The backend's ServiceAccount and RBAC: exactly the API calls the upstream backend makes
     * in the inference namespace (`backendRbacRules`). It reads no gateway Service: with
     * PROD_IE_DOMAIN set it never looks for the gateway's address. Also the ServiceAccount the
     * backend's templates name for the inference services it creates (`backend-service-engines`).
     */
    private backendAccess(): { sa: k8s.core.v1.ServiceAccount; rbac: pulumi.Resource[] } {
        const name = this.resourceName;
        const nsObj = this.namespace;
        const backendLabels = this.labels("backend", APP.backend);
        const sa = new k8s.core.v1.ServiceAccount(`${name}-backend-sa`, {
            metadata: { name: APP.backend, namespace: nsObj.name, labels: backendLabels },
            // The pod asks for its token itself: the backend manages inference services.
            automountServiceAccountToken: false,
        }, { parent: this });
        // Users' inference services run as this account (upstream's Deployment template names it):
        // no token, no RBAC; they never talk to the API server.
        new k8s.core.v1.ServiceAccount(`${name}-engines-sa`, {
            metadata: { name: APP.enginesServiceAccount, namespace: this.inferenceNamespace.name, labels: this.labels("inference", APP.enginesServiceAccount) },
            automountServiceAccountToken: false,
        }, { parent: this });
        const manager = new k8s.rbac.v1.ClusterRole(`${name}-inference-manager`, {
            metadata: { name: `${nsObj.plainName}-inference-engine-manager`, labels: backendLabels },
            rules: backendRbacRules(this.engines),
        }, { parent: this });
        const rbac: pulumi.Resource[] = [new k8s.rbac.v1.RoleBinding(`${name}-inference-manager`, {
            metadata: { name: `${APP.backend}-inference-engine-manager`, namespace: this.inferenceNamespace.name, labels: backendLabels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: manager.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: APP.backend, namespace: nsObj.plainName }],
        }, { parent: this })];
        return { sa, rbac };
    }

    /**
     * The backend's settings for its app line (`ENV_CONTRACT`): plain env and, through its own
     * Secret, the generated and given secrets.
     */
    private backendSettings(args: AiAppStoreArgs, scheme: string) {
        const name = this.resourceName;
        const nsObj = this.namespace;
        const store = args.storage;
        const generated = (key: string, length: number) =>
            new random.RandomPassword(`${name}-${key}`, { length, special: false }, { parent: this }).result;
        const secretData: Record<string, pulumi.Input<string>> = {
            "jwt-secret": args.jwt?.secret ? pulumi.secret(args.jwt.secret) : generated("jwt-secret", 64),
        };
        let superuserPassword: pulumi.Output<string> | undefined;
        if (this.appLine === "1.0") {
            superuserPassword = pulumi.secret(args.superuser?.password ? pulumi.output(args.superuser.password) : generated("superuser-password", 24));
            secretData["superuser-password"] = superuserPassword;
        }
        const clearml = args.clearml ?? {};
        if (clearml.accessKey) secretData["clearml-access-key"] = clearml.accessKey;
        if (clearml.secretKey) secretData["clearml-secret-key"] = clearml.secretKey;
        if (args.keycloak) secretData["keycloak-client-secret"] = args.keycloak.backendClientSecret;
        const backendSecret = secretFromOutputs(`${name}-backend-secret`, {
            name: APP.backendSecret, namespace: nsObj.name, labels: this.labels("backend", APP.backend), data: secretData,
        }, { parent: this });
        const own = (key: string): SecretKeyRef => keyRef(backendSecret, key);
        const mongo = (key: "uri" | "username" | "password" | "database") => this.mongodb.keyRef(nsObj, key);
        const storeSecret = store.credentialsSecret(nsObj);
        const env: Record<string, pulumi.Input<string>> = {
            ENV_STATE: "prod",
            PROD_FRONTEND_HOST: JSON.stringify(args.corsOrigins && args.corsOrigins.length > 0 ? args.corsOrigins : [`${scheme}://${args.webHost}`]),
            PROD_SECURE_COOKIES: String(args.secureCookies ?? scheme === "https"),
            PROD_IE_NAMESPACE: this.inferenceNamespace.name,
            PROD_IE_SERVICE_TYPE: this.serviceType,
            PROD_IE_DEFAULT_PROTOCOL: args.protocol ?? "http",
            PROD_IE_DOMAIN: args.inferenceDomain,
            PROD_MINIO_DSN: store.endpoint,
            PROD_MINIO_BUCKET_NAME: store.bucket,
            PROD_MINIO_TLS: store.tls ? "True" : "False",
            PROD_MINIO_API_HOST: presignedUrlHost(store),
            PROD_MAX_UPLOAD_SIZE_GB: String(args.maxUploadSizeGb ?? 10),
            CLEARML_WEB_HOST: clearml.webHost ?? CLEARML_DEFAULTS.webHost,
            CLEARML_API_HOST: clearml.apiHost ?? CLEARML_DEFAULTS.apiHost,
            CLEARML_FILES_HOST: clearml.filesHost ?? CLEARML_DEFAULTS.filesHost,
            // ClearML and the backend keep their state under $HOME.
            HOME: "/tmp",
        };
        const secretEnv: Record<string, SecretKeyRef> = {
            PROD_SECRET_KEY: own("jwt-secret"),
            // The service user only (never MongoDB's root): the connection Secret's keys.
            PROD_MONGO_DSN: mongo("uri"),
            PROD_DB_NAME: mongo("database"),
            PROD_MONGO_USERNAME: mongo("username"),
            PROD_MONGO_PASSWORD: mongo("password"),
            // The bucket's scoped user (not MinIO's root).
            PROD_MINIO_API_ACCESS_KEY: keyRef(storeSecret, CREDENTIAL_KEYS.accessKey),
            PROD_MINIO_API_SECRET_KEY: keyRef(storeSecret, CREDENTIAL_KEYS.secretKey),
        };
        if (this.appLine === "1.0") {
            env.PROD_ALGORITHM = args.jwt?.algorithm ?? "HS256";
            env.PROD_FIRST_SUPERUSER_ID = this.superuserId!;
            secretEnv.PROD_FIRST_SUPERUSER_PASSWORD = own("superuser-password");
        } else {
            const k = args.keycloak!;
            const realm = k.realm ?? "CommonServices";
            const oidc = `${k.serverUrl.replace(/\/+$/, "")}/realms/${realm}/protocol/openid-connect`;
            env.PROD_KEYCLOAK_SERVER_URL = k.serverUrl;
            env.PROD_KEYCLOAK_REALM_NAME = realm;
            env.PROD_KEYCLOAK_CLIENT_ID = k.backendClientId ?? "ai-appstore-backend";
            env.PROD_KEYCLOAK_AUTHORIZATION_URL = `${oidc}/auth`;
            env.PROD_KEYCLOAK_TOKEN_URL = `${oidc}/token`;
            secretEnv.PROD_KEYCLOAK_CLIENT_SECRET_KEY = own("keycloak-client-secret");
        }
        if (clearml.accessKey) secretEnv.CLEARML_API_ACCESS_KEY = own("clearml-access-key");
        if (clearml.secretKey) secretEnv.CLEARML_API_SECRET_KEY = own("clearml-secret-key");
        return { env, secretEnv, superuserPassword };
    }

    /** The backend's Deployment (with the ClearML CA bundle, when given) and Service. */
    private backendWorkload(args: AiAppStoreArgs, settings: { env: Record<string, pulumi.Input<string>>; secretEnv: Record<string, SecretKeyRef> },
        access: { sa: k8s.core.v1.ServiceAccount; rbac: pulumi.Resource[] }) {
        const { env, secretEnv } = settings;
        const { sa, rbac } = access;
        const store = args.storage;
        const maxUpload = args.maxUploadSizeGb ?? 10;
        const volumes: k8s.types.input.core.v1.Volume[] = [
            // Uploads are buffered here: sized for the largest one.
            { name: "tmp", emptyDir: { sizeLimit: `${maxUpload + 1}Gi` } },
        ];
        const mounts: k8s.types.input.core.v1.VolumeMount[] = [{ name: "tmp", mountPath: "/tmp" }];
        const initContainers: ReturnType<typeof container>[] = [];
        const annotations: Record<string, string> = {};
        if (args.clearml?.caCert) this.clearmlCa(args, args.clearml.caCert, { volumes, mounts, initContainers, env, annotations });
        // Ready: `GET /` answers. Alive: the port accepts connections (never MongoDB or S3).
        // Starting: the imports and (v1.0.x) the database setup run before the port opens.
        const probe = { ...httpProbe("/", "http", 15), periodSeconds: 20, timeoutSeconds: 10 };
        const alive = { ...tcpProbe("http", 0), periodSeconds: 20, failureThreshold: 6 };
        const backendContainer = container({
            name: "backend",
            image: args.backend.image,
            ports: [{ name: "http", containerPort: APP.backendPort }],
            env,
            secretEnv,
            readiness: probe,
            liveness: alive,
            startup: { ...tcpProbe("http", 5), periodSeconds: 5, failureThreshold: 60 },
            resources: {
                requests: { cpu: "100m", memory: "256Mi", ephemeralStorage: "256Mi" },
                limits: { cpu: "1", memory: "2Gi", ephemeralStorage: `${maxUpload + 2}Gi` },
            },
            runAsUser: APP.uid,
            volumeMounts: mounts,
        });
        const storeReady = pulumi.Resource.isInstance(store) ? [store as unknown as pulumi.Resource] : [];
        const deployment = this.deployment("backend", APP.backend, args.backend.image, args.backend.replicas ?? 1, podSpec({
            containers: [backendContainer],
            initContainers,
            serviceAccountName: sa.metadata.name,
            automountServiceAccountToken: true,
            volumes,
            fsGroup: APP.uid,
            spreadSelector: (args.backend.replicas ?? 1) > 1 ? selectorLabels({ name: APP.backend }) : undefined,
        }), annotations, [...this.mongodb.ready, ...storeReady, ...rbac]);
        return { deployment, service: this.service("backend", APP.backend, APP.backendPort) };
    }

    /** The CA of a self-hosted ClearML joins the image's CA bundle (requests and the ClearML SDK read it). */
    private clearmlCa(args: AiAppStoreArgs, caCert: string, pod: {
        volumes: k8s.types.input.core.v1.Volume[]; mounts: k8s.types.input.core.v1.VolumeMount[];
        initContainers: ReturnType<typeof container>[]; env: Record<string, pulumi.Input<string>>; annotations: Record<string, string>;
    }): void {
        const { volumes, mounts, initContainers, env, annotations } = pod;
        const backendLabels = this.labels("backend", APP.backend);
        const ca = new k8s.core.v1.ConfigMap(`${this.resourceName}-clearml-ca`, {
            metadata: { name: APP.caConfigMap, namespace: this.namespace.name, labels: backendLabels },
            data: { "ca.crt": caCert },
        }, { parent: this });
        volumes.push({ name: "clearml-ca", configMap: { name: ca.metadata.name } }, { name: "ca-bundle", emptyDir: { sizeLimit: "16Mi" } });
        initContainers.push(container({
            name: "ca-bundle",
            image: args.backend.image,
            command: ["sh", "-c", "cat /etc/ssl/certs/ca-certificates.crt /clearml-ca/ca.crt > /ca-bundle/ca-bundle.crt"],
            runAsUser: APP.uid,
            resources: {
                requests: { cpu: "10m", memory: "16Mi", ephemeralStorage: "16Mi" },
                limits: { cpu: "100m", memory: "64Mi", ephemeralStorage: "32Mi" },
            },
            volumeMounts: [{ name: "clearml-ca", mountPath: "/clearml-ca", readOnly: true }, { name: "ca-bundle", mountPath: "/ca-bundle" }],
        }));
        mounts.push({ name: "ca-bundle", mountPath: "/etc/ssl/aas", readOnly: true });
        env.REQUESTS_CA_BUNDLE = "/etc/ssl/aas/ca-bundle.crt";
        env.SSL_CERT_FILE = "/etc/ssl/aas/ca-bundle.crt";
        // A new CA rolls the pods.
        annotations["checksum/clearml-ca"] = sha256(caCert);
    }

    /** The frontend: its assets copied to a writable volume, then served; and its Service. */
    private frontendWorkload(args: AiAppStoreArgs): { deployment: k8s.apps.v1.Deployment; service: k8s.core.v1.Service } {
        const name = this.resourceName;
        const ns = this.namespace.name;
        const frontendSa = new k8s.core.v1.ServiceAccount(`${name}-frontend-sa`, {
            metadata: { name: APP.frontend, namespace: ns, labels: this.labels("frontend", APP.frontend) },
            automountServiceAccountToken: false,
        }, { parent: this });
        // The image's entrypoint writes VUE_APP_* into its compiled assets (sed -i): they are
        // copied to an emptyDir first, so the root filesystem stays read-only.
        const small = {
            requests: { cpu: "10m", memory: "32Mi", ephemeralStorage: "32Mi" },
            limits: { cpu: "200m", memory: "128Mi", ephemeralStorage: "256Mi" },
        };
        const copyAssets = container({
            name: "copy-assets",
            image: args.frontend.image,
            command: ["sh", "-c", "cp -R /app/dist/. /assets/"],
            runAsUser: APP.uid,
            resources: small,
            volumeMounts: [{ name: "assets", mountPath: "/assets" }],
        });
        const frontendContainer = container({
            name: "frontend",
            image: args.frontend.image,
            ports: [{ name: "http", containerPort: APP.frontendPort }],
            env: this.frontendEnv(args),
            readiness: httpProbe("/", "http", 5),
            resources: {
                requests: { cpu: "50m", memory: "128Mi", ephemeralStorage: "64Mi" },
                limits: { cpu: "500m", memory: "512Mi", ephemeralStorage: "512Mi" },
            },
            runAsUser: APP.uid,
            writablePaths: ["/tmp"],
            volumeMounts: [{ name: "assets", mountPath: "/app/dist" }],
        });
        const deployment = this.deployment("frontend", APP.frontend, args.frontend.image, args.frontend.replicas ?? 1, podSpec({
            containers: [frontendContainer],
            initContainers: [copyAssets],
            serviceAccountName: frontendSa.metadata.name,
            volumes: [{ name: "assets", emptyDir: { sizeLimit: "256Mi" } }],
            fsGroup: APP.uid,
            spreadSelector: (args.frontend.replicas ?? 1) > 1 ? selectorLabels({ name: APP.frontend }) : undefined,
        }), {}, []);
        return { deployment, service: this.service("frontend", APP.frontend, 80) };
    }

    /** The frontend's settings for its app line (`ENV_CONTRACT`). */
    private frontendEnv(args: AiAppStoreArgs): Record<string, pulumi.Input<string>> {
        // Derived from the API host and the TLS setting: never typed twice.
        const env: Record<string, pulumi.Input<string>> = { VUE_APP_BACKEND_URL: this.apiUrl, HOME: "/tmp" };
        if (this.appLine === "1.2") {
            const k = args.keycloak!;
            env.VUE_APP_KEYCLOAK_URL = k.serverUrl;
            env.VUE_APP_KEYCLOAK_REALM = k.realm ?? "CommonServices";
            // The backend reads users' roles from this client's entry in every token.
            env.VUE_APP_KEYCLOAK_CLIENT_ID = KEYCLOAK_FRONTEND_CLIENT;
            env.VUE_APP_FRONTEND_VERSION = imageTag(args.frontend.image);
            env.VUE_APP_BACKEND_VERSION = imageTag(args.backend.image);
        }
        return env;
    }

    /** One Ingress: the web host to the frontend, the API host to the backend. */
    private ingressFor(args: AiAppStoreArgs, tlsSecret: string | undefined, frontendService: k8s.core.v1.Service, backendService: k8s.core.v1.Service) {
        const name = this.resourceName;
        const ns = this.namespace.name;
        const maxUpload = args.maxUploadSizeGb ?? 10;
        const backendRef = (svc: k8s.core.v1.Service) => ({ service: { name: svc.metadata.name, port: { name: "http" } } });
        const annotationsIngress: Record<string, string> = {
            // Model uploads: the backend's limit, at the proxy too (nginx's default is 1m).
            "nginx.ingress.kubernetes.io/proxy-body-size": `${maxUpload * 1024}m`,
        };
        if (args.tls?.clusterIssuer) annotationsIngress["cert-manager.io/cluster-issuer"] = args.tls.clusterIssuer;
        return new k8s.networking.v1.Ingress(`${name}-ingress`, {
            metadata: { name: APP.partOf, namespace: ns, labels: this.labels("ingress", APP.partOf), annotations: annotationsIngress },
            spec: {
                ingressClassName: this.ctx.cluster.ingress?.className,
                rules: [
                    { host: args.webHost, http: { paths: [{ path: "/", pathType: "Prefix", backend: backendRef(frontendService) }] } },
                    { host: args.apiHost, http: { paths: [{ path: "/", pathType: "Prefix", backend: backendRef(backendService) }] } },
                ],
                tls: tlsSecret ? [{ hosts: [args.webHost, args.apiHost], secretName: tlsSecret }] : undefined,
            },
        }, { parent: this });
    }

    /**
     * MongoDB in the App Store's namespace. Without a dynamic provisioner the guide creates a
     * hostPath PersistentVolume (and names a StorageClass for it) by hand: so do we.
     */
    private createMongo(source: DataServiceArgs<"mongodb">, hostPath?: string): DataConnection<"mongodb"> {
        const name = this.resourceName;
        let storageClass = source.storageClass ?? this.ctx.cluster.storageClass;
        const deps: pulumi.Resource[] = [];
        if (source.mode !== "external" && !this.ctx.cluster.defaultStorageClass) {
            storageClass ??= APP.mongoStorageClass;
            const labels = this.labels("storage", APP.mongoVolume);
            if (storageClass === APP.mongoStorageClass) {
                deps.push(new k8s.storage.v1.StorageClass(`${name}-mongodb-storage-class`, {
                    metadata: { name: APP.mongoStorageClass, labels },
                    provisioner: "kubernetes.io/no-provisioner",
                    reclaimPolicy: "Retain",
                    volumeBindingMode: "WaitForFirstConsumer",
                }, { parent: this }));
            }
            deps.push(new k8s.core.v1.PersistentVolume(`${name}-mongodb-volume`, {
                metadata: { name: APP.mongoVolume, labels },
                spec: {
                    storageClassName: storageClass,
                    capacity: { storage: source.size ?? DATA_SERVICES.mongodb.size },
                    accessModes: ["ReadWriteOnce"],
                    volumeMode: "Filesystem",
                    persistentVolumeReclaimPolicy: "Retain",
                    hostPath: { path: hostPath ?? "/bitnami/mongodb", type: "DirectoryOrCreate" },
                },
            }, { parent: this, dependsOn: deps.slice() }));
        }
        return new DataService(`${name}-mongodb`, { partOf: APP.partOf, ...source, storageClass }, this.ctx, this.namespace, { parent: this, dependsOn: deps });
    }

    /** Emissary: CRDs manifest, then the chart, then the backend's Listener and Host (or only those, when present). */
    private emissary(e: EmissaryArgs, nsByKey: Record<string, PlatformNamespace>): { gateway: EngineNamespace; crds?: k8s.yaml.v2.ConfigFile; chart?: HelmChart } {
        const name = this.resourceName;
        const ready: pulumi.Resource[] = [];
        let namespace: pulumi.Input<string> = e.namespace ?? EMISSARY.namespace;
        const plain = e.namespace ?? EMISSARY.namespace;
        let crds: k8s.yaml.v2.ConfigFile | undefined;
        let chart: HelmChart | undefined;
        if (e.install) {
            const image = e.image ?? EMISSARY.image;
            const crdsManifest = e.crdsManifest || EMISSARY.crdsManifest(imageTag(image));
            // The CRDs and their conversion webhook (emissary-apiext in emissary-system) first.
            crds = new k8s.yaml.v2.ConfigFile(`${name}-emissary-crds`, { file: crdsManifest }, { parent: this, dependsOn: [nsByKey["emissary-system-ns"]] });
            const emissaryNs = nsByKey["emissary-ns"];
            chart = new HelmChart(`${name}-emissary`, {
                source: resolveChartSource({ repo: EMISSARY.chartRepo, chart: EMISSARY.chart, version: e.chartVersion ?? EMISSARY.chartVersion }, e.chartMirror),
                namespace: emissaryNs.name,
                releaseName: EMISSARY.releaseName,
                values: {
                    image: splitImage(image),
                    agent: { enabled: true, image: splitImage(e.agentImage ?? EMISSARY.agentImage), reportDiagnostics: false },
                    // The App Store's own Listener takes 8080 (below); the chart's would collide with it.
                    createDefaultListeners: false,
                    service: { type: this.ctx.cluster.loadBalancer ? "LoadBalancer" : "NodePort" },
                },
            }, { parent: this, dependsOn: [crds, emissaryNs] });
            ready.push(chart);
            namespace = emissaryNs.name;
        }
        const labels = this.labels("emissary", APP.listener);
        new k8s.apiextensions.CustomResource(`${name}-emissary-listener`, {
            apiVersion: "getambassador.io/v3alpha1",
            kind: "Listener",
            metadata: { name: APP.listener, namespace, labels },
            spec: { port: EMISSARY.listenerPort, protocol: "HTTP", securityModel: "XFP", hostBinding: { namespace: { from: "ALL" } } },
        }, { parent: this, dependsOn: ready });
        new k8s.apiextensions.CustomResource(`${name}-emissary-host`, {
            apiVersion: "getambassador.io/v3alpha1",
            kind: "Host",
            metadata: { name: APP.host, namespace, labels },
            // Every host name, no ACME: certificates are not Emissary's business here.
            spec: { hostname: "*", acmeProvider: { authority: "none" }, requestPolicy: { insecure: { action: "Route" } } },
        }, { parent: this, dependsOn: ready });
        return { gateway: { ns: namespace, plain, ready }, crds, chart };
    }

    /** Knative Serving (CRDs, core) and Kourier from their release manifests, in that order. */
    private installKnative(k: KnativeArgs, nsByKey: Record<string, PlatformNamespace>): { gateway: EngineNamespace; manifests?: AiAppStore["knative"] } {
        const name = this.resourceName;
        if (!k.install) return { gateway: { ns: KNATIVE.kourierNamespace, plain: KNATIVE.kourierNamespace, ready: [] } };
        const file = (release: string, f: string) => `${(k.manifests || release).replace(/\/+$/, "")}/${f}`;
        const serving = KNATIVE.servingRelease(k.version ?? KNATIVE.version);
        const kourierRelease = KNATIVE.kourierRelease(k.kourierVersion ?? KNATIVE.kourierVersion);
        // Images Knative starts at run time (queue-proxy) are relocated and listed like pod images.
        this.ctx.registry.addImageFields(...KNATIVE_IMAGE_FIELDS);
        const servingNs = nsByKey["knative-serving-ns"];
        const kourierNs = nsByKey["kourier-system-ns"];
        const crds = new k8s.yaml.v2.ConfigFile(`${name}-knative-crds`, { file: file(serving, KNATIVE.files.crds) }, { parent: this, dependsOn: [servingNs] });
        const core = new k8s.yaml.v2.ConfigFile(`${name}-knative-core`, { file: file(serving, KNATIVE.files.core) }, { parent: this, dependsOn: [crds, servingNs] });
        const kourier = new k8s.yaml.v2.ConfigFile(`${name}-kourier`, { file: file(kourierRelease, KNATIVE.files.kourier) }, { parent: this, dependsOn: [core, kourierNs] });
        return { gateway: { ns: kourierNs.name, plain: KNATIVE.kourierNamespace, ready: [kourier] }, manifests: { crds, core, kourier } };
    }

    private labels(component: string, name: string, image?: string): Record<string, string> {
        return standardLabels({ name, component, partOf: APP.partOf, version: image ? imageTag(image) : undefined }, this.ctx.extraLabels);
    }

    private deployment(component: string, workload: string, image: string, replicas: number,
        spec: k8s.types.input.core.v1.PodSpec, annotations: Record<string, string>, dependsOn: pulumi.Resource[]): k8s.apps.v1.Deployment {
        // The version label goes on the workload only, so an image change updates just the workload.
        const labels = this.labels(component, workload, image);
        const selector = selectorLabels({ name: workload });
        disruptionBudget(`${this.resourceName}-${component}-pdb`, {
            name: workload, namespace: this.namespace.name, labels: this.labels(component, workload), selector, replicas,
        }, { parent: this });
        return new k8s.apps.v1.Deployment(`${this.resourceName}-${component}`, {
            metadata: { name: workload, namespace: this.namespace.name, labels },
            spec: {
                replicas,
                selector: { matchLabels: selector },
                template: {
                    metadata: { labels, annotations: Object.keys(annotations).length > 0 ? annotations : undefined },
                    // No <SERVICE>_PORT variables: the images read settings by their own names.
                    spec: { ...spec, enableServiceLinks: false },
                },
            },
        }, { parent: this, dependsOn });
    }

    private service(component: string, workload: string, port: number): k8s.core.v1.Service {
        return new k8s.core.v1.Service(`${this.resourceName}-${component}-service`, {
            metadata: { name: workload, namespace: this.namespace.name, labels: this.labels(component, workload), annotations: serviceAwaitAnnotations("ClusterIP") },
            spec: { type: "ClusterIP", selector: selectorLabels({ name: workload }), ports: [{ name: "http", port, targetPort: "http" }] },
        }, { parent: this });
    }

    /**
     * Default deny in and out of the App Store's namespace, then exactly its flows: DNS; the
     * ingress controller to the frontend and the backend; the backend to MongoDB, the object
     * store, the API server (it manages inference services), ClearML and Keycloak; MongoDB's
     * clients. The inference namespace gets its own (`inferencePolicies`).
     */
    private networkPolicies(args: AiAppStoreArgs, gateways: EngineNamespace[]): void {
        const policy = this.policyIn(this.namespace.name, "ai-appstore");
        const pods = (name: string) => ({ matchLabels: selectorLabels({ name }) });
        const fromIngress: NetworkPolicyPeer[] = [{ namespaceSelector: args.ingressNamespace ? byName(args.ingressNamespace) : {} }];
        policy("default-deny", "ai-appstore-default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        policy("dns", "ai-appstore-dns", DNS_EGRESS);
        policy("frontend", APP.frontend, {
            podSelector: pods(APP.frontend), policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: fromIngress, ports: [tcp(APP.frontendPort)] }],
            egress: [],
        });
        const mongo = this.mongoRoute(args);
        const store = args.storage;
        const egress: NetworkPolicyEgressRule[] = [
            { to: mongo.to, ports: [tcp(mongo.port)] },
            store.serverNamespace
                ? { to: [{ namespaceSelector: byName(store.serverNamespace) }], ports: [tcp(store.serverPort ?? 443)] }
                : { ports: [tcp(store.serverPort ?? 443)] },
            // The API server is no pod: its ports, to any address (443 behind the `kubernetes` Service, 6443 on the nodes).
            { ports: [tcp(443), tcp(6443)] },
            { ports: urlPorts([...this.clearmlUrls(args), ...(args.keycloak ? [args.keycloak.serverUrl] : [])]).map(tcp) },
        ];
        policy("backend", APP.backend, {
            podSelector: pods(APP.backend), policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: fromIngress, ports: [tcp(APP.backendPort)] }],
            egress: egress.filter((e) => (e.ports as unknown[]).length > 0),
        });
        if (mongo.here) {
            const self = pods("mongodb");
            policy("mongodb", "ai-appstore-mongodb-clients", {
                podSelector: self, policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [{ podSelector: pods(APP.backend) }], ports: [tcp(CONNECTIONS.mongodb.port)] }, { from: [{ podSelector: self }] }],
                egress: [{ to: [{ podSelector: self }] }],
            });
        }
        this.inferencePolicies(gateways);
    }

    /**
     * Users' inference services: reached only from the engines' gateways (Emissary, Kourier,
     * and Knative's activator and autoscaler), out only to DNS. A model that must download
     * its weights needs a policy of its own.
     */
    private inferencePolicies(gateways: EngineNamespace[]): void {
        const policy = this.policyIn(this.inferenceNamespace.name, "inference");
        const from: NetworkPolicyPeer[] = gateways.map((g) => namespaceNamed(g.ns));
        if (this.engines.includes("knative")) from.push({ namespaceSelector: byName(KNATIVE.servingNamespace) });
        policy("inference-default-deny", "inference-default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        policy("inference-dns", "inference-dns", DNS_EGRESS);
        policy("inference-gateways", "inference-from-gateways", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from }] });
    }

    /**
     * The namespaces of the engines the App Store installs: default deny, then each one's
     * flows. The API server calls the webhooks; the gateways take traffic from outside the
     * cluster and reach users' inference services; Knative's activator and autoscaler reach
     * them too, and net-kourier's controller and the Kourier gateway talk both ways.
     */
    private enginePolicies(nsByKey: Record<string, PlatformNamespace>): void {
        const inference = this.inferenceNamespace.name;
        const serving = nsByKey["knative-serving-ns"]?.name;
        const kourier = nsByKey["kourier-system-ns"]?.name;
        const flows: Record<string, ControllerFlows & { prefix: string }> = {
            "emissary-system-ns": { prefix: "emissary-apiext", openPorts: [EMISSARY.apiextWebhookPort] },
            "emissary-ns": { prefix: "emissary", openPorts: [EMISSARY.listenerPort], toNamespaces: [inference] },
            "knative-serving-ns": { prefix: "knative-serving", openPorts: [KNATIVE.webhookPort], fromNamespaces: [kourier!], toNamespaces: [kourier!, inference] },
            "kourier-system-ns": { prefix: "kourier", openPorts: [...KNATIVE.gatewayPorts], fromNamespaces: [serving!], toNamespaces: [serving!, inference] },
        };
        for (const [key, { prefix, ...f }] of Object.entries(flows)) {
            const ns = nsByKey[key];
            if (!ns) continue;
            controllerNetworkPolicies(`${this.resourceName}-${prefix}`, ns.name, prefix, f, this.labels("network", prefix), { parent: this });
        }
    }

    /** A NetworkPolicy maker for one namespace. */
    private policyIn(ns: pulumi.Input<string>, component: string) {
        return (key: string, name: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
            new k8s.networking.v1.NetworkPolicy(`${this.resourceName}-netpol-${key}`, {
                metadata: { name, namespace: ns, labels: this.labels(component === "ai-appstore" ? "network" : component, name) },
                spec,
            }, { parent: this });
    }

    /** Where the backend reaches MongoDB: its pods here, another namespace's, or an external address (the URI's port). */
    private mongoRoute(args: AiAppStoreArgs): { here: boolean; port: pulumi.Input<number>; to?: NetworkPolicyPeer[] } {
        const m = args.mongodb;
        if (isConnection(m)) return { here: false, port: m.port ?? CONNECTIONS.mongodb.port, to: m.mode === "external" ? undefined : [{ namespaceSelector: {} }] };
        if (m.mode !== "external") return { here: true, port: CONNECTIONS.mongodb.port, to: [{ podSelector: { matchLabels: selectorLabels({ name: "mongodb" }) } }] };
        // Only the port leaves the secret.
        const port = pulumi.unsecret(pulumi.output(m.external!).apply((url) => Number(new URL(url).port || CONNECTIONS.mongodb.port)));
        return { here: false, port };
    }

    private clearmlUrls(args: AiAppStoreArgs): string[] {
        const c = args.clearml ?? {};
        return [c.webHost ?? CLEARML_DEFAULTS.webHost, c.apiHost ?? CLEARML_DEFAULTS.apiHost, c.filesHost ?? CLEARML_DEFAULTS.filesHost];
    }
}

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type NetworkPolicyEgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** The ports of http(s) URLs (the scheme's default when none is given), each once, sorted. */
export function urlPorts(urls: string[]): number[] {
    const ports = urls.map((u) => {
        const url = new URL(u);
        return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    });
    return [...new Set(ports)].sort((a, b) => a - b);
}
