// The built-in API service (api.ts), for real: its generated Benthos config run by the
// real Benthos binary against real PostgreSQL and Redis on loopback, after the DB-init
// SQL; the rows and counters are written as the gateway and collector write them.
//
// Prerequisites: scripts/datapath-deps.sh. Run with the data-path suite:
//   npx mocha --config test/datapath/.mocharc.yml

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { apiServiceConfigYaml, API_SERVICE_ENV } from "../../components/platforms/inference-pipeline/api";
import { BENTHOS_VERSION } from "../../components/platforms/inference-pipeline/benthos";
import { ENV, pipelineNames, quotaWindow, usageKey } from "../../components/platforms/inference-pipeline/names";
import { schemaSql } from "../../components/platforms/inference-pipeline/schema";
import { ManagedProcess, freePort, killMarked, makeTempRoot, runOk, setRunMarker, startProcess, stopProcess, tail, waitFor } from "./harness";
import { Postgres, Redis, locateTools, startPostgres, startRedis } from "./servers";

const DONE = "6f1c2a4e-9b1d-4c3e-8a2f-0d5e7b9c1a23";
const FAILED = "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d";
const QUEUED = "11111111-2222-4333-8444-555555555555";

describe("built-in API service (real Benthos, PostgreSQL, Redis)", function () {
    this.timeout(60_000);

    const names = pipelineNames({
        namePrefix: "apitest",
        tables: { requests: "api_requests", quotas: "api_quotas" },
        redisKeyPrefix: "apitest",
        apiService: { port: 18080 },
        defaultQuota: { requestLimit: 100, tokenLimit: 5000, tier: "free", resetFrequency: "daily" },
        seedUsers: [
            { userId: "test-user" },
            { userId: "pro-user", quota: { requestLimit: 10, tokenLimit: 900, tier: "pro", resetFrequency: "monthly" } },
        ],
    });
    const tools = locateTools(BENTHOS_VERSION);
    let root = "";
    let logDir = "";
    let pg: Postgres | undefined;
    let redis: Redis | undefined;
    let api: ManagedProcess | undefined;
    let configFile = "";
    let base = "";
    let failed = false;

    const env = (): NodeJS.ProcessEnv => {
        const all: Record<string, string> = { [ENV.postgresDsn]: pg!.url, [ENV.redisUrl]: redis!.url };
        // Only what the pod gets.
        return { PATH: process.env.PATH, HOME: root, ...Object.fromEntries(API_SERVICE_ENV.map((k) => [k, all[k]])) };
    };
    const get = async (p: string, method = "GET") => {
        const r = await fetch(`${base}${p}`, { method, signal: AbortSignal.timeout(10_000) });
        const text = await r.text();
        let json: any = {};
        try { json = JSON.parse(text); } catch { json = { raw: text }; }
        return { status: r.status, json };
    };

    before(async function () {
        this.timeout(300_000);
        if (tools.problems.filter((p) => !p.startsWith("rabbitmq") && p !== "epmd").length) {
            throw new Error(`missing ${tools.problems.join(", ")} (benthos expected at ${tools.benthosExpected}); run scripts/datapath-deps.sh`);
        }
        root = makeTempRoot("mlplat-apiservice-");
        setRunMarker(path.basename(root));
        logDir = path.join(root, "logs");
        fs.mkdirSync(logDir, { mode: 0o755 });
        [pg, redis] = await Promise.all([startPostgres(root, tools.pgBin!, logDir), startRedis(root, tools.redisServer!, tools.redisCli!, logDir)]);

        const sqlFile = path.join(root, "init.sql");
        fs.writeFileSync(sqlFile, schemaSql(names));
        await pg.psqlFile(sqlFile);
        const t = names.tables;
        await pg.psql(`INSERT INTO ${t.users} (user_id, name, active) VALUES ('inactive-user', 'Inactive', FALSE)`);
        // As the gateway inserts and the collector completes them.
        await pg.psql(`INSERT INTO ${t.requests} (request_id, user_id, prompt, status, model, estimated_tokens) VALUES
            ('${DONE}', 'test-user', 'hello', 'queued', 'default', 2),
            ('${FAILED}', 'test-user', 'boom', 'queued', 'default', 1),
            ('${QUEUED}', 'pro-user', 'later', 'queued', 'big', 2)`);
        await pg.psql(`UPDATE ${t.requests} SET status = 'completed', result = 'echo: hello', prompt_tokens = 1, completion_tokens = 7, total_tokens = 8, completed_at = now() WHERE request_id = '${DONE}'`);
        await pg.psql(`UPDATE ${t.requests} SET status = 'failed', error = 'model exploded', completed_at = now() WHERE request_id = '${FAILED}'`);
        await redis.cli("SET", usageKey(names, "requests", "test-user", quotaWindow("daily")), "3");
        await redis.cli("SET", usageKey(names, "tokens", "test-user", quotaWindow("daily")), "120");
        await redis.cli("SET", usageKey(names, "tokens", "pro-user", quotaWindow("monthly")), "950");

        configFile = path.join(root, "api.yaml");
        fs.writeFileSync(configFile, apiServiceConfigYaml(names));
        const port = await freePort();
        base = `http://127.0.0.1:${port}`;
        const p = startProcess("benthos-api", tools.benthos!, ["-c", configFile, "--set", `http.address=127.0.0.1:${port}`], { env: env(), logDir, cwd: root });
        api = p;
        await waitFor("API service /ready", 60_000, async () => {
            if (p.exitCode !== undefined) throw new Error(`benthos exited (${p.exitCode}):\n${tail(p.logFile, 15)}`);
            return (await fetch(`${base}/ready`, { signal: AbortSignal.timeout(2000) })).status === 200;
        }, 300);
    });

    afterEach(function () {
        if (this.currentTest?.state === "failed") failed = true;
    });

    after(async function () {
        this.timeout(120_000);
        if (failed && root) for (const f of fs.existsSync(logDir) ? fs.readdirSync(logDir) : []) console.error(`\n----- ${f} -----\n${tail(path.join(logDir, f), 30)}`);
        const errors: unknown[] = [];
        for (const step of [() => api && stopProcess(api, "SIGTERM", 15_000), () => redis?.stop(), () => pg?.stop()]) {
            try { await step(); } catch (e) { errors.push(e); }
        }
        const leftovers = killMarked("SIGKILL");
        if (leftovers.length) errors.push(`processes left behind and killed: ${leftovers.join(", ")}`);
        if (root && !process.env.MLPLAT_DATAPATH_KEEP) fs.rmSync(root, { recursive: true, force: true });
        if (errors.length) throw new Error(`cleanup: ${errors.map(String).join("; ")}`);
    });

    it("passes `benthos lint` and serves its probes", async () => {
        await runOk(tools.benthos!, ["lint", configFile], { env: env() });
        assert.strictEqual((await fetch(`${base}/ping`)).status, 200);
    });

    it("GET /status/{id}: a completed request with its result and tokens", async () => {
        const r = await get(`/status/${DONE.toUpperCase()}`);
        assert.strictEqual(r.status, 200, JSON.stringify(r.json));
        assert.deepStrictEqual({ ...r.json, created_at: undefined, completed_at: undefined }, {
            request_id: DONE, user_id: "test-user", status: "completed", result: "echo: hello", model: "default", error: null,
            estimated_tokens: 2, prompt_tokens: 1, completion_tokens: 7, total_tokens: 8, created_at: undefined, completed_at: undefined,
        });
        assert.match(r.json.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.match(r.json.completed_at, /^\d{4}-\d\d-\d\dT/);
    });

    it("GET /status/{id}: failed and queued requests", async () => {
        const f = await get(`/status/${FAILED}`);
        assert.deepStrictEqual([f.status, f.json.status, f.json.error, f.json.result], [200, "failed", "model exploded", null]);
        const q = await get(`/status/${QUEUED}`);
        assert.deepStrictEqual([q.status, q.json.status, q.json.completed_at, q.json.total_tokens], [200, "queued", null, null]);
    });

    it("GET /status/{id}: 404 for an unknown id, 400 for a malformed one, 405 for POST", async () => {
        assert.deepStrictEqual(await get("/status/99999999-9999-4999-8999-999999999999"), { status: 404, json: { error: "request not found" } });
        assert.deepStrictEqual(await get("/status/not-a-uuid"), { status: 400, json: { error: "the request id must be a UUID" } });
        assert.deepStrictEqual(await get("/status/x';DROP TABLE api_requests;--"), { status: 400, json: { error: "the request id must be a UUID" } });
        assert.strictEqual((await get(`/status/${DONE}`, "POST")).status, 405);
    });

    it("GET /quota: the default quota and today's counters", async () => {
        const r = await get("/quota?user_id=test-user");
        assert.strictEqual(r.status, 200, JSON.stringify(r.json));
        assert.deepStrictEqual(r.json, {
            user_id: "test-user", active: true, tier: "free", reset_frequency: "daily", window: quotaWindow("daily"),
            requests: { limit: 100, used: 3, remaining: 97 }, tokens: { limit: 5000, used: 120, remaining: 4880 },
        });
    });

    it("GET /quota: a user's own quota, monthly window, overspent tokens floor at 0", async () => {
        const r = await get("/quota?user_id=pro-user");
        assert.deepStrictEqual(r.json, {
            user_id: "pro-user", active: true, tier: "pro", reset_frequency: "monthly", window: quotaWindow("monthly"),
            requests: { limit: 10, used: 0, remaining: 10 }, tokens: { limit: 900, used: 950, remaining: 0 },
        });
    });

    it("GET /quota: inactive users shown as such; 404 unknown, 400 missing or malformed user_id", async () => {
        const inactive = await get("/quota?user_id=inactive-user");
        assert.deepStrictEqual([inactive.status, inactive.json.active, inactive.json.tier], [200, false, "free"]);
        assert.deepStrictEqual(await get("/quota?user_id=nobody"), { status: 404, json: { error: "unknown user" } });
        const missing = await get("/quota");
        assert.strictEqual(missing.status, 400);
        assert.match(missing.json.error, /^the user_id query parameter is required/);
        assert.strictEqual((await get("/quota?user_id=bad%20user")).status, 400);
    });
});
