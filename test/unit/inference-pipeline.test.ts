// The InferencePipeline component through the real composition (stacks/compose.ts) under
// mocks: every inferencePipeline.* option, every mode of the data services it consumes,
// KEDA by chart or present, ordering through dependsOn, NetworkPolicies, outputs, invalid
// configs with their exact messages, and secrets kept out of plain inputs and outputs.
import * as assert from "assert";
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { PlatformContext } from "../../components/core/context";
import { PlatformNamespace } from "../../components/core/namespace";
import { DataService } from "../../components/data";
import {
    apiServiceConfigYaml, benthosConfigs, COMPONENT_ENV, InferencePipeline, pipelineNames, PipelineNames, schemaSql,
} from "../../components/platforms/inference-pipeline";
import { Registry } from "../../components/registry";
import { ConfigError } from "../../stacks/config";
import { byType, configProblems, MIRROR_BY_TAG, MOCK_SECRETS, one, plainTextLeaks, Registered, runStack, stackFileConfig, StackRun, tempKubeconfig, unsecret } from "./harness";

const KUBECONFIG = tempKubeconfig();
const NS = "mlplat-inference";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const STATEFULSET = "kubernetes:apps/v1:StatefulSet";
const JOB = "kubernetes:batch/v1:Job";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const SECRET = "kubernetes:core/v1:Secret";
const SERVICE = "kubernetes:core/v1:Service";
const SA = "kubernetes:core/v1:ServiceAccount";
const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const CHART = "kubernetes:helm.sh/v4:Chart";
const SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject";
const TRIGGER_AUTH = "kubernetes:keda.sh/v1alpha1:TriggerAuthentication";
const NAMESPACE = "kubernetes:core/v1:Namespace";

/** The smallest valid stack with the pipeline on (embedded data, KEDA by chart). */
const BASE: Record<string, string> = {
    "cluster.kubeconfig": KUBECONFIG,
    "storage.kind": "none",
    "ingress.controller": "present",
    "inferencePipeline.enabled": "true",
    "inferencePipeline.host": "inference.example.com",
    "inferencePipeline.model.image": "registry.example.com/ml/model-server:1.4.2",
};

const EXTERNAL = {
    dsn: "postgres://ml_app:pg-secret-93ab@db.corp:6432/ml?sslmode=require",
    redis: "rediss://:redis-secret-51c2@cache.corp:6380/0",
    amqp: "amqps://mq-user:mq-secret-7d1f@mq.corp/prod",
};
const ALL_EXTERNAL = {
    "data.postgresql.mode": "external", "data.postgresql.external.dsn": EXTERNAL.dsn,
    "data.redis.mode": "external", "data.redis.external.url": EXTERNAL.redis,
    "data.rabbitmq.mode": "external", "data.rabbitmq.external.url": EXTERNAL.amqp,
};
const EXTERNAL_SECRETS = ["data.postgresql.external.dsn", "data.redis.external.url", "data.rabbitmq.external.url"];

async function stack(config: Record<string, string>, secretKeys: string[] = []): Promise<StackRun> {
    const run = await runStack({ ...BASE, ...config }, secretKeys);
    if (run.error) throw run.error;
    return run;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const inNs = (run: StackRun, type: string, ns = NS) => byType(run, type).filter((r) => r.inputs?.metadata?.namespace === ns);
const podOf = (r: Registered) => r.inputs.spec.template.spec;
const containerOf = (r: Registered) => podOf(r).containers[0];
const envOf = (c: any): Record<string, any> => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const policy = (run: StackRun, name: string) => one(run, POLICY, name).inputs.spec;
const nsPeer = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });
const podPeer = (name: string) => ({ podSelector: { matchLabels: { "app.kubernetes.io/name": name } } });
const tcp = (port: number) => [{ protocol: "TCP", port }];

