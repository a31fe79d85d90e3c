// The AI App Store against the upstream app (DinoHub/appstore-ai, read at v1.0.11 and
// v1.2.1): the Kubernetes calls its backend makes (RBAC), the ServiceAccount its templates
// name, the settings each app line reads (the contract table) and what the rendered
// workloads get, PROD_IE_DOMAIN and Knative's domain, external MongoDB URIs its settings type
// refuses, presigned URLs, NetworkPolicies and Pod Security of its namespaces, and the
// upstream CRDs the local control plane serves.
import * as assert from "assert";
import * as fs from "fs";
import { parseAllDocuments } from "yaml";
import {
    APP, appLine, appStoreManifestTransform, backendRbacRules, contractNames, ENV_CONTRACT, KEYCLOAK_FRONTEND_CLIENT, manifestTransform, RUNTIME_ENV, urlPorts,
} from "../../components/platforms/ai-app-store";
import { mongoUriRefusal } from "../../stacks/platforms/ai-app-store";
import { byType, one, plainTextLeaks, Registered, runStack, StackRun, tempKubeconfig, unsecret } from "./harness";

const KUBECONFIG = tempKubeconfig();
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const SA = "kubernetes:core/v1:ServiceAccount";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const BASE: Record<string, string> = {
    "cluster.kubeconfig": KUBECONFIG,
    "ingress.controller": "install",
    "storage.kind": "minio",
    "storage.minio.ingressHost": "storage.appstore.example.com",
    "aiAppStore.enabled": "true",
    "aiAppStore.webHost": "web.appstore.example.com",
    "aiAppStore.apiHost": "api.appstore.example.com",
    "aiAppStore.inferenceDomain": "models.appstore.example.com",
};
const LINE_1_0 = { "aiAppStore.appVersion": "1.0.11", "aiAppStore.backend.image": "r.example/aas-backend:1.0.11", "aiAppStore.frontend.image": "r.example/aas-frontend:1.0.11" };
const LINE_1_2 = {
    "aiAppStore.appVersion": "1.2.1", "aiAppStore.backend.image": "r.example/aas-backend:1.2.1", "aiAppStore.frontend.image": "r.example/aas-frontend:1.2.1",
    "aiAppStore.keycloak.serverUrl": "https://keycloak.example.com:8443", "aiAppStore.keycloak.backendClientSecret": "kc-secret-91ad",
};
const CLEARML_KEYS = { "aiAppStore.clearml.accessKey": "clearml-access-3b7f", "aiAppStore.clearml.secretKey": "clearml-secret-6d0c" };

