// Redpoint AML: the guide's secrets table cell by cell, the component through the stack (dev
// stack, mirror mode, escape hatches, TLS), CosmosDB under the Azure mocks, and every
// invalid config with its exact problem.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { checkResource } from "../../policy/rules";
import {
    cosmosMongoUri, mongoPort, PUBLIC_SERVICES, RedpointAml, RedpointAmlArgs, SECRETS_TABLE, secretVariablesOf,
} from "../../components/platforms/redpoint-aml";
import type { ObjectStore } from "../../components/storage";
import { azureCall, azureState, testContext } from "./azure-harness";
import { byType, configProblems, fileSecret, MIRROR_BY_TAG, one, plainTextLeaks, Registered, runStack, stackFileConfig, StackRun, tempKubeconfig, unsecret } from "./harness";
import { runUnderMocks } from "./record";

const KUBECONFIG = tempKubeconfig();
const NS = "aml";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const SECRET = "kubernetes:core/v1:Secret";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

/** The guide's table as printed (document 000, "Secrets"): variable → the containers that need it. */
const GUIDE_TABLE: Record<string, string[]> = {
    MONGODB_NAME: ["ml-servicesapi", "ml-scheduler", "dbapi", "dcc-servicesapi", "dcc-init"],
    ADL2_ACCESS_KEY: ["ml-servicesapi", "ml-scheduler", "dbapi"],
    S3_ACCESS_KEY: ["ml-servicesapi", "ml-scheduler", "dbapi"],
    S3_SECRET_ACCESS_KEY: ["ml-servicesapi", "ml-scheduler", "dbapi"],
    GCS_CREDENTIAL: ["ml-servicesapi", "ml-scheduler", "dbapi"],
    RPDM_PASS: ["ml-servicesapi", "ml-scheduler"],
    KEYCLOAK_ADMIN_PASS: ["ml-servicesapi", "ml-scheduler"],
    RPI_SHARED_PASS: ["dcc-servicesapi", "dcc-init"],
    SMTP_PASS: ["dcc-servicesapi", "dcc-init"],
    DEFAULT_DCC_ADMIN_PASS: ["dcc-init"],
};

const OTHERS = ["web-ui", "admin-ui", "socket-io", "auth-api", "service-10", "service-11", "service-12", "service-13", "service-14"];
const SECRETS: Record<string, string> = {
    "redpointAml.dockerHub.token": "unit-dockerhub-token-51c2",
    "redpointAml.secrets.RPDM_PASS": "unit-rpdm-9a1f",
    "redpointAml.secrets.KEYCLOAK_ADMIN_PASS": "unit-keycloak-03be",
    "redpointAml.secrets.RPI_SHARED_PASS": "unit-rpi-77d2",
    "redpointAml.secrets.SMTP_PASS": "unit-smtp-1e0c",
    "redpointAml.secrets.DEFAULT_DCC_ADMIN_PASS": "unit-dcc-admin-c4a9",
};
const image = (name: string) => `redpointglobal/${name}:7.4.1`;

/** The smallest valid stack with AML on: MinIO, embedded MongoDB, the controller present, 14 services. */
const BASE: Record<string, string> = {
    "cluster.kubeconfig": KUBECONFIG,
    "ingress.controller": "present",
    "storage.kind": "minio",
    "redpointAml.enabled": "true",
    "redpointAml.dockerHub.username": "acme",
    "redpointAml.ingress.ui.service": "web-ui",
    "redpointAml.ingress.admin.service": "admin-ui",
    "redpointAml.ingress.realtime.service": "socket-io",
    "redpointAml.ingress.auth.service": "auth-api",
    ...Object.fromEntries([...PUBLIC_SERVICES, ...OTHERS].flatMap((n, i) => [
        [`redpointAml.services.${n}.image`, image(n)],
        [`redpointAml.services.${n}.port`, String(n === "ml-servicesapi" ? 8913 : 9000 + i)],
    ])),
    ...SECRETS,
};

async function stack(config: Record<string, string> = {}, drop: string[] = []): Promise<StackRun> {
    const all = { ...BASE, ...config };
    for (const k of drop) delete all[k];
    const run = await runStack(all, [...Object.keys(SECRETS), "registry.mirror.password"].filter((k) => k in all));
    if (run.error) throw run.error;
    return run;
}

