// One place for every name the inference pipeline uses.
//
// `PipelineSettings` is the typed input (everything optional, with defaults);
// `pipelineNames()` validates it and derives `PipelineNames`, the single object
// that the Benthos configs (benthos.ts), the DB-init SQL (schema.ts) and the
// Kubernetes objects (Deployments, Services, ScaledObject, ...) all read. No
// other module invents a queue, table, port, key or object name.
//
// The original go-with-me-ml manifests disagreed with themselves: the
// ScaledObject targeted `ml-worker` while the Deployment was `benthos-ml-worker`,
// two queue names (`ml-requests` / `inference_requests`), two model ports
// (8000 / 8080), and a `token_logs` table that the schema never created. Deriving
// every name here makes those mismatches unrepresentable.
//
// Pure TypeScript: no Pulumi, no I/O.

/** How often a user's counters start again from zero. */
export type QuotaResetFrequency = "daily" | "monthly" | "never";

export const QUOTA_RESET_FREQUENCIES: readonly QuotaResetFrequency[] = ["daily", "monthly", "never"];

/** A quota: limits per reset window. */
export interface QuotaSettings {
    /** Accepted requests per window. */
    requestLimit: number;
    /** Tokens (prompt + completion) per window; a user whose counter reached it gets 429. */
    tokenLimit: number;
    /** Free-form tier label stored in the `quotas` table. */
    tier: string;
    /** Window of the Redis counters. */
    resetFrequency: QuotaResetFrequency;
}

/** A user row created (idempotently) by the DB-init SQL. */
export interface SeedUser {
    /** `users.user_id`; must match the gateway's user id pattern. */
    userId: string;
    name?: string;
    email?: string;
    /** The user's quota; `defaultQuota` when omitted. */
    quota?: Partial<QuotaSettings>;
}

/** A seed user with every default applied. */
export interface ResolvedSeedUser {
    userId: string;
    name: string;
    /** Empty string: no email (stored as NULL). */
    email: string;
    quota: QuotaSettings;
}

/** Typed input of the pipeline's names. Every field is optional. */
export interface PipelineSettings {
    /**
     * Prefix of every Kubernetes object name of the pipeline (DNS-1123 label,
     * at most 30 characters). Default `inference`.
     */
    namePrefix?: string;
    /** RabbitMQ queue names (durable, declared by their consumers). */
    queues?: {
        /** Jobs from the gateway to the ML workers. Default `inference_requests`. */
        requests?: string;
        /** Results from the ML workers to the collector. Default `inference_results`. */
        results?: string;
    };
    /** PostgreSQL table names (lower-case SQL identifiers). */
    tables?: {
        /** Default `users`. */
        users?: string;
        /** Default `quotas`. */
        quotas?: string;
        /** Default `requests`. */
        requests?: string;
        /** Default `token_usage`. */
        tokenUsage?: string;
    };
    /** The Benthos API gateway. */
    gateway?: {
        /** HTTP port of the gateway container: the API path, `/ping`, `/ready`, `/metrics`. Default 4195. */
        port?: number;
        /** Path of the inference endpoint. Default `/api/v1/inference`. */
        path?: string;
        /** Request timeout of the HTTP endpoint (Go duration). Default `10s`. */
        timeout?: string;
        /** Longest accepted prompt, in bytes (UTF-8). Default 32768. */
        maxPromptBytes?: number;
        /** Largest accepted `max_tokens`. Default 8192. */
        maxTokens?: number;
    };
    /** HTTP port of the ML worker and results collector containers (probes, metrics). Default 4195. */
    benthosPort?: number;
    /** The model service the workers call. */
    modelService?: {
        /** Container and Service port. Default 8080. */
        port?: number;
        /** Inference path (POST). Default `/v1/generate`. */
        inferencePath?: string;
        /** Liveness probe path. Default `/health`. */
        healthPath?: string;
        /** Readiness probe path. Default `/ready`. */
        readyPath?: string;
        /** Per-attempt timeout of a model call (Go duration). Default `60s`. */
        timeout?: string;
        /** Retries of a failed model call before the request is marked failed. Default 2. */
        retries?: number;
        /** Model name used when the request does not name one. Default `default`. */
        defaultModel?: string;
    };
    /** The API service (`GET /status/{id}`, `GET /quota`). */
    apiService?: {
        /** Container port. Default 8080. */
        port?: number;
    };
    /** Redis key prefix of every key the pipeline writes. Default `mlplat`. */
    redisKeyPrefix?: string;
    /** Quota of users without a `quotas` row. */
    defaultQuota?: Partial<QuotaSettings>;
    /** Users created by the DB-init SQL. Default: one `test-user` with the default quota. */
    seedUsers?: SeedUser[];
    /** Unacknowledged messages a worker/collector holds (AMQP prefetch). Default 4. */
    prefetch?: number;
}