async function stack(config: Record<string, string>, secrets: string[] = []): Promise<StackRun> {
    const run = await runStack({ ...BASE, ...config }, secrets);
    if (run.error) throw run.error;
    return run;
}
const envNames = (d: Registered) => (d.inputs.spec.template.spec.containers[0].env as any[]).map((e) => e.name as string);
const envOf = (d: Registered): Record<string, any> => Object.fromEntries(d.inputs.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
const app = (names: string[]) => names.filter((n) => !(RUNTIME_ENV as readonly string[]).includes(n)).sort();

describe("AI App Store against upstream: the backend's RBAC", () => {
    it("grants exactly the calls the upstream backend makes in the inference namespace", () => {
        assert.deepStrictEqual(backendRbacRules(["emissary", "knative"]), [
            // routers/engines.py: read_namespaced_service (status), create_/delete_/patch_/replace_namespaced_service;
            // internal/tasks/clean_orphaned_services.py: list_namespaced_service
            { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "create", "delete", "patch", "update"] },
            // routers/engines.py: list_namespaced_pod (service status, log streaming)
            { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
            // routers/engines.py: read_namespaced_pod_log
            { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
            // routers/engines.py: create_/delete_/patch_/replace_namespaced_deployment; clean_orphaned_services.py: list_namespaced_deployment
            { apiGroups: ["apps"], resources: ["deployments"], verbs: ["list", "create", "delete", "patch", "update"] },
            // routers/engines.py: read_namespaced_deployment_status
            { apiGroups: ["apps"], resources: ["deployments/status"], verbs: ["get"] },
            // routers/engines.py: patch_namespaced_deployment_scale (scaling a service)
            { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["patch"] },
            // routers/engines.py and clean_orphaned_services.py: list_/create_/delete_/patch_/replace_namespaced_custom_object(getambassador.io, v2, mappings)
            { apiGroups: ["getambassador.io"], resources: ["mappings"], verbs: ["list", "create", "delete", "patch", "update"] },
            // routers/engines.py: get_/create_/delete_/patch_/replace_namespaced_custom_object(serving.knative.dev, v1, services);
            // clean_orphaned_services.py: list_namespaced_custom_object
            { apiGroups: ["serving.knative.dev"], resources: ["services"], verbs: ["get", "list", "create", "delete", "patch", "update"] },
        ]);
        // Only the engines in use; no watch, no listeners (the backend creates none).
        assert.deepStrictEqual(backendRbacRules(["emissary"]).map((r) => r.apiGroups).flat(), ["", "", "", "apps", "apps", "apps", "getambassador.io"]);
        assert.deepStrictEqual(backendRbacRules(["knative"]).map((r) => r.apiGroups).flat(), ["", "", "", "apps", "apps", "apps", "serving.knative.dev"]);
    });
});

describe("AI App Store against upstream: the settings each app line reads", function () {
    this.timeout(60_000);

    it("knows the lines: 1.0.x built-in login, 1.2.1+ Keycloak, 1.1.0 and 1.2.0 refused", () => {
        assert.deepStrictEqual(["1.0.0", "1.0.11", "1.2.1", "1.2.5"].map(appLine), ["1.0", "1.0", "1.2", "1.2"]);
        for (const v of ["1.1.0", "1.2.0", "1.3.0", "latest"]) assert.ok(typeof appLine(v) === "object", v);
        for (const row of ENV_CONTRACT) assert.ok(row.upstream.length > 0 && row.lines.length > 0, row.name);
        assert.strictEqual(new Set(ENV_CONTRACT.map((r) => r.name)).size, ENV_CONTRACT.length, "one row per setting");
    });

    for (const [line, config] of [["1.0", LINE_1_0], ["1.2", LINE_1_2]] as const) {
        it(`renders exactly the contract's env on the backend and the frontend (${line} line, ClearML keys set)`, async () => {
            const secrets = Object.keys(CLEARML_KEYS).concat(line === "1.2" ? ["aiAppStore.keycloak.backendClientSecret"] : []);
            const run = await stack({ ...config, ...CLEARML_KEYS }, secrets);
            assert.deepStrictEqual(app(envNames(one(run, DEPLOYMENT, APP.backend))), contractNames(line, "backend").sort());
            assert.deepStrictEqual(app(envNames(one(run, DEPLOYMENT, APP.frontend))), contractNames(line, "frontend").sort());
            // Secret rows come from Secrets, the others are plain values.
            const env = envOf(one(run, DEPLOYMENT, APP.backend));
            for (const row of ENV_CONTRACT.filter((r) => r.workload === "backend" && r.lines.includes(line))) {
                assert.strictEqual(Boolean(env[row.name]?.secretKeyRef), Boolean(row.secret), row.name);
            }
            assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), Object.values(CLEARML_KEYS).concat("kc-secret-91ad")), []);
        });
    }

    it("gives the 1.2 line Keycloak's URLs, realm and clients; no superuser, no own JWT algorithm", async () => {
        const run = await stack(LINE_1_2, ["aiAppStore.keycloak.backendClientSecret"]);
        const env = envOf(one(run, DEPLOYMENT, APP.backend));
        assert.deepStrictEqual([env.PROD_KEYCLOAK_SERVER_URL, env.PROD_KEYCLOAK_REALM_NAME, env.PROD_KEYCLOAK_CLIENT_ID, env.PROD_KEYCLOAK_AUTHORIZATION_URL, env.PROD_KEYCLOAK_TOKEN_URL], [
            "https://keycloak.example.com:8443", "CommonServices", "ai-appstore-backend",
            "https://keycloak.example.com:8443/realms/CommonServices/protocol/openid-connect/auth",
            "https://keycloak.example.com:8443/realms/CommonServices/protocol/openid-connect/token",
        ]);
        assert.deepStrictEqual(env.PROD_KEYCLOAK_CLIENT_SECRET_KEY, { secretKeyRef: { name: APP.backendSecret, key: "keycloak-client-secret" } });
        const fe = envOf(one(run, DEPLOYMENT, APP.frontend));
        assert.deepStrictEqual([fe.VUE_APP_KEYCLOAK_URL, fe.VUE_APP_KEYCLOAK_REALM, fe.VUE_APP_KEYCLOAK_CLIENT_ID, fe.VUE_APP_FRONTEND_VERSION, fe.VUE_APP_BACKEND_VERSION],
            ["https://keycloak.example.com:8443", "CommonServices", KEYCLOAK_FRONTEND_CLIENT, "1.2.1", "1.2.1"]);
        assert.deepStrictEqual(Object.keys(unsecret(one(run, "kubernetes:core/v1:Secret", APP.backendSecret).inputs.stringData)).sort(), ["jwt-secret", "keycloak-client-secret"]);
        assert.strictEqual(byType(run, "random:index/randomPassword:RandomPassword").some((r) => r.name.includes("superuser")), false);
        assert.deepStrictEqual([run.outputs.aiAppStore.superuserId, run.outputs.aiAppStore.superuserPassword, run.outputs.aiAppStore.appVersion], [undefined, undefined, "1.2.1"]);
        // The backend reaches Keycloak on its port.
        const backendPolicy = byType(run, POLICY).find((p) => p.inputs.metadata.name === APP.backend)!;
        assert.ok(backendPolicy.inputs.spec.egress.some((e: any) => !e.to && e.ports.some((p: any) => p.port === 8443)));
    });
});