const inNs = (run: StackRun, type: string) => byType(run, type).filter((r) => r.inputs?.metadata?.namespace === NS);
const podOf = (r: Registered) => r.inputs.spec.template.spec;
const containerOf = (r: Registered) => podOf(r).containers[0];
/** The env of a container: name → its secretKeyRef (or plain value). */
const envOf = (c: any): Record<string, any> => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.valueFrom?.secretKeyRef ?? { value: e.value }]));

describe("Redpoint AML: the secrets table", function () {
    this.timeout(60_000);

    it("is the guide's table, cell by cell", () => {
        assert.deepStrictEqual(Object.keys(SECRETS_TABLE), Object.keys(GUIDE_TABLE));
        for (const [variable, services] of Object.entries(GUIDE_TABLE)) {
            for (const s of PUBLIC_SERVICES) {
                assert.strictEqual((SECRETS_TABLE as Record<string, { services: readonly string[] }>)[variable].services.includes(s), services.includes(s), `${variable} × ${s}`);
            }
        }
        assert.deepStrictEqual(secretVariablesOf("dcc-init"), ["MONGODB_NAME", "RPI_SHARED_PASS", "SMTP_PASS", "DEFAULT_DCC_ADMIN_PASS"]);
        assert.deepStrictEqual(secretVariablesOf("web-ui"), []);
    });

    it("each container gets exactly its row through secretKeyRef, from the right Secret and key, and nothing else", async () => {
        const run = await stack();
        const deployments = inNs(run, DEPLOYMENT);
        assert.strictEqual(deployments.length, 14);
        const source: Record<string, { name: string; key: string }> = {
            MONGODB_NAME: { name: "mongodb-credentials", key: "uri" },
            S3_ACCESS_KEY: { name: "minio-credentials", key: "accessKey" },
            S3_SECRET_ACCESS_KEY: { name: "minio-credentials", key: "secretKey" },
            ADL2_ACCESS_KEY: { name: "aml-secrets", key: "adl2-access-key" },
            GCS_CREDENTIAL: { name: "aml-secrets", key: "gcs-credential" },
            RPDM_PASS: { name: "aml-secrets", key: "rpdm-pass" },
            KEYCLOAK_ADMIN_PASS: { name: "aml-secrets", key: "keycloak-admin-pass" },
            RPI_SHARED_PASS: { name: "aml-secrets", key: "rpi-shared-pass" },
            SMTP_PASS: { name: "aml-secrets", key: "smtp-pass" },
            DEFAULT_DCC_ADMIN_PASS: { name: "aml-secrets", key: "default-dcc-admin-pass" },
        };
        // The store's credentials Secret in AML's namespace (MinIO's bucket user).
        const store = one(run, SECRET, "minio-credentials-aml").inputs;
        assert.strictEqual(store.metadata.namespace, NS);
        source.S3_ACCESS_KEY.name = source.S3_SECRET_ACCESS_KEY.name = store.metadata.name;
        for (const d of deployments) {
            const name = d.inputs.metadata.name;
            const expected = Object.fromEntries(Object.entries(GUIDE_TABLE).filter(([, s]) => s.includes(name)).map(([v]) => [v, source[v]]));
            assert.deepStrictEqual(envOf(containerOf(d)), expected, name);
        }
        // The platform's Secret holds the settings' values, as secrets.
        const own = one(run, SECRET, "aml-secrets").inputs;
        assert.strictEqual(unsecret(own.stringData)["rpdm-pass"], SECRETS["redpointAml.secrets.RPDM_PASS"]);
        assert.strictEqual(unsecret(own.stringData)["adl2-access-key"], "", "ADL2_ACCESS_KEY may stay empty");
        assert.strictEqual(one(run, SECRET, "mongodb-credentials").inputs.metadata.namespace, NS);
    });

    it("no secret value appears in plain text in any resource or output", async () => {
        const run = await stack();
        assert.deepStrictEqual(plainTextLeaks(run.serializedOutputs, Object.values(SECRETS)), []);
        for (const r of run.resources) {
            for (const [field, value] of Object.entries(r.inputs ?? {})) {
                if (r.type === SECRET && (field === "stringData" || field === "data")) continue;
                assert.deepStrictEqual(plainTextLeaks(value, Object.values(SECRETS)), [], `${r.type} ${r.name}.${field}`);
            }
        }
    });
});

