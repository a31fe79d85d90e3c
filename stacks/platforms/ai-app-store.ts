// The AI App Store on the stack side: its `aiAppStore.*` settings, their formats and rules, and
// the adapter from the flat config (with `data.mongodb.*`, `registry.chartMirror`) to
// AiAppStoreArgs (components/platforms/ai-app-store).
import * as fs from "fs";
import { z } from "zod";
import { compareVersions } from "../../components/cluster/types";
import { isPinnedImage } from "../../components/core/images";
import { AiAppStoreArgs, appLine, AppStoreEngine, EMISSARY, KNATIVE, knativeTooOld, UPSTREAM_VERSION } from "../../components/platforms/ai-app-store";
import type { ObjectStore } from "../../components/storage";
import { chartMirrorOf, dataServiceArgs, FoundationConfig, FoundationKey } from "../foundation";
import {
    bool, changedUnder, choice, enabledOrRefused, ConfigOf, count, dnsName, exactVersion, expandHome, Format, hostName, int, isSet, list, namespaceName,
    optional, pinnedOrEmpty, PlatformSettings, Rule, secret, setCmd, Setting, str, TRI_STATE,
} from "../setting";

export const AI_APP_STORE_SETTINGS = {
    "aiAppStore.enabled": bool(false, "Deploy the AI App Store (needs an ingress controller and object storage); see docs/platforms/ai-app-store.md. Its MongoDB comes from data.mongodb.*, its bucket is storage.bucket."),
    "aiAppStore.appVersion": str("", `Exact upstream release (git tag of DinoHub/appstore-ai) the backend and frontend images are built from, e.g. \`${UPSTREAM_VERSION}\` or \`1.0.11\`: it decides the settings the app reads. 1.0.x: the built-in login (aiAppStore.superuser.*); 1.2.1+: Keycloak (aiAppStore.keycloak.*). 1.1.0 and 1.2.0 are refused (their frontend cannot be given Keycloak's settings). Required when the App Store is enabled.`),
    "aiAppStore.namespace": str("ai-appstore", "Namespace of the App Store's backend, frontend and (embedded or chart) MongoDB."),
    "aiAppStore.inferenceNamespace": str("inference-engine", "Namespace the backend creates users' inference services in (PROD_IE_NAMESPACE)."),
    "aiAppStore.webHost": str("", "Host name of the frontend's Ingress, e.g. `web.appstore.example.com`. Required when the App Store is enabled."),
    "aiAppStore.apiHost": str("", "Host name of the backend's (API) Ingress, e.g. `api.appstore.example.com`; the frontend's VUE_APP_BACKEND_URL is derived from it. Required when the App Store is enabled."),
    "aiAppStore.inferenceDomain": str("", "Domain users' inference services are reached at (PROD_IE_DOMAIN), e.g. `models.appstore.example.com`: Emissary's at `<protocol>://<domain>/<service>/` (point it at Emissary's gateway), Knative's at `<service>.<inferenceNamespace>.<domain>` (a wildcard record to Kourier's gateway; also Knative's config-domain). Required when the App Store is enabled: without it the backend looks for the gateway's LoadBalancer IP, which a NodePort gateway and an EKS load balancer do not have."),
    "aiAppStore.tls.secretName": str("", "`kubernetes.io/tls` Secret in the App Store's namespace for the web and API hosts; setting it (or tls.clusterIssuer) turns the URLs to https. Empty with tls.clusterIssuer set means `ai-appstore-tls`."),
    "aiAppStore.tls.clusterIssuer": str("", "cert-manager ClusterIssuer that issues the web and API certificate (annotation `cert-manager.io/cluster-issuer`); empty for none."),
    "aiAppStore.corsOrigins": list("Origins the backend accepts cross-origin requests from (PROD_FRONTEND_HOST, a JSON array), e.g. `[\"https://web.appstore.example.com\"]`; empty means the frontend's own URL."),
    "aiAppStore.secureCookies": choice(TRI_STATE, "auto", "Mark the backend's cookies Secure (PROD_SECURE_COOKIES). `auto`: when the hosts are served over https (aiAppStore.tls.*)."),
    "aiAppStore.maxUploadSizeGb": int(10, "Largest model upload in GB (PROD_MAX_UPLOAD_SIZE_GB); also the API Ingress' proxy-body-size and the size of the backend's /tmp."),
    "aiAppStore.jwtAlgorithm": choice(["HS256", "HS384", "HS512"] as const, "HS256", "Algorithm the backend signs its JWTs with (PROD_ALGORITHM; the 1.0 line only, 1.2 reads none)."),
    "aiAppStore.jwtSecret": secret("Key the backend signs its JWTs with (PROD_SECRET_KEY); empty means generated (64 characters)."),
    "aiAppStore.superuser.id": str("admin", "User name of the first administrator the backend creates (PROD_FIRST_SUPERUSER_ID; the 1.0 line only)."),
    "aiAppStore.superuser.password": secret("Password of the first administrator (PROD_FIRST_SUPERUSER_PASSWORD; the 1.0 line only); empty means generated (stack output aiAppStore.superuserPassword, a secret). The backend inserts the user once, when it does not exist: changing this later does not change the app's password."),
    "aiAppStore.keycloak.serverUrl": str("", "Keycloak's base URL, e.g. `https://keycloak.example.com` (PROD_KEYCLOAK_SERVER_URL, VUE_APP_KEYCLOAK_URL; the authorization and token URLs are derived from it). Required from app version 1.2.1."),
    "aiAppStore.keycloak.realm": str("CommonServices", "Keycloak realm of the App Store's users (PROD_KEYCLOAK_REALM_NAME, VUE_APP_KEYCLOAK_REALM)."),
    "aiAppStore.keycloak.backendClientId": str("ai-appstore-backend", "The backend's confidential Keycloak client (PROD_KEYCLOAK_CLIENT_ID). The frontend's client must be `ai-appstore-frontend`: the backend reads users' roles from that client's entry in every token."),
    "aiAppStore.keycloak.backendClientSecret": secret("Secret of the backend's Keycloak client (PROD_KEYCLOAK_CLIENT_SECRET_KEY). Required from app version 1.2.1."),
    "aiAppStore.clearml.webHost": str("https://app.clear.ml", "ClearML web server URL (CLEARML_WEB_HOST)."),
    "aiAppStore.clearml.apiHost": str("https://api.clear.ml", "ClearML API server URL (CLEARML_API_HOST)."),
    "aiAppStore.clearml.filesHost": str("https://files.clear.ml", "ClearML file server URL (CLEARML_FILES_HOST)."),
    "aiAppStore.clearml.accessKey": secret("ClearML API access key (CLEARML_API_ACCESS_KEY); empty for none. Goes with aiAppStore.clearml.secretKey."),
    "aiAppStore.clearml.secretKey": secret("ClearML API secret key (CLEARML_API_SECRET_KEY and the guide's CLEARML_API_SECRET); empty for none."),
    "aiAppStore.clearml.caCertFile": str("", "PEM file of the CA that signed a self-hosted ClearML's certificate, read when the program runs and added to the backend's CA bundle; empty for none."),
    "aiAppStore.backend.image": str("", "The aas-backend image, pinned (never latest): built from the appstore-ai repository (`build-images.sh <version>`) and pushed to your registry, e.g. `registry.example.com/ai-appstore/aas-backend:1.1.0`. Required when the App Store is enabled: there is no public image."),
    "aiAppStore.backend.replicas": int(1, "Replicas of the backend."),
    "aiAppStore.frontend.image": str("", "The aas-frontend image, pinned (never latest), built like the backend's, e.g. `registry.example.com/ai-appstore/aas-frontend:1.1.0`. Required when the App Store is enabled."),
    "aiAppStore.frontend.replicas": int(1, "Replicas of the frontend."),
    "aiAppStore.engines": choice(["emissary", "knative", "both"] as const, "emissary", "Inference engines the App Store serves users' models with: `emissary` (Deployments behind Emissary Mappings), `knative` (Knative Serving with Kourier; Kubernetes 1.23+, scales to zero) or `both`. The backend's RBAC covers only these."),
    "aiAppStore.serviceType": choice(["auto", "emissary", "knative"] as const, "auto", "Engine the backend creates inference services with (PROD_IE_SERVICE_TYPE). `auto`: the only engine, Emissary when both are installed."),
    "aiAppStore.protocol": choice(["http", "https"] as const, "http", "Default protocol of inference service URLs (PROD_IE_DEFAULT_PROTOCOL): `https` when the engine's gateway has certificates."),
    "aiAppStore.emissary.install": bool(true, "`true`: install Emissary (its CRDs manifest, then the pinned emissary-ingress chart). `false`: Emissary and its CRDs are present in aiAppStore.emissary.namespace."),
    "aiAppStore.emissary.namespace": str("emissary", "Namespace of Emissary (created when installed); the backend's Listener and Host go there."),
    "aiAppStore.emissary.chartVersion": str("8.4.0", "Version of the emissary-ingress chart (https://app.getambassador.io, or registry.chartMirror); 8.4.0 is Emissary 3.4.0."),
    "aiAppStore.emissary.image": str("docker.io/emissaryingress/emissary:3.4.0", "Emissary image, pinned; its tag also selects the CRDs manifest and the apiext conversion webhook it runs."),
    "aiAppStore.emissary.agentImage": str("docker.io/ambassador/ambassador-agent:1.0.3", "Ambassador agent image of the emissary-ingress chart, pinned."),
    "aiAppStore.emissary.crdsManifest": str("", "Path or URL of Emissary's CRDs manifest (emissary-crds.yaml), installed before the chart; empty means https://app.getambassador.io/yaml/emissary/<image tag>/emissary-crds.yaml. Required in mirror mode (an air gap reaches no public URL)."),
    "aiAppStore.knative.install": bool(true, "`true`: install Knative Serving and Kourier from their release manifests. `false`: both are present (knative-serving, kourier-system)."),
    "aiAppStore.knative.version": str("1.8.3", "Knative Serving release whose manifests (serving-crds.yaml, serving-core.yaml) are installed."),
    "aiAppStore.knative.kourierVersion": str("1.8.1", "net-kourier release whose kourier.yaml is installed."),
    "aiAppStore.knative.manifests": str("", "Directory or URL prefix holding serving-crds.yaml, serving-core.yaml and kourier.yaml of those releases; empty means their GitHub release downloads. Required in mirror mode."),
    "aiAppStore.mongodb.hostPath": str("/bitnami/mongodb", "Node directory of the hostPath PersistentVolume (and StorageClass `aas-mongodb`) created for MongoDB when the cluster has no dynamic provisioner (cluster.defaultStorageClass false)."),
} satisfies Record<string, Setting>;