/** Environment variable names the Benthos configs read (the only way secrets reach them). */
export const ENV = {
    /** PostgreSQL DSN (`postgres://user:pass@host:5432/db?sslmode=...`), from the PostgreSQL Secret's `dsn` key. */
    postgresDsn: "POSTGRES_DSN",
    /** AMQP URL (`amqp://user:pass@host:5672/vhost`), from the RabbitMQ Secret's `url` key. */
    rabbitmqUrl: "RABBITMQ_URL",
    /** Redis URL (`redis://:pass@host:6379/0`), from the Redis Secret's `url` key. */
    redisUrl: "REDIS_URL",
    /** Base URL of the model service (`http://host:port`); not a secret, a plain env value. */
    mlServiceUrl: "ML_SERVICE_URL",
} as const;

export type EnvVarName = (typeof ENV)[keyof typeof ENV];

/** Which env var each Benthos process needs (least privilege: mount only these). */
export const COMPONENT_ENV: Readonly<Record<BenthosComponent, readonly EnvVarName[]>> = {
    gateway: [ENV.postgresDsn, ENV.rabbitmqUrl, ENV.redisUrl],
    worker: [ENV.rabbitmqUrl, ENV.mlServiceUrl],
    collector: [ENV.postgresDsn, ENV.rabbitmqUrl, ENV.redisUrl],
};

/** The env vars that carry credentials and must come from `secretKeyRef`. */
export const SECRET_ENV: readonly EnvVarName[] = [ENV.postgresDsn, ENV.rabbitmqUrl, ENV.redisUrl];

export type BenthosComponent = "gateway" | "worker" | "collector";
export const BENTHOS_COMPONENTS: readonly BenthosComponent[] = ["gateway", "worker", "collector"];

/** Request row statuses. */
export const REQUEST_STATUS = {
    queued: "queued",
    completed: "completed",
    failed: "failed",
} as const;

/** Names of one Benthos workload. */
export interface BenthosWorkloadNames {
    /** Deployment, Service, ServiceAccount and `app.kubernetes.io/name` of the workload. */
    name: string;
    /** ConfigMap holding `benthos.yaml`. */
    configMap: string;
    /** Key of the config in the ConfigMap, mounted at `configPath`. */
    configKey: string;
    /** Where the container reads its config (`benthos -c <configPath>`). */
    configPath: string;
    /** Container port: Benthos HTTP server (API path for the gateway, `/ping`, `/ready`, `/metrics`). */
    port: number;
    /** Env vars the container needs. */
    env: readonly EnvVarName[];
}