describe("Redpoint AML: the component through the stack", function () {
    this.timeout(60_000);

    it("14 Deployments and Services in namespace aml, secure defaults, TCP probes on the port, requests and limits, the Docker Hub pull secret on every pod", async () => {
        const run = await stack({ "redpointAml.services.dbapi.probePath": "/health", "redpointAml.services.dbapi.env": `["LOG_LEVEL=info"]` });
        const ns = one(run, "kubernetes:core/v1:Namespace", NS).inputs;
        assert.strictEqual(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        assert.strictEqual(inNs(run, SERVICE).filter((s) => s.inputs.metadata.labels["app.kubernetes.io/component"] === "microservice").length, 14);
        const pull = one(run, SECRET, "aml-dockerhub").inputs;
        assert.strictEqual(pull.type, "kubernetes.io/dockerconfigjson");
        const config = JSON.parse(unsecret(pull.stringData)[".dockerconfigjson"]);
        assert.deepStrictEqual(config.auths["https://index.docker.io/v1/"].username, "acme");
        assert.strictEqual(config.auths["https://index.docker.io/v1/"].password, SECRETS["redpointAml.dockerHub.token"]);
        for (const d of inNs(run, DEPLOYMENT)) {
            const name = d.inputs.metadata.name;
            const pod = podOf(d);
            const c = containerOf(d);
            assert.deepStrictEqual(pod.imagePullSecrets, [{ name: "aml-dockerhub" }], name);
            assert.strictEqual(c.image, image(name));
            assert.strictEqual(c.securityContext.runAsNonRoot, true);
            assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true);
            assert.deepStrictEqual(Object.keys(c.resources.requests).sort(), ["cpu", "ephemeral-storage", "memory"]);
            const port = Number(BASE[`redpointAml.services.${name}.port`]);
            assert.deepStrictEqual(c.ports, [{ name: "service", containerPort: port, protocol: "TCP" }]);
            if (name === "dbapi") {
                assert.deepStrictEqual(c.readinessProbe.httpGet, { path: "/health", port: "service" });
                assert.deepStrictEqual(envOf(c).LOG_LEVEL, { value: "info" }, "plain settings reach the container");
            }
            else assert.deepStrictEqual(c.readinessProbe.tcpSocket, { port: "service" });
            assert.deepStrictEqual(c.livenessProbe.tcpSocket, { port: "service" });
            const svc = inNs(run, SERVICE).find((s) => s.inputs.metadata.name === name)!;
            assert.deepStrictEqual(svc.inputs.spec.ports, [{ name: "service", protocol: "TCP", port, targetPort: "service" }]);
            assert.deepStrictEqual(svc.inputs.spec.selector, d.inputs.spec.selector.matchLabels);
            for (const check of ["pod-security-restricted", "container-resources", "container-probes", "images-pinned", "no-plaintext-secret-env", "read-only-root-filesystem"] as const) {
                assert.deepStrictEqual(checkResource(check, { type: d.type, name: d.name, props: d.inputs }), [], `${name} ${check}`);
            }
        }
        assert.deepStrictEqual(inNs(run, PDB), [], "one replica each: no PodDisruptionBudget");
    });

    it("a replicated service gets a PodDisruptionBudget and spreads across nodes; extra ports reach its Service", async () => {
        const run = await stack({ "redpointAml.services.ml-servicesapi.replicas": "3", "redpointAml.services.ml-servicesapi.extraPorts": `["8990"]` });
        const pdb = one(run, PDB, "ml-servicesapi").inputs;
        assert.deepStrictEqual(pdb.spec, { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "ml-servicesapi", "app.kubernetes.io/component": "microservice" } } });
        const d = inNs(run, DEPLOYMENT).find((r) => r.inputs.metadata.name === "ml-servicesapi")!;
        assert.strictEqual(d.inputs.spec.replicas, 3);
        assert.strictEqual(podOf(d).topologySpreadConstraints[0].topologyKey, "kubernetes.io/hostname");
        const svc = inNs(run, SERVICE).find((s) => s.inputs.metadata.name === "ml-servicesapi")!;
        assert.deepStrictEqual(svc.inputs.spec.ports.map((p: any) => [p.name, p.port]), [["service", 8913], ["port-8990", 8990]]);
    });

    it("five Ingresses on the stack's class routing the configured paths; host, TLS and cert-manager; the URLs output", async () => {
        const run = await stack({ "redpointAml.host": "aml.example.com", "redpointAml.tls.clusterIssuer": "corp-ca" });
        const ingresses = inNs(run, INGRESS);
        const routes = Object.fromEntries(ingresses.map((i) => {
            const rule = i.inputs.spec.rules[0];
            assert.strictEqual(i.inputs.spec.ingressClassName, "nginx");
            assert.strictEqual(rule.host, "aml.example.com");
            assert.deepStrictEqual(i.inputs.spec.tls, [{ hosts: ["aml.example.com"], secretName: "aml-tls" }]);
            assert.strictEqual(i.inputs.metadata.annotations["cert-manager.io/cluster-issuer"], "corp-ca");
            const p = rule.http.paths[0];
            return [i.inputs.metadata.name, `${p.path} ${p.backend.service.name}:${p.backend.service.port.name}`];
        }));
        assert.deepStrictEqual(routes, {
            "aml-ui": "/ web-ui:service", "aml-admin": "/Admin/ admin-ui:service", "aml-docs": "/docs/ ml-servicesapi:service",
            "aml-realtime": "/socket.io/ socket-io:service", "aml-auth": "/auth/ auth-api:service",
        });
        const out = run.outputs.redpointAml;
        assert.deepStrictEqual([out.uiLoginUrl, out.adminUrl, out.docsUrl], ["https://aml.example.com/#/Login", "https://aml.example.com/Admin/", "https://aml.example.com/docs/"]);
        assert.strictEqual(out.namespace, NS);
        assert.strictEqual(out.mongodb, "embedded");
    });

    it("NetworkPolicies: default deny, DNS, among the services, the ingress controller to the routed ports, MongoDB, the store, the outside ports", async () => {
        const run = await stack();
        const policies = Object.fromEntries(inNs(run, POLICY).map((p) => [p.inputs.metadata.name, p.inputs.spec]));
        assert.deepStrictEqual(Object.keys(policies).sort(), ["aml-default-deny", "aml-dns", "aml-mongodb", "aml-services"]);
        assert.deepStrictEqual(policies["aml-default-deny"], { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        const services = policies["aml-services"];
        const routed = [9005, 9006, 8913, 9007, 9008].map((port) => ({ protocol: "TCP", port }));
        assert.deepStrictEqual(services.ingress[1], { from: [{ namespaceSelector: {} }], ports: routed });
        assert.deepStrictEqual(services.egress.slice(1).map((e: any) => e.ports.map((p: any) => p.port)), [[27017], [9000], [443, 587]]);
        assert.deepStrictEqual(services.egress[2].to, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "mlplat-storage" } } }]);
    });

    it("mirror mode: no Docker Hub secret, the mirror's pull secret on every pod, images relocated and listed", async () => {
        const run = await stack({
            ...MIRROR_BY_TAG, "registry.mode": "mirror", "registry.mirror.host": "registry.corp:5000", "registry.mirror.username": "pull", "registry.mirror.password": "unit-mirror-pw",
        });
        assert.deepStrictEqual(inNs(run, SECRET).filter((s) => s.inputs.metadata.name === "aml-dockerhub"), []);
        assert.strictEqual(inNs(run, SECRET).filter((s) => s.inputs.metadata.name === "mlplat-registry").length, 1);
        for (const d of inNs(run, DEPLOYMENT)) {
            assert.deepStrictEqual(podOf(d).imagePullSecrets, [{ name: "mlplat-registry" }]);
            assert.strictEqual(containerOf(d).image, `registry.corp:5000/${image(d.inputs.metadata.name)}`);
        }
        for (const n of [...PUBLIC_SERVICES, ...OTHERS]) assert.ok(run.outputs.images.includes(`registry.corp:5000/${image(n)}`), n);
    });

    it("the escape hatches: runAsRoot (baseline namespace with the reason, UID 0, flagged by the policy pack) and writableRootFs", async () => {
        const run = await stack({ "redpointAml.services.dbapi.runAsRoot": "true", "redpointAml.services.dcc-init.writableRootFs": "true" });
        const ns = one(run, "kubernetes:core/v1:Namespace", NS).inputs;
        assert.strictEqual(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
        assert.match(ns.metadata.annotations["mlplat.dev/pod-security-reason"], /services dbapi run as root/);
        const d = (name: string) => inNs(run, DEPLOYMENT).find((r) => r.inputs.metadata.name === name)!;
        assert.deepStrictEqual([containerOf(d("dbapi")).securityContext.runAsUser, containerOf(d("dbapi")).securityContext.runAsNonRoot], [0, false]);
        const flagged = checkResource("pod-security-restricted", { type: DEPLOYMENT, name: "aml-dbapi", props: d("dbapi").inputs });
        assert.deepStrictEqual(flagged, ["container dbapi: runAsNonRoot is false; runAsUser is 0 (root)"]);
        assert.strictEqual(containerOf(d("dcc-init")).securityContext.readOnlyRootFilesystem, false);
        assert.strictEqual(containerOf(d("ml-scheduler")).securityContext.readOnlyRootFilesystem, true);
        // The writable root is flagged too, by the pack's advisory policy (shown in every preview).
        assert.deepStrictEqual(checkResource("read-only-root-filesystem", { type: DEPLOYMENT, name: "aml-dcc-init", props: d("dcc-init").inputs }),
            ["container dcc-init: root filesystem writable (readOnlyRootFilesystem is not true)"]);
        assert.deepStrictEqual(checkResource("read-only-root-filesystem", { type: DEPLOYMENT, name: "aml-ml-scheduler", props: d("ml-scheduler").inputs }), []);
    });

    it("external MongoDB: the user's connection string as MONGODB_NAME, egress to its port, no MongoDB pods", async () => {
        const uri = "mongodb://aml:unit-mongo-pw@mongo.corp.example:27018/aml?tls=true";
        const run = await runStack({ ...BASE, "data.mongodb.mode": "external", "data.mongodb.external.uri": uri }, [...Object.keys(SECRETS), "data.mongodb.external.uri"]);
        assert.ifError(run.error);
        assert.deepStrictEqual(byType(run, "kubernetes:apps/v1:StatefulSet").filter((s) => s.inputs.metadata.namespace === NS), []);
        const policies = Object.fromEntries(inNs(run, POLICY).map((p) => [p.inputs.metadata.name, p.inputs.spec]));
        assert.ok(!("aml-mongodb" in policies));
        assert.deepStrictEqual(policies["aml-services"].egress[1], { ports: [{ protocol: "TCP", port: 27018 }] });
        assert.deepStrictEqual(plainTextLeaks(run.serializedOutputs, ["unit-mongo-pw"]), []);
        assert.strictEqual(run.outputs.redpointAml.mongodb, "external");
    });

    it("the dev stack: AML with 14 services from Pulumi.dev.yaml, its --secret values read as secrets", async () => {
        const run = await runStack({ ...stackFileConfig("dev"), "cluster.kubeconfig": KUBECONFIG });
        assert.ifError(run.error);
        assert.strictEqual(inNs(run, DEPLOYMENT).length, 14);
        assert.strictEqual(inNs(run, INGRESS).length, 5);
        for (const d of inNs(run, DEPLOYMENT)) assert.strictEqual(d.inputs.spec.replicas, 1);
        const own = one(run, SECRET, "aml-secrets").inputs;
        assert.strictEqual(unsecret(own.stringData)["rpdm-pass"], fileSecret("redpointAml.secrets.RPDM_PASS"));
        assert.deepStrictEqual(run.outputs.redpointAml.services.length, 14);
    });
});