describe("AI App Store against upstream: inference services", function () {
    this.timeout(60_000);
    let run: StackRun;
    before(async () => { run = await stack({ ...LINE_1_0, "aiAppStore.engines": "both" }); });

    it("creates the ServiceAccount upstream's inference Deployment template names, without a token", () => {
        const sa = one(run, SA, APP.enginesServiceAccount);
        assert.deepStrictEqual([sa.inputs.metadata.name, sa.inputs.metadata.namespace, sa.inputs.automountServiceAccountToken], ["backend-service-engines", "inference-engine", false]);
        assert.strictEqual(byType(run, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").some((b) => b.inputs.subjects.some((s: any) => s.name === "backend-service-engines")), false, "no RBAC");
    });

    it("sets PROD_IE_DOMAIN and makes it Knative's domain, so both give the URLs the backend hands out", () => {
        assert.strictEqual(envOf(one(run, DEPLOYMENT, APP.backend)).PROD_IE_DOMAIN, "models.appstore.example.com");
        const args = { inferenceDomain: "models.appstore.example.com", engines: { knative: { install: true as const } } } as any;
        const t = manifestTransform(appStoreManifestTransform(args, { cluster: { loadBalancer: true }, extraLabels: {} } as any));
        const domain = t({ type: "kubernetes:core/v1:ConfigMap", props: { metadata: { name: "config-domain", namespace: "knative-serving" }, data: {} } });
        assert.deepStrictEqual(domain?.data, { "models.appstore.example.com": "" });
    });

    it("isolates inference-engine: default deny in and out, DNS, traffic only from the engines' gateways", () => {
        const policies = byType(run, POLICY).filter((p) => p.inputs.metadata.namespace === "inference-engine");
        const spec = (name: string) => policies.find((p) => p.inputs.metadata.name === name)!.inputs.spec;
        assert.deepStrictEqual(spec("inference-default-deny"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepStrictEqual(spec("inference-from-gateways").ingress[0].from.map((f: any) => f.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]),
            ["emissary", "kourier-system", "knative-serving"]);
        assert.deepStrictEqual(spec("inference-dns").egress[0].ports, [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }]);
        const ns = one(run, NAMESPACE, "inference-engine");
        assert.strictEqual(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline", "upstream's templates set no securityContext");
    });

    it("lets the backend out only to DNS, MongoDB, MinIO, the API server and ClearML; the frontend to DNS; both in only from the ingress controller", () => {
        const spec = (name: string) => byType(run, POLICY).find((p) => p.inputs.metadata.namespace === "ai-appstore" && p.inputs.metadata.name === name)!.inputs.spec;
        const fromIngress = [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }];
        assert.deepStrictEqual(spec(APP.backend).ingress, [{ from: fromIngress, ports: [{ protocol: "TCP", port: 8080 }] }]);
        assert.deepStrictEqual(spec(APP.frontend).ingress, [{ from: fromIngress, ports: [{ protocol: "TCP", port: 8081 }] }]);
        assert.deepStrictEqual(spec(APP.frontend).egress, []);
        assert.deepStrictEqual(spec(APP.backend).egress, [
            { to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "mongodb" } } }], ports: [{ protocol: "TCP", port: 27017 }] },
            { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "mlplat-storage" } } }], ports: [{ protocol: "TCP", port: 9000 }] },
            { ports: [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 6443 }] },
            { ports: [{ protocol: "TCP", port: 443 }] },
        ]);
        assert.deepStrictEqual(spec("ai-appstore-default-deny"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepStrictEqual(urlPorts(["https://a.example", "http://b.example", "https://c.example:8008"]), [80, 443, 8008]);
    });

    it("admits the App Store's namespace into MinIO's API, and nothing into its console", () => {
        const minio = byType(run, POLICY).filter((p) => p.inputs.metadata.namespace === "mlplat-storage");
        const byName = (n: string) => minio.find((p) => p.inputs.metadata.name === n)!.inputs.spec;
        assert.deepStrictEqual(byName("minio-default-deny"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepStrictEqual(byName("minio-from-ai-appstore").ingress, [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ai-appstore" } } }], ports: [{ protocol: "TCP", port: 9000 }] }]);
        assert.deepStrictEqual(byName("minio-server").ingress, [{
            from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "minio", "app.kubernetes.io/component": "bucket-init" } } },
                { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
            ports: [{ protocol: "TCP", port: 9000 }],
        }]);
        assert.ok(!minio.some((p) => JSON.stringify(p.inputs.spec).includes("9001")), "the console port is never opened");
    });

    it("denies traffic in ingress-nginx's namespace but HTTP and HTTPS into the controller and its way out", () => {
        const spec = (name: string) => byType(run, POLICY).find((p) => p.inputs.metadata.namespace === "ingress-nginx" && p.inputs.metadata.name === name)!.inputs.spec;
        assert.deepStrictEqual(spec("ingress-nginx-default-deny"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepStrictEqual([spec("ingress-nginx-controller").ingress, spec("ingress-nginx-controller").egress], [[{ ports: [{ protocol: "TCP", port: 80 }, { protocol: "TCP", port: 443 }] }], [{}]]);
    });

    it("gives the presigned-URL host its scheme: the backend swaps it in after dropping the URL's own", () => {
        assert.strictEqual(envOf(one(run, DEPLOYMENT, APP.backend)).PROD_MINIO_API_HOST, "http://storage.appstore.example.com");
    });
});

describe("AI App Store against upstream: external MongoDB URIs the backend can parse", () => {
    it("refuses mongodb+srv, several hosts and a foreign authSource; accepts one mongodb:// host", () => {
        assert.match(mongoUriRefusal("mongodb+srv://u:p@c.example.net/db", "db")!, /mongodb\+srv/);
        assert.match(mongoUriRefusal("mongodb://u:p@a:1,b:2/db", "db")!, /several hosts/);
        assert.match(mongoUriRefusal("mongodb://u:p@a:1/db?authSource=admin", "db")!, /authSource=admin/);
        assert.strictEqual(mongoUriRefusal("mongodb://u:p@a:27017/db?authSource=db&tls=true", "x"), undefined);
        assert.strictEqual(mongoUriRefusal("mongodb://u:p@a:10255/?ssl=true&replicaSet=globaldb", "appstore"), undefined);
        assert.match(mongoUriRefusal("mongodb://u:p@a:10255/?authSource=admin", "appstore")!, /\(appstore;/);
    });
});

describe("the upstream CRDs the local control plane serves", () => {
    const dir = `${__dirname}/../../../shared/upstream/crds`;
    const crds = (file: string) => parseAllDocuments(fs.readFileSync(`${dir}/${file}`, "utf8")).map((d) => d.toJS()).filter((d) => d?.kind === "CustomResourceDefinition");
    const served = (all: any[], name: string) => all.find((c) => c.metadata.name === name)?.spec.versions.filter((v: any) => v.served).map((v: any) => v.name);

    it("serve every kind and version our objects and the backend use (Emissary 3.4.0, KEDA 2.14.1)", function () {
        if (!fs.existsSync(dir)) this.skip();
        const emissary = crds("emissary-v3.4.0-crds.yaml");
        assert.ok(served(emissary, "listeners.getambassador.io").includes("v3alpha1"));
        assert.ok(served(emissary, "hosts.getambassador.io").includes("v3alpha1"));
        assert.ok(served(emissary, "mappings.getambassador.io").includes("v2"), "the backend creates getambassador.io/v2 Mappings");
        const keda = crds("keda-v2.14.1-crds.yaml");
        assert.ok(served(keda, "scaledobjects.keda.sh").includes("v1alpha1"));
        assert.ok(served(keda, "triggerauthentications.keda.sh").includes("v1alpha1"));
    });
});