/** Everything derived from `PipelineSettings`; the one source of names. */
export interface PipelineNames {
    prefix: string;
    queues: { requests: string; results: string };
    tables: { users: string; quotas: string; requests: string; tokenUsage: string };
    /** Index names per table (the schema creates exactly these). */
    indexes: {
        requestsUserCreated: string;
        requestsStatusCreated: string;
        tokenUsageUserCreated: string;
        tokenUsageCreated: string;
        usersEmail: string;
    };
    gateway: BenthosWorkloadNames & {
        /** The inference endpoint path. */
        path: string;
        timeout: string;
        maxPromptBytes: number;
        maxTokens: number;
        /** Service port (the Service maps it to `port`). */
        servicePort: number;
    };
    worker: BenthosWorkloadNames;
    collector: BenthosWorkloadNames;
    /** Probe and metrics paths served by every Benthos process on its `port`. */
    benthosPaths: { live: string; ready: string; metrics: string };
    modelService: {
        /** Deployment/Service name. */
        name: string;
        port: number;
        inferencePath: string;
        healthPath: string;
        readyPath: string;
        timeout: string;
        retries: number;
        defaultModel: string;
        /** `ML_SERVICE_URL` value inside the namespace: `http://<name>:<port>`. */
        url: string;
        /** PersistentVolumeClaim of the model volume (mounted at `MODEL_PATH`). */
        volumeClaim: string;
    };
    /** The API service (Deployment, Service, ServiceAccount); its built-in Benthos config (api.ts) lives like the others'. */
    apiService: { name: string; port: number; servicePort: number; configMap: string; configKey: string; configPath: string };
    /** The Ingress of the gateway and API routes, and its TLS Secret when cert-manager issues it. */
    ingress: { name: string; tlsSecret: string };
    /** NetworkPolicies besides the one per workload (which is named after the workload). */
    networkPolicies: { defaultDeny: string; dns: string; postgresql: string; redis: string; rabbitmq: string };
    dbInit: { jobName: string; configMap: string; scriptKey: string };
    /** KEDA objects: the ScaledObject targets exactly `worker.name`. */
    scaling: { scaledObject: string; triggerAuthentication: string; targetDeployment: string; queue: string };
    redis: {
        prefix: string;
        /** Key-name patterns, `{user_id}`, `{window}`, `{request_id}` are placeholders. */
        requestsKeyPattern: string;
        tokensKeyPattern: string;
        countedKeyPattern: string;
        /** TTL of the "already counted" marker per request, seconds. */
        countedTtlSeconds: number;
    };
    defaultQuota: QuotaSettings;
    seedUsers: ResolvedSeedUser[];
    prefetch: number;
    /** Regular expression a `user_id` must match (also keeps Redis keys well-formed). */
    userIdPattern: string;
    env: typeof ENV;
}

export const DEFAULT_SETTINGS = {
    namePrefix: "inference",
    queues: { requests: "inference_requests", results: "inference_results" },
    tables: { users: "users", quotas: "quotas", requests: "requests", tokenUsage: "token_usage" },
    gateway: { port: 4195, path: "/api/v1/inference", timeout: "10s", maxPromptBytes: 32768, maxTokens: 8192 },
    benthosPort: 4195,
    modelService: {
        port: 8080, inferencePath: "/v1/generate", healthPath: "/health", readyPath: "/ready",
        timeout: "60s", retries: 2, defaultModel: "default",
    },
    apiService: { port: 8080 },
    redisKeyPrefix: "mlplat",
    defaultQuota: { requestLimit: 1000, tokenLimit: 1_000_000, tier: "free", resetFrequency: "daily" as QuotaResetFrequency },
    seedUsers: [{ userId: "test-user", name: "Test User", email: "test-user@example.com" }] as SeedUser[],
    prefetch: 4,
} as const;

/** `user_id` values: 1-128 characters of letters, digits, `.`, `_`, `@`, `-`. */
export const USER_ID_PATTERN = "^[A-Za-z0-9._@-]{1,128}$";

const SQL_IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUEUE_NAME = /^[A-Za-z0-9_.:-]{1,255}$/;
const HTTP_PATH = /^\/[A-Za-z0-9._~\/-]*$/;
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/;
const REDIS_PREFIX = /^[A-Za-z0-9._-]{1,64}$/;
const SQL_RESERVED = new Set(["user", "order", "group", "select", "table", "where", "from", "limit", "offset"]);

