// Data services: every mode of every service under Pulumi mocks, the connection contract,
// and the data.* / registry.chartMirror config rules.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { PlatformContext } from "../../components/core/context";
import { PlatformNamespace } from "../../components/core/namespace";
import { container, execProbe, podSpec } from "../../components/core/workload";
import { Registry } from "../../components/registry";
import {
    CONNECTIONS, DataMode, DataService, DataServiceArgs, DataServiceName, externalConnectionValues, isConnectionString,
} from "../../components/data";
import { ConfigError, parseConfig } from "../../stacks/config";
import { createDataService } from "../../stacks/foundation";
import { configProblems, MOCK_SECRETS, plainTextLeaks, Registered, SECRET_SIG, tempKubeconfig } from "./harness";

const SERVICES: DataServiceName[] = ["postgresql", "redis", "rabbitmq", "mongodb"];
const NAME: Record<DataServiceName, string> = { postgresql: "pg", redis: "cache", rabbitmq: "mq", mongodb: "mongo" };
const STATEFULSET = "kubernetes:apps/v1:StatefulSet";
const SECRET = "kubernetes:core/v1:Secret";
const SERVICE = "kubernetes:core/v1:Service";
const CHART = "kubernetes:helm.sh/v4:Chart";
const RANDOM = "random:index/randomPassword:RandomPassword";
const TITLE: Record<DataServiceName, string> = { postgresql: "PostgreSQL", redis: "Redis", rabbitmq: "RabbitMQ", mongodb: "MongoDB" };
/** What `run` registers around the data services. */
const FIXTURES = ["pulumi:pulumi:Stack", "pulumi:providers:kubernetes", "mlplat:registry:Registry", "mlplat:core:Namespace", "kubernetes:core/v1:Namespace"];

/** Deep copy with every secret wrapper removed. */
function plain(v: any): any {
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === "object") {
        if (v["4dabf18193072939515e22adb298388d"] === SECRET_SIG) return plain(v.value);
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    }
    return v;
}

interface Run {
    resources: Registered[];
    /** Resources of one type, optionally with one metadata name (or Pulumi name). */
    all(type: string, name?: string): Registered[];
    one(type: string, name?: string): Registered;
}

/**
 * Registers `build(ctx, namespaces)` under mocks: a public (or mirror) registry, the
 * namespaces `pipeline` and `gateway`, extra label team=ml, cluster StorageClass `fast`.
 */
async function run(build: (ctx: PlatformContext, ns: { pipeline: PlatformNamespace; gateway: PlatformNamespace }) => void,
    opts: { mirror?: boolean } = {}): Promise<Run> {
    const resources: Registered[] = [];
    pulumi.runtime.setMocks({
        newResource: (a) => {
            resources.push({ type: a.type, name: a.name, inputs: a.inputs });
            const state = a.type === RANDOM ? { ...a.inputs, result: MOCK_SECRETS.randomPassword(a.name) } : a.inputs;
            return { id: `${a.name}-id`, state };
        },
        call: (a) => a.inputs,
    }, "mlplat", "unit", false);
    await pulumi.runtime.runInPulumiStack(async () => {
        // Every resource constructed, so the run can wait until all of them are registered.
        const constructed: pulumi.Resource[] = [];
        pulumi.runtime.registerStackTransformation((args) => { constructed.push(args.resource); return undefined; });
        const registry = new Registry("registry", opts.mirror
            ? { mode: "mirror", mirrorHost: "registry.corp:5000", pathPrefix: "mlplat", username: "puller", password: pulumi.secret("pw"), pullSecretName: "mlplat-registry" }
            : { mode: "public", pullSecretName: "mlplat-registry" });
        pulumi.runtime.registerStackTransformation((args) => {
            const props = registry.transformProps({ type: args.type, props: args.props as Record<string, unknown> });
            return props ? { props, opts: args.opts } : undefined;
        });
        const ctx: PlatformContext = {
            cluster: { provider: new k8s.Provider("k8s", {}), flavour: "local", loadBalancer: true, defaultStorageClass: true, storageClass: "fast" },
            registry, extraLabels: { team: "ml" },
        };
        build(ctx, {
            pipeline: new PlatformNamespace("pipeline-ns", { name: "pipeline", partOf: "inference" }, ctx),
            gateway: new PlatformNamespace("gateway-ns", { name: "gateway", partOf: "inference" }, ctx),
        });
        await new Promise((resolve) => pulumi.all(constructed.map((res) => res.urn)).apply(resolve));
    });
    const all = (type: string, name?: string) =>
        resources.filter((r) => r.type === type && (name === undefined || r.inputs?.metadata?.name === name || r.name === name));
    return {
        resources, all,
        one: (type, name) => {
            const found = all(type, name);
            assert.strictEqual(found.length, 1, `expected one ${type} ${name ?? ""}, found ${found.map((r) => r.name).join(", ") || "none"}`);
            return found[0];
        },
    };
}

