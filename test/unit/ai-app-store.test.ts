// The AiAppStore component through the real composition (stacks/compose.ts) under mocks:
// Emissary, Knative or both (installed or present), every MongoDB mode, MinIO and S3,
// ingress-nginx installed or present, the backend's settings and RBAC, the frontend,
// the Ingress, ordering through dependsOn, outputs, mirror mode (with the objects the
// charts and manifests render simulated through the same transforms), invalid configs with
// their exact messages, and secrets kept out of plain inputs and outputs.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import {
    APP, backendRbacRules, contractNames, EMISSARY, KNATIVE, KNATIVE_IMAGE_FIELDS, manifestTransform, splitImage,
} from "../../components/platforms/ai-app-store";
import { INGRESS_NGINX } from "../../components/ingress";
import { ImageField, relocateImage, rewriteImageFields } from "../../components/registry";
import { ConfigError, loadConfig } from "../../stacks/config";
import { composeStack, InstallTransform } from "../../stacks/compose";
import { SETTINGS } from "../../stacks/settings";
import {
    byType, configProblems, MOCK_SECRETS, one, plainTextLeaks, Registered, runStack, StackRun, stackFileConfig, tempKubeconfig, unsecret, MIRROR_BY_TAG,
} from "./harness";

const KUBECONFIG = tempKubeconfig();
const NS = "ai-appstore";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const STATEFULSET = "kubernetes:apps/v1:StatefulSet";
const SECRET = "kubernetes:core/v1:Secret";
const SERVICE = "kubernetes:core/v1:Service";
const SA = "kubernetes:core/v1:ServiceAccount";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const CHART = "kubernetes:helm.sh/v4:Chart";
const CONFIGFILE = "kubernetes:yaml/v2:ConfigFile";
const CLUSTERROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const ROLEBINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
const LISTENER = "kubernetes:getambassador.io/v3alpha1:Listener";
const HOST = "kubernetes:getambassador.io/v3alpha1:Host";
const PV = "kubernetes:core/v1:PersistentVolume";
const STORAGECLASS = "kubernetes:storage.k8s.io/v1:StorageClass";

const BACKEND_IMAGE = "registry.example.com/ai-appstore/aas-backend:1.0.11";
const FRONTEND_IMAGE = "registry.example.com/ai-appstore/aas-frontend:1.0.11";

/** The smallest valid stack with the App Store on: Emissary by chart, embedded MongoDB, MinIO. */
const BASE: Record<string, string> = {
    "cluster.kubeconfig": KUBECONFIG,
    "ingress.controller": "present",
    "storage.kind": "minio",
    "storage.bucket": "model-zoo",
    "storage.minio.ingressHost": "storage.appstore.example.com",
    "aiAppStore.enabled": "true",
    "aiAppStore.appVersion": "1.0.11",
    "aiAppStore.inferenceDomain": "models.appstore.example.com",
    "aiAppStore.webHost": "web.appstore.example.com",
    "aiAppStore.apiHost": "api.appstore.example.com",
    "aiAppStore.backend.image": BACKEND_IMAGE,
    "aiAppStore.frontend.image": FRONTEND_IMAGE,
};

async function stack(config: Record<string, string>, secretKeys: string[] = []): Promise<StackRun> {
    const run = await runStack({ ...BASE, ...config }, secretKeys);
    if (run.error) throw run.error;
    return run;
}

const inNs = (run: StackRun, type: string, ns = NS) => byType(run, type).filter((r) => r.inputs?.metadata?.namespace === ns);
const podOf = (r: Registered) => r.inputs.spec.template.spec;
const containerOf = (r: Registered) => podOf(r).containers[0];
const envOf = (c: any): Record<string, any> => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const ref = (name: string, key: string) => ({ secretKeyRef: { name, key } });
const nsNames = (run: StackRun) => byType(run, NAMESPACE).map((n) => n.inputs.metadata.name).sort();
const randomSecrets = (run: StackRun) => byType(run, "random:index/randomPassword:RandomPassword").map((r) => MOCK_SECRETS.randomPassword(r.name));