/** Thrown by `pipelineNames` with every problem at once. */
export class PipelineSettingsError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid inference pipeline settings:\n  - ${problems.join("\n  - ")}`);
        this.name = "PipelineSettingsError";
    }
}

/** Records a problem (`key: hint`) unless `ok`; validation collects every problem before throwing. */
type Check = (ok: boolean, key: string, hint: string) => void;

/** Ports must be unprivileged: the containers run as non-root. */
function checkPort(check: Check, key: string, v: number): void {
    check(Number.isInteger(v) && v >= 1024 && v <= 65535, key,
        `${v} must be an integer port in 1024-65535 (containers run as non-root)`);
}

function resolveQueues(settings: PipelineSettings, check: Check) {
    const queues = { ...DEFAULT_SETTINGS.queues, ...settings.queues };
    for (const [k, v] of Object.entries(queues)) {
        check(QUEUE_NAME.test(v), `queues.${k}`, `"${v}" must be 1-255 characters of [A-Za-z0-9_.:-]`);
        check(!v.startsWith("amq."), `queues.${k}`, `"${v}": the amq. prefix is reserved by RabbitMQ`);
    }
    check(queues.requests !== queues.results, "queues", "requests and results must be different queues");
    return queues;
}

function resolveTables(settings: PipelineSettings, check: Check) {
    const tables = { ...DEFAULT_SETTINGS.tables, ...settings.tables };
    for (const [k, v] of Object.entries(tables)) {
        check(SQL_IDENT.test(v) && !SQL_RESERVED.has(v), `tables.${k}`,
            `"${v}" must be a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63) and not a reserved word`);
    }
    check(new Set(Object.values(tables)).size === Object.values(tables).length, "tables", "table names must be distinct");
    return tables;
}

function resolveGateway(settings: PipelineSettings, check: Check) {
    const gw = { ...DEFAULT_SETTINGS.gateway, ...settings.gateway };
    checkPort(check, "gateway.port", gw.port);
    // The path shares Benthos' HTTP server, so it must not shadow its built-in endpoints.
    check(HTTP_PATH.test(gw.path) && gw.path.length > 1 && !["/ping", "/ready", "/metrics", "/version"].includes(gw.path),
        "gateway.path", `"${gw.path}" must be an absolute URL path other than Benthos' /ping, /ready, /metrics, /version`);
    check(GO_DURATION.test(gw.timeout), "gateway.timeout", `"${gw.timeout}" must be a Go duration such as 10s`);
    check(Number.isInteger(gw.maxPromptBytes) && gw.maxPromptBytes > 0, "gateway.maxPromptBytes", "must be a positive integer");
    check(Number.isInteger(gw.maxTokens) && gw.maxTokens > 0, "gateway.maxTokens", "must be a positive integer");
    return gw;
}

function resolveModelService(settings: PipelineSettings, check: Check) {
    const ms = { ...DEFAULT_SETTINGS.modelService, ...settings.modelService };
    checkPort(check, "modelService.port", ms.port);
    for (const k of ["inferencePath", "healthPath", "readyPath"] as const) {
        check(HTTP_PATH.test(ms[k]), `modelService.${k}`, `"${ms[k]}" must be an absolute URL path`);
    }
    check(GO_DURATION.test(ms.timeout), "modelService.timeout", `"${ms.timeout}" must be a Go duration such as 60s`);
    check(Number.isInteger(ms.retries) && ms.retries >= 0 && ms.retries <= 10, "modelService.retries", "must be an integer 0-10");
    check(ms.defaultModel.length > 0 && ms.defaultModel.length <= 128, "modelService.defaultModel", "must be 1-128 characters");
    return ms;
}

/** Seed users get the default quota for every field they leave out. */
function resolveSeedUsers(settings: PipelineSettings, defaultQuota: QuotaSettings, check: Check): ResolvedSeedUser[] {
    const userRe = new RegExp(USER_ID_PATTERN);
    const seedUsers = (settings.seedUsers ?? DEFAULT_SETTINGS.seedUsers).map((u, i) => {
        check(userRe.test(u.userId), `seedUsers[${i}].userId`, `"${u.userId}" must match ${USER_ID_PATTERN}`);
        return {
            userId: u.userId,
            name: u.name ?? u.userId,
            email: u.email ?? "",
            quota: normalizeQuota({ ...defaultQuota, ...u.quota }, `seedUsers[${i}].quota`, check),
        };
    });
    check(new Set(seedUsers.map((u) => u.userId)).size === seedUsers.length, "seedUsers", "user ids must be unique");
    return seedUsers;
}