describe("inference pipeline: defaults (embedded data, KEDA by chart)", function () {
    this.timeout(30_000);
    const n = pipelineNames({ seedUsers: [] });
    let run: StackRun;
    before(async () => { run = await stack({}); });

    it("creates its namespace, and KEDA's, with the standard labels", () => {
        const ns = one(run, NAMESPACE, NS);
        assert.strictEqual(ns.inputs.metadata.labels["app.kubernetes.io/part-of"], "mlplat-inference");
        one(run, NAMESPACE, "keda");
        assert.deepStrictEqual(run.outputs.namespaces, [NS, "keda"]);
        const component = one(run, "mlplat:platforms:InferencePipeline");
        assert.strictEqual(component.name, "inference");
    });

    it("creates embedded PostgreSQL, Redis and RabbitMQ in the pipeline's namespace, with their connection Secrets there", () => {
        assert.deepStrictEqual(inNs(run, STATEFULSET).map((s) => s.inputs.metadata.name).sort(), ["postgresql", "rabbitmq", "redis"]);
        for (const [name, keys] of [["postgres-credentials", ["database", "dsn", "host", "password", "port", "username"]],
            ["redis-credentials", ["host", "password", "port", "url"]], ["rabbitmq-credentials", ["host", "password", "port", "url", "username"]]] as const) {
            const s = one(run, SECRET, name);
            assert.strictEqual(s.inputs.metadata.namespace, NS);
            assert.deepStrictEqual(Object.keys(unsecret(s.inputs.stringData)).sort(), keys);
        }
        assert.match(unsecret(one(run, SECRET, "postgres-credentials").inputs.stringData).dsn, /^postgres:\/\/mlservice:.*@postgresql\.mlplat-inference\.svc\.cluster\.local:5432\/mlservice\?sslmode=disable$/);
        assert.deepStrictEqual(run.outputs.inferencePipeline.data, { postgresql: "embedded", redis: "embedded", rabbitmq: "embedded" });
    });

    it("runs the schema SQL from a ConfigMap in a DB-init Job with the DSN from the Secret only", () => {
        const sql = one(run, CONFIGMAP, n.dbInit.configMap);
        assert.strictEqual(sql.inputs.data[n.dbInit.scriptKey], schemaSql(n));
        assert.doesNotMatch(schemaSql(n), /test-user/, "no seed user unless inferencePipeline.seedTestUser");
        const job = one(run, JOB, n.dbInit.jobName);
        const pod = podOf(job);
        const c = pod.containers[0];
        assert.strictEqual(c.image, "postgres:16.15-alpine");
        assert.strictEqual(pod.restartPolicy, "OnFailure");
        assert.deepStrictEqual(c.command, ["sh", "-c", `exec psql -X -v ON_ERROR_STOP=1 -f /sql/init.sql "$POSTGRES_DSN"`]);
        assert.deepStrictEqual(envOf(c).POSTGRES_DSN, { secretKeyRef: { name: "postgres-credentials", key: "dsn" } });
        for (const e of c.env) assert.ok(e.valueFrom || !/DSN|URL|PASSWORD/.test(e.name), e.name);
        assert.deepStrictEqual(pod.volumes.find((v: any) => v.name === "sql"), { name: "sql", configMap: { name: n.dbInit.configMap } });
        assert.strictEqual(c.securityContext.runAsUser, 70);
        assert.strictEqual(pod.serviceAccountName, n.dbInit.jobName);
        assert.strictEqual(pod.automountServiceAccountToken, false);
        assert.strictEqual(job.inputs.spec.template.metadata.annotations["checksum/config"], sha256(schemaSql(n)), "a schema change replaces the Job");
        assert.strictEqual(job.inputs.spec.ttlSecondsAfterFinished, undefined);
        assert.deepStrictEqual(job.dependsOn, ["inference-postgresql-server", "inference-postgresql-service", "inference-postgresql-headless"]);
    });

    it("starts the workers, the collector and the API service after the DB-init Job, and the gateway after the queue consumers", () => {
        const deps = (name: string) => one(run, DEPLOYMENT, name).dependsOn ?? [];
        for (const w of [n.worker.name, n.collector.name, n.gateway.name, n.apiService.name]) {
            assert.ok(deps(w).includes("inference-db-init"), `${w} waits for the DB-init Job`);
        }
        assert.ok(deps(n.gateway.name).includes("inference-worker") && deps(n.gateway.name).includes("inference-collector"));
        assert.ok(deps(n.worker.name).includes("inference-model"), "workers wait for the model service");
        assert.ok(deps(n.worker.name).includes("inference-rabbitmq-server"));
        assert.ok(deps(n.collector.name).includes("inference-postgresql-server"));
        for (const r of [...inNs(run, DEPLOYMENT), ...inNs(run, JOB)]) assert.strictEqual(r.parent, "inference");
    });

    it("runs gateway, worker and collector on the pinned Benthos image with their generated configs", () => {
        const configs = benthosConfigs(n);
        for (const [component, w, replicas] of [["gateway", n.gateway, 2], ["worker", n.worker, undefined], ["collector", n.collector, 1]] as const) {
            const cm = one(run, CONFIGMAP, w.configMap);
            assert.strictEqual(cm.inputs.data[w.configKey], configs[component]);
            const d = one(run, DEPLOYMENT, w.name);
            assert.strictEqual(d.inputs.spec.replicas, replicas, component);
            const pod = podOf(d);
            const c = pod.containers[0];
            assert.strictEqual(c.image, "jeffail/benthos:4.21.0");
            assert.deepStrictEqual(c.args, ["-c", w.configPath]);
            assert.deepStrictEqual(c.ports, [{ name: "http", containerPort: w.port, protocol: "TCP" }]);
            assert.deepStrictEqual(c.readinessProbe.httpGet, { path: "/ready", port: "http" });
            assert.deepStrictEqual(c.livenessProbe.httpGet, { path: "/ping", port: "http" });
            assert.deepStrictEqual(c.volumeMounts, [{ name: "config", mountPath: "/benthos/config", readOnly: true }]);
            assert.deepStrictEqual(pod.volumes, [{ name: "config", configMap: { name: w.configMap, items: [{ key: "benthos.yaml", path: "benthos.yaml" }] } }]);
            assert.strictEqual(c.securityContext.runAsUser, 10001);
            assert.strictEqual(d.inputs.spec.template.metadata.annotations["checksum/config"], sha256(configs[component]), "a config change rolls the pods");
            // Exactly the env vars the component needs: secrets by secretKeyRef, the model URL plain.
            const env = envOf(c);
            assert.deepStrictEqual(Object.keys(env).sort(), [...COMPONENT_ENV[component]].sort());
            const refs: Record<string, unknown> = {
                POSTGRES_DSN: { secretKeyRef: { name: "postgres-credentials", key: "dsn" } },
                RABBITMQ_URL: { secretKeyRef: { name: "rabbitmq-credentials", key: "url" } },
                REDIS_URL: { secretKeyRef: { name: "redis-credentials", key: "url" } },
                ML_SERVICE_URL: n.modelService.url,
            };
            for (const k of Object.keys(env)) assert.deepStrictEqual(env[k], refs[k], `${component} ${k}`);
        }
    });

    it("gives every workload its own ServiceAccount without a token, and no RBAC", () => {
        const workloads = [n.gateway.name, n.worker.name, n.collector.name, n.modelService.name, n.apiService.name];
        for (const w of workloads) {
            const sa = one(run, SA, w);
            assert.strictEqual(sa.inputs.automountServiceAccountToken, false);
            const pod = podOf(one(run, DEPLOYMENT, w));
            assert.strictEqual(pod.serviceAccountName, w);
            assert.strictEqual(pod.automountServiceAccountToken, false);
        }
        one(run, SA, n.dbInit.jobName);
        assert.strictEqual(run.resources.filter((r) => /rbac/.test(r.type)).length, 0);
    });

    it("applies the secure defaults, resources with ephemeral storage and pinned images to every pipeline pod", () => {
        const pods = [...inNs(run, DEPLOYMENT), ...inNs(run, JOB), ...inNs(run, STATEFULSET)];
        assert.strictEqual(pods.length, 9);
        for (const r of pods) {
            const pod = podOf(r);
            assert.strictEqual(pod.automountServiceAccountToken, false, r.name);
            assert.strictEqual(pod.enableServiceLinks, false, r.name);
            assert.strictEqual(pod.securityContext.runAsNonRoot, true, r.name);
            for (const c of pod.containers) {
                assert.deepStrictEqual(c.securityContext.capabilities, { drop: ["ALL"] }, r.name);
                assert.strictEqual(c.securityContext.allowPrivilegeEscalation, false, r.name);
                assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true, r.name);
                assert.doesNotMatch(c.image, /:latest$|^[^:]+$/, r.name);
                for (const k of ["cpu", "memory", "ephemeral-storage"]) assert.ok(c.resources.requests[k] && c.resources.limits[k], `${r.name} ${k}`);
                for (const e of c.env ?? []) assert.ok(e.valueFrom?.secretKeyRef || !/DSN|URL$|PASSWORD|SECRET/.test(e.name) || e.name === "ML_SERVICE_URL", `${r.name}: ${e.name}`);
            }
        }
    });

    it("deploys the model server with its volume at MODEL_PATH, probes and resources", () => {
        const d = one(run, DEPLOYMENT, n.modelService.name);
        assert.strictEqual(d.inputs.spec.replicas, 1);
        assert.deepStrictEqual(d.inputs.spec.strategy, { type: "Recreate" }, "one ReadWriteOnce volume");
        const pod = podOf(d);
        const c = pod.containers[0];
        assert.strictEqual(c.image, "registry.example.com/ml/model-server:1.4.2");
        assert.deepStrictEqual(c.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
        assert.deepStrictEqual(envOf(c), { MODEL_PATH: "/models", PORT: "8080" });
        assert.deepStrictEqual(c.readinessProbe.httpGet, { path: "/ready", port: "http" });
        assert.deepStrictEqual(c.livenessProbe.httpGet, { path: "/health", port: "http" });
        assert.deepStrictEqual(c.startupProbe.httpGet, { path: "/health", port: "http" });
        assert.deepStrictEqual(c.resources, {
            requests: { cpu: "500m", memory: "1Gi", "ephemeral-storage": "256Mi" },
            limits: { cpu: "2", memory: "4Gi", "ephemeral-storage": "2Gi" },
        });
        assert.ok(c.volumeMounts.some((m: any) => m.name === "models" && m.mountPath === "/models"));
        assert.strictEqual(c.securityContext.runAsUser, 1000);
        assert.strictEqual(pod.securityContext.fsGroup, 1000);
        assert.deepStrictEqual(pod.volumes.find((v: any) => v.name === "models"), { name: "models", persistentVolumeClaim: { claimName: n.modelService.volumeClaim } });
        const pvc = one(run, PVC, n.modelService.volumeClaim);
        assert.deepStrictEqual(pvc.inputs.spec.accessModes, ["ReadWriteOnce"]);
        assert.strictEqual(pvc.inputs.spec.resources.requests.storage, "10Gi");
        assert.deepStrictEqual(one(run, SERVICE, n.modelService.name).inputs.spec.ports, [{ name: "http", port: 8080, targetPort: "http" }]);
    });

    it("runs the built-in API service (Benthos) with PostgreSQL and Redis only", () => {
        const cm = one(run, CONFIGMAP, n.apiService.configMap);
        assert.strictEqual(cm.inputs.data["benthos.yaml"], apiServiceConfigYaml(n));
        const d = one(run, DEPLOYMENT, n.apiService.name);
        const c = containerOf(d);
        assert.strictEqual(c.image, "jeffail/benthos:4.21.0");
        assert.deepStrictEqual(Object.keys(envOf(c)).sort(), ["POSTGRES_DSN", "REDIS_URL"]);
        assert.deepStrictEqual(c.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
        assert.strictEqual(d.inputs.spec.replicas, 1);
        assert.deepStrictEqual(one(run, SERVICE, n.apiService.name).inputs.spec.ports, [{ name: "http", port: 80, targetPort: "http" }]);
        assert.deepStrictEqual(one(run, SERVICE, n.gateway.name).inputs.spec.ports, [{ name: "http", port: 80, targetPort: "http" }]);
    });

    it("installs KEDA from its pinned chart and creates the KEDA objects after it", () => {
        const chart = one(run, CHART);
        assert.strictEqual(chart.inputs.chart, "keda");
        assert.strictEqual(chart.inputs.version, "2.14.1");
        assert.deepStrictEqual(chart.inputs.repositoryOpts, { repo: "https://kedacore.github.io/charts" });
        assert.strictEqual(chart.inputs.namespace, "keda");
        assert.strictEqual(chart.inputs.values.crds.install, true);
        assert.deepStrictEqual(one(run, SCALED_OBJECT).dependsOn, ["inference-worker", "inference-keda"]);
        assert.deepStrictEqual(one(run, TRIGGER_AUTH).dependsOn, ["inference-keda"]);
        assert.strictEqual(run.outputs.inferencePipeline.keda, "chart");
    });

    it("scales the worker Deployment with a ScaledObject on the requests queue, authenticated from the RabbitMQ Secret", () => {
        const so = one(run, SCALED_OBJECT, n.scaling.scaledObject);
        assert.strictEqual(so.inputs.apiVersion, "keda.sh/v1alpha1");
        assert.strictEqual(so.inputs.metadata.namespace, NS);
        assert.deepStrictEqual(so.inputs.spec, {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: n.worker.name },
            minReplicaCount: 1, maxReplicaCount: 10, pollingInterval: 15, cooldownPeriod: 30,
            triggers: [{
                type: "rabbitmq",
                metadata: { protocol: "amqp", queueName: "inference_requests", mode: "QueueLength", value: "5" },
                authenticationRef: { name: n.scaling.triggerAuthentication },
            }],
        });
        one(run, DEPLOYMENT, so.inputs.spec.scaleTargetRef.name);
        const ta = one(run, TRIGGER_AUTH, n.scaling.triggerAuthentication);
        assert.deepStrictEqual(ta.inputs.spec, { secretTargetRef: [{ parameter: "host", name: "rabbitmq-credentials", key: "url" }] });
    });

    it("routes the gateway path and the API paths through one Ingress of the cluster's class", () => {
        const ing = one(run, INGRESS, n.ingress.name);
        assert.strictEqual(ing.inputs.metadata.namespace, NS);
        assert.strictEqual(ing.inputs.spec.ingressClassName, "nginx");
        assert.strictEqual(ing.inputs.spec.tls, undefined);
        assert.strictEqual(ing.inputs.metadata.annotations, undefined);
        const backend = (name: string) => ({ service: { name, port: { name: "http" } } });
        assert.deepStrictEqual(ing.inputs.spec.rules, [{
            host: "inference.example.com",
            http: {
                paths: [
                    { path: "/api/v1/inference", pathType: "Exact", backend: backend(n.gateway.name) },
                    { path: "/status/", pathType: "Prefix", backend: backend(n.apiService.name) },
                    { path: "/quota", pathType: "Exact", backend: backend(n.apiService.name) },
                ],
            },
        }]);
    });

    it("denies all traffic in the namespace except what each component talks to", () => {
        assert.deepStrictEqual(policy(run, "inference-default-deny"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepStrictEqual(policy(run, "inference-allow-dns").egress, [{
            to: [nsPeer("kube-system")], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
        }]);
        const pg = { to: [podPeer("postgresql")], ports: tcp(5432) };
        const redis = { to: [podPeer("redis")], ports: tcp(6379) };
        const mq = { to: [podPeer("rabbitmq")], ports: tcp(5672) };
        const fromIngress = (port: number) => [{ from: [{ namespaceSelector: {} }], ports: tcp(port) }];
        const expected: Record<string, { ingress: unknown[]; egress: unknown[] }> = {
            [n.gateway.name]: { ingress: fromIngress(4195), egress: [pg, redis, mq] },
            [n.worker.name]: { ingress: [], egress: [mq, { to: [podPeer(n.modelService.name)], ports: tcp(8080) }] },
            [n.collector.name]: { ingress: [], egress: [pg, redis, mq] },
            [n.apiService.name]: { ingress: fromIngress(8080), egress: [pg, redis] },
            [n.dbInit.jobName]: { ingress: [], egress: [pg] },
            [n.modelService.name]: { ingress: [{ from: [podPeer(n.worker.name)], ports: tcp(8080) }], egress: [] },
        };
        for (const [workload, e] of Object.entries(expected)) {
            const spec = policy(run, workload);
            assert.deepStrictEqual(spec.podSelector, { matchLabels: { "app.kubernetes.io/name": workload } });
            assert.deepStrictEqual(spec.policyTypes, ["Ingress", "Egress"]);
            assert.deepStrictEqual(spec.ingress, e.ingress, `${workload} ingress`);
            assert.deepStrictEqual(spec.egress, e.egress, `${workload} egress`);
        }
        const clients = (service: string, port: number, from: unknown[]) => {
            const spec = policy(run, `inference-${service}-clients`);
            assert.deepStrictEqual(spec.podSelector, { matchLabels: { "app.kubernetes.io/name": service } });
            assert.deepStrictEqual(spec.ingress, [{ from, ports: tcp(port) }, { from: [podPeer(service)] }]);
            assert.deepStrictEqual(spec.egress, [{ to: [podPeer(service)] }]);
        };
        clients("postgresql", 5432, [podPeer(n.gateway.name), podPeer(n.collector.name), podPeer(n.apiService.name), podPeer(n.dbInit.jobName)]);
        clients("redis", 6379, [podPeer(n.gateway.name), podPeer(n.collector.name), podPeer(n.apiService.name)]);
        clients("rabbitmq", 5672, [podPeer(n.gateway.name), podPeer(n.worker.name), podPeer(n.collector.name), nsPeer("keda")]);
        // Only the gateway and the API service accept traffic from outside the namespace (besides KEDA → RabbitMQ).
        const external = inNs(run, POLICY).filter((p) => (p.inputs.spec.ingress ?? []).some((r: any) => (r.from ?? []).some((f: any) => f.namespaceSelector)));
        assert.deepStrictEqual(external.map((p) => p.inputs.metadata.name).sort(), ["inference-api-gateway", "inference-api-service", "inference-rabbitmq-clients"]);
        assert.strictEqual(inNs(run, POLICY).length, 11);
    });

    it("exports the gateway, status and quota URLs from the Ingress host", () => {
        assert.deepStrictEqual(run.outputs.inferencePipeline, {
            namespace: NS,
            gatewayUrl: "http://inference.example.com/api/v1/inference",
            statusUrl: "http://inference.example.com/status/{id}",
            quotaUrl: "http://inference.example.com/quota",
            gatewayServiceUrl: `http://${n.gateway.name}.${NS}.svc.cluster.local/api/v1/inference`,
            modelServiceUrl: `http://${n.modelService.name}.${NS}.svc.cluster.local:8080`,
            queues: { requests: "inference_requests", results: "inference_results" },
            scaledObject: n.scaling.scaledObject,
            keda: "chart",
            data: { postgresql: "embedded", redis: "embedded", rabbitmq: "embedded" },
        });
        assert.deepStrictEqual(run.outputs.images, [
            "jeffail/benthos:4.21.0", "postgres:16.15-alpine", "rabbitmq:4.2.1-management-alpine", "redis:7.4.11-alpine",
            "registry.example.com/ml/model-server:1.4.2",
        ]);
    });

    it("keeps the generated passwords out of plain inputs and outputs", () => {
        const needles = byType(run, "random:index/randomPassword:RandomPassword").map((r) => MOCK_SECRETS.randomPassword(r.name));
        assert.strictEqual(needles.length, 4);
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), needles), []);
        assert.deepStrictEqual(plainTextLeaks(run.serializedOutputs, needles), []);
    });
});

