// The inference pipeline's data path, for real: the generated Benthos configs
// run by a real Benthos binary (built from Go modules, tools/benthos/build.sh)
// against real PostgreSQL, RabbitMQ and Redis servers from Debian's packages on
// loopback, with a small HTTP model stub. The DB-init SQL runs twice.
//
// Prerequisites: scripts/datapath-deps.sh. Run:
//   npx mocha --config test/datapath/.mocharc.yml
// MLPLAT_DATAPATH_KEEP=1 keeps the temp dir (logs, data) for inspection.

import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { BENTHOS_VERSION, benthosConfigs, InferenceResult } from "../../components/platforms/inference-pipeline/benthos";
import { BenthosComponent, COMPONENT_ENV, ENV, PipelineNames, pipelineNames, quotaWindow, usageKey } from "../../components/platforms/inference-pipeline/names";
import { schemaSql } from "../../components/platforms/inference-pipeline/schema";
import {
    ManagedProcess, freePort, killMarked, makeTempRoot, runOk, setRunMarker, sleep, startProcess, stopProcess, tail, waitFor,
} from "./harness";
import { Postgres, RabbitMQ, Redis, locateTools, startPostgres, startRabbitMQ, startRedis } from "./servers";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The model stub: echoes the prompt, reports OpenAI-style usage; `FAIL-MODEL` in a prompt → HTTP 500. */
interface ModelStub { url: string; prompts: string[]; close(): Promise<void> }