describe("AI App Store: defaults (Emissary by chart, embedded MongoDB, MinIO)", function () {
    this.timeout(30_000);
    let run: StackRun;
    before(async () => { run = await stack({}); });

    it("creates its namespaces and Emissary's, each with the standard labels", () => {
        assert.deepStrictEqual(nsNames(run), ["ai-appstore", "emissary", "emissary-system", "inference-engine", "mlplat-storage"]);
        assert.deepStrictEqual(run.outputs.namespaces, ["mlplat-storage", "ai-appstore", "inference-engine", "emissary-system", "emissary"]);
        const ns = one(run, NAMESPACE, NS);
        assert.strictEqual(ns.inputs.metadata.labels["app.kubernetes.io/part-of"], "ai-appstore");
        assert.strictEqual(one(run, NAMESPACE, "emissary").inputs.metadata.labels["app.kubernetes.io/part-of"], "emissary");
        assert.strictEqual(one(run, "mlplat:platforms:AiAppStore").name, "appstore");
    });

    it("installs Emissary's CRDs manifest strictly before the pinned emissary-ingress chart, then the Listener and Host", () => {
        const crds = one(run, CONFIGFILE, "appstore-emissary-crds");
        assert.strictEqual(crds.inputs.file, "https://app.getambassador.io/yaml/emissary/3.4.0/emissary-crds.yaml");
        assert.deepStrictEqual(crds.dependsOn, ["appstore-emissary-system-ns"], "the apiext namespace (with its pull secret) first");
        const chart = one(run, CHART, "appstore-emissary");
        assert.deepStrictEqual([chart.inputs.chart, chart.inputs.version, chart.inputs.repositoryOpts], ["emissary-ingress", "8.4.0", { repo: "https://app.getambassador.io" }]);
        assert.strictEqual(chart.inputs.name, "emissary-ingress");
        assert.strictEqual(chart.inputs.namespace, "emissary");
        assert.deepStrictEqual(chart.dependsOn, ["appstore-emissary-crds", "appstore-emissary-ns"], "CRDs strictly before the chart");
        assert.deepStrictEqual(chart.inputs.values, {
            image: { repository: "docker.io/emissaryingress/emissary", tag: "3.4.0" },
            agent: { enabled: true, image: { repository: "docker.io/ambassador/ambassador-agent", tag: "1.0.3" }, reportDiagnostics: false },
            createDefaultListeners: false,
            service: { type: "LoadBalancer" },
        });
        const listener = one(run, LISTENER, APP.listener);
        assert.strictEqual(listener.inputs.metadata.namespace, "emissary");
        assert.deepStrictEqual(listener.inputs.spec, { port: 8080, protocol: "HTTP", securityModel: "XFP", hostBinding: { namespace: { from: "ALL" } } });
        assert.deepStrictEqual(listener.dependsOn, ["appstore-emissary"]);
        const host = one(run, HOST, APP.host);
        assert.deepStrictEqual(host.inputs.spec, { hostname: "*", acmeProvider: { authority: "none" }, requestPolicy: { insecure: { action: "Route" } } });
        assert.deepStrictEqual(host.dependsOn, ["appstore-emissary"]);
        assert.strictEqual(host.inputs.apiVersion, "getambassador.io/v3alpha1");
        assert.strictEqual(byType(run, CONFIGFILE).length, 1, "no Knative");
    });

    it("creates an embedded MongoDB in its namespace; the backend gets the service user only", () => {
        const sts = one(run, STATEFULSET, "mongodb");
        assert.strictEqual(sts.inputs.metadata.namespace, NS);
        assert.strictEqual(containerOf(sts).image, "mongo:7.0.26");
        const creds = one(run, SECRET, "mongodb-credentials");
        assert.strictEqual(creds.inputs.metadata.namespace, NS);
        assert.match(unsecret(creds.inputs.stringData).uri, /^mongodb:\/\/appstore:.*@mongodb\.ai-appstore\.svc\.cluster\.local:27017\/appstore\?authSource=appstore$/);
        assert.strictEqual(byType(run, PV).length + byType(run, STORAGECLASS).length, 0, "the cluster provisions volumes");
        assert.strictEqual(run.outputs.aiAppStore.mongodb, "embedded");
    });

    it("sets every setting the 1.0 line reads on the backend, secrets only through secretKeyRef", () => {
        const d = one(run, DEPLOYMENT, APP.backend);
        const c = containerOf(d);
        const env = envOf(c);
        // ClearML's keys are not configured here; the full contract: ai-app-store-upstream.test.ts.
        assert.deepStrictEqual(Object.keys(env).sort(), [...contractNames("1.0", "backend").filter((n) => !["CLEARML_API_ACCESS_KEY", "CLEARML_API_SECRET_KEY"].includes(n)), "HOME"].sort());
        assert.deepStrictEqual({
            ENV_STATE: env.ENV_STATE, PROD_FRONTEND_HOST: env.PROD_FRONTEND_HOST, PROD_SECURE_COOKIES: env.PROD_SECURE_COOKIES,
            PROD_ALGORITHM: env.PROD_ALGORITHM, PROD_IE_NAMESPACE: env.PROD_IE_NAMESPACE, PROD_IE_SERVICE_TYPE: env.PROD_IE_SERVICE_TYPE,
            PROD_IE_DEFAULT_PROTOCOL: env.PROD_IE_DEFAULT_PROTOCOL, PROD_IE_DOMAIN: env.PROD_IE_DOMAIN, PROD_MINIO_DSN: env.PROD_MINIO_DSN, PROD_MINIO_BUCKET_NAME: env.PROD_MINIO_BUCKET_NAME,
            PROD_MINIO_TLS: env.PROD_MINIO_TLS, PROD_MINIO_API_HOST: env.PROD_MINIO_API_HOST, PROD_FIRST_SUPERUSER_ID: env.PROD_FIRST_SUPERUSER_ID,
            PROD_MAX_UPLOAD_SIZE_GB: env.PROD_MAX_UPLOAD_SIZE_GB, CLEARML_WEB_HOST: env.CLEARML_WEB_HOST, CLEARML_API_HOST: env.CLEARML_API_HOST,
            CLEARML_FILES_HOST: env.CLEARML_FILES_HOST,
        }, {
            ENV_STATE: "prod", PROD_FRONTEND_HOST: `["http://web.appstore.example.com"]`, PROD_SECURE_COOKIES: "false",
            PROD_ALGORITHM: "HS256", PROD_IE_NAMESPACE: "inference-engine", PROD_IE_SERVICE_TYPE: "emissary",
            PROD_IE_DEFAULT_PROTOCOL: "http", PROD_IE_DOMAIN: "models.appstore.example.com", PROD_MINIO_DSN: "minio.mlplat-storage.svc.cluster.local:9000", PROD_MINIO_BUCKET_NAME: "model-zoo",
            // With its scheme: the backend swaps it into presigned URLs after dropping theirs.
            PROD_MINIO_TLS: "False", PROD_MINIO_API_HOST: "http://storage.appstore.example.com", PROD_FIRST_SUPERUSER_ID: "admin",
            PROD_MAX_UPLOAD_SIZE_GB: "10", CLEARML_WEB_HOST: "https://app.clear.ml", CLEARML_API_HOST: "https://api.clear.ml",
            CLEARML_FILES_HOST: "https://files.clear.ml",
        });
        assert.deepStrictEqual({
            PROD_SECRET_KEY: env.PROD_SECRET_KEY, PROD_FIRST_SUPERUSER_PASSWORD: env.PROD_FIRST_SUPERUSER_PASSWORD,
            PROD_MONGO_DSN: env.PROD_MONGO_DSN, PROD_DB_NAME: env.PROD_DB_NAME, PROD_MONGO_USERNAME: env.PROD_MONGO_USERNAME, PROD_MONGO_PASSWORD: env.PROD_MONGO_PASSWORD,
            PROD_MINIO_API_ACCESS_KEY: env.PROD_MINIO_API_ACCESS_KEY, PROD_MINIO_API_SECRET_KEY: env.PROD_MINIO_API_SECRET_KEY,
        }, {
            PROD_SECRET_KEY: ref("aas-backend", "jwt-secret"),
            PROD_FIRST_SUPERUSER_PASSWORD: ref("aas-backend", "superuser-password"),
            PROD_MONGO_DSN: ref("mongodb-credentials", "uri"), PROD_DB_NAME: ref("mongodb-credentials", "database"),
            PROD_MONGO_USERNAME: ref("mongodb-credentials", "username"), PROD_MONGO_PASSWORD: ref("mongodb-credentials", "password"),
            PROD_MINIO_API_ACCESS_KEY: ref("minio-service-user", "accessKey"), PROD_MINIO_API_SECRET_KEY: ref("minio-service-user", "secretKey"),
        });
        // (PROD_MINIO_DSN is the in-cluster endpoint, host:port; PROD_MONGO_DSN holds credentials.)
        for (const e of c.env) assert.ok(e.valueFrom?.secretKeyRef || !/SECRET|PASSWORD|KEY|MONGO_DSN/.test(e.name), `${e.name} must come from a Secret`);
        const secret = one(run, SECRET, APP.backendSecret);
        assert.strictEqual(secret.inputs.metadata.namespace, NS);
        assert.deepStrictEqual(Object.keys(unsecret(secret.inputs.stringData)).sort(), ["jwt-secret", "superuser-password"]);
    });

    it("runs the backend with its own ServiceAccount token, the secure defaults and room for uploads", () => {
        const d = one(run, DEPLOYMENT, APP.backend);
        const pod = podOf(d);
        const c = pod.containers[0];
        assert.strictEqual(c.image, BACKEND_IMAGE);
        assert.deepStrictEqual(c.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
        assert.deepStrictEqual(c.readinessProbe.httpGet, { path: "/", port: "http" });
        // Liveness never asks the app (whose `/` may wait on MongoDB): the port only; a startup probe for the first start.
        assert.deepStrictEqual([c.livenessProbe.httpGet, c.livenessProbe.tcpSocket], [undefined, { port: "http" }]);
        assert.deepStrictEqual([c.startupProbe.tcpSocket, c.startupProbe.periodSeconds * c.startupProbe.failureThreshold], [{ port: "http" }, 300]);
        assert.strictEqual(c.securityContext.runAsGroup, 1000);
        assert.strictEqual(pod.serviceAccountName, APP.backend);
        assert.strictEqual(pod.automountServiceAccountToken, true, "the backend manages inference services");
        assert.strictEqual(one(run, SA, APP.backend).inputs.automountServiceAccountToken, false);
        assert.strictEqual(c.securityContext.runAsUser, 1000);
        assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true);
        assert.deepStrictEqual(pod.volumes, [{ name: "tmp", emptyDir: { sizeLimit: "11Gi" } }]);
        assert.strictEqual(c.resources.limits["ephemeral-storage"], "12Gi");
        assert.strictEqual(pod.enableServiceLinks, false);
        assert.deepStrictEqual(d.dependsOn, ["appstore-mongodb-server", "appstore-mongodb-service", "appstore-mongodb-headless", "minio",
            "appstore-inference-manager"]);
        assert.deepStrictEqual(one(run, SERVICE, APP.backend).inputs.spec.ports, [{ name: "http", port: 8080, targetPort: "http" }]);
    });

    it("binds the backend's exact upstream calls (with Emissary's mappings) in inference-engine only, and reads no gateway", () => {
        const role = one(run, CLUSTERROLE, "ai-appstore-inference-engine-manager");
        assert.deepStrictEqual(role.inputs.rules, backendRbacRules(["emissary"]));
        const subject = [{ kind: "ServiceAccount", name: APP.backend, namespace: NS }];
        const binding = one(run, ROLEBINDING, "appstore-inference-manager");
        assert.strictEqual(binding.inputs.metadata.namespace, "inference-engine");
        assert.deepStrictEqual(binding.inputs.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "ai-appstore-inference-engine-manager" });
        assert.deepStrictEqual(binding.inputs.subjects, subject);
        // PROD_IE_DOMAIN is set: the backend never reads the gateway's Service.
        assert.strictEqual(byType(run, ROLE).length, 0);
        assert.strictEqual(byType(run, ROLEBINDING).length, 1);
    });

    it("runs the frontend on a read-only root with its assets copied to an emptyDir, the backend URL derived from the API host", () => {
        const d = one(run, DEPLOYMENT, APP.frontend);
        const pod = podOf(d);
        const c = pod.containers[0];
        assert.strictEqual(c.image, FRONTEND_IMAGE);
        // The 1.0 line's frontend reads only the backend's URL (front-end/entrypoint.sh).
        assert.deepStrictEqual(envOf(c), { VUE_APP_BACKEND_URL: "http://api.appstore.example.com", HOME: "/tmp" });
        assert.deepStrictEqual(c.ports, [{ name: "http", containerPort: 8081, protocol: "TCP" }]);
        assert.deepStrictEqual(pod.initContainers.map((i: any) => [i.name, i.image, i.command]), [["copy-assets", FRONTEND_IMAGE, ["sh", "-c", "cp -R /app/dist/. /assets/"]]]);
        assert.ok(c.volumeMounts.some((m: any) => m.name === "assets" && m.mountPath === "/app/dist"));
        assert.strictEqual(pod.automountServiceAccountToken, false);
        assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true);
        assert.deepStrictEqual(one(run, SERVICE, APP.frontend).inputs.spec.ports, [{ name: "http", port: 80, targetPort: "http" }]);
    });

    it("routes the web and API hosts through one Ingress of the cluster's class, with the upload size", () => {
        const ing = one(run, INGRESS, "appstore-ingress");
        assert.strictEqual(ing.inputs.metadata.namespace, NS);
        assert.strictEqual(ing.inputs.spec.ingressClassName, "nginx");
        assert.deepStrictEqual(ing.inputs.metadata.annotations, { "nginx.ingress.kubernetes.io/proxy-body-size": "10240m" });
        const backend = (name: string) => ({ service: { name, port: { name: "http" } } });
        assert.deepStrictEqual(ing.inputs.spec.rules, [
            { host: "web.appstore.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: backend(APP.frontend) }] } },
            { host: "api.appstore.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: backend(APP.backend) }] } },
        ]);
        assert.strictEqual(ing.inputs.spec.tls, undefined);
        const storage = one(run, INGRESS, "minio-ingress");
        assert.strictEqual(storage.inputs.spec.rules[0].host, "storage.appstore.example.com");
        assert.strictEqual(storage.inputs.metadata.annotations["nginx.ingress.kubernetes.io/proxy-body-size"], "0");
    });

    it("admits traffic only to the frontend, the backend and (from the backend) MongoDB", () => {
        const spec = (name: string) => one(run, POLICY, name).inputs.spec;
        assert.deepStrictEqual(spec("ai-appstore-default-deny"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepStrictEqual(spec(APP.backend).ingress, [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: "TCP", port: 8080 }] }]);
        assert.deepStrictEqual(spec(APP.frontend).ingress, [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: "TCP", port: 8081 }] }]);
        assert.deepStrictEqual(spec("ai-appstore-mongodb-clients").ingress, [
            { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": APP.backend } } }], ports: [{ protocol: "TCP", port: 27017 }] },
            { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "mongodb" } } }] },
        ]);
    });

    it("exports the frontend, API and storage URLs and the first superuser, its password as a secret", () => {
        assert.deepStrictEqual(run.outputs.aiAppStore, {
            namespace: NS, inferenceNamespace: "inference-engine",
            frontendUrl: "http://web.appstore.example.com", apiUrl: "http://api.appstore.example.com",
            storageUrl: "http://storage.appstore.example.com", appVersion: "1.0.11", inferenceDomain: "models.appstore.example.com",
            superuserId: "admin", superuserPassword: MOCK_SECRETS.randomPassword("appstore-superuser-password"),
            engines: ["emissary"], serviceType: "emissary", mongodb: "embedded",
        });
        const serialized = (run.serializedOutputs as any).aiAppStore;
        assert.notDeepStrictEqual(unsecret(serialized.superuserPassword), serialized.superuserPassword, "the password output is a secret");
        assert.strictEqual(serialized.superuserId, "admin");
        assert.deepStrictEqual(run.outputs.images, [BACKEND_IMAGE, FRONTEND_IMAGE, "minio/mc:RELEASE.2025-04-16T18-13-26Z", "minio/minio:RELEASE.2025-04-22T22-12-26Z", "mongo:7.0.26"].sort());
    });

    it("keeps the generated passwords out of plain inputs and outputs", () => {
        const needles = randomSecrets(run);
        assert.ok(needles.includes(MOCK_SECRETS.randomPassword("appstore-jwt-secret")));
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), needles), []);
        assert.deepStrictEqual(plainTextLeaks(run.serializedOutputs, needles), []);
    });
});