describe("inference pipeline: every option", function () {
    this.timeout(30_000);
    const config = {
        "labels.extra": `["team=ml"]`,
        "inferencePipeline.namespace": "ml-serving",
        "inferencePipeline.namePrefix": "llm",
        "inferencePipeline.host": "llm.example.com",
        "inferencePipeline.apiHost": "status.llm.example.com",
        "inferencePipeline.tls.clusterIssuer": "letsencrypt",
        "inferencePipeline.ingressNamespace": "ingress-nginx",
        "inferencePipeline.gateway.replicas": "3",
        "inferencePipeline.gateway.path": "/v2/jobs",
        "inferencePipeline.worker.minReplicas": "0",
        "inferencePipeline.worker.maxReplicas": "40",
        "inferencePipeline.worker.queueLength": "12",
        "inferencePipeline.worker.pollingInterval": "5",
        "inferencePipeline.worker.cooldownPeriod": "300",
        "inferencePipeline.collector.replicas": "2",
        "inferencePipeline.queues.requests": "llm.jobs",
        "inferencePipeline.queues.results": "llm.results",
        "inferencePipeline.model.port": "9000",
        "inferencePipeline.model.inferencePath": "/generate",
        "inferencePipeline.model.healthPath": "/livez",
        "inferencePipeline.model.readyPath": "/readyz",
        "inferencePipeline.model.timeout": "120s",
        "inferencePipeline.model.path": "/var/models",
        "inferencePipeline.model.size": "200Gi",
        "inferencePipeline.model.storageClass": "shared-nfs",
        "inferencePipeline.model.accessMode": "ReadOnlyMany",
        "inferencePipeline.model.replicas": "3",
        "inferencePipeline.model.cpu": "2",
        "inferencePipeline.model.cpuLimit": "8",
        "inferencePipeline.model.memory": "16Gi",
        "inferencePipeline.model.memoryLimit": "32Gi",
        "inferencePipeline.model.gpus": "2",
        "inferencePipeline.model.runAsUser": "2000",
        "inferencePipeline.apiService.image": "registry.example.com/ml/api-service:2.0.1",
        "inferencePipeline.apiService.port": "9090",
        "inferencePipeline.apiService.replicas": "2",
        "inferencePipeline.apiService.healthPath": "/healthz",
        "inferencePipeline.apiService.readyPath": "/readyz",
        "inferencePipeline.dbInit.image": "postgres:17.2-alpine",
        "inferencePipeline.quota.requestLimit": "50",
        "inferencePipeline.quota.tokenLimit": "20000",
        "inferencePipeline.quota.tier": "trial",
        "inferencePipeline.quota.resetFrequency": "monthly",
        "inferencePipeline.seedTestUser": "true",
        "inferencePipeline.keda.install": "false",
        "inferencePipeline.keda.namespace": "autoscaling",
    };
    const n: PipelineNames = pipelineNames({
        namePrefix: "llm", queues: { requests: "llm.jobs", results: "llm.results" }, gateway: { path: "/v2/jobs" },
        modelService: { port: 9000, inferencePath: "/generate", healthPath: "/livez", readyPath: "/readyz", timeout: "120s" },
        apiService: { port: 9090 },
        defaultQuota: { requestLimit: 50, tokenLimit: 20000, tier: "trial", resetFrequency: "monthly" },
    });
    let run: StackRun;
    before(async () => { run = await stack(config); });

    it("derives every name, queue, path and quota from the config, in every generated file", () => {
        const ns = "ml-serving";
        assert.deepStrictEqual(run.outputs.namespaces, [ns]);
        assert.strictEqual(one(run, CONFIGMAP, n.dbInit.configMap).inputs.data["init.sql"], schemaSql(n));
        assert.match(schemaSql(n), /'test-user'.*50, 20000, 'trial', 'monthly'/s);
        const configs = benthosConfigs(n);
        for (const [component, w] of [["gateway", n.gateway], ["worker", n.worker], ["collector", n.collector]] as const) {
            assert.strictEqual(one(run, CONFIGMAP, w.configMap).inputs.data["benthos.yaml"], configs[component]);
            assert.strictEqual(one(run, DEPLOYMENT, w.name).inputs.metadata.namespace, ns);
        }
        assert.match(configs.gateway, /key: llm\.jobs/);
        assert.match(configs.worker, /queue: llm\.jobs/);
        assert.match(configs.worker, /timeout: 120s/);
        assert.strictEqual(envOf(containerOf(one(run, DEPLOYMENT, n.worker.name))).ML_SERVICE_URL, "http://llm-ml-service:9000");
        assert.strictEqual(one(run, DEPLOYMENT, n.gateway.name).inputs.spec.replicas, 3);
        assert.strictEqual(one(run, DEPLOYMENT, n.collector.name).inputs.spec.replicas, 2);
        assert.strictEqual(containerOf(one(run, JOB, n.dbInit.jobName)).image, "postgres:17.2-alpine");
        assert.strictEqual(one(run, NAMESPACE, ns).inputs.metadata.labels.team, "ml");
    });

    it("scales the workers with the configured bounds, threshold, polling and cool-down; KEDA present", () => {
        const so = one(run, SCALED_OBJECT, n.scaling.scaledObject);
        assert.strictEqual(so.inputs.spec.scaleTargetRef.name, "llm-ml-worker");
        assert.deepStrictEqual([so.inputs.spec.minReplicaCount, so.inputs.spec.maxReplicaCount, so.inputs.spec.pollingInterval, so.inputs.spec.cooldownPeriod], [0, 40, 5, 300]);
        assert.deepStrictEqual(so.inputs.spec.triggers[0].metadata, { protocol: "amqp", queueName: "llm.jobs", mode: "QueueLength", value: "12" });
        assert.strictEqual(byType(run, CHART).length, 0);
        assert.strictEqual(byType(run, NAMESPACE).length, 1, "no KEDA namespace when KEDA is present");
        assert.deepStrictEqual(so.dependsOn, ["inference-worker"], "Pulumi names follow the component, object names the prefix");
        assert.deepStrictEqual(one(run, TRIGGER_AUTH).dependsOn, []);
        assert.deepStrictEqual(policy(run, "llm-rabbitmq-clients").ingress[0].from.at(-1), nsPeer("autoscaling"));
        assert.strictEqual(run.outputs.inferencePipeline.keda, "present");
    });

    it("deploys the model server with the configured image port, paths, volume, replicas, resources and GPUs", () => {
        const d = one(run, DEPLOYMENT, n.modelService.name);
        assert.strictEqual(d.inputs.spec.replicas, 3);
        assert.strictEqual(d.inputs.spec.strategy, undefined, "a shared volume rolls");
        const c = containerOf(d);
        assert.deepStrictEqual(envOf(c), { MODEL_PATH: "/var/models", PORT: "9000" });
        assert.deepStrictEqual(c.ports[0].containerPort, 9000);
        assert.deepStrictEqual([c.readinessProbe.httpGet.path, c.livenessProbe.httpGet.path], ["/readyz", "/livez"]);
        assert.deepStrictEqual(c.resources, {
            requests: { cpu: "2", memory: "16Gi", "ephemeral-storage": "256Mi", "nvidia.com/gpu": "2" },
            limits: { cpu: "8", memory: "32Gi", "ephemeral-storage": "2Gi", "nvidia.com/gpu": "2" },
        });
        assert.strictEqual(c.securityContext.runAsUser, 2000);
        assert.strictEqual(podOf(d).securityContext.fsGroup, 2000);
        assert.ok(c.volumeMounts.some((m: any) => m.mountPath === "/var/models"));
        const pvc = one(run, PVC, "llm-models").inputs.spec;
        assert.deepStrictEqual([pvc.accessModes, pvc.storageClassName, pvc.resources.requests.storage], [["ReadOnlyMany"], "shared-nfs", "200Gi"]);
        assert.deepStrictEqual(one(run, SERVICE, n.modelService.name).inputs.spec.ports, [{ name: "http", port: 9000, targetPort: "http" }]);
    });

    it("runs the user's API service image with its port, probes and the secrets it needs", () => {
        assert.strictEqual(byType(run, CONFIGMAP).filter((c) => c.inputs.metadata.name === n.apiService.configMap).length, 0);
        const d = one(run, DEPLOYMENT, n.apiService.name);
        assert.strictEqual(d.inputs.spec.replicas, 2);
        const c = containerOf(d);
        assert.strictEqual(c.image, "registry.example.com/ml/api-service:2.0.1");
        assert.deepStrictEqual(envOf(c), {
            PORT: "9090", REDIS_KEY_PREFIX: "mlplat",
            POSTGRES_DSN: { secretKeyRef: { name: "postgres-credentials", key: "dsn" } },
            REDIS_URL: { secretKeyRef: { name: "redis-credentials", key: "url" } },
        });
        assert.deepStrictEqual([c.readinessProbe.httpGet.path, c.livenessProbe.httpGet.path], ["/readyz", "/healthz"]);
        assert.strictEqual(c.ports[0].containerPort, 9090);
        assert.deepStrictEqual(policy(run, n.apiService.name).ingress, [{ from: [nsPeer("ingress-nginx")], ports: tcp(9090) }]);
    });

    it("serves two hosts over TLS issued by cert-manager, reachable only from the ingress controller's namespace", () => {
        const ing = one(run, INGRESS, "llm");
        assert.deepStrictEqual(ing.inputs.metadata.annotations, { "cert-manager.io/cluster-issuer": "letsencrypt" });
        assert.deepStrictEqual(ing.inputs.spec.tls, [{ hosts: ["llm.example.com", "status.llm.example.com"], secretName: "llm-tls" }]);
        assert.deepStrictEqual(ing.inputs.spec.rules.map((r: any) => [r.host, r.http.paths.map((p: any) => p.path)]), [
            ["llm.example.com", ["/v2/jobs"]],
            ["status.llm.example.com", ["/status/", "/quota"]],
        ]);
        assert.deepStrictEqual(policy(run, n.gateway.name).ingress, [{ from: [nsPeer("ingress-nginx")], ports: tcp(4195) }]);
        assert.deepStrictEqual(policy(run, n.worker.name).egress[1], { to: [podPeer("llm-ml-service")], ports: tcp(9000) });
        const out = run.outputs.inferencePipeline;
        assert.deepStrictEqual([out.gatewayUrl, out.statusUrl, out.quotaUrl], [
            "https://llm.example.com/v2/jobs", "https://status.llm.example.com/status/{id}", "https://status.llm.example.com/quota",
        ]);
        assert.deepStrictEqual(out.queues, { requests: "llm.jobs", results: "llm.results" });
    });

    it("uses a TLS Secret the user provides", async () => {
        const tls = await stack({ "inferencePipeline.tls.secretName": "wildcard-tls" });
        const ing = one(tls, INGRESS, "inference");
        assert.deepStrictEqual(ing.inputs.spec.tls, [{ hosts: ["inference.example.com"], secretName: "wildcard-tls" }]);
        assert.strictEqual(ing.inputs.metadata.annotations, undefined);
        assert.strictEqual(tls.outputs.inferencePipeline.gatewayUrl, "https://inference.example.com/api/v1/inference");
    });
});