/** One service in one mode in namespace `pipeline`, with its connection Secret requested there and in `gateway`. */
function deploy(service: DataServiceName, mode: DataMode, extra: Partial<DataServiceArgs> = {}, opts: { mirror?: boolean } = {}) {
    let conn!: DataService;
    return run((ctx, ns) => {
        conn = new DataService(NAME[service], { service, mode, ...extra }, ctx, ns.pipeline);
        conn.secretIn(ns.pipeline);
        conn.secretIn(ns.gateway);
        conn.secretIn(ns.gateway); // once per namespace
    }, opts).then((r) => ({ ...r, conn }));
}

const secretData = (r: Registered) => plain(r.inputs.stringData);
const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const password = (service: DataServiceName, key: string) => MOCK_SECRETS.randomPassword(`${NAME[service]}-${key}`);
const EXTERNAL: Record<DataServiceName, string> = {
    postgresql: "postgres://ml%40corp:p%2Fss-93ab@db.corp:6432/ml?sslmode=require",
    redis: "rediss://:redis-pass-51c2@cache.corp:6380/0",
    rabbitmq: "amqps://mq-user:mq-pass-7d1f@mq.corp/prod",
    mongodb: "mongodb://cosmos-acct:c2VjcmV0LWtleQ==@cosmos-acct.mongo.cosmos.azure.com:10255/?ssl=true&replicaSet=globaldb&retrywrites=false",
};

