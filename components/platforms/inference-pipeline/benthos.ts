// Benthos 4.x configs of the inference pipeline, generated from PipelineNames.
//
//   client --POST--> api-gateway --AMQP requests queue--> ml-worker --HTTP--> model service
//                        |  (PostgreSQL: user/quota lookup, request row;           |
//                        |   Redis: quota counters)                               v
//   PostgreSQL <--- results-collector <--AMQP results queue-------------------- ml-worker
//   Redis counters <---'
//
// Connection strings never appear in a config: they are `${ENV_VAR}`
// references that Benthos substitutes at start-up (in Kubernetes the env vars
// come from secretKeyRef). Names (queues, tables, keys, ports, paths) come only
// from PipelineNames. Pure TypeScript: no Pulumi, no I/O.

import { stringify } from "yaml";
import { BenthosComponent, ENV, PipelineNames, REQUEST_STATUS, quotaWindowTtlSeconds } from "./names";

/** The Benthos release the configs are written for (the image the cluster runs, the binary the data-path test builds). */
export const BENTHOS_VERSION = "4.21.0";
/** Container image of every Benthos workload. */
export const BENTHOS_IMAGE = `jeffail/benthos:${BENTHOS_VERSION}`;

/** A job on the requests queue (gateway → worker). */
export interface InferenceJob {
    request_id: string;
    user_id: string;
    prompt: string;
    model: string;
    max_tokens: number | null;
    estimated_tokens: number;
    /** Quota window whose counters the gateway checked; the collector adds the tokens to the same window. */
    quota_window: string;
    /** Expiry of that window's Redis counters, seconds (0 = none). */
    quota_ttl_seconds: number;
    created_at: string;
}

/** A result on the results queue (worker → collector). */
export interface InferenceResult {
    request_id: string;
    user_id: string;
    status: "completed" | "failed";
    result: string | null;
    model: string | null;
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    error: string | null;
    quota_window: string | null;
    quota_ttl_seconds: number;
}

/** Body the worker POSTs to `<ML_SERVICE_URL><inferencePath>`. */
export interface ModelRequest {
    request_id: string;
    prompt: string;
    model: string;
    /** Omitted when the client did not set it. */
    max_tokens?: number;
}

/**
 * What the model service answers (2xx). The text is read from `result`, else
 * `text`, else `output`; token counts from `usage` (OpenAI style), estimated
 * (bytes / 4) when absent. Any non-2xx answer, after retries, fails the request.
 */
export interface ModelResponse {
    result?: string;
    text?: string;
    output?: string;
    model?: string;
    usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
}

/** HTTP answers of the gateway (and 502 when the queue refused an accepted request, which is then marked failed). */
export const GATEWAY_STATUS = {
    accepted: 202,
    badRequest: 400,
    unknownUser: 403,
    overQuota: 429,
    internal: 500,
    /** The broker refused the publish (the row is marked failed); sent by Benthos itself. */
    enqueueFailed: 502,
} as const;

/**
 * Atomic quota check and request count (gateway). KEYS: requests counter,
 * tokens counter. ARGV: request limit, token limit, TTL seconds (0 = none).
 * Returns {1, "ok", n} when accepted (requests counter incremented to n), or
 * {0, "tokens"|"requests", used} when exhausted (nothing incremented).
 */
export const QUOTA_CHECK_LUA = `local tokens = tonumber(redis.call('GET', KEYS[2]) or '0')
if tokens >= tonumber(ARGV[2]) then
  return {0, 'tokens', tokens}
end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then
  return {0, 'requests', used}
end
local n = redis.call('INCR', KEYS[1])
if tonumber(ARGV[3]) > 0 and redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return {1, 'ok', n}
`;

/**
 * Idempotent token count (collector). KEYS: tokens counter, per-request
 * "counted" marker. ARGV: tokens, counter TTL seconds (0 = none), marker TTL.
 * A redelivered result finds the marker and adds nothing. Returns the new
 * counter value, or -1 when the request was already counted.
 */
export const TOKEN_COUNT_LUA = `if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then
  return -1
end
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 and redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return n
`;