describe("inference pipeline: data service modes", function () {
    this.timeout(30_000);
    const n = pipelineNames();

    it("chart: the Bitnami charts in the pipeline's namespace (through the chart mirror), same Secrets and policies", async () => {
        const run = await stack({
            ...MIRROR_BY_TAG, "registry.mode": "mirror", "registry.mirror.host": "registry.corp:5000", "registry.chartMirror": "oci://registry.corp:5000/charts",
            "data.postgresql.mode": "chart", "data.redis.mode": "chart", "data.rabbitmq.mode": "chart",
        });
        const charts = byType(run, CHART);
        assert.deepStrictEqual(charts.map((c) => c.inputs.chart).sort(), [
            "oci://registry.corp:5000/charts/keda", "oci://registry.corp:5000/charts/postgresql",
            "oci://registry.corp:5000/charts/rabbitmq", "oci://registry.corp:5000/charts/redis",
        ]);
        for (const c of charts.filter((x) => !x.inputs.chart.endsWith("/keda"))) assert.strictEqual(c.inputs.namespace, NS);
        assert.strictEqual(inNs(run, STATEFULSET).length, 0);
        assert.match(unsecret(one(run, SECRET, "redis-credentials").inputs.stringData).url, /@redis-master\.mlplat-inference\.svc\.cluster\.local:6379\/0$/);
        assert.ok(one(run, JOB, n.dbInit.jobName).dependsOn!.includes("inference-postgresql-chart"));
        assert.ok(one(run, DEPLOYMENT, n.gateway.name).dependsOn!.includes("inference-rabbitmq-chart"));
        assert.deepStrictEqual(policy(run, n.gateway.name).egress.map((e: any) => [e.to, e.ports]), [
            [[podPeer("postgresql")], tcp(5432)], [[podPeer("redis")], tcp(6379)], [[podPeer("rabbitmq")], tcp(5672)],
        ]);
        assert.strictEqual(byType(run, POLICY).filter((p) => /-clients$/.test(p.inputs.metadata.name)).length, 3);
        assert.deepStrictEqual(run.outputs.inferencePipeline.data, { postgresql: "chart", redis: "chart", rabbitmq: "chart" });
        for (const img of run.outputs.images) assert.match(img, /^registry\.corp:5000\//);
    });

    it("external: the user's connection strings as Secrets, egress on their ports to any address, no data policies", async () => {
        const run = await stack(ALL_EXTERNAL, EXTERNAL_SECRETS);
        assert.strictEqual(inNs(run, STATEFULSET).length, 0);
        assert.strictEqual(byType(run, CHART).length, 1, "KEDA only");
        assert.strictEqual(unsecret(one(run, SECRET, "postgres-credentials").inputs.stringData).dsn, EXTERNAL.dsn);
        assert.strictEqual(unsecret(one(run, SECRET, "rabbitmq-credentials").inputs.stringData).url, EXTERNAL.amqp);
        assert.deepStrictEqual(one(run, JOB, n.dbInit.jobName).dependsOn, []);
        // Ports from the URLs (amqps without a port: 5671); no `to`: any address.
        assert.deepStrictEqual(policy(run, n.gateway.name).egress, [{ ports: tcp(6432) }, { ports: tcp(6380) }, { ports: tcp(5671) }]);
        assert.deepStrictEqual(policy(run, n.dbInit.jobName).egress, [{ ports: tcp(6432) }]);
        assert.strictEqual(byType(run, POLICY).filter((p) => /-clients$/.test(p.inputs.metadata.name)).length, 0);
        assert.deepStrictEqual(run.outputs.inferencePipeline.data, { postgresql: "external", redis: "external", rabbitmq: "external" });
        const needles = [EXTERNAL.dsn, EXTERNAL.redis, EXTERNAL.amqp, "pg-secret-93ab", "redis-secret-51c2", "mq-secret-7d1f"];
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), needles), []);
        assert.deepStrictEqual(plainTextLeaks(run.serializedOutputs, needles), []);
    });

    it("external with inferencePipeline.externalDataCidrs: egress only to those CIDRs", async () => {
        const run = await stack({ ...ALL_EXTERNAL, "inferencePipeline.externalDataCidrs": `["10.20.0.0/16","fd00::/8"]` }, EXTERNAL_SECRETS);
        const to = [{ ipBlock: { cidr: "10.20.0.0/16" } }, { ipBlock: { cidr: "fd00::/8" } }];
        assert.deepStrictEqual(policy(run, n.collector.name).egress, [{ to, ports: tcp(6432) }, { to, ports: tcp(6380) }, { to, ports: tcp(5671) }]);
    });

    it("mixed: external PostgreSQL beside embedded Redis and RabbitMQ", async () => {
        const run = await stack({ "data.postgresql.mode": "external", "data.postgresql.external.dsn": EXTERNAL.dsn }, ["data.postgresql.external.dsn"]);
        assert.deepStrictEqual(inNs(run, STATEFULSET).map((s) => s.inputs.metadata.name).sort(), ["rabbitmq", "redis"]);
        assert.deepStrictEqual(policy(run, n.gateway.name).egress, [
            { ports: tcp(6432) }, { to: [podPeer("redis")], ports: tcp(6379) }, { to: [podPeer("rabbitmq")], ports: tcp(5672) },
        ]);
        assert.deepStrictEqual(byType(run, POLICY).filter((p) => /-clients$/.test(p.inputs.metadata.name)).map((p) => p.inputs.metadata.name).sort(),
            ["inference-rabbitmq-clients", "inference-redis-clients"]);
    });
});

