// PostgreSQL, RabbitMQ and Redis from Debian's packages, each started on
// loopback on a free port, with its data in the test's temp dir, under the
// package's unprivileged account when we are root.

import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import {
    ManagedProcess, SystemUser, firstExisting, freePort, killMarked, ownedDir, postgresBinDir, run, runOk,
    startProcess, stopProcess, systemUser, tcpOpen, waitFor,
} from "./harness";

export interface Server {
    proc: ManagedProcess;
    /** Connection URL with credentials (what the Secret's dsn/url key would hold). */
    url: string;
    port: number;
    stop(): Promise<void>;
}

/** What the data-path test needs on the machine; `problems` lists what is missing. */
export function locateTools(benthosVersion: string) {
    const pgBin = postgresBinDir();
    // The cache entry tools/benthos/build.sh builds for the version its go.mod pins.
    const benthos = process.env.BENTHOS_BIN ?? path.join(execFileSync("bash", [path.join(__dirname, "..", "..", "tools", "benthos", "build.sh"), "--print-dir"], { encoding: "utf8" }).trim(), "benthos");
    const tools = {
        pgBin,
        rabbitmqServer: firstExisting("/usr/lib/rabbitmq/bin/rabbitmq-server"),
        rabbitmqctl: firstExisting("/usr/lib/rabbitmq/bin/rabbitmqctl"),
        epmd: firstExisting("/usr/bin/epmd", ...fs.existsSync("/usr/lib/erlang/bin") ? ["/usr/lib/erlang/bin/epmd"] : []),
        redisServer: firstExisting("/usr/bin/redis-server"),
        redisCli: firstExisting("/usr/bin/redis-cli"),
        // Built for the version the cluster runs (tools/benthos/go.mod must pin BENTHOS_VERSION).
        benthos: fs.existsSync(benthos) && (process.env.BENTHOS_BIN || path.basename(path.dirname(benthos)).startsWith(`benthos-${benthosVersion}-`)) ? benthos : undefined,
    };
    const problems = Object.entries(tools).filter(([, v]) => !v).map(([k]) => k);
    return { ...tools, problems, benthosExpected: benthos };
}

const secret = () => randomBytes(12).toString("hex");

// ----------------------------------------------------------------------------- PostgreSQL