describe("data services: embedded", function () {
    this.timeout(30_000);

    const expected: Record<DataServiceName, {
        image: string; uid: number; gid: number; probe: string[]; ports: [string, number][]; size: string; dataPath: string;
        auth: string[]; secretEnv: Record<string, string>; env: Record<string, string>;
    }> = {
        postgresql: {
            image: "postgres:16.15-alpine", uid: 70, gid: 70, size: "8Gi", dataPath: "/var/lib/postgresql/data",
            probe: ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres"], ports: [["postgresql", 5432]],
            auth: ["password", "postgres-password"],
            secretEnv: { POSTGRES_PASSWORD: "postgres-password", APP_PASSWORD: "password" },
            env: { POSTGRES_USER: "postgres", PGDATA: "/var/lib/postgresql/data/pgdata", APP_USERNAME: "mlservice", APP_DATABASE: "mlservice" },
        },
        redis: {
            image: "redis:7.4.11-alpine", uid: 999, gid: 1000, size: "2Gi", dataPath: "/data",
            probe: ["sh", "-c", "redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG"], ports: [["redis", 6379]],
            auth: ["redis-password", "redis.conf"], secretEnv: { REDISCLI_AUTH: "redis-password" }, env: {},
        },
        rabbitmq: {
            image: "rabbitmq:4.2.1-management-alpine", uid: 100, gid: 101, size: "4Gi", dataPath: "/var/lib/rabbitmq",
            probe: ["rabbitmq-diagnostics", "-q", "ping"], ports: [["rabbitmq", 5672], ["management", 15672]],
            auth: ["rabbitmq-password"], secretEnv: { RABBITMQ_DEFAULT_PASS: "rabbitmq-password" }, env: { RABBITMQ_DEFAULT_USER: "mlplat" },
        },
        mongodb: {
            image: "mongo:7.0.26", uid: 999, gid: 999, size: "8Gi", dataPath: "/data/db",
            probe: ["mongosh", "--quiet", "--eval", "db.adminCommand('ping')"], ports: [["mongodb", 27017]],
            auth: ["mongodb-passwords", "mongodb-root-password"],
            secretEnv: { MONGO_INITDB_ROOT_PASSWORD: "mongodb-root-password", MONGO_APP_PASSWORD: "mongodb-passwords" },
            env: { MONGO_INITDB_ROOT_USERNAME: "root", MONGO_APP_USERNAME: "appstore", MONGO_APP_DATABASE: "appstore", HOME: "/tmp" },
        },
    };

    for (const service of SERVICES) {
        const x = expected[service];
        describe(service, () => {
            let r: Awaited<ReturnType<typeof deploy>>;
            before(async () => { r = await deploy(service, "embedded"); });

            it("registers the StatefulSet, its Services, the auth Secret and the connection Secrets, nothing else", () => {
                const types = r.resources.filter((x) => !FIXTURES.includes(x.type)).map((x) => x.type).sort();
                const init = service === "postgresql" || service === "mongodb" ? ["kubernetes:core/v1:ConfigMap"] : [];
                assert.deepStrictEqual(types, [
                    `mlplat:data:${TITLE[service]}`, STATEFULSET, SERVICE, SERVICE, SECRET, SECRET, SECRET, ...init,
                    ...x.auth.filter((k) => k !== "redis.conf").map(() => RANDOM),
                ].sort());
            });

            it("runs the official image in a StatefulSet with a volumeClaimTemplate, non-root, read-only root", () => {
                const sts = r.one(STATEFULSET, service).inputs;
                assert.strictEqual(sts.metadata.namespace, "pipeline");
                assert.strictEqual(sts.spec.serviceName, `${service}-headless`);
                assert.strictEqual(sts.metadata.labels["app.kubernetes.io/version"], x.image.split(":")[1]);
                assert.strictEqual(sts.metadata.labels.team, "ml");
                const pod = sts.spec.template.spec;
                const c = pod.containers[0];
                assert.strictEqual(c.image, x.image);
                assert.deepStrictEqual([c.securityContext.runAsUser, pod.securityContext.fsGroup], [x.uid, x.gid]);
                assert.deepStrictEqual([c.securityContext.runAsNonRoot, c.securityContext.readOnlyRootFilesystem, c.securityContext.allowPrivilegeEscalation], [true, true, false]);
                assert.deepStrictEqual(c.securityContext.capabilities, { drop: ["ALL"] });
                assert.deepStrictEqual([pod.automountServiceAccountToken, pod.enableServiceLinks], [false, false]);
                for (const k of ["cpu", "memory", "ephemeral-storage"]) assert.ok(c.resources.requests[k] && c.resources.limits[k], k);
                assert.deepStrictEqual(sts.spec.volumeClaimTemplates, [{
                    metadata: { name: "data", labels: r.one(SERVICE, service).inputs.metadata.labels },
                    spec: { accessModes: ["ReadWriteOnce"], storageClassName: "fast", resources: { requests: { storage: x.size } } },
                }]);
                assert.ok(c.volumeMounts.some((m: any) => m.name === "data" && m.mountPath === x.dataPath));
            });

            it("probes readiness, liveness and startup with the service's own command", () => {
                const c = r.one(STATEFULSET, service).inputs.spec.template.spec.containers[0];
                for (const p of [c.readinessProbe, c.livenessProbe, c.startupProbe]) assert.deepStrictEqual(p.exec.command, x.probe);
                assert.strictEqual(c.startupProbe.failureThreshold, 30);
            });

            it("exposes the ports through a client and a headless Service", () => {
                for (const [name, headless] of [[service, undefined], [`${service}-headless`, "None"]]) {
                    const svc = r.one(SERVICE, name).inputs;
                    assert.strictEqual(svc.spec.clusterIP, headless);
                    assert.deepStrictEqual(svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort]), x.ports.map(([n, p]) => [n, p, n]));
                    assert.deepStrictEqual(svc.spec.selector, { "app.kubernetes.io/name": service, "app.kubernetes.io/component": "server" });
                }
                assert.deepStrictEqual(r.one(STATEFULSET, service).inputs.spec.template.spec.containers[0].ports.map((p: any) => [p.name, p.containerPort]), x.ports);
            });

            it("generates the credentials with random into the service's own Secret, read only through secretKeyRef", () => {
                const auth = r.one(SECRET, `${service}-auth`);
                assert.deepStrictEqual(Object.keys(secretData(auth)).sort(), x.auth);
                assert.strictEqual(r.all(RANDOM).length, x.auth.filter((k) => k !== "redis.conf").length);
                for (const rp of r.all(RANDOM)) assert.deepStrictEqual([rp.inputs.length, rp.inputs.special], [32, false]);
                const env = envOf(r.one(STATEFULSET, service).inputs.spec.template.spec.containers[0]);
                const fromSecrets = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === "object"));
                assert.deepStrictEqual(fromSecrets, Object.fromEntries(Object.entries(x.secretEnv).map(([n, key]) => [n, { secretKeyRef: { name: `${service}-auth`, key } }])));
                assert.deepStrictEqual(Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === "string")), x.env);
            });

            it("creates the connection Secret once per consuming namespace, same keys, values from the generated password", () => {
                const secrets = r.all(SECRET, CONNECTIONS[service].secretName);
                assert.deepStrictEqual(secrets.map((s) => s.inputs.metadata.namespace).sort(), ["gateway", "pipeline"]);
                const data = secretData(secrets[0]);
                assert.deepStrictEqual(Object.keys(data).sort(), [...CONNECTIONS[service].keys].sort());
                const appPassword = password(service, { postgresql: "password", redis: "redis-password", rabbitmq: "rabbitmq-password", mongodb: "mongodb-passwords" }[service]);
                assert.strictEqual(data.password, appPassword);
                const host = `${service}.pipeline.svc.cluster.local`;
                assert.strictEqual(data[CONNECTIONS[service].keys[0]], {
                    postgresql: `postgres://mlservice:${appPassword}@${host}:5432/mlservice?sslmode=disable`,
                    redis: `redis://:${appPassword}@${host}:6379/0`,
                    rabbitmq: `amqp://mlplat:${appPassword}@${host}:5672/`,
                    mongodb: `mongodb://appstore:${appPassword}@${host}:27017/appstore?authSource=appstore`,
                }[service]);
                assert.deepStrictEqual([r.conn.port, r.conn.ready.length], [x.ports[0][1], 3]);
            });

            it("keeps every generated password out of plain inputs", () => {
                const needles = r.all(RANDOM).map((p) => MOCK_SECRETS.randomPassword(p.name));
                assert.ok(needles.length > 0);
                assert.deepStrictEqual(plainTextLeaks(r.resources.map((x) => x.inputs), needles), []);
            });
        });
    }

    it("postgresql: the init script creates a non-superuser owning the database, reading credentials from env", async () => {
        const r = await deploy("postgresql", "embedded", { username: "pipeline", database: "requests" });
        const sql = r.one("kubernetes:core/v1:ConfigMap", "postgresql-init").inputs.data["10-app-user.sql"];
        assert.match(sql, /\\getenv app_password APP_PASSWORD/);
        assert.match(sql, /CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password';/);
        assert.match(sql, /CREATE DATABASE :"app_database" OWNER :"app_user";/);
        const c = r.one(STATEFULSET, "postgresql").inputs.spec.template.spec.containers[0];
        assert.deepStrictEqual([envOf(c).APP_USERNAME, envOf(c).APP_DATABASE], ["pipeline", "requests"]);
        assert.ok(c.volumeMounts.some((m: any) => m.mountPath === "/docker-entrypoint-initdb.d" && m.readOnly));
        assert.deepStrictEqual(c.volumeMounts.filter((m: any) => ["/var/run/postgresql", "/tmp"].includes(m.mountPath)).length, 2);
        assert.match(secretData(r.all(SECRET, "postgres-credentials")[0]).dsn, /^postgres:\/\/pipeline:[^@]+@postgresql\.pipeline\.svc\.cluster\.local:5432\/requests\?sslmode=disable$/);
    });

    it("mongodb: the init script creates the service user with readWrite on the app database only; the contract holds that user", async () => {
        const r = await deploy("mongodb", "embedded");
        const js = r.one("kubernetes:core/v1:ConfigMap", "mongodb-init").inputs.data["10-service-user.js"];
        assert.match(js, /roles: \[\{ role: "readWrite", db: database \}\]/);
        assert.match(js, /pwd: process\.env\.MONGO_APP_PASSWORD/);
        const conn = secretData(r.all(SECRET, "mongodb-credentials")[0]);
        assert.deepStrictEqual([conn.username, conn.password, conn.database], ["appstore", password("mongodb", "mongodb-passwords"), "appstore"]);
        assert.ok(!JSON.stringify(conn).includes(password("mongodb", "mongodb-root-password")), "root password reaches the contract");
    });

    it("redis: the password reaches the server as a mounted config file, not as an argument", async () => {
        const r = await deploy("redis", "embedded");
        const pod = r.one(STATEFULSET, "redis").inputs.spec.template.spec;
        assert.deepStrictEqual(pod.containers[0].args, ["/etc/redis/auth/redis.conf", "--dir", "/data", "--appendonly", "yes"]);
        assert.deepStrictEqual(pod.volumes.find((v: any) => v.name === "auth").secret, { secretName: "redis-auth", items: [{ key: "redis.conf", path: "redis.conf" }], defaultMode: 0o440 });
        assert.strictEqual(secretData(r.one(SECRET, "redis-auth"))["redis.conf"], `requirepass ${password("redis", "redis-password")}\n`);
    });

    it("takes size, StorageClass and image from its arguments", async () => {
        const r = await deploy("rabbitmq", "embedded", { size: "20Gi", storageClass: "premium-rwo", image: "rabbitmq:4.2.1-alpine", username: "pipeline" });
        const sts = r.one(STATEFULSET, "rabbitmq").inputs;
        assert.deepStrictEqual(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "20Gi");
        assert.strictEqual(sts.spec.volumeClaimTemplates[0].spec.storageClassName, "premium-rwo");
        assert.strictEqual(sts.spec.template.spec.containers[0].image, "rabbitmq:4.2.1-alpine");
        assert.strictEqual(secretData(r.all(SECRET, "rabbitmq-credentials")[0]).username, "pipeline");
    });

    it("refuses a floating image tag", async () => {
        await assert.rejects(deploy("redis", "embedded", { image: "redis:latest" }), /container redis: image redis:latest must have a pinned tag or digest/);
    });

    it("relocates the image to the mirror registry", async () => {
        const r = await deploy("postgresql", "embedded", {}, { mirror: true });
        const pod = r.one(STATEFULSET, "postgresql").inputs.spec.template.spec;
        assert.strictEqual(pod.containers[0].image, "registry.corp:5000/mlplat/library/postgres:16.15-alpine");
        assert.deepStrictEqual(pod.imagePullSecrets, [{ name: "mlplat-registry" }]);
    });
});