/** Prefix of errors that carry an HTTP status: `mlplat-reject:<code>:<message>`. */
const REJECT = "mlplat-reject";
/** Metadata key holding the gateway's HTTP status for the sync response. */
const STATUS_META = "mlplat_http_status";
/** Metadata key holding the job while the sync response is stored. */
const JOB_META = "mlplat_job";

/** A Bloblang string literal. */
function bl(s: string): string {
    return JSON.stringify(s);
}

/** `${ENV}` reference substituted by Benthos at start-up. */
function env(name: string): string {
    return "${" + name + "}";
}

/** Bloblang expression of a Redis key from a pattern (`{user_id}`, `{window}`, `{request_id}` → message fields). */
function keyExpr(pattern: string, fields: Record<string, string>): string {
    const args: string[] = [];
    const fmt = pattern.replace(/\{(\w+)\}/g, (_m, k: string) => {
        const f = fields[k];
        if (!f) throw new Error(`no field for placeholder {${k}} in ${pattern}`);
        args.push(f);
        return "%v";
    });
    return `${bl(fmt)}.format(${args.join(", ")})`;
}

/** Shared top-level sections: service HTTP server (probes, metrics), logger, metrics. */
function common(port: number) {
    return {
        http: { enabled: true, address: `0.0.0.0:${port}`, root_path: "/benthos", debug_endpoints: false },
        logger: { level: "INFO", format: "json", add_timestamp: true },
        metrics: { prometheus: {} },
    };
}

function sqlDsn() {
    return { driver: "postgres", dsn: env(ENV.postgresDsn), conn_max_idle: 2, conn_max_open: 8 };
}

function amqpQueueInput(queue: string, prefetch: number) {
    return {
        amqp_0_9: {
            urls: [env(ENV.rabbitmqUrl)],
            queue,
            queue_declare: { enabled: true, durable: true, auto_delete: false },
            prefetch_count: prefetch,
        },
    };
}

/** Publish to a queue through the default exchange; persistent, confirmed, mandatory (unroutable = error, not loss). */
function amqpQueueOutput(queue: string) {
    return {
        amqp_0_9: {
            urls: [env(ENV.rabbitmqUrl)],
            exchange: "",
            key: queue,
            content_type: "application/json",
            persistent: true,
            mandatory: true,
            // Never forward metadata (HTTP headers, AMQP headers) as message headers.
            metadata: { exclude_prefixes: [""] },
            max_in_flight: 16,
        },
    };
}

/** The gateway's Bloblang validation of the request body. */
function validationMapping(n: PipelineNames): string {
    const g = n.gateway;
    return `# Validate the request body; any problem rejects with 400 and nothing else happens.
let body = content().parse_json().catch(null)
let problems = if $body.type() != "object" {
  [ "the body must be a JSON object" ]
} else {
  [
    match $body.user_id {
      this.type() != "string" => "user_id (string) is required",
      !this.re_match(${bl(n.userIdPattern)}) => "user_id must match " + ${bl(n.userIdPattern)},
      _ => null,
    },
    match $body.prompt {
      this.type() != "string" => "prompt (string) is required",
      this.trim().length() == 0 => "prompt must not be empty",
      this.length() > ${g.maxPromptBytes} => "prompt is longer than ${g.maxPromptBytes} bytes",
      _ => null,
    },
    match $body.model {
      this == null => null,
      this.type() != "string" => "model must be a string",
      this.length() == 0 || this.length() > 128 => "model must be 1-128 characters",
      _ => null,
    },
    match $body.max_tokens {
      this == null => null,
      this.type() != "number" => "max_tokens must be an integer",
      this != this.floor() || this < 1 || this > ${g.maxTokens} => "max_tokens must be an integer in 1-${g.maxTokens}",
      _ => null,
    },
  ].filter(this != null)
}
root = if $problems.length() > 0 {
  throw(${bl(`${REJECT}:400:`)} + $problems.join("; "))
} else {
  {
    "user_id": $body.user_id,
    "prompt": $body.prompt,
    "model": $body.model.or(${bl(n.modelService.defaultModel)}),
    "max_tokens": $body.max_tokens,
  }
}
`;
}