/** Merges settings over the defaults and validates them; throws `PipelineSettingsError` listing all problems. */
function resolveSettings(settings: PipelineSettings) {
    const d = DEFAULT_SETTINGS;
    const problems: string[] = [];
    const check: Check = (ok, key, hint) => { if (!ok) problems.push(`${key}: ${hint}`); };

    // The order of the checks below is the order of the reported problems.
    const prefix = settings.namePrefix ?? d.namePrefix;
    check(DNS_LABEL.test(prefix) && prefix.length <= 30, "namePrefix",
        `"${prefix}" must be a DNS-1123 label of at most 30 characters`);
    const queues = resolveQueues(settings, check);
    const tables = resolveTables(settings, check);
    const gw = resolveGateway(settings, check);
    const benthosPort = settings.benthosPort ?? d.benthosPort;
    checkPort(check, "benthosPort", benthosPort);
    const ms = resolveModelService(settings, check);
    const api = { ...d.apiService, ...settings.apiService };
    checkPort(check, "apiService.port", api.port);
    const redisPrefix = settings.redisKeyPrefix ?? d.redisKeyPrefix;
    check(REDIS_PREFIX.test(redisPrefix), "redisKeyPrefix", `"${redisPrefix}" must be 1-64 characters of [A-Za-z0-9._-]`);
    const defaultQuota = normalizeQuota({ ...d.defaultQuota, ...settings.defaultQuota }, "defaultQuota", check);
    const seedUsers = resolveSeedUsers(settings, defaultQuota, check);
    const prefetch = settings.prefetch ?? d.prefetch;
    check(Number.isInteger(prefetch) && prefetch >= 1 && prefetch <= 1000, "prefetch", "must be an integer 1-1000");

    if (problems.length > 0) throw new PipelineSettingsError(problems);
    return { prefix, queues, tables, gw, benthosPort, ms, api, redisPrefix, defaultQuota, seedUsers, prefetch };
}

type ResolvedSettings = ReturnType<typeof resolveSettings>;

/** One Benthos Deployment's names; every workload reads its config from the same path. */
function benthosWorkload(prefix: string, component: string, env: readonly EnvVarName[], port: number): BenthosWorkloadNames {
    return {
        name: `${prefix}-${component}`,
        configMap: `${prefix}-${component}-config`,
        configKey: "benthos.yaml",
        configPath: "/benthos/config/benthos.yaml",
        port,
        env,
    };
}

/** Index names, cut to PostgreSQL's 63-character identifier limit. */
function indexNames(tables: PipelineNames["tables"]): PipelineNames["indexes"] {
    const index = (table: string, suffix: string) => `${table}_${suffix}`.slice(0, 63);
    return {
        requestsUserCreated: index(tables.requests, "user_created_idx"),
        requestsStatusCreated: index(tables.requests, "status_created_idx"),
        tokenUsageUserCreated: index(tables.tokenUsage, "user_created_idx"),
        tokenUsageCreated: index(tables.tokenUsage, "created_idx"),
        usersEmail: index(tables.users, "email_idx"),
    };
}

function modelServiceNames(prefix: string, ms: ResolvedSettings["ms"]): PipelineNames["modelService"] {
    const modelName = `${prefix}-ml-service`;
    return {
        name: modelName,
        port: ms.port,
        inferencePath: ms.inferencePath,
        healthPath: ms.healthPath,
        readyPath: ms.readyPath,
        timeout: ms.timeout,
        retries: ms.retries,
        defaultModel: ms.defaultModel,
        url: `http://${modelName}:${ms.port}`,
        volumeClaim: `${prefix}-models`,
    };
}

function networkPolicyNames(prefix: string): PipelineNames["networkPolicies"] {
    return {
        defaultDeny: `${prefix}-default-deny`,
        dns: `${prefix}-allow-dns`,
        postgresql: `${prefix}-postgresql-clients`,
        redis: `${prefix}-redis-clients`,
        rabbitmq: `${prefix}-rabbitmq-clients`,
    };
}

/** Redis key patterns: usage counters per user and window, plus a per-request "already counted" marker. */
function redisNames(redisPrefix: string): PipelineNames["redis"] {
    return {
        prefix: redisPrefix,
        requestsKeyPattern: `${redisPrefix}:usage:{user_id}:{window}:requests`,
        tokensKeyPattern: `${redisPrefix}:usage:{user_id}:{window}:tokens`,
        countedKeyPattern: `${redisPrefix}:counted:{request_id}`,
        countedTtlSeconds: 7 * 24 * 3600,
    };
}