describe("data services: chart", function () {
    this.timeout(30_000);

    const expected: Record<DataServiceName, { version: string; workload?: string; host: string; auth: string[]; values: Record<string, unknown> }> = {
        postgresql: {
            version: "15.5.38", workload: "primary", host: "postgresql", auth: ["password", "postgres-password"],
            values: {
                architecture: "standalone",
                auth: { username: "mlservice", database: "mlservice", existingSecret: "postgresql-auth", secretKeys: { adminPasswordKey: "postgres-password", userPasswordKey: "password" } },
            },
        },
        redis: {
            version: "20.6.2", workload: "master", host: "redis-master", auth: ["redis-password"],
            values: { architecture: "standalone", auth: { enabled: true, existingSecret: "redis-auth", existingSecretPasswordKey: "redis-password" } },
        },
        rabbitmq: {
            version: "15.4.0", host: "rabbitmq", auth: ["rabbitmq-erlang-cookie", "rabbitmq-password"],
            values: {
                replicaCount: 1,
                auth: {
                    username: "mlplat", existingPasswordSecret: "rabbitmq-auth", existingSecretPasswordKey: "rabbitmq-password",
                    existingErlangSecret: "rabbitmq-auth", existingSecretErlangKey: "rabbitmq-erlang-cookie",
                },
            },
        },
        mongodb: {
            version: "15.6.26", host: "mongodb", auth: ["mongodb-passwords", "mongodb-root-password"],
            values: { architecture: "standalone", auth: { enabled: true, rootUser: "root", usernames: ["appstore"], databases: ["appstore"], existingSecret: "mongodb-auth" } },
        },
    };

    for (const service of SERVICES) {
        const x = expected[service];
        describe(service, () => {
            let r: Awaited<ReturnType<typeof deploy>>;
            before(async () => { r = await deploy(service, "chart"); });

            it("installs the pinned Bitnami chart from its OCI registry into the platform's namespace", () => {
                const chart = r.one(CHART).inputs;
                assert.deepStrictEqual([chart.chart, chart.version, chart.name, chart.namespace, chart.repositoryOpts],
                    [`oci://registry-1.docker.io/bitnamicharts/${service}`, x.version, service, "pipeline", undefined]);
                assert.strictEqual(r.all(STATEFULSET).length, 0);
            });

            it("pulls the images from bitnamilegacy and allows them, with fixed names, our resources and volume", () => {
                const v = plain(r.one(CHART).inputs.values);
                assert.deepStrictEqual(v.global, { security: { allowInsecureImages: true } });
                assert.deepStrictEqual(v.image, { registry: "docker.io", repository: `bitnamilegacy/${service}` });
                assert.strictEqual(v.fullnameOverride, service);
                assert.deepStrictEqual(v.commonLabels, { team: "ml" });
                const workload = x.workload ? v[x.workload] : v;
                assert.deepStrictEqual(workload.persistence, { size: { postgresql: "8Gi", redis: "2Gi", rabbitmq: "4Gi", mongodb: "8Gi" }[service], storageClass: "fast" });
                for (const k of ["cpu", "memory", "ephemeral-storage"]) assert.ok(workload.resources.requests[k] && workload.resources.limits[k], k);
                for (const [k, want] of Object.entries(x.values)) assert.deepStrictEqual(v[k], want, k);
                const repos = JSON.stringify(v).match(/"repository":"[^"]+"/g)!;
                assert.ok(repos.every((s) => s.includes("bitnamilegacy/")), repos.join());
            });

            it("passes the credentials by existingSecret: generated, never in the values", () => {
                assert.deepStrictEqual(Object.keys(secretData(r.one(SECRET, `${service}-auth`))).sort(), x.auth);
                const needles = r.all(RANDOM).map((p) => MOCK_SECRETS.randomPassword(p.name));
                assert.strictEqual(needles.length, x.auth.length);
                assert.deepStrictEqual(plainTextLeaks(r.resources.map((s) => s.inputs), needles), []);
                assert.ok(!JSON.stringify(plain(r.one(CHART).inputs.values)).includes("mock-random"));
            });

            it("points the connection Secrets at the chart's Service and waits for the chart", () => {
                const data = secretData(r.all(SECRET, CONNECTIONS[service].secretName)[0]);
                assert.ok(data[CONNECTIONS[service].keys[0]].includes(`@${x.host}.pipeline.svc.cluster.local:`), data[CONNECTIONS[service].keys[0]]);
                assert.strictEqual(r.all(SECRET, CONNECTIONS[service].secretName).length, 2);
                assert.deepStrictEqual(r.conn.ready, [r.conn.chart]);
            });
        });
    }

    it("pulls the chart from registry.chartMirror at the same version", async () => {
        const r = await deploy("mongodb", "chart", { chartMirror: "oci://registry.corp:5000/charts", chartVersion: "15.6.9" });
        const chart = r.one(CHART).inputs;
        assert.deepStrictEqual([chart.chart, chart.version], ["oci://registry.corp:5000/charts/mongodb", "15.6.9"]);
    });
});