export interface Postgres extends Server {
    /** psql -At with `sql`; returns stdout. */
    psql(sql: string): Promise<string>;
    /** Runs a file with ON_ERROR_STOP (the DB-init Job's invocation). */
    psqlFile(file: string): Promise<string>;
    /** Rows of a SELECT as JSON objects. */
    query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

export async function startPostgres(root: string, pgBin: string, logDir: string): Promise<Postgres> {
    const user = systemUser("postgres");
    const dataDir = path.join(ownedDir(path.join(root, "pg"), user), "data");
    const sockDir = ownedDir(path.join(root, "pg", "sock"), user);
    const port = await freePort();
    const dbUser = "mlplat";
    const password = secret();
    const pwFile = path.join(root, "pg", "pwfile");
    fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (user) fs.chownSync(pwFile, user.uid, user.gid);
    const env = { PATH: process.env.PATH, LANG: "C.UTF-8", LC_ALL: "C.UTF-8", HOME: path.join(root, "pg") };

    await runOk(path.join(pgBin, "initdb"), [
        "-D", dataDir, "-U", dbUser, "--pwfile", pwFile, "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
        "-E", "UTF8", "--no-sync", "--no-instructions",
    ], { env, user, timeoutMs: 120_000 });
    fs.unlinkSync(pwFile);

    const proc = startProcess("postgres", path.join(pgBin, "postgres"), [
        "-D", dataDir, "-p", String(port), "-h", "127.0.0.1", "-k", sockDir,
        "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        "-c", "max_connections=50", "-c", "shared_buffers=32MB", "-c", "logging_collector=off",
    ], { env, logDir, user });

    const pgEnv = { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: "5" };
    const base = ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", dbUser];
    const psqlBin = path.join(pgBin, "psql");
    await waitFor("postgres to accept connections", 60_000, async () => {
        if (proc.exitCode !== undefined) throw new Error(`postgres exited (${proc.exitCode})`);
        return (await run(psqlBin, [...base, "-d", "postgres", "-c", "SELECT 1"], { env: pgEnv, timeoutMs: 10_000 })).code === 0;
    });
    await runOk(psqlBin, [...base, "-d", "postgres", "-c", "CREATE DATABASE mlplat"], { env: pgEnv });

    const psql = (sql: string) => runOk(psqlBin, [...base, "-d", "mlplat", "-c", sql], { env: pgEnv });
    return {
        proc, port,
        url: `postgres://${dbUser}:${password}@127.0.0.1:${port}/mlplat?sslmode=disable`,
        psql,
        psqlFile: (file: string) => runOk(psqlBin, [...base, "-d", "mlplat", "-f", file], { env: pgEnv }),
        async query<T>(sql: string): Promise<T[]> {
            const out = await psql(`SELECT coalesce(json_agg(t), '[]'::json) FROM (${sql}) t`);
            return JSON.parse(out.trim()) as T[];
        },
        stop: () => stopProcess(proc, "SIGINT", 15_000), // SIGINT: PostgreSQL's fast shutdown
    };
}

// ----------------------------------------------------------------------------- Redis

export interface Redis extends Server {
    cli(...args: string[]): Promise<string>;
}

export async function startRedis(root: string, redisServer: string, redisCli: string, logDir: string): Promise<Redis> {
    const user = systemUser("redis");
    const dir = ownedDir(path.join(root, "redis"), user);
    const port = await freePort();
    const password = secret();
    const proc = startProcess("redis", redisServer, [
        "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
        "--requirepass", password, "--daemonize", "no", "--protected-mode", "yes",
    ], { env: { PATH: process.env.PATH }, logDir, user });
    const cli = (...args: string[]) => runOk(redisCli, ["-h", "127.0.0.1", "-p", String(port), "--no-auth-warning", "-a", password, ...args]);
    await waitFor("redis to answer PING", 30_000, async () => {
        if (proc.exitCode !== undefined) throw new Error(`redis exited (${proc.exitCode})`);
        return (await cli("PING")).trim() === "PONG";
    });
    return { proc, port, url: `redis://:${password}@127.0.0.1:${port}/0`, cli, stop: () => stopProcess(proc, "SIGTERM", 10_000) };
}

// ----------------------------------------------------------------------------- RabbitMQ

export interface RabbitMQ extends Server {
    /** Messages ready + unacknowledged per queue (`rabbitmqctl list_queues`). */
    queueDepths(): Promise<Record<string, { ready: number; unacked: number }>>;
    /** Runs `rabbitmqctl -n <node> ...args`. */
    ctl(...args: string[]): Promise<string>;
}

export async function startRabbitMQ(root: string, tools: { rabbitmqServer: string; rabbitmqctl: string; epmd: string }, logDir: string): Promise<RabbitMQ> {
    const user: SystemUser | undefined = systemUser("rabbitmq");
    const base = ownedDir(path.join(root, "rabbitmq"), user);
    const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
    const node = `mlplat${port}@localhost`;
    const password = secret();
    const conf = path.join(base, "rabbitmq.conf");
    fs.writeFileSync(conf, [
        `listeners.tcp.default = 127.0.0.1:${port}`,
        `loopback_users = none`,
        `default_user = mlplat`,
        `default_pass = ${password}`,
        `disk_free_limit.absolute = 10MB`,
        `log.console = true`,
        `log.console.level = warning`,
        `log.file = false`,
        ``,
    ].join("\n"));
    fs.writeFileSync(path.join(base, "enabled_plugins"), "[].\n");
    for (const f of ["rabbitmq.conf", "enabled_plugins"]) if (user) fs.chownSync(path.join(base, f), user.uid, user.gid);

    const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH, LANG: "C.UTF-8", LC_ALL: "C.UTF-8",
        HOME: base, // the Erlang cookie lives here
        RABBITMQ_NODENAME: node,
        RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
        RABBITMQ_NODE_PORT: String(port),
        RABBITMQ_DIST_PORT: String(distPort),
        RABBITMQ_CONFIG_FILE: conf,
        RABBITMQ_ADVANCED_CONFIG_FILE: path.join(base, "advanced.config"),
        RABBITMQ_CONF_ENV_FILE: path.join(base, "rabbitmq-env.conf"), // absent: skip /etc/rabbitmq's
        RABBITMQ_ENABLED_PLUGINS_FILE: path.join(base, "enabled_plugins"),
        RABBITMQ_MNESIA_BASE: path.join(base, "mnesia"),
        RABBITMQ_LOG_BASE: path.join(base, "log"),
        RABBITMQ_PID_FILE: path.join(base, "rabbit.pid"),
        RABBITMQ_LOGS: "-",
        ERL_EPMD_PORT: String(epmdPort),
        ERL_EPMD_ADDRESS: "127.0.0.1",
    };
    const proc = startProcess("rabbitmq", tools.rabbitmqServer, [], { env, logDir, user, cwd: base });
    const ctl = (...args: string[]) => runOk(tools.rabbitmqctl, ["-n", node, ...args], { env, user, cwd: base, timeoutMs: 60_000 });
    await waitFor("rabbitmq to listen", 120_000, async () => {
        if (proc.exitCode !== undefined) throw new Error(`rabbitmq-server exited (${proc.exitCode})`);
        return tcpOpen(port);
    }, 500);
    await ctl("await_startup", "--timeout", "60");

    return {
        proc, port,
        url: `amqp://mlplat:${password}@127.0.0.1:${port}/`,
        ctl,
        async queueDepths() {
            const out = await ctl("list_queues", "--quiet", "--formatter", "json", "name", "messages_ready", "messages_unacknowledged");
            const rows = JSON.parse(out) as { name: string; messages_ready: number; messages_unacknowledged: number }[];
            return Object.fromEntries(rows.map((r) => [r.name, { ready: r.messages_ready, unacked: r.messages_unacknowledged }]));
        },
        async stop() {
            await stopProcess(proc, "SIGTERM", 30_000);
            // epmd was started by the Erlang VM as a daemon (its own session): stop it by its port,
            // then make sure by the run marker every process of this run carries.
            await run(tools.epmd, ["-port", String(epmdPort), "-kill"], { env, timeoutMs: 10_000 });
            killMarked("SIGKILL");
        },
    };
}