describe("AI App Store: Knative only", function () {
    this.timeout(30_000);
    let run: StackRun;
    before(async () => { run = await stack({ "aiAppStore.engines": "knative" }); });

    it("installs Knative Serving's CRDs, then its core, then Kourier, into namespaces of the stack", () => {
        assert.deepStrictEqual(nsNames(run), ["ai-appstore", "inference-engine", "knative-serving", "kourier-system", "mlplat-storage"]);
        const files = byType(run, CONFIGFILE).map((f) => [f.name, f.inputs.file, f.dependsOn]);
        assert.deepStrictEqual(files, [
            ["appstore-knative-crds", "https://github.com/knative/serving/releases/download/knative-v1.8.3/serving-crds.yaml", ["appstore-knative-serving-ns"]],
            ["appstore-knative-core", "https://github.com/knative/serving/releases/download/knative-v1.8.3/serving-core.yaml", ["appstore-knative-crds", "appstore-knative-serving-ns"]],
            ["appstore-kourier", "https://github.com/knative/net-kourier/releases/download/knative-v1.8.1/kourier.yaml", ["appstore-knative-core", "appstore-kourier-system-ns"]],
        ]);
        assert.strictEqual(byType(run, CHART).length + byType(run, LISTENER).length, 0, "no Emissary");
    });

    it("closes Knative's namespaces but for the webhook, the gateway's listeners, and Knative, Kourier and the inference services between them", () => {
        const spec = (ns: string, name: string) => inNs(run, POLICY, ns).find((p) => p.inputs.metadata.name === name)!.inputs.spec;
        const namespaces = (rules: any[]) => rules.flatMap((r) => r.from ?? r.to ?? []).map((p: any) => p.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] ?? "itself");
        const open = (rules: any[]) => rules.filter((r) => !r.from).flatMap((r) => r.ports.map((p: any) => p.port));
        assert.deepStrictEqual(inNs(run, POLICY, "knative-serving").map((p) => p.inputs.metadata.name).sort(),
            ["knative-serving-allow-in", "knative-serving-allow-out", "knative-serving-default-deny", "knative-serving-dns"]);
        assert.deepStrictEqual(open(spec("knative-serving", "knative-serving-allow-in").ingress), [8443]);
        assert.deepStrictEqual(namespaces(spec("knative-serving", "knative-serving-allow-in").ingress), ["itself", "kourier-system"]);
        assert.deepStrictEqual(namespaces(spec("knative-serving", "knative-serving-allow-out").egress), ["itself", "kourier-system", "inference-engine"]);
        assert.deepStrictEqual(open(spec("kourier-system", "kourier-allow-in").ingress), [8080, 8443]);
        assert.deepStrictEqual(namespaces(spec("kourier-system", "kourier-allow-out").egress), ["itself", "knative-serving", "inference-engine"]);
        assert.strictEqual(inNs(run, POLICY, "emissary").length, 0, "no Emissary, no policies for it");
        // Knative 1.8.3's and net-kourier 1.8.1's pods all meet restricted: no lower level.
        const level = (name: string) => byType(run, NAMESPACE).find((n) => n.inputs.metadata.name === name)!.inputs.metadata.labels["pod-security.kubernetes.io/enforce"];
        assert.deepStrictEqual(["knative-serving", "kourier-system"].map(level), ["restricted", "restricted"]);
    });

    it("lets the backend manage Knative services, not Emissary's objects, and reads no gateway", () => {
        const rules = one(run, CLUSTERROLE).inputs.rules;
        assert.deepStrictEqual(rules, backendRbacRules(["knative"]));
        assert.deepStrictEqual(rules.at(-1), { apiGroups: ["serving.knative.dev"], resources: ["services"], verbs: ["get", "list", "create", "delete", "patch", "update"] });
        assert.strictEqual(byType(run, ROLE).length, 0);
        assert.strictEqual(envOf(containerOf(one(run, DEPLOYMENT, APP.backend))).PROD_IE_SERVICE_TYPE, "knative");
        assert.deepStrictEqual(run.outputs.aiAppStore.engines, ["knative"]);
    });
});

describe("AI App Store: both engines", function () {
    this.timeout(30_000);

    it("installs both, grants both, and creates services with Emissary unless told otherwise", async () => {
        const run = await stack({ "aiAppStore.engines": "both" });
        assert.deepStrictEqual(one(run, CLUSTERROLE).inputs.rules, backendRbacRules(["emissary", "knative"]));
        assert.strictEqual(byType(run, ROLE).length, 0);
        assert.strictEqual(byType(run, CONFIGFILE).length, 4);
        one(run, CHART, "appstore-emissary");
        assert.strictEqual(envOf(containerOf(one(run, DEPLOYMENT, APP.backend))).PROD_IE_SERVICE_TYPE, "emissary");
        assert.deepStrictEqual(run.outputs.aiAppStore.engines, ["emissary", "knative"]);
    });

    it("creates services with Knative when aiAppStore.serviceType says so", async () => {
        const run = await stack({ "aiAppStore.engines": "both", "aiAppStore.serviceType": "knative", "aiAppStore.protocol": "https" });
        const env = envOf(containerOf(one(run, DEPLOYMENT, APP.backend)));
        assert.deepStrictEqual([env.PROD_IE_SERVICE_TYPE, env.PROD_IE_DEFAULT_PROTOCOL], ["knative", "https"]);
    });

    it("installs nothing of engines declared present, and uses their namespaces", async () => {
        const run = await stack({ "aiAppStore.engines": "both", "aiAppStore.emissary.install": "false", "aiAppStore.knative.install": "false", "aiAppStore.emissary.namespace": "gateway" });
        assert.deepStrictEqual(byType(run, CHART).length + byType(run, CONFIGFILE).length, 0);
        assert.deepStrictEqual(nsNames(run), ["ai-appstore", "inference-engine", "mlplat-storage"]);
        assert.deepStrictEqual([one(run, LISTENER).inputs.metadata.namespace, one(run, LISTENER).dependsOn], ["gateway", []]);
        // A non-default Emissary namespace is fine: with PROD_IE_DOMAIN the backend never reads the
        // gateway Service it would otherwise look up in the hard-coded `emissary` namespace.
        assert.strictEqual(byType(run, ROLE).length, 0);
        assert.strictEqual(envOf(containerOf(one(run, DEPLOYMENT, APP.backend))).PROD_IE_DOMAIN, "models.appstore.example.com");
    });
});