describe("data services: external", function () {
    this.timeout(30_000);

    const expected: Record<DataServiceName, Record<string, string>> = {
        postgresql: { username: "ml@corp", password: "p/ss-93ab", database: "ml", host: "db.corp", port: "6432" },
        redis: { password: "redis-pass-51c2", host: "cache.corp", port: "6380" },
        rabbitmq: { username: "mq-user", password: "mq-pass-7d1f", host: "mq.corp", port: "5671" },
        mongodb: { username: "cosmos-acct", password: "c2VjcmV0LWtleQ==", database: "appstore" },
    };

    for (const service of SERVICES) {
        it(`${service}: copies the user's connection string into a Secret per namespace and deploys nothing else`, async () => {
            const r = await deploy(service, "external", { external: pulumi.secret(EXTERNAL[service]) });
            const secrets = r.all(SECRET, CONNECTIONS[service].secretName);
            assert.deepStrictEqual(secrets.map((s) => s.inputs.metadata.namespace).sort(), ["gateway", "pipeline"]);
            assert.deepStrictEqual(secretData(secrets[0]), { [CONNECTIONS[service].keys[0]]: EXTERNAL[service], ...expected[service] });
            const own = r.resources.filter((x) => !FIXTURES.includes(x.type)).map((x) => x.type);
            assert.deepStrictEqual(own.sort(), [SECRET, SECRET, `mlplat:data:${TITLE[service]}`].sort());
            assert.deepStrictEqual([r.conn.host, r.conn.port, r.conn.ready], [undefined, undefined, []]);
            assert.deepStrictEqual(plainTextLeaks(r.resources.map((x) => x.inputs), [EXTERNAL[service], expected[service].password]), []);
        });
    }

    it("needs the connection string", async () => {
        await assert.rejects(deploy("postgresql", "external"), /data\.postgresql: external mode needs the connection string \(data\.postgresql\.external\.dsn\)/);
    });
});