/** A MinIO-like store for the component on its own: its credentials Secret in each namespace. */
function fakeStore(): ObjectStore {
    const made = new Map<string, k8s.core.v1.Secret>();
    return {
        kind: "minio", endpoint: pulumi.output("minio.mlplat-storage.svc:9000"), url: pulumi.output("http://minio.mlplat-storage.svc:9000"),
        bucket: pulumi.output("aml"), serverNamespace: "mlplat-storage", serverPort: 9000, tls: false, region: "us-east-1",
        accessKeyId: pulumi.output("aml"), secretAccessKey: pulumi.secret("unit-store-secret"),
        credentialsSecret: (ns) => {
            if (!made.has(ns.plainName)) {
                made.set(ns.plainName, new k8s.core.v1.Secret(`store-${ns.plainName}`, { metadata: { name: "minio-credentials", namespace: ns.name }, stringData: { accessKey: "aml", secretKey: "unit-store-secret" } }));
            }
            return made.get(ns.plainName)!;
        },
    };
}

const componentArgs = (over: Partial<RedpointAmlArgs> = {}): RedpointAmlArgs => ({
    services: [...PUBLIC_SERVICES, ...OTHERS].map((name, i) => ({ name, image: image(name), port: 9000 + i })),
    secrets: { RPDM_PASS: "a", KEYCLOAK_ADMIN_PASS: "b", RPI_SHARED_PASS: "c", SMTP_PASS: "d", DEFAULT_DCC_ADMIN_PASS: "e" },
    mongodb: { cosmosdb: { resourceGroupName: "rg-aml", location: "westeurope", accountName: "mlplat-aml" } },
    storage: fakeStore(),
    ingresses: { ui: { service: "web-ui", path: "/" }, admin: { service: "admin-ui", path: "/Admin/" }, docs: { service: "ml-servicesapi", path: "/docs/" }, realtime: { service: "socket-io", path: "/socket.io/" }, auth: { service: "auth-api", path: "/auth/" } },
    ...over,
});