describe("AI App Store: MongoDB modes and storage", function () {
    this.timeout(30_000);
    // One host, scheme mongodb: what the backend's settings type (pydantic's MongoDsn) parses.
    const EXTERNAL_URI = "mongodb://appstore:mongo-secret-4e1a@mongo.example.com:27018/appstore?retryWrites=true";

    it("chart: the pinned Bitnami chart in the App Store's namespace, credentials by reference", async () => {
        const run = await stack({ "data.mongodb.mode": "chart" });
        const chart = one(run, CHART, "appstore-mongodb-chart");
        assert.deepStrictEqual([chart.inputs.chart, chart.inputs.version, chart.inputs.namespace], ["oci://registry-1.docker.io/bitnamicharts/mongodb", "15.6.26", NS]);
        assert.strictEqual(chart.inputs.values.auth.existingSecret, "mongodb-auth");
        assert.deepStrictEqual([chart.inputs.values.auth.usernames, chart.inputs.values.auth.databases], [["appstore"], ["appstore"]]);
        assert.ok(one(run, DEPLOYMENT, APP.backend).dependsOn!.includes("appstore-mongodb-chart"));
        assert.strictEqual(run.outputs.aiAppStore.mongodb, "chart");
        one(run, POLICY, "ai-appstore-mongodb-clients");
    });

    it("external: no server, the given URI in the connection Secret only, no MongoDB policy", async () => {
        const run = await stack({ "data.mongodb.mode": "external", "data.mongodb.external.uri": EXTERNAL_URI }, ["data.mongodb.external.uri"]);
        assert.strictEqual(byType(run, STATEFULSET).length, 0);
        assert.strictEqual(unsecret(one(run, SECRET, "mongodb-credentials").inputs.stringData).uri, EXTERNAL_URI);
        assert.deepStrictEqual(envOf(containerOf(one(run, DEPLOYMENT, APP.backend))).PROD_MONGO_DSN, ref("mongodb-credentials", "uri"));
        assert.strictEqual(byType(run, POLICY).filter((p) => p.inputs.metadata.name === "ai-appstore-mongodb-clients").length, 0);
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), [EXTERNAL_URI, "mongo-secret-4e1a"]), []);
        assert.deepStrictEqual(plainTextLeaks(run.serializedOutputs, [EXTERNAL_URI, "mongo-secret-4e1a"]), []);
    });

    it("without a dynamic provisioner: the guide's hostPath PersistentVolume and StorageClass aas-mongodb", async () => {
        const run = await stack({ "cluster.defaultStorageClass": "false", "aiAppStore.mongodb.hostPath": "/srv/aas-mongodb", "data.mongodb.size": "20Gi" });
        const sc = one(run, STORAGECLASS, "aas-mongodb");
        assert.deepStrictEqual([sc.inputs.provisioner, sc.inputs.volumeBindingMode, sc.inputs.reclaimPolicy], ["kubernetes.io/no-provisioner", "WaitForFirstConsumer", "Retain"]);
        const pv = one(run, PV, "aas-mongodb-pv");
        assert.deepStrictEqual(pv.inputs.spec, {
            storageClassName: "aas-mongodb", capacity: { storage: "20Gi" }, accessModes: ["ReadWriteOnce"], volumeMode: "Filesystem",
            persistentVolumeReclaimPolicy: "Retain", hostPath: { path: "/srv/aas-mongodb", type: "DirectoryOrCreate" },
        });
        assert.deepStrictEqual(pv.dependsOn, ["appstore-mongodb-storage-class"]);
        const sts = one(run, STATEFULSET, "mongodb");
        assert.strictEqual(sts.inputs.spec.volumeClaimTemplates[0].spec.storageClassName, "aas-mongodb");
        assert.deepStrictEqual(one(run, "mlplat:data:MongoDB").dependsOn, ["appstore-mongodb-storage-class", "appstore-mongodb-volume"]);
    });

    it("without a dynamic provisioner but with a named class: the volume in that class, no StorageClass", async () => {
        const run = await stack({ "cluster.defaultStorageClass": "false", "data.mongodb.storageClass": "manual" });
        assert.strictEqual(byType(run, STORAGECLASS).length, 0);
        assert.strictEqual(one(run, PV).inputs.spec.storageClassName, "manual");
        assert.strictEqual(one(run, STATEFULSET, "mongodb").inputs.spec.volumeClaimTemplates[0].spec.storageClassName, "manual");
    });

    it("S3: the bucket user's Secret in the App Store's namespace, TLS, the S3 endpoint for presigned URLs", async () => {
        const run = await stack({ "storage.kind": "s3", "storage.minio.ingressHost": "", "storage.s3.region": "eu-west-1", "aws:region": "eu-west-1" });
        const env = envOf(containerOf(one(run, DEPLOYMENT, APP.backend)));
        assert.deepStrictEqual([env.PROD_MINIO_DSN, env.PROD_MINIO_TLS, env.PROD_MINIO_API_HOST, env.PROD_MINIO_BUCKET_NAME],
            ["s3.eu-west-1.amazonaws.com", "True", "https://s3.eu-west-1.amazonaws.com", "model-zoo"]);
        assert.deepStrictEqual(env.PROD_MINIO_API_SECRET_KEY, ref("s3-bucket-user", "secretKey"));
        assert.deepStrictEqual(byType(run, SECRET).filter((s) => s.inputs.metadata.name === "s3-bucket-user").map((s) => s.inputs.metadata.namespace).sort(), [NS, "mlplat-storage"]);
        assert.strictEqual(run.outputs.aiAppStore.storageUrl, "https://s3.eu-west-1.amazonaws.com");
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), [MOCK_SECRETS.awsSecretKey]), []);
    });
});

describe("AI App Store: ingress-nginx", function () {
    this.timeout(30_000);

    it("installs the pinned ingress-nginx chart serving ingress.className, admission webhook off", async () => {
        const run = await stack({ "ingress.controller": "install", "ingress.className": "appstore-nginx" });
        const chart = one(run, CHART, "ingress-nginx-chart");
        assert.deepStrictEqual([chart.inputs.chart, chart.inputs.version, chart.inputs.repositoryOpts, chart.inputs.namespace, chart.inputs.name],
            ["ingress-nginx", INGRESS_NGINX.chartVersion, { repo: "https://kubernetes.github.io/ingress-nginx" }, "ingress-nginx", "ingress-nginx"]);
        assert.deepStrictEqual(chart.inputs.values.controller, {
            ingressClass: "appstore-nginx",
            ingressClassResource: { name: "appstore-nginx", enabled: true, default: false, controllerValue: "k8s.io/ingress-nginx" },
            service: { type: "LoadBalancer" },
            admissionWebhooks: { enabled: false },
        });
        one(run, NAMESPACE, "ingress-nginx");
        for (const ing of byType(run, INGRESS)) assert.strictEqual(ing.inputs.spec.ingressClassName, "appstore-nginx", ing.name);
    });

    it("uses a controller already present, installing nothing", async () => {
        const run = await stack({});
        assert.strictEqual(byType(run, CHART).filter((c) => c.inputs.chart === "ingress-nginx").length, 0);
        assert.ok(!nsNames(run).includes("ingress-nginx"));
    });

    it("makes the gateways NodePort Services on a cluster without LoadBalancers", async () => {
        const run = await stack({ "ingress.controller": "install", "cluster.kind": "existing", "cluster.loadBalancer": "false" });
        assert.strictEqual(one(run, CHART, "ingress-nginx-chart").inputs.values.controller.service.type, "NodePort");
        assert.deepStrictEqual(one(run, CHART, "appstore-emissary").inputs.values.service, { type: "NodePort" });
    });
});

describe("AI App Store: every option", function () {
    this.timeout(30_000);
    let run: StackRun;
    let caFile: string;
    const CA = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
    const SECRETS = {
        "aiAppStore.jwtSecret": "unit-jwt-secret-0a8f3c",
        "aiAppStore.superuser.password": "unit-superuser-password-7b2e",
        "aiAppStore.clearml.accessKey": "unit-clearml-access-5d1c",
        "aiAppStore.clearml.secretKey": "unit-clearml-secret-9e4f",
    };
    before(async () => {
        caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-ca-")), "clearml-ca.pem");
        fs.writeFileSync(caFile, CA);
        run = await stack({
            ...SECRETS,
            "labels.extra": `["team=ml"]`,
            "aiAppStore.namespace": "model-zoo",
            "aiAppStore.inferenceNamespace": "model-serving",
            "aiAppStore.tls.clusterIssuer": "letsencrypt",
            "aiAppStore.corsOrigins": `["https://web.appstore.example.com","https://portal.example.com"]`,
            "aiAppStore.secureCookies": "auto",
            "aiAppStore.maxUploadSizeGb": "20",
            "aiAppStore.jwtAlgorithm": "HS512",
            "aiAppStore.superuser.id": "root",
            "aiAppStore.clearml.webHost": "https://clearml.corp.example",
            "aiAppStore.clearml.apiHost": "https://api.clearml.corp.example",
            "aiAppStore.clearml.filesHost": "https://files.clearml.corp.example",
            "aiAppStore.clearml.caCertFile": caFile,
            "aiAppStore.backend.replicas": "2",
            "aiAppStore.frontend.replicas": "3",
            "aiAppStore.emissary.namespace": "gateway",
            "aiAppStore.emissary.chartVersion": "8.4.1",
            "aiAppStore.emissary.image": "docker.io/emissaryingress/emissary:3.4.1",
            "aiAppStore.emissary.agentImage": "docker.io/ambassador/ambassador-agent:1.0.4",
            "aiAppStore.emissary.crdsManifest": "/srv/manifests/emissary-crds.yaml",
        }, Object.keys(SECRETS));
    });

    it("uses the configured namespaces, replicas, hosts, TLS and upload size", () => {
        assert.deepStrictEqual(nsNames(run), ["emissary-system", "gateway", "mlplat-storage", "model-serving", "model-zoo"]);
        assert.strictEqual(one(run, NAMESPACE, "model-zoo").inputs.metadata.labels.team, "ml");
        assert.deepStrictEqual([one(run, DEPLOYMENT, APP.backend).inputs.spec.replicas, one(run, DEPLOYMENT, APP.frontend).inputs.spec.replicas], [2, 3]);
        const ing = one(run, INGRESS, "appstore-ingress");
        assert.deepStrictEqual(ing.inputs.spec.tls, [{ hosts: ["web.appstore.example.com", "api.appstore.example.com"], secretName: "ai-appstore-tls" }]);
        assert.deepStrictEqual(ing.inputs.metadata.annotations, { "nginx.ingress.kubernetes.io/proxy-body-size": "20480m", "cert-manager.io/cluster-issuer": "letsencrypt" });
        assert.deepStrictEqual([run.outputs.aiAppStore.frontendUrl, run.outputs.aiAppStore.apiUrl], ["https://web.appstore.example.com", "https://api.appstore.example.com"]);
        assert.strictEqual(envOf(containerOf(one(run, DEPLOYMENT, APP.frontend))).VUE_APP_BACKEND_URL, "https://api.appstore.example.com");
        assert.strictEqual(one(run, CLUSTERROLE).inputs.metadata.name, "model-zoo-inference-engine-manager");
    });

    it("passes every ClearML and JWT setting, secrets through the backend's Secret", () => {
        const env = envOf(containerOf(one(run, DEPLOYMENT, APP.backend)));
        for (const name of contractNames("1.0", "backend")) assert.ok(name in env, name);
        assert.deepStrictEqual([env.PROD_FRONTEND_HOST, env.PROD_SECURE_COOKIES, env.PROD_ALGORITHM, env.PROD_FIRST_SUPERUSER_ID, env.PROD_MAX_UPLOAD_SIZE_GB, env.PROD_IE_NAMESPACE],
            [`["https://web.appstore.example.com","https://portal.example.com"]`, "true", "HS512", "root", "20", "model-serving"]);
        assert.deepStrictEqual([env.CLEARML_WEB_HOST, env.CLEARML_API_HOST, env.CLEARML_FILES_HOST],
            ["https://clearml.corp.example", "https://api.clearml.corp.example", "https://files.clearml.corp.example"]);
        assert.deepStrictEqual([env.CLEARML_API_ACCESS_KEY, env.CLEARML_API_SECRET_KEY, env.CLEARML_API_SECRET],
            [ref("aas-backend", "clearml-access-key"), ref("aas-backend", "clearml-secret-key"), undefined]);
        const data = unsecret(one(run, SECRET, APP.backendSecret).inputs.stringData);
        assert.deepStrictEqual([data["jwt-secret"], data["superuser-password"], data["clearml-access-key"], data["clearml-secret-key"]], Object.values(SECRETS));
        assert.ok(!byType(run, "random:index/randomPassword:RandomPassword").some((r) => /jwt-secret$|superuser-password$/.test(r.name) && !r.name.includes("admin")),
            "no generated JWT key or superuser password when given");
        assert.strictEqual(run.outputs.aiAppStore.superuserPassword, SECRETS["aiAppStore.superuser.password"]);
    });

    it("adds the self-hosted ClearML's CA to the backend's CA bundle and rolls the pods when it changes", () => {
        const cm = one(run, CONFIGMAP, APP.caConfigMap);
        assert.strictEqual(cm.inputs.data["ca.crt"], CA);
        const d = one(run, DEPLOYMENT, APP.backend);
        const pod = podOf(d);
        assert.deepStrictEqual(pod.initContainers.map((c: any) => [c.name, c.image, c.command[2]]),
            [["ca-bundle", BACKEND_IMAGE, "cat /etc/ssl/certs/ca-certificates.crt /clearml-ca/ca.crt > /ca-bundle/ca-bundle.crt"]]);
        const env = envOf(pod.containers[0]);
        assert.deepStrictEqual([env.REQUESTS_CA_BUNDLE, env.SSL_CERT_FILE], ["/etc/ssl/aas/ca-bundle.crt", "/etc/ssl/aas/ca-bundle.crt"]);
        assert.match(d.inputs.spec.template.metadata.annotations["checksum/clearml-ca"], /^[0-9a-f]{64}$/);
    });

    it("installs the configured Emissary: chart version, images, CRDs manifest", () => {
        const chart = one(run, CHART, "appstore-emissary");
        assert.deepStrictEqual([chart.inputs.version, chart.inputs.namespace, chart.inputs.values.image, chart.inputs.values.agent.image],
            ["8.4.1", "gateway", { repository: "docker.io/emissaryingress/emissary", tag: "3.4.1" }, { repository: "docker.io/ambassador/ambassador-agent", tag: "1.0.4" }]);
        assert.strictEqual(one(run, CONFIGFILE).inputs.file, "/srv/manifests/emissary-crds.yaml");
        assert.strictEqual(one(run, LISTENER).inputs.metadata.namespace, "gateway");
    });

    it("keeps every configured secret out of plain inputs and outputs", () => {
        const needles = [...Object.values(SECRETS), ...randomSecrets(run)];
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), needles), []);
        assert.deepStrictEqual(plainTextLeaks(run.serializedOutputs, needles), []);
    });
});