describe("inference pipeline: a connection handed to the component", function () {
    this.timeout(30_000);

    it("copies a shared data service's Secret into its namespace and reaches it in another namespace", async () => {
        const resources: Registered[] = [];
        pulumi.runtime.setMocks({
            newResource: (a) => { resources.push({ type: a.type, name: a.name, inputs: a.inputs }); return { id: `${a.name}-id`, state: a.inputs }; },
            call: (a) => a.inputs,
        }, "mlplat", "unit", false);
        await pulumi.runtime.runInPulumiStack(async () => {
            const constructed: pulumi.Resource[] = [];
            pulumi.runtime.registerStackTransformation((args) => { constructed.push(args.resource); return undefined; });
            const registry = new Registry("registry", { mode: "public", pullSecretName: "mlplat-registry" });
            const ctx: PlatformContext = {
                cluster: { provider: new k8s.Provider("k8s", {}), flavour: "local", loadBalancer: true, defaultStorageClass: true, ingress: { className: "traefik" } },
                registry, extraLabels: {},
            };
            const shared = new PlatformNamespace("shared-ns", { name: "shared-data", partOf: "data" }, ctx);
            const pg = new DataService("shared-pg", { service: "postgresql", mode: "embedded" }, ctx, shared);
            const p = new InferencePipeline("pipe", {
                namespace: "pipe", host: "pipe.example.com", model: { image: "ml/model:1.0.0" },
                data: { postgresql: pg, redis: { service: "redis", mode: "embedded" }, rabbitmq: { service: "rabbitmq", mode: "embedded" } },
                keda: { install: false },
            }, ctx);
            await new Promise((resolve) => pulumi.all([p.gatewayUrl, ...constructed.map((r) => r.urn)]).apply(resolve));
        });
        const secrets = resources.filter((r) => r.type === SECRET && r.inputs.metadata.name === "postgres-credentials");
        assert.deepStrictEqual(secrets.map((s) => s.inputs.metadata.namespace).sort(), ["pipe"]);
        assert.strictEqual(resources.filter((r) => r.type === STATEFULSET && r.inputs.metadata.namespace === "shared-data").length, 1);
        const gw = resources.find((r) => r.type === POLICY && r.inputs.metadata.name === "inference-api-gateway")!;
        assert.deepStrictEqual(gw.inputs.spec.egress[0], { to: [{ namespaceSelector: {} }], ports: tcp(5432) });
        assert.ok(!resources.some((r) => r.type === POLICY && r.inputs.metadata.name === "inference-postgresql-clients"));
        assert.strictEqual(resources.find((r) => r.type === INGRESS)!.inputs.spec.ingressClassName, "traefik");
    });
});