/** The gateway's HTTP input; the reply status comes from STATUS_META, set by the pipeline. */
function gatewayInput(n: PipelineNames): Record<string, unknown> {
    return {
        label: "inference_api",
        http_server: {
            // Empty address: the endpoint shares the service HTTP server (and its /ping, /ready, /metrics).
            address: "",
            path: n.gateway.path,
            ws_path: "", // no websocket endpoint
            allowed_verbs: ["POST"],
            timeout: n.gateway.timeout,
            sync_response: {
                status: `\${! meta(${bl(STATUS_META)}).or("${GATEWAY_STATUS.internal}") }`,
                headers: { "Content-Type": "application/json" },
            },
        },
    };
}

/** Looks the user and their quota row up in one query (null when the user is unknown). */
function lookupAccountStep(n: PipelineNames): Record<string, unknown> {
    const t = n.tables;
    const accountQuery = `SELECT u.active, q.request_limit, q.token_limit, q.reset_frequency FROM ${t.users} u LEFT JOIN ${t.quotas} q ON q.user_id = u.user_id WHERE u.user_id = $1`;
    return {
        label: "lookup_account",
        branch: {
            request_map: "root.user_id = this.user_id",
            processors: [{ sql_raw: { ...sqlDsn(), query: accountQuery, args_mapping: "root = [ this.user_id ]" } }],
            result_map: "root.account = this.index(0).catch(null)",
        },
    };
}

/** Refuses unknown/inactive users and fills in limits and the quota window (defaults when no quota row). */
function applyQuotaSettingsStep(n: PipelineNames): Record<string, unknown> {
    const q = n.defaultQuota;
    return {
        label: "apply_quota_settings",
        mapping: `let account = this.account
root = if $account == null {
  throw(${bl(`${REJECT}:403:unknown user`)})
} else if $account.active != true {
  throw(${bl(`${REJECT}:403:user is inactive`)})
} else {
  this.without("account")
}
let frequency = $account.reset_frequency.or(${bl(q.resetFrequency)})
root.request_limit = $account.request_limit.or(${q.requestLimit})
root.token_limit = $account.token_limit.or(${q.tokenLimit})
root.quota_window = match $frequency {
  "daily" => now().ts_format("2006-01-02", "UTC"),
  "monthly" => now().ts_format("2006-01", "UTC"),
  _ => "all",
}
root.quota_ttl_seconds = match $frequency {
  "daily" => ${quotaWindowTtlSeconds("daily")},
  "monthly" => ${quotaWindowTtlSeconds("monthly")},
  _ => ${quotaWindowTtlSeconds("never")},
}
root.request_id = uuid_v4()
root.estimated_tokens = (this.prompt.length() / 4).ceil()
root.created_at = now()
`,
    };
}

/** Atomically checks and counts the request against the user's window in Redis. */
function checkQuotaStep(n: PipelineNames): Record<string, unknown> {
    const keyFields = { user_id: "this.user_id", window: "this.quota_window" };
    return {
        label: "check_quota",
        branch: {
            request_map: "root = this",
            processors: [{
                redis_script: {
                    url: env(ENV.redisUrl),
                    script: QUOTA_CHECK_LUA,
                    keys_mapping: `root = [ ${keyExpr(n.redis.requestsKeyPattern, keyFields)}, ${keyExpr(n.redis.tokensKeyPattern, keyFields)} ]`,
                    args_mapping: "root = [ this.request_limit, this.token_limit, this.quota_ttl_seconds ]",
                },
            }],
            result_map: "root.quota_check = this",
        },
    };
}