// ---------------------------------------------------------------- mirror mode
//
// Charts and manifests render inside the provider, so under mocks their objects never
// appear. The run below registers objects shaped like those they render (the images and
// fields that matter, made-up digests) right after the composition, through the same
// stack-wide transforms index.ts installs engine-side: the registry's and the App Store's.

const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const KNATIVE_QUEUE = `gcr.io/knative-releases/knative.dev/serving/cmd/queue@${digest(1)}`;
const RENDERED: any[] = parse(`
- {apiVersion: v1, kind: Namespace, metadata: {name: knative-serving, labels: {app.kubernetes.io/name: knative-serving, app.kubernetes.io/version: "1.8.3"}}}
- {apiVersion: v1, kind: Namespace, metadata: {name: kourier-system, labels: {networking.knative.dev/ingress-provider: kourier}}}
- {apiVersion: v1, kind: Namespace, metadata: {name: emissary-system, labels: {app.kubernetes.io/name: emissary-apiext}}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: config-deployment, namespace: knative-serving}, data: {queue-sidecar-image: "${KNATIVE_QUEUE}", progress-deadline: 600s}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: config-deployment, namespace: another-app}, data: {queue-sidecar-image: "example.com/not/knative:1.0"}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: config-network, namespace: knative-serving}, data: {}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: config-domain, namespace: knative-serving}, data: {}}
- {apiVersion: caching.internal.knative.dev/v1alpha1, kind: Image, metadata: {name: queue-proxy, namespace: knative-serving}, spec: {image: "${KNATIVE_QUEUE}"}}
- {apiVersion: apps/v1, kind: Deployment, metadata: {name: activator, namespace: knative-serving}, spec: {template: {spec: {containers: [{name: activator, image: "gcr.io/knative-releases/knative.dev/serving/cmd/activator@${digest(2)}"}]}}}}
- {apiVersion: apps/v1, kind: Deployment, metadata: {name: 3scale-kourier-gateway, namespace: kourier-system}, spec: {template: {spec: {containers: [{name: kourier-gateway, image: "docker.io/envoyproxy/envoy:v1.23-latest@${digest(3)}"}]}}}}
- {apiVersion: v1, kind: Service, metadata: {name: kourier, namespace: kourier-system}, spec: {type: LoadBalancer, ports: [{name: http2, port: 80}]}}
- {apiVersion: apps/v1, kind: Deployment, metadata: {name: emissary-apiext, namespace: emissary-system}, spec: {template: {spec: {containers: [{name: emissary-apiext, image: "docker.io/emissaryingress/emissary:3.4.0"}]}}}}
- {apiVersion: apps/v1, kind: Deployment, metadata: {name: emissary-ingress, namespace: emissary}, spec: {template: {spec: {containers: [{name: emissary-ingress, image: "docker.io/emissaryingress/emissary:3.4.0"}]}}}}
- {apiVersion: apps/v1, kind: Deployment, metadata: {name: emissary-ingress-agent, namespace: emissary}, spec: {template: {spec: {containers: [{name: agent, image: "docker.io/ambassador/ambassador-agent:1.0.3"}]}}}}
- {apiVersion: apps/v1, kind: Deployment, metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}, spec: {template: {spec: {containers: [{name: controller, image: "registry.k8s.io/ingress-nginx/controller:v1.12.1@${digest(4)}"}]}}}}
`);

/** Registers `objs` as the provider registers rendered objects: typed resources through the stack transforms. */
function render(objs: any[]): void {
    objs.forEach((o, i) => {
        const name = `rendered-${i}-${o.metadata.name}`;
        const args = { ...o };
        if (o.kind === "Namespace") new k8s.core.v1.Namespace(name, args);
        else if (o.kind === "ConfigMap") new k8s.core.v1.ConfigMap(name, args);
        else if (o.kind === "Service") new k8s.core.v1.Service(name, args);
        else if (o.kind === "Deployment") new k8s.apps.v1.Deployment(name, args);
        else new k8s.apiextensions.CustomResource(name, args);
    });
}

/** runStack with the rendered objects registered after the composition (same mocks, same in-process transforms). */
async function runRendered(config: Record<string, string>, secretKeys: string[], objs: any[]): Promise<StackRun> {
    const resources: Registered[] = [];
    pulumi.runtime.setMocks({
        newResource: (a) => {
            resources.push({ type: a.type, name: a.name, inputs: a.inputs });
            const state = a.type === "random:index/randomPassword:RandomPassword" ? { ...a.inputs, result: MOCK_SECRETS.randomPassword(a.name) } : a.inputs;
            return { id: `${a.name}-id`, state };
        },
        call: (a) => a.inputs,
    }, "mlplat", "unit", false);
    const full = (k: string) => (k.includes(":") ? k : `mlplat:${k}`);
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [full(k), v])), secretKeys.map(full));
    const inProcess: InstallTransform = (transform) => pulumi.runtime.registerStackTransformation((args) => {
        const props = transform({ type: args.type, props: args.props as Record<string, unknown> });
        return props ? { props, opts: args.opts } : undefined;
    });
    const outputs = await pulumi.runtime.runInPulumiStack(async () => {
        const out = composeStack(loadConfig(), inProcess);
        render(objs);
        return out;
    });
    return { resources, outputs, serializedOutputs: undefined };
}