async function startModelStub(names: PipelineNames): Promise<ModelStub> {
    const prompts: string[] = [];
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const send = (code: number, body: unknown) => {
                res.writeHead(code, { "Content-Type": "application/json" });
                res.end(JSON.stringify(body));
            };
            if (req.method === "GET" && (req.url === names.modelService.healthPath || req.url === names.modelService.readyPath)) {
                return send(200, { status: "ok" });
            }
            if (req.method !== "POST" || req.url !== names.modelService.inferencePath) return send(404, { error: "not found" });
            let body: { prompt?: string; model?: string; request_id?: string };
            try {
                body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            } catch {
                return send(400, { error: "bad json" });
            }
            const prompt = String(body.prompt ?? "");
            prompts.push(prompt);
            if (prompt.includes("FAIL-MODEL")) return send(500, { error: "model exploded" });
            const promptTokens = prompt.split(/\s+/).filter(Boolean).length;
            const completionTokens = 7;
            return send(200, {
                result: `echo: ${prompt}`,
                model: body.model ?? "stub",
                usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
            });
        });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${port}`,
        prompts,
        close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    };
}

interface RequestRow {
    request_id: string; user_id: string; prompt: string; status: string; result: string | null; error: string | null;
    prompt_tokens: number | null; completion_tokens: number | null; total_tokens: number | null;
    model: string | null; completed_at: string | null; estimated_tokens: number | null;
}

describe("inference pipeline data path (real Benthos, PostgreSQL, RabbitMQ, Redis)", function () {
    this.timeout(60_000);

    const names = pipelineNames({
        // Non-default names everywhere, so that a hard-coded name anywhere would break the run.
        namePrefix: "dp",
        queues: { requests: "dp_requests", results: "dp_results" },
        tables: { requests: "dp_requests", tokenUsage: "dp_token_usage" },
        redisKeyPrefix: "dptest",
        gateway: { maxTokens: 512 },
        seedUsers: [
            { userId: "test-user", name: "Test User", email: "test@example.com" },
            { userId: "limited-user", quota: { requestLimit: 1 } },
            { userId: "broke-user", quota: { tokenLimit: 10 } },
        ],
    });
    const tools = locateTools(BENTHOS_VERSION);

    let root = "";
    let logDir = "";
    let pg: Postgres | undefined;
    let redis: Redis | undefined;
    let rabbit: RabbitMQ | undefined;
    let stub: ModelStub | undefined;
    const benthos: Partial<Record<BenthosComponent, ManagedProcess>> = {};
    const benthosPorts: Partial<Record<BenthosComponent, number>> = {};
    const configFiles: Partial<Record<BenthosComponent, string>> = {};
    let schemaRuns: string[] = [];
    let failed = false;
    let gatewayUrl = "";

    const benthosEnv = (component: BenthosComponent): NodeJS.ProcessEnv => {
        const all: Record<string, string> = {
            [ENV.postgresDsn]: pg!.url, [ENV.rabbitmqUrl]: rabbit!.url, [ENV.redisUrl]: redis!.url, [ENV.mlServiceUrl]: stub!.url,
        };
        // Only the variables the component is declared to need (what its pod would get).
        const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: root };
        for (const k of COMPONENT_ENV[component]) env[k] = all[k];
        return env;
    };

    async function startBenthos(component: BenthosComponent): Promise<void> {
        const port = benthosPorts[component]!;
        const p = startProcess(`benthos-${component}`, tools.benthos!, [
            "-c", configFiles[component]!, "--set", `http.address=127.0.0.1:${port}`,
        ], { env: benthosEnv(component), logDir, cwd: root });
        benthos[component] = p;
        await waitFor(`benthos ${component} /ready`, 60_000, async () => {
            if (p.exitCode !== undefined) throw new Error(`benthos ${component} exited (${p.exitCode}):\n${tail(p.logFile, 15)}`);
            const r = await fetch(`http://127.0.0.1:${port}${names.benthosPaths.ready}`, { signal: AbortSignal.timeout(2000) });
            return r.status === 200;
        }, 300);
    }

    async function post(body: string | object): Promise<{ status: number; json: Record<string, unknown> }> {
        const r = await fetch(gatewayUrl, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: typeof body === "string" ? body : JSON.stringify(body),
            signal: AbortSignal.timeout(20_000),
        });
        const text = await r.text();
        let json: Record<string, unknown> = {};
        try { json = JSON.parse(text); } catch { json = { raw: text }; }
        return { status: r.status, json };
    }

    const t = names.tables;
    const rowsOf = (where: string) => pg!.query<RequestRow>(`SELECT * FROM ${t.requests} WHERE ${where}`);
    const waitFinished = (requestId: string) => waitFor(`request ${requestId} to finish`, 45_000, async () => {
        const [row] = await rowsOf(`request_id = '${requestId}'`);
        return row && row.status !== "queued" ? row : undefined;
    }, 300);
    const window = () => quotaWindow("daily");
    const redisInt = async (key: string) => Number((await redis!.cli("GET", key)).trim() || "0");

    before(async function () {
        this.timeout(300_000);
        if (tools.problems.length) {
            throw new Error(`missing ${tools.problems.join(", ")} (benthos expected at ${tools.benthosExpected}); run scripts/datapath-deps.sh`);
        }
        root = makeTempRoot("mlplat-datapath-");
        setRunMarker(path.basename(root));
        logDir = path.join(root, "logs");
        fs.mkdirSync(logDir, { mode: 0o755 });

        [pg, redis, rabbit, stub] = await Promise.all([
            startPostgres(root, tools.pgBin!, logDir),
            startRedis(root, tools.redisServer!, tools.redisCli!, logDir),
            startRabbitMQ(root, { rabbitmqServer: tools.rabbitmqServer!, rabbitmqctl: tools.rabbitmqctl!, epmd: tools.epmd! }, logDir),
            startModelStub(names),
        ]);

        // The DB-init Job's SQL, twice: the second run must succeed and change nothing.
        const sqlFile = path.join(root, "init.sql");
        fs.writeFileSync(sqlFile, schemaSql(names));
        schemaRuns = [await pg.psqlFile(sqlFile), await pg.psqlFile(sqlFile)];
        await pg.psql(`INSERT INTO ${t.users} (user_id, name, active) VALUES ('inactive-user', 'Inactive', FALSE) ON CONFLICT DO NOTHING`);
        // broke-user has spent its 10 tokens of today.
        await redis.cli("SET", usageKey(names, "tokens", "broke-user", window()), "10");

        const configs = benthosConfigs(names);
        for (const c of ["gateway", "worker", "collector"] as const) {
            configFiles[c] = path.join(root, `${c}.yaml`);
            fs.writeFileSync(configFiles[c]!, configs[c]);
            benthosPorts[c] = await freePort();
        }
        gatewayUrl = `http://127.0.0.1:${benthosPorts.gateway}${names.gateway.path}`;

        // Consumers first: they declare the durable queues.
        await Promise.all([startBenthos("collector"), startBenthos("worker")]);
        // Stop the worker so that what the gateway publishes stays countable in
        // the requests queue until the worker is started again.
        await stopProcess(benthos.worker!, "SIGTERM", 20_000);
        await startBenthos("gateway");
    });

    afterEach(function () {
        if (this.currentTest?.state === "failed") failed = true;
    });

    after(async function () {
        this.timeout(120_000);
        if (failed && root) {
            for (const f of fs.existsSync(logDir) ? fs.readdirSync(logDir) : []) {
                console.error(`\n----- ${f} (last lines) -----\n${tail(path.join(logDir, f), 30)}`);
            }
        }
        // Reverse order of dependency; every step bounded, errors collected not thrown early.
        const steps: (() => Promise<unknown>)[] = [
            ...(["gateway", "worker", "collector"] as const).map((c) => () => benthos[c] ? stopProcess(benthos[c]!, "SIGTERM", 15_000) : Promise.resolve()),
            () => stub ? stub.close() : Promise.resolve(),
            () => rabbit ? rabbit.stop() : Promise.resolve(),
            () => redis ? redis.stop() : Promise.resolve(),
            () => pg ? pg.stop() : Promise.resolve(),
        ];
        const errors: unknown[] = [];
        for (const step of steps) {
            try { await step(); } catch (e) { errors.push(e); }
        }
        // Final sweep: anything of this run still alive (e.g. a daemon that left its group) is a bug.
        const leftovers = killMarked("SIGKILL");
        if (leftovers.length) errors.push(`processes left behind and killed: ${leftovers.join(", ")}`);
        if (root && !process.env.MLPLAT_DATAPATH_KEEP) fs.rmSync(root, { recursive: true, force: true });
        else if (root) console.error(`kept ${root}`);
        if (errors.length) throw new Error(`cleanup: ${errors.map(String).join("; ")}`);
    });

    it("applied the DB-init SQL twice, idempotently", async () => {
        assert.strictEqual(schemaRuns.length, 2);
        const tables = await pg!.query<{ table_name: string }>(
            `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
        assert.deepStrictEqual(tables.map((r) => r.table_name).sort(), Object.values(t).sort());
        const indexes = await pg!.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public'`);
        for (const ix of Object.values(names.indexes)) assert.ok(indexes.some((r) => r.indexname === ix), `index ${ix} missing`);
        const fks = await pg!.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.table_constraints WHERE constraint_type = 'FOREIGN KEY'`);
        assert.strictEqual(fks[0].n, 4);
        const seeded = await pg!.query<{ user_id: string; n: number }>(
            `SELECT u.user_id, count(q.*)::int AS n FROM ${t.users} u JOIN ${t.quotas} q USING (user_id) GROUP BY 1 ORDER BY 1`);
        assert.deepStrictEqual(seeded, [
            { user_id: "broke-user", n: 1 }, { user_id: "limited-user", n: 1 }, { user_id: "test-user", n: 1 },
        ]);
    });

    it("the generated configs pass `benthos lint`", async () => {
        for (const c of ["gateway", "worker", "collector"] as const) {
            await runOk(tools.benthos!, ["lint", configFiles[c]!], { env: benthosEnv(c) });
        }
    });

    it("rejects malformed bodies with 400: nothing inserted, nothing queued", async () => {
        const bad: (string | object)[] = [
            "this is not json",
            "[1, 2, 3]",
            { user_id: "test-user" },
            { prompt: "no user" },
            { user_id: "test-user", prompt: 42 },
            { user_id: "test-user", prompt: "   " },
            { user_id: "bad user!", prompt: "BAD-MARKER-1" },
            { user_id: "test-user", prompt: "BAD-MARKER-2", max_tokens: 1.5 },
            { user_id: "test-user", prompt: "BAD-MARKER-3", max_tokens: 100000 },
            { user_id: "test-user", prompt: "BAD-MARKER-4", model: 7 },
        ];
        for (const body of bad) {
            const r = await post(body);
            assert.strictEqual(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.json)}`);
            assert.strictEqual(typeof r.json.error, "string", JSON.stringify(r.json));
        }
        assert.match(String((await post({ user_id: "test-user" })).json.error), /prompt \(string\) is required/);
        assert.deepStrictEqual(await pg!.query(`SELECT request_id FROM ${t.requests}`), []);
        const depths = await rabbit!.queueDepths();
        assert.deepStrictEqual(depths[names.queues.requests], { ready: 0, unacked: 0 });
    });

    it("rejects unknown and inactive users with 403", async () => {
        assert.strictEqual((await post({ user_id: "nobody-knows-me", prompt: "BAD-MARKER-5" })).status, 403);
        assert.strictEqual((await post({ user_id: "inactive-user", prompt: "BAD-MARKER-6" })).status, 403);
        assert.deepStrictEqual(await pg!.query(`SELECT request_id FROM ${t.requests}`), []);
    });

    it("a publish the broker refuses marks the row failed and answers 502 (no orphaned `queued` row)", async () => {
        await rabbit!.ctl("delete_queue", names.queues.requests);
        const r = await post({ user_id: "test-user", prompt: "ENQUEUE-FAIL" });
        assert.strictEqual(r.status, 502, JSON.stringify(r.json));
        const rows = await rowsOf(`prompt = 'ENQUEUE-FAIL'`);
        assert.strictEqual(rows.length, 1);
        assert.strictEqual(rows[0].status, "failed");
        assert.match(rows[0].error ?? "", /could not enqueue/);
        // The worker declares the queue again when it starts; stop it again for the next test.
        await startBenthos("worker");
        await stopProcess(benthos.worker!, "SIGTERM", 20_000);
        assert.deepStrictEqual((await rabbit!.queueDepths())[names.queues.requests], { ready: 0, unacked: 0 });
    });

    it("answers 429 to users over quota: nothing inserted, nothing queued", async () => {
        // Token quota: broke-user's counter (10) reached its limit (10).
        const broke = await post({ user_id: "broke-user", prompt: "BAD-MARKER-7" });
        assert.strictEqual(broke.status, 429, JSON.stringify(broke.json));
        assert.match(String(broke.json.error), /quota exceeded \(tokens\)/);
        assert.deepStrictEqual(await rowsOf(`user_id = 'broke-user'`), []);

        // Request quota: limited-user may make 1 request.
        const first = await post({ user_id: "limited-user", prompt: "limited first" });
        assert.strictEqual(first.status, 202, JSON.stringify(first.json));
        const second = await post({ user_id: "limited-user", prompt: "BAD-MARKER-8" });
        assert.strictEqual(second.status, 429, JSON.stringify(second.json));
        assert.match(String(second.json.error), /quota exceeded \(requests\)/);

        const rows = await rowsOf(`user_id = 'limited-user'`);
        assert.strictEqual(rows.length, 1);
        assert.strictEqual(rows[0].request_id, first.json.request_id);
        assert.strictEqual(rows[0].status, "queued");
        assert.strictEqual(await redisInt(usageKey(names, "requests", "limited-user", window())), 1);
        // Exactly the one accepted request waits in the queue (the worker is stopped).
        const depths = await rabbit!.queueDepths();
        assert.deepStrictEqual(depths[names.queues.requests], { ready: 1, unacked: 0 });
    });

    it("processes the queued request once the worker runs", async () => {
        await startBenthos("worker");
        const [row] = await rowsOf(`user_id = 'limited-user'`);
        const done = await waitFinished(row.request_id);
        assert.strictEqual(done.status, "completed");
        assert.strictEqual(done.result, "echo: limited first");
    });

    it("POST → 202 → completed row with result and tokens, token_usage row, Redis counters", async () => {
        const tokensKey = usageKey(names, "tokens", "test-user", window());
        const requestsKey = usageKey(names, "requests", "test-user", window());
        const before = await redisInt(tokensKey);
        const requestsBefore = await redisInt(requestsKey);
        const prompt = "tell me about the data path";
        const r = await post({ user_id: "test-user", prompt, model: "stub-1", max_tokens: 64 });
        assert.strictEqual(r.status, 202, JSON.stringify(r.json));
        const id = String(r.json.request_id);
        assert.match(id, UUID_RE);
        assert.strictEqual(r.json.status, "queued");

        const row = await waitFinished(id);
        assert.strictEqual(row.status, "completed", JSON.stringify(row));
        assert.strictEqual(row.user_id, "test-user");
        assert.strictEqual(row.prompt, prompt);
        assert.strictEqual(row.result, `echo: ${prompt}`);
        assert.strictEqual(row.model, "stub-1");
        assert.strictEqual(row.prompt_tokens, 6);
        assert.strictEqual(row.completion_tokens, 7);
        assert.strictEqual(row.total_tokens, 13);
        assert.strictEqual(row.error, null);
        assert.ok(row.completed_at, "completed_at set");
        assert.ok((row.estimated_tokens ?? 0) > 0, "estimated_tokens set");

        const usage = await waitFor("token_usage row", 10_000, async () => {
            const u = await pg!.query<{ user_id: string; prompt_tokens: number; completion_tokens: number; total_tokens: number; model: string }>(
                `SELECT user_id, prompt_tokens, completion_tokens, total_tokens, model FROM ${t.tokenUsage} WHERE request_id = '${id}'`);
            return u.length ? u : undefined;
        });
        assert.deepStrictEqual(usage, [{ user_id: "test-user", prompt_tokens: 6, completion_tokens: 7, total_tokens: 13, model: "stub-1" }]);

        await waitFor("redis token counter", 10_000, async () => (await redisInt(tokensKey)) === before + 13);
        assert.strictEqual(await redisInt(requestsKey), requestsBefore + 1);
        const ttl = Number((await redis!.cli("TTL", tokensKey)).trim());
        assert.ok(ttl > 0 && ttl <= 172800, `daily counter expires (ttl ${ttl})`);
    });

    it("a model failure ends as a failed row with its error, no token usage", async () => {
        const tokensKey = usageKey(names, "tokens", "test-user", window());
        const before = await redisInt(tokensKey);
        const r = await post({ user_id: "test-user", prompt: "please FAIL-MODEL now" });
        assert.strictEqual(r.status, 202, JSON.stringify(r.json));
        const row = await waitFinished(String(r.json.request_id));
        assert.strictEqual(row.status, "failed");
        assert.strictEqual(row.result, null);
        assert.ok(row.error && /500/.test(row.error), `error recorded: ${row.error}`);
        assert.ok(row.completed_at);
        assert.deepStrictEqual(await pg!.query(`SELECT usage_id FROM ${t.tokenUsage} WHERE request_id = '${r.json.request_id}'`), []);
        assert.strictEqual(await redisInt(tokensKey), before);
    });

    it("collector is idempotent: a redelivered result and a malformed one change nothing", async () => {
        const [row] = await rowsOf(`user_id = 'test-user' AND status = 'completed'`);
        const tokensKey = usageKey(names, "tokens", "test-user", window());
        const tokensBefore = await redisInt(tokensKey);
        const replay: InferenceResult = {
            request_id: row.request_id, user_id: "test-user", status: "completed", result: row.result, model: row.model,
            prompt_tokens: row.prompt_tokens!, completion_tokens: row.completion_tokens!, total_tokens: row.total_tokens!,
            error: null, quota_window: window(), quota_ttl_seconds: 172800,
        };
        // Publish with Benthos itself (a one-shot generate → amqp_0_9 config): the duplicate, then garbage.
        const publisher = path.join(root, "replay.yaml");
        fs.writeFileSync(publisher, [
            "input:",
            "  generate:",
            "    count: 2",
            "    interval: \"\"",
            `    mapping: 'root = if count("replay") == 1 { ${JSON.stringify(replay)} } else { "not json at all" }'`,
            "output:",
            "  amqp_0_9:",
            "    urls: [ \"${RABBITMQ_URL}\" ]",
            "    exchange: \"\"",
            `    key: ${names.queues.results}`,
            "    persistent: true",
            "    mandatory: true",
            "",
        ].join("\n"));
        await runOk(tools.benthos!, ["-c", publisher, "--set", "http.enabled=false"], {
            env: { PATH: process.env.PATH, [ENV.rabbitmqUrl]: rabbit!.url }, timeoutMs: 30_000,
        });
        await waitFor("results queue drained", 20_000, async () => {
            const d = (await rabbit!.queueDepths())[names.queues.results];
            return d && d.ready === 0 && d.unacked === 0;
        });
        await sleep(1000);
        const usage = await pg!.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t.tokenUsage} WHERE request_id = '${row.request_id}'`);
        assert.deepStrictEqual(usage, [{ n: 1 }]);
        assert.strictEqual(await redisInt(tokensKey), tokensBefore, "tokens not counted twice");
        const [again] = await rowsOf(`request_id = '${row.request_id}'`);
        assert.strictEqual(again.status, "completed");
        assert.strictEqual(again.total_tokens, row.total_tokens);
    });

    it("nothing rejected ever reached the queue or the model; queues drained", async () => {
        await sleep(500);
        assert.deepStrictEqual(stub!.prompts.filter((p) => p.includes("BAD-MARKER")), []);
        assert.ok(!stub!.prompts.includes("ENQUEUE-FAIL"));
        // The failing prompt is tried 1 + retries times, the others once.
        const expected = ["limited first", "tell me about the data path",
            ...Array<string>(1 + names.modelService.retries).fill("please FAIL-MODEL now")];
        assert.deepStrictEqual([...stub!.prompts].sort(), expected.sort());
        const depths = await rabbit!.queueDepths();
        assert.deepStrictEqual(depths[names.queues.requests], { ready: 0, unacked: 0 });
        assert.deepStrictEqual(depths[names.queues.results], { ready: 0, unacked: 0 });
        const statuses = await pg!.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM ${t.requests} GROUP BY 1 ORDER BY 1`);
        assert.deepStrictEqual(statuses, [{ status: "completed", n: 2 }, { status: "failed", n: 2 }]);
    });
});