/** Turns a failed quota check into a 429 rejection; drops the check's working fields otherwise. */
function enforceQuotaStep(): Record<string, unknown> {
    return {
        label: "enforce_quota",
        mapping: `root = if this.quota_check.index(0) != 1 {
  throw(${bl(`${REJECT}:429:quota exceeded (`)} + this.quota_check.index(1).string() + ")")
} else {
  this.without("quota_check", "request_limit", "token_limit")
}
`,
    };
}

/** Records the accepted request as a `queued` row before it is published. */
function insertRequestStep(n: PipelineNames): Record<string, unknown> {
    const insertQuery = `INSERT INTO ${n.tables.requests} (request_id, user_id, prompt, status, model, estimated_tokens) VALUES ($1, $2, $3, '${REQUEST_STATUS.queued}', $4, $5)`;
    return {
        label: "insert_request",
        sql_raw: {
            ...sqlDsn(),
            query: insertQuery,
            args_mapping: "root = [ this.request_id, this.user_id, this.prompt, this.model, this.estimated_tokens ]",
            exec_only: true,
        },
    };
}

/** The gateway's accept path, in order; any throw lands in the rejection catch. */
function gatewayAcceptSteps(n: PipelineNames): Record<string, unknown>[] {
    return [
        { label: "validate", mapping: validationMapping(n) },
        lookupAccountStep(n),
        applyQuotaSettingsStep(n),
        checkQuotaStep(n),
        enforceQuotaStep(),
        insertRequestStep(n),
    ];
}

/** Maps a `REJECT:<code>:<msg>` error to the HTTP status and an error body (500 for anything else). */
function gatewayRejection(): Record<string, unknown> {
    return {
        label: "rejection",
        catch: [
            { log: { level: "WARN", message: "request not accepted: ${! error() }" } },
            {
                mapping: `let m = error().or("").re_find_object(${bl(`${REJECT}:(?P<code>[0-9]{3}):(?P<msg>.*)$`)}).catch({})
meta ${STATUS_META} = $m.code.or("${GATEWAY_STATUS.internal}")
root = { "error": $m.msg.or("internal error") }
`,
            },
        ],
    };
}

/** Answers the HTTP request: 202 + request id when accepted (the job itself is kept for the output), else the error. */
function gatewayRespond(): Record<string, unknown> {
    return {
        label: "respond",
        switch: [
            {
                check: `meta(${bl(STATUS_META)}) == null`,
                processors: [
                    {
                        mapping: `meta ${JOB_META} = content().string()
meta ${STATUS_META} = "${GATEWAY_STATUS.accepted}"
root = { "request_id": this.request_id, "status": "${REQUEST_STATUS.queued}" }
`,
                    },
                    { sync_response: {} },
                    // The HTTP answer is sent once the output below confirmed the publish.
                    { mapping: `root = meta(${bl(JOB_META)}).parse_json()\nmeta ${JOB_META} = deleted()\n` },
                ],
            },
            { processors: [{ sync_response: {} }] },
        ],
    };
}

/** Publishes accepted jobs to the requests queue (marking the row failed if that is refused); drops the rest. */
function gatewayOutput(n: PipelineNames): Record<string, unknown> {
    const markFailedQuery = `UPDATE ${n.tables.requests} SET status = '${REQUEST_STATUS.failed}', error = $2, completed_at = now() WHERE request_id = $1::uuid`;
    return {
        switch: {
            cases: [
                {
                    check: `meta(${bl(STATUS_META)}) == "${GATEWAY_STATUS.accepted}"`,
                    output: {
                        fallback: [
                            { label: "requests_queue", ...amqpQueueOutput(n.queues.requests) },
                            // The publish was refused (e.g. no such queue): mark the row failed so it is
                            // not left `queued` forever, then fail the transaction → HTTP 502. (Not a
                            // broker: brokers retry their children forever.)
                            {
                                label: "enqueue_failed",
                                reject: "could not enqueue the request",
                                processors: [{
                                    sql_raw: {
                                        ...sqlDsn(),
                                        query: markFailedQuery,
                                        args_mapping: `root = [ this.request_id, "could not enqueue: " + meta("fallback_error").or("unknown error") ]`,
                                        exec_only: true,
                                    },
                                }],
                            },
                        ],
                    },
                },
                { output: { drop: {} } },
            ],
        },
    };
}

/** The API gateway: POST <path> → validate → user/quota → request row → requests queue → 202. */
export function gatewayConfig(n: PipelineNames): Record<string, unknown> {
    return {
        ...common(n.gateway.port),
        input: gatewayInput(n),
        pipeline: {
            processors: [
                { try: gatewayAcceptSteps(n) },
                gatewayRejection(),
                gatewayRespond(),
            ],
        },
        output: gatewayOutput(n),
    };
}

/** Calls the model service; retries are left to the http processor (backing off on 429/503). */
function callModelStep(n: PipelineNames): Record<string, unknown> {
    const ms = n.modelService;
    return {
        label: "call_model",
        branch: {
            request_map: `root.request_id = this.request_id
root.prompt = this.prompt
root.model = this.model.or(${bl(ms.defaultModel)})
root.max_tokens = this.max_tokens.or(deleted())
`,
            processors: [{
                http: {
                    url: env(ENV.mlServiceUrl) + ms.inferencePath,
                    verb: "POST",
                    headers: { "Content-Type": "application/json" },
                    timeout: ms.timeout,
                    retries: ms.retries,
                    retry_period: "1s",
                    max_retry_backoff: "10s",
                    backoff_on: [429, 503],
                },
            }],
            result_map: "root.model_response = this",
        },
    };
}

/** Builds the `completed` result; token counts fall back to a length/4 estimate when the model gives none. */
function buildResultStep(): Record<string, unknown> {
    return {
        label: "build_result",
        mapping: `let r = this.model_response
let text = $r.result | $r.text | $r.output
let text = if $text.type() != "string" { throw("model response has no result text") } else { $text }
let prompt_tokens = $r.usage.prompt_tokens.number().catch((this.prompt.length() / 4).ceil())
let completion_tokens = $r.usage.completion_tokens.number().catch(($text.length() / 4).ceil())
root = {
  "request_id": this.request_id,
  "user_id": this.user_id,
  "status": "${REQUEST_STATUS.completed}",
  "result": $text,
  "model": $r.model.or(this.model),
  "prompt_tokens": $prompt_tokens.floor(),
  "completion_tokens": $completion_tokens.floor(),
  "total_tokens": $r.usage.total_tokens.number().catch($prompt_tokens + $completion_tokens).floor(),
  "error": null,
  "quota_window": this.quota_window,
  "quota_ttl_seconds": this.quota_ttl_seconds.or(0),
}
`,
    };
}

/** Any worker error becomes a `failed` result, so the collector still closes the request row. */
function failedResultStep(): Record<string, unknown> {
    return {
        label: "failed_result",
        catch: [
            { log: { level: "ERROR", message: "inference failed: ${! error() }" } },
            {
                mapping: `let job = this.catch({})
root = {
  "request_id": $job.request_id.catch(null),
  "user_id": $job.user_id.catch(null),
  "status": "${REQUEST_STATUS.failed}",
  "result": null,
  "model": $job.model.catch(null),
  "prompt_tokens": 0,
  "completion_tokens": 0,
  "total_tokens": 0,
  "error": error(),
  "quota_window": $job.quota_window.catch(null),
  "quota_ttl_seconds": 0,
}
`,
            },
        ],
    };
}

/** The ML worker: requests queue → model service → results queue (failures become `failed` results). */
export function workerConfig(n: PipelineNames): Record<string, unknown> {
    return {
        ...common(n.worker.port),
        input: { label: "requests_queue", ...amqpQueueInput(n.queues.requests, n.prefetch) },
        pipeline: {
            threads: n.prefetch,
            processors: [
                {
                    try: [
                        {
                            label: "parse_job",
                            mapping: `root = if this.request_id.type() != "string" || this.user_id.type() != "string" || this.prompt.type() != "string" {
  throw("malformed job: request_id, user_id and prompt are required")
} else { this }
`,
                        },
                        callModelStep(n),
                        buildResultStep(),
                    ],
                },
                failedResultStep(),
            ],
        },
        output: { label: "results_queue", ...amqpQueueOutput(n.queues.results) },
    };
}

/** Drops (and logs) results that are not an object with a UUID request_id and a final status. */
function dropMalformedStep(): Record<string, unknown> {
    const uuidRe = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
    return {
        label: "drop_malformed",
        switch: [{
            check: `this.catch(null).type() != "object" || this.request_id.type() != "string" || !this.request_id.re_match(${bl(uuidRe)}) || ![${bl(REQUEST_STATUS.completed)}, ${bl(REQUEST_STATUS.failed)}].contains(this.status)`,
            processors: [
                { log: { level: "ERROR", message: "dropping malformed result: ${! content().string().slice(0, 500) }" } },
                { mapping: "root = deleted()" },
            ],
        }],
    };
}

/** The collector's database writes: the request row, then (completed only) its token_usage row. */
function collectorSqlSteps(n: PipelineNames): Record<string, unknown>[] {
    const t = n.tables;
    const updateQuery = `UPDATE ${t.requests} SET status = $2, result = $3, model = COALESCE($4, model), prompt_tokens = $5, completion_tokens = $6, total_tokens = $7, error = $8, completed_at = now() WHERE request_id = $1::uuid`;
    const usageQuery = `INSERT INTO ${t.tokenUsage} (request_id, user_id, prompt_tokens, completion_tokens, total_tokens, model) SELECT r.request_id, r.user_id, $2, $3, $4, r.model FROM ${t.requests} r WHERE r.request_id = $1::uuid ON CONFLICT (request_id) DO NOTHING`;
    return [
        {
            label: "update_request",
            sql_raw: {
                ...sqlDsn(),
                query: updateQuery,
                args_mapping: "root = [ this.request_id, this.status, this.result, this.model, this.prompt_tokens.or(0), this.completion_tokens.or(0), this.total_tokens.or(0), this.error ]",
                exec_only: true,
            },
        },
        {
            label: "record_token_usage",
            branch: {
                request_map: `root = if this.status == ${bl(REQUEST_STATUS.completed)} { this } else { deleted() }`,
                processors: [{
                    sql_raw: {
                        ...sqlDsn(),
                        query: usageQuery,
                        args_mapping: "root = [ this.request_id, this.prompt_tokens.or(0), this.completion_tokens.or(0), this.total_tokens.or(0) ]",
                        exec_only: true,
                    },
                }],
            },
        },
    ];
}

/** Adds a completed result's tokens to the user's Redis counter once (the counted key makes redelivery idempotent). */
function countTokensStep(n: PipelineNames): Record<string, unknown> {
    const keyFields = { user_id: "this.user_id", window: "this.quota_window", request_id: "this.request_id" };
    return {
        label: "count_tokens",
        branch: {
            request_map: `root = if this.status == ${bl(REQUEST_STATUS.completed)} && this.total_tokens.or(0) > 0 && this.user_id.type() == "string" && this.quota_window.type() == "string" { this } else { deleted() }`,
            processors: [{
                redis_script: {
                    url: env(ENV.redisUrl),
                    script: TOKEN_COUNT_LUA,
                    keys_mapping: `root = [ ${keyExpr(n.redis.tokensKeyPattern, keyFields)}, ${keyExpr(n.redis.countedKeyPattern, keyFields)} ]`,
                    args_mapping: `root = [ this.total_tokens, this.quota_ttl_seconds.or(0), ${n.redis.countedTtlSeconds} ]`,
                },
            }],
        },
    };
}

/** The results collector: results queue → request row, token_usage row, Redis token counter. */
export function collectorConfig(n: PipelineNames): Record<string, unknown> {
    return {
        ...common(n.collector.port),
        input: { label: "results_queue", ...amqpQueueInput(n.queues.results, n.prefetch) },
        pipeline: {
            threads: n.prefetch,
            processors: [
                dropMalformedStep(),
                ...collectorSqlSteps(n),
                countTokensStep(n),
                {
                    label: "retry_later",
                    catch: [
                        { log: { level: "ERROR", message: "could not record result, requeueing: ${! error() }" } },
                        // Back off before the nack so a database outage is not a hot redelivery loop.
                        { sleep: { duration: "2s" } },
                        { mapping: `root = this\nmeta mlplat_failed = "true"\n` },
                    ],
                },
            ],
        },
        output: {
            switch: {
                cases: [
                    { check: `meta("mlplat_failed") == "true"`, output: { reject: "result not recorded, requeued" } },
                    { output: { drop: {} } },
                ],
            },
        },
    };
}

const GENERATORS: Record<BenthosComponent, (n: PipelineNames) => Record<string, unknown>> = {
    gateway: gatewayConfig,
    worker: workerConfig,
    collector: collectorConfig,
};

/** The YAML (`benthos.yaml`) of one component. */
export function benthosConfigYaml(n: PipelineNames, component: BenthosComponent): string {
    const header = `# mlplat inference pipeline: ${component} (generated for Benthos ${BENTHOS_VERSION}; do not edit)\n`;
    return header + stringify(GENERATORS[component](n), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** The YAML of all three components. */
export function benthosConfigs(n: PipelineNames): Record<BenthosComponent, string> {
    return {
        gateway: benthosConfigYaml(n, "gateway"),
        worker: benthosConfigYaml(n, "worker"),
        collector: benthosConfigYaml(n, "collector"),
    };
}