describe("data services: connection strings", () => {
    it("reads URLs with encoded credentials, default ports and the database fallback", () => {
        assert.deepStrictEqual(externalConnectionValues("postgresql", "postgresql://u:p%40ss@db:5432", "fallback"),
            { dsn: "postgresql://u:p%40ss@db:5432", username: "u", password: "p@ss", database: "fallback", host: "db", port: "5432" });
        assert.deepStrictEqual(externalConnectionValues("rabbitmq", "amqp://guest:guest@mq"), { url: "amqp://guest:guest@mq", username: "guest", password: "guest", host: "mq", port: "5672" });
        assert.deepStrictEqual(externalConnectionValues("redis", "redis://cache:6379"), { url: "redis://cache:6379", password: "", host: "cache", port: "6379" });
    });

    it("reads MongoDB replica-set and SRV URIs", () => {
        const rs = "mongodb://app:pw@m1.corp:27017,m2.corp:27017,m3.corp:27017/zoo?replicaSet=rs0&authSource=admin";
        assert.deepStrictEqual(externalConnectionValues("mongodb", rs), { uri: rs, username: "app", password: "pw", database: "zoo" });
        const srv = "mongodb+srv://app:pw@cluster0.abcde.mongodb.net/?retryWrites=true";
        assert.deepStrictEqual(externalConnectionValues("mongodb", srv, "appstore").database, "appstore");
    });

    it("accepts only the service's schemes", () => {
        assert.ok(isConnectionString("postgresql", "postgres://u:p@h/db"));
        assert.ok(!isConnectionString("postgresql", "host=db user=u password=p"));
        assert.ok(!isConnectionString("redis", "amqp://u:p@h:5672/"));
        assert.ok(!isConnectionString("mongodb", "mongodb://"));
        assert.throws(() => externalConnectionValues("rabbitmq", "http://mq"), /data\.rabbitmq: the external connection string must be a amqp:\/\/ or amqps:\/\/ URL/);
    });
});