describe("AI App Store: air-gapped (mirror registry)", function () {
    this.timeout(30_000);
    const MIRROR_PASSWORD = "unit-mirror-password-3c9d";
    const config = {
        ...BASE,
        ...MIRROR_BY_TAG, "registry.mode": "mirror", "registry.mirror.host": "registry.corp:5000", "registry.mirror.pathPrefix": "mlplat",
        "registry.mirror.username": "puller", "registry.mirror.password": MIRROR_PASSWORD,
        "registry.chartMirror": "oci://registry.corp:5000/charts",
        "ingress.controller": "install",
        "cluster.kind": "existing", "cluster.loadBalancer": "false",
        "data.mongodb.mode": "chart",
        "aiAppStore.engines": "both",
        "aiAppStore.emissary.crdsManifest": "/srv/mirror/emissary/3.4.0/emissary-crds.yaml",
        "aiAppStore.knative.manifests": "https://artifacts.corp.example/knative/",
        "aiAppStore.inferenceDomain": "models.corp.example",
    };
    let run: StackRun;
    before(async () => { run = await runRendered(config, ["registry.mirror.password"], RENDERED); });

    it("pulls every chart from the chart mirror and every manifest from the configured location", () => {
        assert.deepStrictEqual(byType(run, CHART).map((c) => [c.inputs.chart, c.inputs.version]).sort(), [
            ["oci://registry.corp:5000/charts/emissary-ingress", "8.4.0"],
            ["oci://registry.corp:5000/charts/ingress-nginx", "4.12.1"],
            ["oci://registry.corp:5000/charts/mongodb", "15.6.26"],
        ]);
        // Sorted: Emissary and Knative are independent, so their registration order is not fixed (Knative's own order is dependsOn, checked above).
        assert.deepStrictEqual(byType(run, CONFIGFILE).map((f) => f.inputs.file).sort(), [
            "/srv/mirror/emissary/3.4.0/emissary-crds.yaml",
            "https://artifacts.corp.example/knative/kourier.yaml",
            "https://artifacts.corp.example/knative/serving-core.yaml",
            "https://artifacts.corp.example/knative/serving-crds.yaml",
        ]);
    });

    it("creates a pull secret in every namespace the stack creates, the engines' included", () => {
        const pull = byType(run, SECRET).filter((s) => s.inputs.type === "kubernetes.io/dockerconfigjson").map((s) => s.inputs.metadata.namespace).sort();
        assert.deepStrictEqual(pull, ["ai-appstore", "emissary", "emissary-system", "inference-engine", "ingress-nginx", "knative-serving", "kourier-system", "mlplat-storage"]);
    });

    it("relocates the images Knative starts at run time: config-deployment's queue-proxy and the Image cache", () => {
        const relocatedQueue = `registry.corp:5000/mlplat/knative-releases/knative.dev/serving/cmd/queue@${digest(1)}`;
        const cm = byType(run, CONFIGMAP).filter((c) => c.inputs.metadata.name === "config-deployment");
        assert.deepStrictEqual(cm.map((c) => [c.inputs.metadata.namespace, c.inputs.data["queue-sidecar-image"]]).sort(), [
            ["another-app", "example.com/not/knative:1.0"],
            ["knative-serving", relocatedQueue],
        ]);
        assert.strictEqual(cm.find((c) => c.inputs.metadata.namespace === "knative-serving")!.inputs.data["progress-deadline"], "600s");
        assert.strictEqual(one(run, "kubernetes:caching.internal.knative.dev/v1alpha1:Image").inputs.spec.image, relocatedQueue);
    });

    it("lists every image after relocation, the rendered ones included, none left on a public registry", () => {
        const images: string[] = run.outputs.images;
        assert.deepStrictEqual(images, [
            "registry.corp:5000/mlplat/ai-appstore/aas-backend:1.0.11",
            "registry.corp:5000/mlplat/ai-appstore/aas-frontend:1.0.11",
            "registry.corp:5000/mlplat/ambassador/ambassador-agent:1.0.3",
            "registry.corp:5000/mlplat/emissaryingress/emissary:3.4.0",
            `registry.corp:5000/mlplat/envoyproxy/envoy:v1.23-latest@${digest(3)}`,
            `registry.corp:5000/mlplat/ingress-nginx/controller:v1.12.1@${digest(4)}`,
            `registry.corp:5000/mlplat/knative-releases/knative.dev/serving/cmd/activator@${digest(2)}`,
            `registry.corp:5000/mlplat/knative-releases/knative.dev/serving/cmd/queue@${digest(1)}`,
            "registry.corp:5000/mlplat/minio/mc:RELEASE.2025-04-16T18-13-26Z",
            "registry.corp:5000/mlplat/minio/minio:RELEASE.2025-04-22T22-12-26Z",
        ]);
        for (const image of images) assert.match(image, /^registry\.corp:5000\/mlplat\//);
        // Every pod of ours and every rendered one pulls from the mirror with the pull secret.
        for (const r of byType(run, DEPLOYMENT).concat(byType(run, STATEFULSET))) {
            for (const c of podOf(r).containers.concat(podOf(r).initContainers ?? [])) assert.match(c.image, /^registry\.corp:5000\/mlplat\//, r.name);
            assert.deepStrictEqual(podOf(r).imagePullSecrets, [{ name: "mlplat-registry" }], r.name);
        }
    });

    it("adopts the manifests' namespaces with the stack's labels and configures Knative: Kourier, the domain, a NodePort gateway", () => {
        const rendered = (kind: string, name: string) => run.resources.find((r) => r.name.startsWith("rendered-") && r.inputs.kind === kind && r.inputs.metadata.name === name)!;
        for (const ns of ["knative-serving", "kourier-system", "emissary-system"]) {
            assert.deepStrictEqual(rendered("Namespace", ns).inputs.metadata.labels, one(run, NAMESPACE, `appstore-${ns}-ns`).inputs.metadata.labels, ns);
        }
        assert.deepStrictEqual(rendered("ConfigMap", "config-network").inputs.data, { "ingress-class": "kourier.ingress.networking.knative.dev" });
        assert.deepStrictEqual(rendered("ConfigMap", "config-domain").inputs.data, { "models.corp.example": "" });
        assert.strictEqual(rendered("Service", "kourier").inputs.spec.type, "NodePort");
    });

    it("keeps the mirror password out of plain inputs", () => {
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), [MIRROR_PASSWORD]), []);
    });
});

describe("AI App Store: image-bearing fields and manifest transform", () => {
    const mirror = (i: string) => relocateImage(i, { host: "m.corp" });

    it("rewrites a ConfigMap key, a custom resource's property and container env values, matching type, name and namespace", () => {
        const fields: ImageField[] = [
            ...KNATIVE_IMAGE_FIELDS,
            { type: "kubernetes:apps/v1:Deployment", name: "controller", env: ["QUEUE_IMAGE", "HELPER_IMAGE"] },
        ];
        const cm = { metadata: { name: "config-deployment", namespace: "knative-serving" }, data: { "queue-sidecar-image": "gcr.io/k/queue:1", other: "x" } };
        assert.deepStrictEqual(rewriteImageFields("kubernetes:core/v1:ConfigMap", cm, fields, mirror).data, { "queue-sidecar-image": "m.corp/k/queue:1", other: "x" });
        const elsewhere = { ...cm, metadata: { ...cm.metadata, namespace: "x" } };
        assert.strictEqual(rewriteImageFields("kubernetes:core/v1:ConfigMap", elsewhere, fields, mirror), elsewhere);
        const dep = {
            metadata: { name: "controller" },
            spec: { template: { spec: { containers: [{ name: "c", image: "a:1", env: [{ name: "QUEUE_IMAGE", value: "gcr.io/q:2" }, { name: "LEVEL", value: "debug" }, { name: "HELPER_IMAGE", valueFrom: { configMapKeyRef: { name: "x", key: "y" } } }] }] } } },
        };
        const out = rewriteImageFields("kubernetes:apps/v1:Deployment", dep, fields, mirror) as any;
        assert.deepStrictEqual(out.spec.template.spec.containers[0].env, [
            { name: "QUEUE_IMAGE", value: "m.corp/q:2" }, { name: "LEVEL", value: "debug" }, { name: "HELPER_IMAGE", valueFrom: { configMapKeyRef: { name: "x", key: "y" } } },
        ]);
        assert.strictEqual(out.spec.template.spec.containers[0].image, "a:1", "pod images are the pod-spec rewrite's business");
        const other = { metadata: { name: "webhook" }, spec: dep.spec };
        assert.strictEqual(rewriteImageFields("kubernetes:apps/v1:Deployment", other, fields, mirror), other);
    });

    it("leaves objects of other namespaces alone and matches names that are still Outputs once known", async () => {
        const cm = { metadata: { name: "config-deployment", namespace: "elsewhere" }, data: { "queue-sidecar-image": "gcr.io/k/queue:1" } };
        assert.deepStrictEqual(rewriteImageFields("kubernetes:core/v1:ConfigMap", cm, KNATIVE_IMAGE_FIELDS, mirror), cm);
        const seen: string[] = [];
        const lazy = { metadata: { name: "config-deployment", namespace: pulumi.output("knative-serving") }, data: { "queue-sidecar-image": "gcr.io/k/queue:1" } };
        const out = rewriteImageFields("kubernetes:core/v1:ConfigMap", lazy, KNATIVE_IMAGE_FIELDS, (i) => { seen.push(i); return mirror(i); }) as any;
        assert.strictEqual(await new Promise((r) => pulumi.output(out.data["queue-sidecar-image"]).apply(r)), "m.corp/k/queue:1");
        assert.deepStrictEqual(seen, ["gcr.io/k/queue:1"]);
    });

    it("changes only the manifests' objects it is about", () => {
        const t = manifestTransform({ namespaces: { "knative-serving": { a: "b" } }, knative: { domain: "k.example", nodePortGateway: false } });
        assert.deepStrictEqual(t({ type: "kubernetes:core/v1:Namespace", props: { metadata: { name: "knative-serving", labels: { x: "y" } } } }), { metadata: { name: "knative-serving", labels: { a: "b" } } });
        assert.strictEqual(t({ type: "kubernetes:core/v1:Namespace", props: { metadata: { name: "default" } } }), undefined);
        assert.strictEqual(t({ type: "kubernetes:core/v1:Service", props: { metadata: { name: "kourier", namespace: "kourier-system" }, spec: { type: "LoadBalancer" } } }), undefined);
        assert.strictEqual(t({ type: "kubernetes:core/v1:ConfigMap", props: { metadata: { name: "config-network", namespace: "default" }, data: {} } }), undefined);
        assert.strictEqual(manifestTransform({ namespaces: {} })({ type: "kubernetes:core/v1:ConfigMap", props: { metadata: { name: "config-network", namespace: "knative-serving" } } }), undefined);
    });

    it("splits chart images into repository and tag", () => {
        assert.deepStrictEqual(splitImage("docker.io/emissaryingress/emissary:3.4.0"), { repository: "docker.io/emissaryingress/emissary", tag: "3.4.0" });
        assert.deepStrictEqual(splitImage("localhost:5000/emissary:3.4.0"), { repository: "localhost:5000/emissary", tag: "3.4.0" });
        assert.throws(() => splitImage("emissary@sha256:abc"), /must be repository:tag/);
    });

    it("declares the same defaults as the settings", () => {
        const d = (k: keyof typeof SETTINGS) => SETTINGS[k].default;
        assert.deepStrictEqual(
            [d("aiAppStore.namespace"), d("aiAppStore.inferenceNamespace"), d("aiAppStore.emissary.namespace"), d("aiAppStore.emissary.chartVersion"),
                d("aiAppStore.emissary.image"), d("aiAppStore.emissary.agentImage"), d("aiAppStore.knative.version"), d("aiAppStore.knative.kourierVersion"),
                d("ingress.nginx.chartVersion"), d("ingress.nginx.namespace")],
            [APP.namespace, APP.inferenceNamespace, EMISSARY.namespace, EMISSARY.chartVersion, EMISSARY.image, EMISSARY.agentImage, KNATIVE.version, KNATIVE.kourierVersion,
                INGRESS_NGINX.chartVersion, INGRESS_NGINX.namespace]);
    });
});

