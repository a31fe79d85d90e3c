// Pure tests of the inference pipeline's generated names, Benthos configs and
// schema SQL: one name per thing, used everywhere; secrets only as ${ENV}.

import * as assert from "assert";
import { parse } from "yaml";
import {
    BENTHOS_IMAGE, BENTHOS_VERSION, benthosConfigYaml, benthosConfigs, collectorConfig, gatewayConfig, workerConfig,
} from "../../components/platforms/inference-pipeline/benthos";
import {
    BENTHOS_COMPONENTS, COMPONENT_ENV, ENV, PipelineSettingsError, SECRET_ENV, pipelineNames, quotaWindow,
    quotaWindowTtlSeconds, usageKey,
} from "../../components/platforms/inference-pipeline/names";
import { schemaSql, schemaStatements } from "../../components/platforms/inference-pipeline/schema";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every value (recursively) of a parsed config, with its path. */
function walk(v: unknown, path = "", out: [string, unknown][] = []): [string, unknown][] {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`, out));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, out);
    else out.push([path, v]);
    return out;
}

/** All processors of a config, flattened through try/catch/branch/switch. */
function processors(list: Obj[] | undefined): Obj[] {
    const out: Obj[] = [];
    for (const p of list ?? []) {
        out.push(p);
        if (p.try) out.push(...processors(p.try));
        if (p.catch) out.push(...processors(p.catch));
        if (p.branch) out.push(...processors(p.branch.processors));
        if (Array.isArray(p.switch)) for (const c of p.switch) out.push(...processors(c.processors));
    }
    return out;
}

const ENV_REF = /\$\{([A-Z_][A-Z0-9_]*)\}/g;

describe("inference pipeline: names, Benthos configs, schema", () => {
    const names = pipelineNames();
    const parsed = Object.fromEntries(Object.entries(benthosConfigs(names)).map(([k, v]) => [k, parse(v) as Obj])) as Record<"gateway" | "worker" | "collector", Obj>;

    describe("names", () => {
        it("has sane defaults and one name per thing", () => {
            assert.strictEqual(names.queues.requests, "inference_requests");
            assert.strictEqual(names.queues.results, "inference_results");
            assert.deepStrictEqual(names.tables, { users: "users", quotas: "quotas", requests: "requests", tokenUsage: "token_usage" });
            assert.strictEqual(names.gateway.port, 4195);
            assert.strictEqual(names.gateway.path, "/api/v1/inference");
            assert.strictEqual(names.modelService.port, 8080);
            assert.strictEqual(names.modelService.url, `http://${names.modelService.name}:8080`);
        });

        it("the ScaledObject targets the worker Deployment and its queue", () => {
            assert.strictEqual(names.scaling.targetDeployment, names.worker.name);
            assert.strictEqual(names.scaling.queue, names.queues.requests);
        });

        it("Kubernetes names are distinct DNS labels", () => {
            const k8s = [names.gateway.name, names.worker.name, names.collector.name, names.modelService.name, names.apiService.name,
                names.dbInit.jobName, names.gateway.configMap, names.worker.configMap, names.collector.configMap, names.dbInit.configMap,
                names.scaling.scaledObject, names.scaling.triggerAuthentication];
            assert.strictEqual(new Set(k8s).size, k8s.length);
            for (const n of k8s) assert.match(n, /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
        });

        it("lists every problem at once, by key", () => {
            assert.throws(() => pipelineNames({
                namePrefix: "Bad_Prefix",
                queues: { requests: "same", results: "same" },
                tables: { users: "drop table;" },
                gateway: { port: 80, path: "/ping" },
                modelService: { timeout: "soon" },
                defaultQuota: { resetFrequency: "hourly" as never },
                seedUsers: [{ userId: "a b" }],
            }), (e: unknown) => {
                assert.ok(e instanceof PipelineSettingsError);
                const keys = e.problems.map((p) => p.split(":")[0]);
                for (const k of ["namePrefix", "queues", "tables.users", "gateway.port", "gateway.path", "modelService.timeout",
                    "defaultQuota.resetFrequency", "seedUsers[0].userId"]) {
                    assert.ok(keys.includes(k), `${k} not reported in ${JSON.stringify(e.problems)}`);
                }
                return true;
            });
        });

        it("quota windows and Redis keys", () => {
            const at = new Date("2024-05-31T23:59:59Z");
            assert.strictEqual(quotaWindow("daily", at), "2024-05-31");
            assert.strictEqual(quotaWindow("monthly", at), "2024-05");
            assert.strictEqual(quotaWindow("never", at), "all");
            assert.strictEqual(quotaWindowTtlSeconds("daily"), 172800);
            assert.strictEqual(usageKey(names, "tokens", "u1", "2024-05-31"), "mlplat:usage:u1:2024-05-31:tokens");
            assert.strictEqual(usageKey(names, "requests", "u1", "all"), "mlplat:usage:u1:all:requests");
        });
    });

    describe("Benthos configs agree with each other and with the names", () => {
        it("the gateway publishes to the queue the worker consumes; the worker publishes to the queue the collector consumes", () => {
            const gwOut = parsed.gateway.output.switch.cases[0].output.fallback[0].amqp_0_9;
            assert.strictEqual(gwOut.key, names.queues.requests);
            assert.strictEqual(gwOut.exchange, "");
            assert.strictEqual(parsed.worker.input.amqp_0_9.queue, names.queues.requests);
            assert.strictEqual(parsed.worker.output.amqp_0_9.key, names.queues.results);
            assert.strictEqual(parsed.collector.input.amqp_0_9.queue, names.queues.results);
            for (const c of [parsed.worker, parsed.collector]) {
                assert.deepStrictEqual(c.input.amqp_0_9.queue_declare, { enabled: true, durable: true, auto_delete: false });
            }
            for (const o of [gwOut, parsed.worker.output.amqp_0_9]) {
                assert.strictEqual(o.persistent, true);
                assert.strictEqual(o.mandatory, true, "an unroutable publish must fail, not vanish");
                assert.deepStrictEqual(o.metadata.exclude_prefixes, [""], "no metadata (HTTP headers) forwarded");
            }
        });

        it("custom names flow into every config and the schema", () => {
            const custom = pipelineNames({
                queues: { requests: "q_in", results: "q_out" },
                tables: { requests: "inference_requests", tokenUsage: "usage_log" },
                modelService: { inferencePath: "/generate" },
                redisKeyPrefix: "acme",
                gateway: { path: "/v2/infer", port: 8088 },
            });
            const all = Object.values(benthosConfigs(custom)).join("\n");
            const sql = schemaSql(custom);
            assert.ok(!/inference_results|[ (]token_usage\b|\/api\/v1\/inference|mlplat:/.test(all), "no default name left in the configs");
            assert.ok(sql.includes("CREATE TABLE IF NOT EXISTS usage_log") && sql.includes("CREATE TABLE IF NOT EXISTS inference_requests"));
            const gw = gatewayConfig(custom) as Obj;
            assert.strictEqual(gw.input.http_server.path, "/v2/infer");
            assert.strictEqual(gw.http.address, "0.0.0.0:8088");
            const insert = processors(gw.pipeline.processors).find((p) => p.label === "insert_request");
            assert.match(insert!.sql_raw.query, /^INSERT INTO inference_requests /);
            const w = workerConfig(custom) as Obj;
            const http = processors(w.pipeline.processors).find((p) => p.http)!.http;
            assert.strictEqual(http.url, "${ML_SERVICE_URL}/generate");
            const c = collectorConfig(custom) as Obj;
            const queries = processors(c.pipeline.processors).filter((p) => p.sql_raw).map((p) => p.sql_raw.query as string);
            assert.ok(queries.some((q) => q.startsWith("UPDATE inference_requests ")));
            assert.ok(queries.some((q) => q.startsWith("INSERT INTO usage_log ") && q.includes("FROM inference_requests r")));
            assert.ok(all.includes('"acme:usage:%v:%v:tokens"'));
        });

        it("every table the configs write is created by the schema (no token_logs-style drift)", () => {
            const created = new Set(schemaStatements(names).map((s) => /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(s)?.[1]).filter(Boolean));
            for (const cfg of Object.values(parsed)) {
                for (const p of processors(cfg.pipeline.processors).filter((x) => x.sql_raw)) {
                    const q: string = p.sql_raw.query;
                    for (const m of q.matchAll(/\b(?:INTO|UPDATE|FROM|JOIN)\s+(\w+)/g)) {
                        assert.ok(created.has(m[1]), `${m[1]} used in "${q}" is not created by the schema`);
                    }
                }
            }
        });

        it("the collector and the gateway use the same Redis key patterns", () => {
            const gwScript = processors(parsed.gateway.pipeline.processors).find((p) => p.redis_script)!.redis_script;
            const colScript = processors(parsed.collector.pipeline.processors).find((p) => p.redis_script)!.redis_script;
            const tokens = `"${names.redis.tokensKeyPattern.replace("{user_id}", "%v").replace("{window}", "%v")}"`;
            assert.ok(gwScript.keys_mapping.includes(tokens));
            assert.ok(colScript.keys_mapping.includes(tokens));
        });

        it("the gateway answers from its sync response with the status set by the pipeline", () => {
            const input = parsed.gateway.input.http_server;
            assert.strictEqual(input.address, "", "shares the service HTTP server with /ping and /ready");
            assert.deepStrictEqual(input.allowed_verbs, ["POST"]);
            assert.match(input.sync_response.status, /^\$\{! meta\("mlplat_http_status"\)/);
            const gw = processors(parsed.gateway.pipeline.processors);
            assert.ok(gw.filter((p) => "sync_response" in p).length >= 2);
            const text = benthosConfigYaml(names, "gateway");
            for (const code of ["400", "403", "429", "202"]) assert.ok(text.includes(code), `status ${code} present`);
        });

        it("each component's HTTP server is on its named port", () => {
            assert.strictEqual(parsed.gateway.http.address, `0.0.0.0:${names.gateway.port}`);
            assert.strictEqual(parsed.worker.http.address, `0.0.0.0:${names.worker.port}`);
            assert.strictEqual(parsed.collector.http.address, `0.0.0.0:${names.collector.port}`);
            assert.ok(parsed.gateway.metrics.prometheus);
        });

        it("targets the pinned image", () => {
            assert.strictEqual(BENTHOS_IMAGE, `jeffail/benthos:${BENTHOS_VERSION}`);
            assert.strictEqual(BENTHOS_VERSION, "4.21.0");
        });
    });

    describe("secrets only through environment variables", () => {
        it("connection settings are ${ENV} references, nothing literal", () => {
            for (const [component, cfg] of Object.entries(parsed)) {
                for (const [p, v] of walk(cfg)) {
                    if (/(^|\.)(dsn|url|urls\[\d+\])$/.test(p)) {
                        assert.match(String(v), /^\$\{[A-Z_]+\}/, `${component} ${p} = ${v} is not an env reference`);
                    }
                    if (typeof v === "string") {
                        assert.ok(!/:\/\/[^/\s$]*:[^@\s]*@/.test(v), `${component} ${p} embeds credentials: ${v}`);
                        assert.ok(!/password|passwd|secret/i.test(v) || p.endsWith("mapping") || p.endsWith("check"), `${component} ${p}: ${v}`);
                    }
                }
            }
        });

        it("each component references exactly the env vars declared for it", () => {
            for (const c of BENTHOS_COMPONENTS) {
                const text = benthosConfigYaml(names, c);
                const used = new Set([...text.matchAll(ENV_REF)].map((m) => m[1]));
                assert.deepStrictEqual([...used].sort(), [...COMPONENT_ENV[c]].sort(), c);
            }
            assert.deepStrictEqual([...SECRET_ENV].sort(), [ENV.postgresDsn, ENV.rabbitmqUrl, ENV.redisUrl].sort());
        });
    });

    describe("schema SQL", () => {
        const sql = schemaSql(names);

        it("is idempotent by construction", () => {
            for (const s of schemaStatements(names)) {
                assert.ok(/^(CREATE TABLE IF NOT EXISTS|CREATE INDEX IF NOT EXISTS|INSERT INTO .* ON CONFLICT \(user_id\) DO NOTHING$)/s.test(s), s);
            }
            assert.match(sql, /^-- .*\nBEGIN;\nSELECT pg_advisory_xact_lock\(\d+\);\n/);
            assert.match(sql, /COMMIT;\n$/);
        });

        it("creates the four tables with keys and the named indexes", () => {
            for (const table of Object.values(names.tables)) assert.ok(sql.includes(`CREATE TABLE IF NOT EXISTS ${table} (`), table);
            assert.match(sql, /request_id\s+UUID PRIMARY KEY/);
            assert.match(sql, /request_id\s+UUID NOT NULL UNIQUE REFERENCES requests \(request_id\)/);
            assert.match(sql, /user_id\s+VARCHAR\(128\) NOT NULL UNIQUE REFERENCES users \(user_id\)/);
            for (const ix of Object.values(names.indexes)) assert.ok(sql.includes(`CREATE INDEX IF NOT EXISTS ${ix} ON`), ix);
        });

        it("seeds users with escaped literals", () => {
            const n = pipelineNames({ seedUsers: [{ userId: "o.brien", name: "O'Brien" }] });
            assert.ok(schemaSql(n).includes(`'O''Brien'`));
        });
    });
});