describe("data services: from the stack config", function () {
    this.timeout(30_000);
    const KUBECONFIG = tempKubeconfig();
    const cfg = (raw: Record<string, string>, secretKeys: string[] = []) => parseConfig(
        Object.fromEntries(Object.entries({ "cluster.kubeconfig": KUBECONFIG, ...raw }).map(([k, v]) => [`mlplat:${k}`, v])),
        new Set(secretKeys.map((k) => `mlplat:${k}`)));

    it("createDataService builds each service from data.<service>.* and registry.chartMirror", async () => {
        const c = cfg({
            "data.postgresql.mode": "chart", "data.postgresql.chartVersion": "15.5.30", "data.postgresql.size": "50Gi", "data.postgresql.database": "requests",
            "registry.chartMirror": "oci://registry.corp:5000/charts",
            "data.redis.storageClass": "premium", "data.redis.image": "redis:7.4.10-alpine",
            "data.rabbitmq.mode": "external", "data.rabbitmq.external.url": "amqp://u:secret-mq-1@mq.corp:5672/",
            "data.mongodb.username": "zoo_user", "data.mongodb.database": "model_zoo",
        }, ["data.rabbitmq.external.url"]);
        const conns: DataService[] = [];
        const r = await run((ctx, ns) => {
            for (const service of SERVICES) conns.push(createDataService(`cfg-${service}`, service, c, ctx, ns.pipeline));
            // A consumer as a platform writes it: credentials by secretKeyRef, ordered after the servers.
            const [pg, redis, mq, mongo] = conns as [DataService<"postgresql">, DataService<"redis">, DataService<"rabbitmq">, DataService<"mongodb">];
            const worker = container({
                name: "worker", image: "app:1.0", readiness: execProbe(["true"]),
                secretEnv: { POSTGRES_DSN: pg.keyRef(ns.pipeline, "dsn"), REDIS_URL: redis.keyRef(ns.pipeline, "url"), RABBITMQ_URL: mq.keyRef(ns.pipeline, "url"), MONGO_URI: mongo.keyRef(ns.pipeline, "uri") },
            });
            new k8s.apps.v1.Deployment("worker", {
                metadata: { name: "worker", namespace: ns.pipeline.name },
                spec: { selector: { matchLabels: { app: "worker" } }, template: { metadata: { labels: { app: "worker" } }, spec: podSpec({ containers: [worker] }) } },
            }, { dependsOn: conns.flatMap((x) => x.ready) });
        });
        const env = envOf(r.one("kubernetes:apps/v1:Deployment", "worker").inputs.spec.template.spec.containers[0]);
        assert.deepStrictEqual(env, {
            POSTGRES_DSN: { secretKeyRef: { name: "postgres-credentials", key: "dsn" } },
            REDIS_URL: { secretKeyRef: { name: "redis-credentials", key: "url" } },
            RABBITMQ_URL: { secretKeyRef: { name: "rabbitmq-credentials", key: "url" } },
            MONGO_URI: { secretKeyRef: { name: "mongodb-credentials", key: "uri" } },
        });
        assert.deepStrictEqual(conns.map((x) => x.mode), ["chart", "embedded", "external", "embedded"]);
        const chart = r.one(CHART).inputs;
        assert.deepStrictEqual([chart.chart, chart.version, plain(chart.values).primary.persistence.size, plain(chart.values).auth.database],
            ["oci://registry.corp:5000/charts/postgresql", "15.5.30", "50Gi", "requests"]);
        const redis = r.one(STATEFULSET, "redis").inputs.spec;
        assert.deepStrictEqual([redis.template.spec.containers[0].image, redis.volumeClaimTemplates[0].spec.storageClassName], ["redis:7.4.10-alpine", "premium"]);
        assert.strictEqual(secretData(r.one(SECRET, "rabbitmq-credentials")).password, "secret-mq-1");
        const mongo = secretData(r.one(SECRET, "mongodb-credentials"));
        assert.deepStrictEqual([mongo.username, mongo.database], ["zoo_user", "model_zoo"]);
        assert.deepStrictEqual(plainTextLeaks(r.resources.map((x) => x.inputs), ["secret-mq-1"]), []);
    });

    // Each invalid config and exactly the problems it must report: [key, message].
    const INVALID: { name: string; config: Record<string, string>; secretKeys?: string[]; expect: [string, string][] }[] = [
        { name: "unpinned data image", config: { "data.postgresql.image": "postgres:latest" },
            expect: [["mlplat:data.postgresql.image", "must be an image with a pinned tag or digest (not latest)"]] },
        { name: "data size not a quantity", config: { "data.redis.size": "lots" },
            expect: [["mlplat:data.redis.size", "must be a Kubernetes quantity"]] },
        { name: "chart version range", config: { "data.rabbitmq.mode": "chart", "data.rabbitmq.chartVersion": "15.x" },
            expect: [["mlplat:data.rabbitmq.chartVersion", "must be an exact chart version like 1.2.3"]] },
        { name: "invalid data StorageClass", config: { "data.mongodb.storageClass": "Fast SSD" },
            expect: [["mlplat:data.mongodb.storageClass", "must be a Kubernetes object name (lowercase, digits, '-', '.')"]] },
        { name: "invalid database name", config: { "data.mongodb.database": "model-zoo" },
            expect: [["mlplat:data.mongodb.database", "must be a lowercase name: a letter, then letters, digits or '_' (at most 63)"]] },
        { name: "image while the chart is selected", config: { "data.postgresql.mode": "chart", "data.postgresql.image": "postgres:16.14-alpine" },
            expect: [["mlplat:data.postgresql.image", "applies only when data.postgresql.mode is embedded, but it is chart, so it would be ignored"]] },
        { name: "chart version while embedded", config: { "data.redis.chartVersion": "20.6.1" },
            expect: [["mlplat:data.redis.chartVersion", "applies only when data.redis.mode is chart, but it is embedded, so it would be ignored"]] },
        { name: "volume settings for an external service", secretKeys: ["data.mongodb.external.uri"],
            config: { "data.mongodb.mode": "external", "data.mongodb.external.uri": "mongodb://u:p@m:27017/zoo", "data.mongodb.size": "20Gi", "data.mongodb.username": "zoo" },
            expect: [
                ["mlplat:data.mongodb.size", "applies only when data.mongodb.mode is embedded or chart, but it is external, so it would be ignored"],
                ["mlplat:data.mongodb.username", "applies only when data.mongodb.mode is embedded or chart, but it is external, so it would be ignored"],
            ] },
        { name: "external DSN of the wrong scheme", secretKeys: ["data.postgresql.external.dsn"],
            config: { "data.postgresql.mode": "external", "data.postgresql.external.dsn": "mysql://u:secret-9@db:3306/ml" },
            expect: [["mlplat:data.postgresql.external.dsn", "must be a postgres:// or postgresql:// URL"]] },
        { name: "external MongoDB URI that is not a URL", secretKeys: ["data.mongodb.external.uri"],
            config: { "data.mongodb.mode": "external", "data.mongodb.external.uri": "AccountEndpoint=https://x.documents.azure.com:443/;AccountKey=secret-9" },
            expect: [["mlplat:data.mongodb.external.uri", "must be a mongodb:// or mongodb+srv:// URL"]] },
        { name: "chart mirror with a scheme other than oci", config: { "registry.chartMirror": "https://charts.corp" },
            expect: [["mlplat:registry.chartMirror", "must be an OCI registry URL without credentials, like oci://registry.corp:5000/charts"]] },
        { name: "data chart in an air-gapped stack without a chart mirror",
            config: { "registry.mode": "mirror", "registry.mirror.host": "r.corp", "data.redis.mode": "chart", "data.mongodb.mode": "chart" },
            expect: [["mlplat:registry.chartMirror", "is required when registry.mode is mirror and a data service uses its chart (data.redis.mode, data.mongodb.mode): the air-gapped cluster cannot reach the public chart registry"]] },
    ];

    for (const c of INVALID) {
        it(`rejects: ${c.name}`, () => {
            const problems = configProblems({ "cluster.kubeconfig": KUBECONFIG, ...c.config }, c.secretKeys);
            assert.deepStrictEqual(problems, c.expect);
            assert.ok(!JSON.stringify(problems).includes("secret-9"), "a secret value is printed");
        });
    }

    it("names --secret in the fix for a malformed secret", () => {
        try {
            cfg({ "data.redis.mode": "external", "data.redis.external.url": "cache:6379" }, ["data.redis.external.url"]);
            assert.fail("passed");
        } catch (e) {
            assert.strictEqual((e as ConfigError).problems[0].hint, "pulumi config set --secret data.redis.external.url 'redis://:pass@redis.example:6379/0'");
        }
    });

    it("accepts settings in the modes they apply to", () => {
        cfg({
            "data.postgresql.mode": "chart", "data.postgresql.chartVersion": "15.5.30", "data.postgresql.size": "1Gi", "data.postgresql.username": "pipeline",
            "data.redis.image": "redis:7.4.10-alpine", "data.redis.storageClass": "fast",
            "data.mongodb.mode": "external", "data.mongodb.external.uri": EXTERNAL.mongodb, "data.mongodb.database": "zoo",
            "registry.mode": "mirror", "registry.mirror.host": "r.corp", "registry.chartMirror": "oci://r.corp/charts",
        }, ["data.mongodb.external.uri"]);
    });
});

describe("data services: package", () => {
    it("exports the component, the factory and the contract's tables from lib", async () => {
        const lib = await import("../../lib");
        for (const name of ["DataService", "createDataService", "dataServiceArgs", "externalConnectionValues"]) assert.strictEqual(typeof (lib as any)[name], "function", name);
        assert.strictEqual((lib as any).CONNECTIONS.postgresql.secretName, "postgres-credentials");
    });
});