const COSMOS_STRINGS = [
    { connectionString: "mongodb://mlplat-aml:unit-cosmos-key==@mlplat-aml.mongo.cosmos.azure.com:10255/?ssl=true&replicaSet=globaldb&retrywrites=false", description: "Primary MongoDB Connection String", keyKind: "Primary", type: "MongoDB" },
    { connectionString: "mongodb://mlplat-aml:unit-cosmos-key2==@mlplat-aml.mongo.cosmos.azure.com:10255/?ssl=true", description: "Secondary MongoDB Connection String", keyKind: "Secondary", type: "MongoDB" },
];

async function underAzure(args: RedpointAmlArgs) {
    return runUnderMocks(() => {
        const { ctx, opts } = testContext();
        const aml = new RedpointAml("aml", args, ctx, opts);
        return { mongodb: aml.mongodbMode };
    }, "azure-native:", (a) => {
        // azure-native names an account after its accountName input (the shared mocks do not know this type).
        const answer = azureState(a);
        return a.type === "azure-native:cosmosdb:DatabaseAccount" ? { ...answer, state: { ...answer.state, name: a.inputs.accountName } } : answer;
    }, (a) => (a.token === "azure-native:cosmosdb:listDatabaseAccountConnectionStrings" ? { connectionStrings: COSMOS_STRINGS } : azureCall(a)), true);
}