describe("AI App Store: dev and prod stacks", function () {
    this.timeout(30_000);

    it("dev: embedded MongoDB, MinIO with its storage host, Emissary declared present, the guide's local images", async () => {
        const run = await runStack({ ...stackFileConfig("dev"), "cluster.kubeconfig": KUBECONFIG });
        if (run.error) throw run.error;
        assert.strictEqual(byType(run, CHART).length + byType(run, CONFIGFILE).length, 0, "no chart or manifest to fetch");
        assert.strictEqual(one(run, LISTENER).inputs.metadata.namespace, "emissary");
        // Its own MongoDB (Redpoint AML in the dev stack has another, in aml).
        assert.strictEqual(one(run, STATEFULSET, "appstore-mongodb-server").inputs.metadata.namespace, NS);
        assert.deepStrictEqual([containerOf(one(run, DEPLOYMENT, APP.backend)).image, containerOf(one(run, DEPLOYMENT, APP.frontend)).image], ["aas-backend:1.0.11", "aas-frontend:1.0.11"]);
        assert.deepStrictEqual(run.outputs.aiAppStore.storageUrl, "http://storage.appstore.mlplat.localhost");
        assert.deepStrictEqual(run.outputs.aiAppStore.frontendUrl, "http://appstore.mlplat.localhost");
        // The fixture the local control plane applies holds only Emissary's namespace: its CRDs are
        // upstream's (../shared/upstream/crds, checked in ai-app-store-upstream.test.ts).
        const fixture = fs.readFileSync(path.join(__dirname, "..", "fixtures", "crds", "emissary.yaml"), "utf8");
        assert.match(fixture, /kind: Namespace\nmetadata:\n  name: emissary\n/);
        assert.doesNotMatch(fixture, /CustomResourceDefinition/);
    });

    it("prod: Emissary through the chart mirror, MongoDB from its chart, S3, TLS, every image relocated", async () => {
        const run = await runStack({
            ...stackFileConfig("prod"), "cluster.kubeconfig": KUBECONFIG,
            "registry.mirror.password": "unit-mirror-password-7d1f", "data.postgresql.external.dsn": "postgres://a:b@db.corp:5432/ml",
            "aiAppStore.keycloak.backendClientSecret": "unit-keycloak-secret-5c2e",
        }, ["registry.mirror.password", "data.postgresql.external.dsn", "aiAppStore.keycloak.backendClientSecret"]);
        if (run.error) throw run.error;
        assert.ok(byType(run, CHART).some((c) => c.inputs.chart === "oci://registry.corp:5000/charts/emissary-ingress"));
        assert.ok(byType(run, CHART).some((c) => c.inputs.chart === "oci://registry.corp:5000/charts/mongodb" && c.inputs.namespace === NS));
        assert.strictEqual(run.outputs.aiAppStore.frontendUrl, "https://appstore.ml.corp.example");
        assert.strictEqual(run.outputs.aiAppStore.storageUrl, "https://s3.eu-west-1.amazonaws.com");
        for (const d of inNs(run, DEPLOYMENT)) assert.match(containerOf(d).image, /^registry\.corp:5000\/mlplat\//, d.name);
    });
});

describe("AI App Store: invalid config", () => {
    const base: Record<string, string> = { ...BASE };
    delete base["cluster.kubeconfig"];
    const problems = (config: Record<string, string>, secretKeys: string[] = []) => configProblems({ ...base, ...config }, secretKeys);
    const missingCa = "/nonexistent/clearml-ca.pem";
    const notPem = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-ca-")), "not-a-cert.pem");
    fs.writeFileSync(notPem, "hello\n");
    const cases: { name: string; config: Record<string, string>; expect: [string, string][]; secretKeys?: string[] }[] = [
        { name: "no hosts, no images", config: { "aiAppStore.webHost": "", "aiAppStore.apiHost": "", "aiAppStore.backend.image": "", "aiAppStore.frontend.image": "" }, expect: [
            ["mlplat:aiAppStore.webHost", "is required when aiAppStore.enabled is true: the host name the frontend's Ingress serves"],
            ["mlplat:aiAppStore.apiHost", "is required when aiAppStore.enabled is true: the host name the backend's (API) Ingress serves"],
            ["mlplat:aiAppStore.backend.image", "is required when aiAppStore.enabled is true: the pinned aas-backend image you built (build-images.sh) and pushed; there is no public one"],
            ["mlplat:aiAppStore.frontend.image", "is required when aiAppStore.enabled is true: the pinned aas-frontend image you built (build-images.sh) and pushed; there is no public one"],
        ] },
        { name: "hosts that are not DNS names, the same host twice", config: { "aiAppStore.webHost": "https://Web.example.com/", "aiAppStore.apiHost": "https://Web.example.com/" }, expect: [
            ["mlplat:aiAppStore.webHost", "must be a DNS host name (lowercase letters, digits, '-' and '.', no scheme, port or path)"],
            ["mlplat:aiAppStore.apiHost", "must be a DNS host name (lowercase letters, digits, '-' and '.', no scheme, port or path)"],
            ["mlplat:aiAppStore.apiHost", "must differ from aiAppStore.webHost (https://Web.example.com/): the frontend and the backend are each served at the root of their own host"],
        ] },
        { name: "unpinned images", config: { "aiAppStore.backend.image": "aas-backend:latest", "aiAppStore.frontend.image": "aas-frontend", "aiAppStore.emissary.image": "docker.io/emissaryingress/emissary@sha256:abc" }, expect: [
            ["mlplat:aiAppStore.backend.image", "must be an image with a pinned tag or digest (not latest)"],
            ["mlplat:aiAppStore.frontend.image", "must be an image with a pinned tag or digest (not latest)"],
            ["mlplat:aiAppStore.emissary.image", "must be an image with a pinned tag (repository:tag; the chart takes a tag, not a digest)"],
        ] },
        { name: "no engine selected", config: { "aiAppStore.engines": "none" }, expect: [
            ["mlplat:aiAppStore.engines", "must be one of emissary, knative, both; got \"none\""],
        ] },
        { name: "Knative on Kubernetes 1.19", config: { "aiAppStore.engines": "knative", "cluster.kind": "existing", "cluster.kubernetesVersion": "1.19" }, expect: [
            ["mlplat:aiAppStore.engines", "Knative Serving 1.8 needs Kubernetes 1.23 or newer, but the cluster runs 1.19: use the Emissary engine (aiAppStore.engines emissary)"],
        ] },
        { name: "Knative (with Emissary) on Kubernetes 1.22", config: { "aiAppStore.engines": "both", "cluster.kind": "existing", "cluster.kubernetesVersion": "1.22.4" }, expect: [
            ["mlplat:aiAppStore.engines", "Knative Serving 1.8 needs Kubernetes 1.23 or newer, but the cluster runs 1.22.4: use the Emissary engine (aiAppStore.engines emissary)"],
        ] },
        { name: "a service type without its engine", config: { "aiAppStore.serviceType": "knative" }, expect: [
            ["mlplat:aiAppStore.serviceType", "is knative but aiAppStore.engines is emissary: the backend can only create services on an installed engine"],
        ] },
        { name: "settings of an engine that is not selected", config: { "aiAppStore.knative.version": "1.8.4", "aiAppStore.engines": "emissary" }, expect: [
            ["mlplat:aiAppStore.knative.version", "is a Knative setting but aiAppStore.engines is emissary, so it would be ignored"],
        ] },
        { name: "no app version, no inference domain", config: { "aiAppStore.appVersion": "", "aiAppStore.inferenceDomain": "" }, expect: [
            ["mlplat:aiAppStore.appVersion", "is required when aiAppStore.enabled is true: the upstream release your images are built from (it decides the settings the app reads)"],
            ["mlplat:aiAppStore.inferenceDomain", "is required when aiAppStore.enabled is true: the domain users' inference services are reached at (PROD_IE_DOMAIN; without it the backend needs a gateway LoadBalancer IP)"],
        ] },
        { name: "an app version whose frontend cannot take Keycloak's settings", config: { "aiAppStore.appVersion": "1.1.0" }, expect: [
            ["mlplat:aiAppStore.appVersion", "is 1.1.0, whose backend logs in through Keycloak but whose frontend has its Keycloak settings compiled in empty (front-end/src/security/KeycloakService.ts): build the images from v1.2.1 (or v1.0.x for the built-in login)"],
        ] },
        { name: "an unknown app version and a loose one", config: { "aiAppStore.appVersion": "2.0.0" }, expect: [
            ["mlplat:aiAppStore.appVersion", "is 2.0.0, an upstream version mlplat has not been checked against (known: 1.0.x, 1.2.1+ in 1.2.x)"],
        ] },
        { name: "the Keycloak line without Keycloak, with the 1.0 line's settings", config: { "aiAppStore.appVersion": "1.2.1", "aiAppStore.superuser.id": "root", "aiAppStore.jwtAlgorithm": "HS512" }, expect: [
            ["mlplat:aiAppStore.keycloak.serverUrl", "is required when aiAppStore.appVersion is 1.2.1: from 1.1 the backend logs users in through Keycloak (it fails at start without it)"],
            ["mlplat:aiAppStore.keycloak.backendClientSecret", "is required when aiAppStore.appVersion is 1.2.1: from 1.1 the backend logs users in through Keycloak (it fails at start without it)"],
            ["mlplat:aiAppStore.superuser.id", "is a setting of the 1.0 line but aiAppStore.appVersion is 1.2.1, which reads none (no built-in users, no own JWTs), so it would be ignored"],
            ["mlplat:aiAppStore.jwtAlgorithm", "is a setting of the 1.0 line but aiAppStore.appVersion is 1.2.1, which reads none (no built-in users, no own JWTs), so it would be ignored"],
        ] },
        { name: "Keycloak settings on the 1.0 line, a Keycloak URL that is no URL", config: { "aiAppStore.keycloak.serverUrl": "keycloak.example.com", "aiAppStore.keycloak.realm": "corp" }, expect: [
            ["mlplat:aiAppStore.keycloak.serverUrl", "must be an http(s) URL like https://keycloak.example.com"],
            ["mlplat:aiAppStore.keycloak.serverUrl", "is a Keycloak setting but aiAppStore.appVersion is 1.0.11, whose backend has its own login, so it would be ignored"],
            ["mlplat:aiAppStore.keycloak.realm", "is a Keycloak setting but aiAppStore.appVersion is 1.0.11, whose backend has its own login, so it would be ignored"],
        ] },
        { name: "a plain-text Keycloak client secret", config: { "aiAppStore.appVersion": "1.2.1", "aiAppStore.keycloak.serverUrl": "https://keycloak.example.com", "aiAppStore.keycloak.backendClientSecret": "s3cret" }, expect: [
            ["mlplat:aiAppStore.keycloak.backendClientSecret", "is a secret but was set as plain text (it is stored unencrypted in the stack file)"],
        ] },
        { name: "a mongodb+srv URI", secretKeys: ["data.mongodb.external.uri"], config: { "data.mongodb.mode": "external", "data.mongodb.external.uri": "mongodb+srv://u:p@cluster0.example.net/appstore" }, expect: [
            ["mlplat:data.mongodb.external.uri", "is a mongodb+srv:// URI, which the App Store's backend refuses at start (its settings type, pydantic's MongoDsn, takes mongodb:// only): give the servers' mongodb:// URI"],
        ] },
        { name: "a replica set seed list", secretKeys: ["data.mongodb.external.uri"], config: { "data.mongodb.mode": "external", "data.mongodb.external.uri": "mongodb://u:p@a.example:27017,b.example:27017/appstore?replicaSet=rs0" }, expect: [
            ["mlplat:data.mongodb.external.uri", "names several hosts (a replica set seed list), which the App Store's backend refuses at start (pydantic's MongoDsn takes one host): give one host, e.g. the replica set's primary or a load balancer"],
        ] },
        { name: "a user in another auth database", secretKeys: ["data.mongodb.external.uri"], config: { "data.mongodb.mode": "external", "data.mongodb.external.uri": "mongodb://u:p@a.example:27017/appstore?authSource=admin" }, expect: [
            ["mlplat:data.mongodb.external.uri", "sets authSource=admin, but the App Store's backend always authenticates against its own database (appstore; mongo_client.py passes authSource=PROD_DB_NAME): create the user in that database"],
        ] },
        { name: "install settings of engines declared present", config: {
            "aiAppStore.engines": "both", "aiAppStore.emissary.install": "false", "aiAppStore.emissary.chartVersion": "8.5.0",
            "aiAppStore.knative.install": "false", "aiAppStore.knative.manifests": "/srv/knative",
        }, expect: [
            ["mlplat:aiAppStore.emissary.chartVersion", "is set but aiAppStore.emissary.install is false (Emissary declared present), so it would be ignored"],
            ["mlplat:aiAppStore.knative.manifests", "is set but aiAppStore.knative.install is false (Knative declared present), so it would be ignored"],
        ] },
        { name: "an air gap without chart mirror or manifest locations", config: {
            "registry.mode": "mirror", "registry.mirror.host": "registry.corp:5000", "aiAppStore.engines": "both", "ingress.controller": "install",
        }, expect: [
            ["mlplat:registry.chartMirror", "is required when registry.mode is mirror and ingress.controller is install: the air-gapped cluster cannot reach the ingress-nginx chart repository"],
            ["mlplat:registry.chartMirror", "is required when registry.mode is mirror and aiAppStore.emissary.install is true: the air-gapped cluster cannot reach the Emissary chart repository"],
            ["mlplat:aiAppStore.emissary.crdsManifest", "is required when registry.mode is mirror and aiAppStore.emissary.install is true: the default is a public URL (app.getambassador.io)"],
            ["mlplat:aiAppStore.knative.manifests", "is required when registry.mode is mirror and aiAppStore.knative.install is true: the default is a public URL (github.com releases)"],
        ] },
        { name: "MinIO without the storage host the browser needs", config: { "storage.minio.ingressHost": "" }, expect: [
            ["mlplat:storage.minio.ingressHost", "is required when aiAppStore.enabled is true and storage.kind is minio: browsers download the App Store's files from presigned URLs on this host"],
        ] },
        { name: "Secure cookies over http, a ClearML key alone, bad origins and URLs", config: {
            "aiAppStore.secureCookies": "true", "aiAppStore.clearml.accessKey": "key", "aiAppStore.corsOrigins": `["https://web.example.com/app"]`,
            "aiAppStore.clearml.apiHost": "api.clear.ml",
        }, secretKeys: ["aiAppStore.clearml.accessKey"], expect: [
            ["mlplat:aiAppStore.corsOrigins", "each entry must be an origin like https://web.appstore.example.com (scheme, host and optional port; no path)"],
            ["mlplat:aiAppStore.clearml.apiHost", "must be an http(s) URL like https://app.clear.ml"],
            ["mlplat:aiAppStore.secureCookies", "is true but the hosts are served over http (no aiAppStore.tls.secretName or aiAppStore.tls.clusterIssuer): browsers drop Secure cookies there"],
            ["mlplat:aiAppStore.clearml.secretKey", "ClearML's access key and secret key go together"],
        ] },
        { name: "secrets in plain text", config: { "aiAppStore.jwtSecret": "plain-jwt", "aiAppStore.superuser.password": "plain-pass" }, expect: [
            ["mlplat:aiAppStore.jwtSecret", "is a secret but was set as plain text (it is stored unencrypted in the stack file)"],
            ["mlplat:aiAppStore.superuser.password", "is a secret but was set as plain text (it is stored unencrypted in the stack file)"],
        ] },
        { name: "a CA file that is missing, one that is no certificate", config: { "aiAppStore.clearml.caCertFile": missingCa }, expect: [
            ["mlplat:aiAppStore.clearml.caCertFile", `file ${missingCa} does not exist`],
        ] },
        { name: "a CA file that holds no certificate", config: { "aiAppStore.clearml.caCertFile": notPem }, expect: [
            ["mlplat:aiAppStore.clearml.caCertFile", `file ${notPem} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`],
        ] },
        { name: "namespaces shared with MinIO, with each other and with Knative", config: {
            "aiAppStore.engines": "both", "aiAppStore.namespace": "mlplat-storage", "aiAppStore.inferenceNamespace": "mlplat-storage", "aiAppStore.emissary.namespace": "knative-serving",
        }, expect: [
            ["mlplat:aiAppStore.namespace", "must differ from storage.minio.namespace (mlplat-storage): each creates its namespace"],
            ["mlplat:aiAppStore.inferenceNamespace", "must differ from aiAppStore.namespace (mlplat-storage): each creates its namespace"],
            ["mlplat:aiAppStore.emissary.namespace", "must differ from Knative's manifests (knative-serving): each creates its namespace"],
        ] },
        { name: "bad names and numbers", config: { "aiAppStore.namespace": "AI_Store", "aiAppStore.maxUploadSizeGb": "0", "aiAppStore.superuser.id": "root user", "aiAppStore.knative.version": "1.8", "aiAppStore.engines": "both" }, expect: [
            ["mlplat:aiAppStore.namespace", "must be a namespace name (DNS label)"],
            ["mlplat:aiAppStore.maxUploadSizeGb", "must be at least 1"],
            ["mlplat:aiAppStore.superuser.id", "must be 1-64 letters, digits, '.', '_' or '-'"],
            ["mlplat:aiAppStore.knative.version", "must be an exact version like 1.8.3"],
        ] },
        { name: "ingress-nginx settings without installing it", config: { "ingress.nginx.chartVersion": "4.13.0" }, expect: [
            ["mlplat:ingress.nginx.chartVersion", "applies only when ingress.controller is install, but it is present, so it would be ignored"],
        ] },
        { name: "App Store settings while the App Store is off", config: { "aiAppStore.enabled": "false", "storage.minio.ingressHost": "" }, expect: [
            ["mlplat:aiAppStore.appVersion", "is set but aiAppStore.enabled is false, so it would be ignored"],
            ["mlplat:aiAppStore.webHost", "is set but aiAppStore.enabled is false, so it would be ignored"],
            ["mlplat:aiAppStore.apiHost", "is set but aiAppStore.enabled is false, so it would be ignored"],
            ["mlplat:aiAppStore.inferenceDomain", "is set but aiAppStore.enabled is false, so it would be ignored"],
            ["mlplat:aiAppStore.backend.image", "is set but aiAppStore.enabled is false, so it would be ignored"],
            ["mlplat:aiAppStore.frontend.image", "is set but aiAppStore.enabled is false, so it would be ignored"],
        ] },
    ];
    for (const c of cases) {
        it(`rejects: ${c.name}`, () => assert.deepStrictEqual(problems(c.config, c.secretKeys), c.expect));
    }

    it("accepts the base config, and registers nothing for an invalid one", async () => {
        assert.deepStrictEqual(problems({}), []);
        const run = await runStack({ ...BASE, "aiAppStore.maxUploadSizeGb": "0" });
        assert.ok(run.error instanceof ConfigError);
        assert.strictEqual(run.resources.length, 0);
    });

    it("refuses Knative in the component too, when the local control plane reports an old version", async () => {
        const dir = path.dirname(tempKubeconfig());
        fs.writeFileSync(path.join(dir, "version"), "1.22\n");
        const run = await runStack({ ...BASE, "cluster.kubeconfig": path.join(dir, "kubeconfig"), "aiAppStore.engines": "knative" });
        assert.match(String(run.error), /Knative Serving 1\.8 needs Kubernetes 1\.23 or newer, but the cluster runs 1\.22: use the Emissary engine \(aiAppStore\.engines emissary\)/);
    });
});