type AppStoreKey = keyof typeof AI_APP_STORE_SETTINGS;
type AppStoreConfig = ConfigOf<typeof AI_APP_STORE_SETTINGS>;

const httpUrl = (example: string) => ({ schema: z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, "must be an http(s) URL like https://app.clear.ml"), example });
const taggedImage = (example: string) => ({
    schema: z.string().refine((v) => isPinnedImage(v) && !v.includes("@"), "must be an image with a pinned tag (repository:tag; the chart takes a tag, not a digest)"), example,
});
export const AI_APP_STORE_FORMATS = {
    "aiAppStore.appVersion": { schema: z.string().regex(/^(\d+\.\d+\.\d+)?$/, "must be an exact upstream release like 1.2.1"), example: UPSTREAM_VERSION },
    "aiAppStore.inferenceDomain": hostName("models.appstore.example.com"),
    "aiAppStore.keycloak.serverUrl": { schema: z.string().regex(/^(https?:\/\/[^\s/?#]+(\/[^\s?#]*)?)?$/, "must be an http(s) URL like https://keycloak.example.com"), example: "https://keycloak.example.com" },
    "aiAppStore.keycloak.realm": { schema: z.string().regex(/^[A-Za-z0-9._-]{1,255}$/, "must be a Keycloak realm name (letters, digits, '.', '_' or '-')"), example: "CommonServices" },
    "aiAppStore.keycloak.backendClientId": { schema: z.string().regex(/^[A-Za-z0-9._:-]{1,255}$/, "must be a Keycloak client id (letters, digits, '.', '_', ':' or '-')"), example: "ai-appstore-backend" },
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
    "aiAppStore.mongodb.hostPath": { schema: z.string().regex(/^\/[A-Za-z0-9._\/-]*[A-Za-z0-9._-]$/, "must be an absolute path other than /"), example: "/bitnami/mongodb" },
} satisfies Partial<Record<AppStoreKey, Format>>;

export const aiAppStoreRule: Rule<FoundationKey | AppStoreKey | "inferencePipeline.enabled" | "inferencePipeline.namespace"> = (v, problem) => {
    if (!enabledOrRefused(v, "aiAppStore.enabled", AI_APP_STORE_SETTINGS, problem)) return;
    const required: [AppStoreKey, string, string][] = [
        ["aiAppStore.appVersion", "the upstream release your images are built from (it decides the settings the app reads)", UPSTREAM_VERSION],
        ["aiAppStore.inferenceDomain", "the domain users' inference services are reached at (PROD_IE_DOMAIN; without it the backend needs a gateway LoadBalancer IP)", "models.appstore.example.com"],
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

    appLineRule(v, problem);

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
        { engine: "knative", title: "Knative", install: v["aiAppStore.knative.install"] === true, installOnly: ["version", "kourierVersion", "manifests"] },
    ];
    for (const e of engineSettings) {
        const changed = changedUnder(v, `aiAppStore.${e.engine}.`, AI_APP_STORE_SETTINGS);
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
    const own: [AppStoreKey, unknown][] = [["aiAppStore.namespace", v["aiAppStore.namespace"]], ["aiAppStore.inferenceNamespace", v["aiAppStore.inferenceNamespace"]]];
    if (has("emissary") && v["aiAppStore.emissary.install"] === true) {
        own.push(["aiAppStore.emissary.namespace", v["aiAppStore.emissary.namespace"]]);
        taken.push(["Emissary's CRDs manifest", EMISSARY.apiextNamespace]);
    }
    if (has("knative") && v["aiAppStore.knative.install"] === true) taken.push(["Knative's manifests", KNATIVE.servingNamespace], ["Knative's manifests", KNATIVE.kourierNamespace]);
    own.forEach(([key, value], i) => {
        const clash = [...own.slice(0, i), ...taken].find(([, other]) => other === value);
        if (clash) problem(key, `must differ from ${clash[0]} (${value}): each creates its namespace`, setCmd(key, String(AI_APP_STORE_SETTINGS[key].default)));
    });
};

/** The app version's line, and the settings each line reads or refuses; external MongoDB URIs the backend can parse. */
const appLineRule: Rule<FoundationKey | AppStoreKey> = (v, problem) => {
    const version = v["aiAppStore.appVersion"];
    if (typeof version === "string" && version !== "") {
        const line = appLine(version);
        if (typeof line !== "string") {
            problem("aiAppStore.appVersion", line.refused, setCmd("aiAppStore.appVersion", UPSTREAM_VERSION));
        } else if (line === "1.2") {
            for (const k of ["aiAppStore.keycloak.serverUrl", "aiAppStore.keycloak.backendClientSecret"] as const) {
                const isSecret = k.endsWith("Secret");
                if (!isSet(v[k])) problem(k, `is required when aiAppStore.appVersion is ${version}: from 1.1 the backend logs users in through Keycloak (it fails at start without it)`, setCmd(k, isSecret ? "<secret>" : "https://keycloak.example.com", isSecret));
            }
            for (const k of [...changedUnder(v, "aiAppStore.superuser.", AI_APP_STORE_SETTINGS), ...changedUnder(v, "aiAppStore.jwtAlgorithm", AI_APP_STORE_SETTINGS)]) {
                problem(k, `is a setting of the 1.0 line but aiAppStore.appVersion is ${version}, which reads none (no built-in users, no own JWTs), so it would be ignored`, `pulumi config rm ${k}`);
            }
        } else {
            for (const k of changedUnder(v, "aiAppStore.keycloak.", AI_APP_STORE_SETTINGS)) {
                problem(k, `is a Keycloak setting but aiAppStore.appVersion is ${version}, whose backend has its own login, so it would be ignored`, `pulumi config rm ${k}`);
            }
        }
    }
    const uri = v["data.mongodb.external.uri"];
    if (v["data.mongodb.mode"] === "external" && typeof uri === "string" && uri !== "") {
        const why = mongoUriRefusal(uri, String(v["data.mongodb.database"]));
        if (why) problem("data.mongodb.external.uri", why, setCmd("data.mongodb.external.uri", "mongodb://appstore:<password>@mongo.example.com:27017/appStoreDB", true));
    }
};

/**
 * Why the App Store's backend cannot use an external MongoDB URI, or undefined. Its settings
 * type is pydantic 1.10's MongoDsn (scheme `mongodb`, one host), and its client forces
 * `authSource` to the app's database (internal/dependencies/mongo_client.py). The message never
 * repeats the URI (a secret).
 */
export function mongoUriRefusal(uri: string, database: string): string | undefined {
    if (/^mongodb\+srv:/i.test(uri)) return "is a mongodb+srv:// URI, which the App Store's backend refuses at start (its settings type, pydantic's MongoDsn, takes mongodb:// only): give the servers' mongodb:// URI";
    const hosts = /^mongodb:\/\/(?:[^@/]*@)?([^/?]*)/i.exec(uri)?.[1] ?? "";
    if (hosts.includes(",")) return "names several hosts (a replica set seed list), which the App Store's backend refuses at start (pydantic's MongoDsn takes one host): give one host, e.g. the replica set's primary or a load balancer";
    const query = uri.includes("?") ? new URLSearchParams(uri.slice(uri.indexOf("?") + 1)) : undefined;
    const authSource = query?.get("authSource");
    const path = /^mongodb:\/\/[^/]*\/([^?]*)/i.exec(uri)?.[1];
    const db = path ? decodeURIComponent(path) : database;
    if (authSource && authSource !== db) return `sets authSource=${authSource}, but the App Store's backend always authenticates against its own database (${db}; mongo_client.py passes authSource=PROD_DB_NAME): create the user in that database`;
    return undefined;
}

const tri = (v: "auto" | "true" | "false") => (v === "auto" ? undefined : v === "true");

/** The CA certificate file of a self-hosted ClearML, read when the program runs. */
export function readCaCert(file: string): string {
    return fs.readFileSync(expandHome(file), "utf8");
}

/** True when `text` holds at least one PEM certificate. */
export function isPemCertificate(text: string): boolean {
    return /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text);
}

/** The AiAppStoreArgs the stack config gives, with the stack's object storage. */
export function aiAppStoreArgs(cfg: FoundationConfig & AppStoreConfig, storage: ObjectStore): AiAppStoreArgs {
    const c = cfg;
    const engines = c["aiAppStore.engines"];
    const has = (e: AppStoreEngine) => engines === e || engines === "both";
    const serviceType = c["aiAppStore.serviceType"];
    const chartMirror = chartMirrorOf(c);
    const caFile = c["aiAppStore.clearml.caCertFile"];
    const keycloakUrl = c["aiAppStore.keycloak.serverUrl"];
    const ingressNamespace = c["ingress.controller"] === "install" ? c["ingress.nginx.namespace"] : undefined;
    return {
        appVersion: c["aiAppStore.appVersion"],
        keycloak: keycloakUrl ? {
            serverUrl: keycloakUrl,
            realm: c["aiAppStore.keycloak.realm"],
            backendClientId: c["aiAppStore.keycloak.backendClientId"],
            backendClientSecret: c["aiAppStore.keycloak.backendClientSecret"]!,
        } : undefined,
        inferenceDomain: c["aiAppStore.inferenceDomain"],
        ingressNamespace,
        namespace: c["aiAppStore.namespace"],
        inferenceNamespace: c["aiAppStore.inferenceNamespace"],
        webHost: c["aiAppStore.webHost"],
        apiHost: c["aiAppStore.apiHost"],
        tls: {
            secretName: c["aiAppStore.tls.secretName"] || undefined,
            clusterIssuer: c["aiAppStore.tls.clusterIssuer"] || undefined,
        },
        corsOrigins: c["aiAppStore.corsOrigins"].length > 0 ? c["aiAppStore.corsOrigins"] : undefined,
        secureCookies: tri(c["aiAppStore.secureCookies"]),
        maxUploadSizeGb: c["aiAppStore.maxUploadSizeGb"],
        jwt: { algorithm: c["aiAppStore.jwtAlgorithm"], secret: c["aiAppStore.jwtSecret"] },
        superuser: { id: c["aiAppStore.superuser.id"], password: c["aiAppStore.superuser.password"] },
        clearml: {
            webHost: c["aiAppStore.clearml.webHost"],
            apiHost: c["aiAppStore.clearml.apiHost"],
            filesHost: c["aiAppStore.clearml.filesHost"],
            accessKey: c["aiAppStore.clearml.accessKey"],
            secretKey: c["aiAppStore.clearml.secretKey"],
            caCert: caFile ? readCaCert(caFile) : undefined,
        },
        backend: { image: c["aiAppStore.backend.image"], replicas: c["aiAppStore.backend.replicas"] },
        frontend: { image: c["aiAppStore.frontend.image"], replicas: c["aiAppStore.frontend.replicas"] },
        engines: {
            emissary: !has("emissary") ? undefined : c["aiAppStore.emissary.install"]
                ? {
                    install: true,
                    namespace: c["aiAppStore.emissary.namespace"],
                    chartVersion: c["aiAppStore.emissary.chartVersion"],
                    chartMirror,
                    image: c["aiAppStore.emissary.image"],
                    agentImage: c["aiAppStore.emissary.agentImage"],
                    crdsManifest: c["aiAppStore.emissary.crdsManifest"] || undefined,
                }
                : { install: false, namespace: c["aiAppStore.emissary.namespace"] },
            knative: !has("knative") ? undefined : c["aiAppStore.knative.install"]
                ? {
                    install: true,
                    version: c["aiAppStore.knative.version"],
                    kourierVersion: c["aiAppStore.knative.kourierVersion"],
                    manifests: c["aiAppStore.knative.manifests"] || undefined,
                }
                : { install: false },
        },
        serviceType: serviceType === "auto" ? undefined : serviceType,
        protocol: c["aiAppStore.protocol"],
        mongodb: dataServiceArgs(c, "mongodb"),
        mongodbHostPath: c["aiAppStore.mongodb.hostPath"],
        storage,
    };
}

/** The App Store's part of the settings table and the parser. */
export const AI_APP_STORE: PlatformSettings<AppStoreKey> = {
    enabled: "aiAppStore.enabled",
    title: "the AI App Store",
    needsIngress: true,
    needsStorage: true,
    settings: AI_APP_STORE_SETTINGS,
    formats: AI_APP_STORE_FORMATS,
    rule: aiAppStoreRule,
};