/** Validates the settings and derives every name. Throws `PipelineSettingsError` listing all problems. */
export function pipelineNames(settings: PipelineSettings = {}): PipelineNames {
    const { prefix, queues, tables, gw, benthosPort, ms, api, redisPrefix, defaultQuota, seedUsers, prefetch } =
        resolveSettings(settings);
    const worker = benthosWorkload(prefix, "ml-worker", COMPONENT_ENV.worker, benthosPort);

    return {
        prefix,
        queues,
        tables,
        indexes: indexNames(tables),
        gateway: {
            ...benthosWorkload(prefix, "api-gateway", COMPONENT_ENV.gateway, gw.port),
            path: gw.path,
            timeout: gw.timeout,
            maxPromptBytes: gw.maxPromptBytes,
            maxTokens: gw.maxTokens,
            servicePort: 80,
        },
        worker,
        collector: benthosWorkload(prefix, "results-collector", COMPONENT_ENV.collector, benthosPort),
        benthosPaths: { live: "/ping", ready: "/ready", metrics: "/metrics" },
        modelService: modelServiceNames(prefix, ms),
        apiService: {
            name: `${prefix}-api-service`, port: api.port, servicePort: 80,
            configMap: `${prefix}-api-service-config`, configKey: "benthos.yaml", configPath: "/benthos/config/benthos.yaml",
        },
        ingress: { name: prefix, tlsSecret: `${prefix}-tls` },
        networkPolicies: networkPolicyNames(prefix),
        dbInit: { jobName: `${prefix}-db-init`, configMap: `${prefix}-db-init-sql`, scriptKey: "init.sql" },
        scaling: {
            scaledObject: `${worker.name}-scaler`,
            triggerAuthentication: `${prefix}-rabbitmq-trigger-auth`,
            targetDeployment: worker.name,
            queue: queues.requests,
        },
        redis: redisNames(redisPrefix),
        defaultQuota,
        seedUsers,
        prefetch,
        userIdPattern: USER_ID_PATTERN,
        env: ENV,
    };
}

function normalizeQuota(q: QuotaSettings, key: string, check: Check): QuotaSettings {
    check(Number.isInteger(q.requestLimit) && q.requestLimit >= 0 && q.requestLimit <= 2_147_483_647,
        `${key}.requestLimit`, "must be a non-negative 32-bit integer");
    check(Number.isSafeInteger(q.tokenLimit) && q.tokenLimit >= 0, `${key}.tokenLimit`, "must be a non-negative integer");
    check(QUOTA_RESET_FREQUENCIES.includes(q.resetFrequency), `${key}.resetFrequency`,
        `"${q.resetFrequency}" must be one of ${QUOTA_RESET_FREQUENCIES.join(", ")}`);
    check(q.tier.length > 0 && q.tier.length <= 64, `${key}.tier`, "must be 1-64 characters");
    return { requestLimit: q.requestLimit, tokenLimit: q.tokenLimit, tier: q.tier, resetFrequency: q.resetFrequency };
}

// ---------------------------------------------------------------------------
// Quota windows and Redis keys. The gateway computes the window when it accepts
// a request and carries it in the job and result messages, so the collector
// increments exactly the counter the gateway checked. These TypeScript helpers
// produce the same strings as the Bloblang in benthos.ts (for tests and the API
// service).

/** The counter window of `at` (UTC): `2024-05-31` daily, `2024-05` monthly, `all` never. */
export function quotaWindow(frequency: QuotaResetFrequency, at: Date = new Date()): string {
    const iso = at.toISOString();
    switch (frequency) {
        case "daily": return iso.slice(0, 10);
        case "monthly": return iso.slice(0, 7);
        case "never": return "all";
    }
}

/** Seconds a window's counters are kept in Redis (twice the window; 0 = no expiry). */
export function quotaWindowTtlSeconds(frequency: QuotaResetFrequency): number {
    switch (frequency) {
        case "daily": return 2 * 86400;
        case "monthly": return 62 * 86400;
        case "never": return 0;
    }
}

/** Redis key of a user's request or token counter in a window. */
export function usageKey(names: PipelineNames, kind: "requests" | "tokens", userId: string, window: string): string {
    const pattern = kind === "requests" ? names.redis.requestsKeyPattern : names.redis.tokensKeyPattern;
    return pattern.replace("{user_id}", userId).replace("{window}", window);
}