describe("Redpoint AML: the component on its own", function () {
    this.timeout(60_000);

    it("CosmosDB: a MongoDB-API account and database, the listed primary connection string (with the database) as a Secret read as MONGODB_NAME", async () => {
        const run = await underAzure(componentArgs());
        assert.ifError(run.error);
        const account = run.resources.find((r) => r.type === "azure-native:cosmosdb:DatabaseAccount")!;
        assert.deepStrictEqual([account.inputs.kind, account.inputs.location, account.inputs.accountName, account.inputs.resourceGroupName], ["MongoDB", "westeurope", "mlplat-aml", "rg-aml"]);
        const db = run.resources.find((r) => r.type === "azure-native:cosmosdb:MongoDBResourceMongoDBDatabase")!;
        assert.deepStrictEqual([db.inputs.databaseName, db.inputs.accountName, db.inputs.resource], ["aml", "mlplat-aml", { id: "aml" }]);
        assert.ok(run.calls.includes("azure-native:cosmosdb:listDatabaseAccountConnectionStrings"));
        const secret = run.resources.find((r) => r.type === SECRET && r.inputs.metadata.name === "aml-mongodb")!;
        assert.strictEqual(unsecret(secret.inputs.stringData).uri, "mongodb://mlplat-aml:unit-cosmos-key==@mlplat-aml.mongo.cosmos.azure.com:10255/aml?ssl=true&replicaSet=globaldb&retrywrites=false");
        assert.deepStrictEqual(secret.dependsOn, ["aml-cosmosdb-database"]);
        const deployments = run.resources.filter((r) => r.type === DEPLOYMENT);
        for (const d of deployments) {
            const env = envOf(containerOf(d));
            if (secretVariablesOf(d.inputs.metadata.name).includes("MONGODB_NAME")) assert.deepStrictEqual(env.MONGODB_NAME, { name: "aml-mongodb", key: "uri" });
            else assert.ok(!("MONGODB_NAME" in env));
        }
        assert.deepStrictEqual(run.resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet"), []);
        assert.strictEqual(run.result?.mongodb, "cosmosdb");
        const policy = run.resources.find((r) => r.type === POLICY && r.inputs.metadata.name === "aml-services")!;
        assert.deepStrictEqual(policy.inputs.spec.egress[1], { ports: [{ protocol: "TCP", port: 10255 }] });
    });

    it("refuses bad Args before creating anything, naming each field", async () => {
        const cases: [Partial<RedpointAmlArgs>, string][] = [
            [{ mongodb: { cosmosdb: { resourceGroupName: "rg", location: "", accountName: "mlplat-aml" } } }, "mongodb.cosmosdb.location: CosmosDB needs an Azure location"],
            [{ mongodb: { service: "mongodb", mode: "external", external: "mongo.corp:27017" } }, "mongodb.external: must be a mongodb:// or mongodb+srv:// URL"],
            [{ services: componentArgs().services.map((s) => (s.name === "dbapi" ? { ...s, image: "" } : s)) }, "service dbapi: image: has no image"],
            [{ services: componentArgs().services.filter((s) => s.name !== "dcc-init") }, "service dcc-init: image: has no image: dcc-init is one of the guide's services"],
            [{ services: componentArgs().services.map((s) => (s.name === "dbapi" ? { ...s, extraPorts: [s.port] } : s)) }, "service dbapi: extraPorts: port 9002 is listed twice"],
            [{ ingresses: { ...componentArgs().ingresses, admin: { service: "admin-ui", path: "/" } } }, "ingress admin: path: path / is already the ui endpoint's"],
            [{ secrets: { RPDM_PASS: "a" } }, "secrets.KEYCLOAK_ADMIN_PASS: has no value"],
        ];
        for (const [over, message] of cases) {
            const run = await underAzure(componentArgs(over));
            assert.ok(run.error, message);
            assert.ok(run.error.message.includes(message), `${run.error.message}\n  expected: ${message}`);
            assert.deepStrictEqual(run.resources.filter((r) => r.type !== "pulumi:providers:kubernetes" && r.type !== "mlplat:registry:Registry" && r.type !== "mlplat:platforms:RedpointAml"), [], message);
        }
    });

    it("reads ports and CosmosDB strings as documented", () => {
        assert.strictEqual(mongoPort("mongodb://u:p@a.example:27018,b.example:27019/db"), 27018);
        assert.strictEqual(mongoPort("mongodb+srv://u:p@cluster.example/db"), 27017);
        assert.strictEqual(mongoPort("mongodb://u:p%40x@host/db"), 27017);
        assert.strictEqual(cosmosMongoUri([COSMOS_STRINGS[1], COSMOS_STRINGS[0]], "x"), COSMOS_STRINGS[0].connectionString.replace("10255/?", "10255/x?"));
    });
});

describe("Redpoint AML: invalid config, each problem with its key", () => {
    const problems = (config: Record<string, string>, drop: string[] = [], secrets = Object.keys(SECRETS)) => {
        const all = { ...BASE, ...config };
        for (const k of drop) delete all[k];
        return configProblems(all, secrets.filter((k) => k in all));
    };
    const cases: [string, Record<string, string>, string[], [string, string][], string[]?][] = [
        ["the valid base", {}, [], []],
        ["a public service with no image", {}, ["redpointAml.services.dbapi.image", "redpointAml.services.dbapi.port"], [
            ["mlplat:redpointAml.services.dbapi.image", "is required: the service's pinned image (Redpoint's Docker Hub repository or your mirror)"],
            ["mlplat:redpointAml.services.dbapi.port", "has no port (the vendor's manifests give it)"],
        ]],
        ["a vendor service with no image", { "redpointAml.services.service-15.port": "9100" }, [], [
            ["mlplat:redpointAml.services.service-15.image", "is required: the service's pinned image (Redpoint's Docker Hub repository or your mirror)"],
        ]],
        ["a floating tag", { "redpointAml.services.dbapi.image": "redpointglobal/dbapi:latest" }, [], [
            ["mlplat:redpointAml.services.dbapi.image", "must be an image with a pinned tag or digest (not latest)"],
        ]],
        ["a secret in plain text", {}, [], [
            ["mlplat:redpointAml.secrets.RPDM_PASS", "is a secret but was set as plain text (it is stored unencrypted in the stack file)"],
        ], Object.keys(SECRETS).filter((k) => k !== "redpointAml.secrets.RPDM_PASS")],
        ["a required secret missing", {}, ["redpointAml.secrets.SMTP_PASS"], [
            ["mlplat:redpointAml.secrets.SMTP_PASS", "is required when redpointAml.enabled is true: SMTP_PASS of the guide's secrets table (dcc-servicesapi, dcc-init)"],
        ]],
        ["a malformed connection string", { "data.mongodb.mode": "external", "data.mongodb.external.uri": "mongodb:/mongo.corp:27017/aml" }, [], [
            ["mlplat:data.mongodb.external.uri", "must be a mongodb:// or mongodb+srv:// URL"],
        ], [...Object.keys(SECRETS), "data.mongodb.external.uri"]],
        ["a connection string of another scheme", { "data.mongodb.mode": "external", "data.mongodb.external.uri": "postgres://u:p@db:5432/aml" }, [], [
            ["mlplat:data.mongodb.external.uri", "must be a mongodb:// or mongodb+srv:// URL"],
        ], [...Object.keys(SECRETS), "data.mongodb.external.uri"]],
        ["a port listed twice", { "redpointAml.services.admin-ui.extraPorts": `["9006"]` }, [], [
            ["mlplat:redpointAml.services.admin-ui.extraPorts", "port 9006 is listed twice (a Service cannot expose a port twice)"],
        ]],
        ["a table variable as a plain setting", { "redpointAml.services.dbapi.env": `["LOG_LEVEL=info","RPDM_PASS=plain"]` }, [], [
            ["mlplat:redpointAml.services.dbapi.env", "sets RPDM_PASS, a variable of the guide's secrets table: it reaches containers only from its Secret"],
        ]],
        ["a path used twice", { "redpointAml.ingress.auth.path": "/Admin/" }, [], [
            ["mlplat:redpointAml.ingress.auth.path", "path /Admin/ is already the admin endpoint's (two Ingresses cannot route one path)"],
        ]],
        ["an ingress naming no service", {}, ["redpointAml.ingress.ui.service"], [["mlplat:redpointAml.ingress.ui.service", "names no service"]]],
        ["an ingress naming an unknown service", { "redpointAml.ingress.ui.service": "webui" }, [], [
            ["mlplat:redpointAml.ingress.ui.service", `names service webui, which is not configured (services: ${[...PUBLIC_SERVICES, ...[...OTHERS].sort()].join(", ")})`],
        ]],
        ["CosmosDB without an Azure location", { "redpointAml.mongodb.mode": "cosmosdb", "redpointAml.cosmosdb.resourceGroup": "rg-aml", "redpointAml.cosmosdb.accountName": "mlplat-aml" }, [], [
            ["mlplat:redpointAml.cosmosdb.location", "is required when redpointAml.mongodb.mode is cosmosdb: the Azure region of the Cosmos DB account"],
        ]],
        ["CosmosDB settings in data mode", { "redpointAml.cosmosdb.location": "westeurope" }, [], [
            ["mlplat:redpointAml.cosmosdb.location", "is a Cosmos DB setting but redpointAml.mongodb.mode is data, so it would be ignored"],
        ]],
        ["a Docker Hub user without a token", {}, ["redpointAml.dockerHub.token"], [["mlplat:redpointAml.dockerHub.token", "the Docker Hub username and token go together"]]],
        ["cert-manager without a host", { "redpointAml.tls.clusterIssuer": "corp-ca" }, [], [["mlplat:redpointAml.host", "is required with redpointAml.tls.clusterIssuer: cert-manager issues certificates for a host"]]],
        ["root UID without the escape hatch", { "redpointAml.services.dbapi.runAsUser": "0" }, [], [
            ["mlplat:redpointAml.services.dbapi.runAsUser", "must be a UID above 0 (runAsRoot is the escape hatch for root)"],
        ]],
        ["the namespace of another platform", { "redpointAml.namespace": "mlplat-storage" }, [], [
            ["mlplat:redpointAml.namespace", "must differ from storage.minio.namespace (mlplat-storage): each creates its namespace"],
        ]],
        ["no ingress controller", { "ingress.controller": "none" }, [], [
            ["mlplat:ingress.controller", "Redpoint AML (redpointAml.enabled) needs an ingress controller, but none is enabled or declared present"],
        ]],
    ];
    for (const [title, config, drop, expected, secrets] of cases) {
        it(title, () => assert.deepStrictEqual(problems(config, drop, secrets), expected));
    }

    it("AML's settings are refused while it is off", () => {
        const off = configProblems({ "cluster.kubeconfig": KUBECONFIG, "redpointAml.host": "aml.example.com", "redpointAml.services.dbapi.image": image("dbapi") });
        assert.deepStrictEqual(off, [
            ["mlplat:redpointAml.host", "is set but redpointAml.enabled is false, so it would be ignored"],
            ["mlplat:redpointAml.services.dbapi", "is set but redpointAml.enabled is false, so the service would not be deployed"],
        ]);
    });
});