describe("inference pipeline: dev and prod stacks", function () {
    this.timeout(30_000);

    it("dev: embedded data, KEDA declared present, a stand-in model, the test user seeded", async () => {
        const run = await runStack({ ...stackFileConfig("dev"), "cluster.kubeconfig": KUBECONFIG });
        if (run.error) throw run.error;
        assert.strictEqual(byType(run, CHART).length, 0);
        assert.deepStrictEqual(inNs(run, STATEFULSET).map((s) => s.inputs.metadata.name).sort(), ["postgresql", "rabbitmq", "redis"]);
        one(run, SCALED_OBJECT);
        assert.match(one(run, CONFIGMAP, "inference-db-init-sql").inputs.data["init.sql"], /'test-user'/);
        assert.strictEqual(one(run, INGRESS, "inference-ingress").inputs.spec.ingressClassName, "nginx");
        assert.deepStrictEqual(run.outputs.inferencePipeline.gatewayUrl, "http://inference.mlplat.localhost/api/v1/inference");
        assert.deepStrictEqual(run.outputs.inferencePipeline.keda, "present");
    });

    it("prod: external PostgreSQL, Redis and RabbitMQ charts and KEDA through the chart mirror, TLS, relocated images", async () => {
        const dsn = "postgres://app:unit-db-password-93ab@db.corp:5432/ml?sslmode=require";
        const run = await runStack({
            ...stackFileConfig("prod"), "cluster.kubeconfig": KUBECONFIG, "registry.mirror.password": "unit-mirror-password-7d1f", "data.postgresql.external.dsn": dsn,
            "aiAppStore.keycloak.backendClientSecret": "unit-keycloak-secret-5c2e",
        }, ["registry.mirror.password", "data.postgresql.external.dsn", "aiAppStore.keycloak.backendClientSecret"]);
        if (run.error) throw run.error;
        const pipelineCharts = byType(run, CHART).filter((c) => [NS, "keda"].includes(c.inputs.namespace));
        assert.deepStrictEqual(pipelineCharts.map((c) => [c.inputs.chart, c.inputs.version]).sort(), [
            ["oci://registry.corp:5000/charts/keda", "2.14.1"],
            ["oci://registry.corp:5000/charts/rabbitmq", "15.4.0"],
            ["oci://registry.corp:5000/charts/redis", "20.6.2"],
        ]);
        assert.deepStrictEqual(run.outputs.inferencePipeline.data, { postgresql: "external", redis: "chart", rabbitmq: "chart" });
        assert.strictEqual(run.outputs.inferencePipeline.gatewayUrl, "https://inference.ml.corp.example/api/v1/inference");
        assert.strictEqual(run.outputs.inferencePipeline.statusUrl, "https://inference.ml.corp.example/status/{id}");
        assert.deepStrictEqual(policy(run, "inference-db-init").egress, [{ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: tcp(5432) }]);
        assert.deepStrictEqual(policy(run, "inference-api-gateway").ingress[0].from, [nsPeer("ingress-nginx")]);
        assert.strictEqual(containerOf(one(run, DEPLOYMENT, "inference-ml-service")).resources.limits["nvidia.com/gpu"], "1");
        for (const r of inNs(run, DEPLOYMENT)) {
            assert.match(containerOf(r).image, /^registry\.corp:5000\/mlplat\//, r.name);
            assert.deepStrictEqual(podOf(r).imagePullSecrets, [{ name: "mlplat-registry" }], r.name);
        }
        const needles = [dsn, "unit-db-password-93ab", "unit-mirror-password-7d1f"];
        assert.deepStrictEqual(plainTextLeaks(run.resources.map((r) => r.inputs), needles), []);
        assert.deepStrictEqual(plainTextLeaks(run.serializedOutputs, needles), []);
    });
});

describe("inference pipeline: invalid config", () => {
    const base = { ...BASE };
    delete (base as Record<string, string>)["cluster.kubeconfig"];
    const problems = (config: Record<string, string>, secretKeys: string[] = []) => configProblems({ ...base, ...config }, secretKeys);
    const cases: { name: string; config: Record<string, string>; expect: [string, string][]; secretKeys?: string[] }[] = [
        { name: "no host, no model image", config: { "inferencePipeline.host": "", "inferencePipeline.model.image": "" }, expect: [
            ["mlplat:inferencePipeline.host", "is required when inferencePipeline.enabled is true: the host name the pipeline's Ingress serves"],
            ["mlplat:inferencePipeline.model.image", "is required when inferencePipeline.enabled is true: the pinned image of your model server"],
        ] },
        { name: "more min than max replicas", config: { "inferencePipeline.worker.minReplicas": "8", "inferencePipeline.worker.maxReplicas": "4" }, expect: [
            ["mlplat:inferencePipeline.worker.minReplicas", "must not be greater than inferencePipeline.worker.maxReplicas (8 > 4)"],
        ] },
        { name: "zero max replicas, negative cool-down", config: { "inferencePipeline.worker.maxReplicas": "0", "inferencePipeline.worker.minReplicas": "0", "inferencePipeline.worker.cooldownPeriod": "-1" }, expect: [
            ["mlplat:inferencePipeline.worker.maxReplicas", "must be at least 1"],
            ["mlplat:inferencePipeline.worker.cooldownPeriod", "must not be negative (seconds)"],
        ] },
        { name: "unpinned images", config: { "inferencePipeline.model.image": "ml/model-server:latest", "inferencePipeline.apiService.image": "ml/api", "inferencePipeline.dbInit.image": "postgres" }, expect: [
            ["mlplat:inferencePipeline.model.image", "must be an image with a pinned tag or digest (not latest)"],
            ["mlplat:inferencePipeline.apiService.image", "must be an image with a pinned tag or digest (not latest)"],
            ["mlplat:inferencePipeline.dbInit.image", "must be an image with a pinned tag or digest (not latest)"],
        ] },
        { name: "hosts that are not DNS names", config: { "inferencePipeline.host": "https://Inference.example.com/", "inferencePipeline.apiHost": "api_host" }, expect: [
            ["mlplat:inferencePipeline.host", "must be a DNS host name (lowercase letters, digits, '-' and '.', no scheme, port or path)"],
            ["mlplat:inferencePipeline.apiHost", "must be a DNS host name (lowercase letters, digits, '-' and '.', no scheme, port or path)"],
        ] },
        { name: "bad names", config: { "inferencePipeline.namespace": "ML_Serving", "inferencePipeline.namePrefix": "Bad_Prefix", "inferencePipeline.keda.namespace": "KEDA" }, expect: [
            ["mlplat:inferencePipeline.namespace", "must be a namespace name (DNS label)"],
            ["mlplat:inferencePipeline.keda.namespace", "must be a namespace name (DNS label)"],
            ["mlplat:inferencePipeline.namePrefix", "\"Bad_Prefix\" must be a DNS-1123 label of at most 30 characters"],
        ] },
        { name: "the same queue twice, a reserved queue name", config: { "inferencePipeline.queues.requests": "amq.jobs", "inferencePipeline.queues.results": "amq.jobs" }, expect: [
            ["mlplat:inferencePipeline.queues.requests", "\"amq.jobs\": the amq. prefix is reserved by RabbitMQ"],
            ["mlplat:inferencePipeline.queues.results", "\"amq.jobs\": the amq. prefix is reserved by RabbitMQ"],
            ["mlplat:inferencePipeline.queues.results", "requests and results must be different queues"],
        ] },
        { name: "a gateway path Benthos owns, a privileged model port, a bad timeout", config: { "inferencePipeline.gateway.path": "/ping", "inferencePipeline.model.port": "80", "inferencePipeline.model.timeout": "soon" }, expect: [
            ["mlplat:inferencePipeline.gateway.path", "\"/ping\" must be an absolute URL path other than Benthos' /ping, /ready, /metrics, /version"],
            ["mlplat:inferencePipeline.model.port", "80 must be an integer port in 1024-65535 (containers run as non-root)"],
            ["mlplat:inferencePipeline.model.timeout", "\"soon\" must be a Go duration such as 60s"],
        ] },
        { name: "several model replicas on one ReadWriteOnce volume", config: { "inferencePipeline.model.replicas": "2" }, expect: [
            ["mlplat:inferencePipeline.model.accessMode", "is ReadWriteOnce, but inferencePipeline.model.replicas is 2: replicas on different nodes cannot mount one ReadWriteOnce volume"],
        ] },
        { name: "requests above limits, bad quantities, root", config: { "inferencePipeline.model.cpu": "4", "inferencePipeline.model.cpuLimit": "2", "inferencePipeline.model.memory": "lots", "inferencePipeline.model.runAsUser": "0" }, expect: [
            ["mlplat:inferencePipeline.model.memory", "must be a Kubernetes quantity"],
            ["mlplat:inferencePipeline.model.runAsUser", "must be a non-root UID (1 or more)"],
            ["mlplat:inferencePipeline.model.cpu", "must not be greater than inferencePipeline.model.cpuLimit (4 > 2)"],
        ] },
        { name: "probe paths for the built-in API service", config: { "inferencePipeline.apiService.healthPath": "/healthz" }, expect: [
            ["mlplat:inferencePipeline.apiService.healthPath", "applies only to a custom inferencePipeline.apiService.image; the built-in API service serves /ping and /ready"],
        ] },
        { name: "a KEDA chart version while KEDA is present", config: { "inferencePipeline.keda.install": "false", "inferencePipeline.keda.chartVersion": "2.15.0" }, expect: [
            ["mlplat:inferencePipeline.keda.chartVersion", "is set but inferencePipeline.keda.install is false (KEDA declared present), so it would be ignored"],
        ] },
        { name: "an inexact KEDA chart version", config: { "inferencePipeline.keda.chartVersion": "2.14" }, expect: [
            ["mlplat:inferencePipeline.keda.chartVersion", "must be an exact chart version like 2.14.1"],
        ] },
        { name: "CIDRs without an external data service, and a bad one", config: { "inferencePipeline.externalDataCidrs": `["10.0.0.0/8","corp-net"]` }, expect: [
            ["mlplat:inferencePipeline.externalDataCidrs", "each entry must be a CIDR like 10.20.0.0/16"],
            ["mlplat:inferencePipeline.externalDataCidrs", "is set but none of data.postgresql.mode, data.redis.mode, data.rabbitmq.mode is external, so it would be ignored"],
        ] },
        { name: "an unknown quota window", config: { "inferencePipeline.quota.resetFrequency": "hourly" }, expect: [
            ["mlplat:inferencePipeline.quota.resetFrequency", "must be one of daily, monthly, never; got \"hourly\""],
        ] },
        { name: "KEDA's chart in an air gap without a chart mirror", config: { "registry.mode": "mirror", "registry.mirror.host": "registry.corp:5000" }, expect: [
            ["mlplat:registry.chartMirror", "is required when registry.mode is mirror and inferencePipeline.keda.install is true: the air-gapped cluster cannot reach the KEDA chart repository"],
        ] },
        { name: "namespaces shared with KEDA or MinIO", config: { "inferencePipeline.namespace": "platform", "inferencePipeline.keda.namespace": "platform", "storage.kind": "minio", "storage.minio.namespace": "platform" }, expect: [
            ["mlplat:inferencePipeline.keda.namespace", "must differ from inferencePipeline.namespace (platform): KEDA is cluster-wide and gets a namespace of its own"],
            ["mlplat:inferencePipeline.namespace", "must differ from storage.minio.namespace (platform): each creates its namespace"],
        ] },
        { name: "pipeline settings while the pipeline is off", config: { "inferencePipeline.enabled": "false", "ingress.controller": "none" }, expect: [
            ["mlplat:inferencePipeline.host", "is set but inferencePipeline.enabled is false, so it would be ignored"],
            ["mlplat:inferencePipeline.model.image", "is set but inferencePipeline.enabled is false, so it would be ignored"],
        ] },
    ];
    for (const c of cases) {
        it(`rejects: ${c.name}`, () => assert.deepStrictEqual(problems(c.config, c.secretKeys), c.expect));
    }

    it("accepts the defaults with a host and a model image, and registers nothing for an invalid config", async () => {
        assert.deepStrictEqual(problems({}), []);
        const run = await runStack({ ...BASE, "inferencePipeline.worker.minReplicas": "11" });
        assert.ok(run.error instanceof ConfigError);
        assert.strictEqual(run.resources.length, 0);
    });
});
