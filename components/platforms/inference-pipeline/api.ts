// The built-in API service of the inference pipeline: a Benthos 4.21 config, generated
// from PipelineNames like the gateway, worker and collector (benthos.ts), serving
//
//   GET /status/{id}          the request row: status, result, token counts, error, times
//   GET /quota?user_id=<id>   the user's quota and what the current window has used
//
// on the Benthos HTTP server (next to /ping, /ready, /metrics). The go-with-me-ml guide
// deploys its own api-service image; the component runs this config on the pinned Benthos
// image unless `apiService.image` names the user's own (see docs/platforms/inference-pipeline.md).
// Reads only: PostgreSQL (`${POSTGRES_DSN}`) and Redis (`${REDIS_URL}`). Pure TypeScript.

import { stringify } from "yaml";
import { ENV, EnvVarName, PipelineNames } from "./names";

/** Env vars the built-in API service needs (both from secretKeyRef). */
export const API_SERVICE_ENV: readonly EnvVarName[] = [ENV.postgresDsn, ENV.redisUrl];

/** Routes the Ingress sends to the API service. */
export const API_ROUTES = {
    /** Prefix of `GET /status/{id}`. */
    status: "/status/",
    quota: "/quota",
} as const;

/** HTTP answers of the API service. */
export const API_STATUS = { ok: 200, badRequest: 400, notFound: 404, internal: 500 } as const;

const REJECT = "mlplat-reject";
const STATUS_META = "mlplat_http_status";
/** Metadata key of the `{id}` path parameter. */
const ID_PARAM = "mlplat_request_id";
const UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

const bl = (s: string) => JSON.stringify(s);
const env = (name: string) => "${" + name + "}";
const sql = () => ({ driver: "postgres", dsn: env(ENV.postgresDsn), conn_max_idle: 2, conn_max_open: 8 });
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Bloblang expression of a Redis key from a pattern (`{user_id}`, `{window}` → fields of `this`). */
function keyExpr(pattern: string): string {
    const args: string[] = [];
    const fmt = pattern.replace(/\{(\w+)\}/g, (_m, k: string) => {
        if (k !== "user_id" && k !== "window") throw new Error(`no field for placeholder {${k}} in ${pattern}`);
        args.push(`this.${k}`);
        return "%v";
    });
    return `${bl(fmt)}.format(${args.join(", ")})`;
}

function endpoint(label: string, path: string, processors: unknown[]) {
    return {
        label,
        http_server: {
            // Empty address: the service HTTP server (with /ping, /ready, /metrics).
            address: "",
            path,
            ws_path: "",
            allowed_verbs: ["GET"],
            timeout: "5s",
            sync_response: {
                status: `\${! meta(${bl(STATUS_META)}).or("${API_STATUS.internal}") }`,
                headers: { "Content-Type": "application/json" },
            },
        },
        processors: [{ try: processors }],
    };
}

/** GET /status/{id}: the request row, or 400 (not a UUID) / 404 (no such request). */
function statusProcessors(n: PipelineNames): unknown[] {
    const t = n.tables;
    const query = `SELECT request_id::text AS request_id, user_id, status, result, model, error, estimated_tokens, prompt_tokens, completion_tokens, total_tokens, ${iso("created_at")} AS created_at, ${iso("completed_at")} AS completed_at FROM ${t.requests} WHERE request_id = $1::uuid`;
    return [
        {
            label: "status_request_id",
            mapping: `let id = meta(${bl(ID_PARAM)}).or("")
root = if !$id.re_match(${bl(UUID)}) {
  throw(${bl(`${REJECT}:${API_STATUS.badRequest}:the request id must be a UUID`)})
} else {
  { "request_id": $id.lowercase() }
}
`,
        },
        {
            label: "status_lookup",
            branch: {
                request_map: "root = this",
                processors: [{ sql_raw: { ...sql(), query, args_mapping: "root = [ this.request_id ]" } }],
                result_map: "root.row = this.index(0).catch(null)",
            },
        },
        {
            label: "status_answer",
            mapping: `root = if this.row == null {
  throw(${bl(`${REJECT}:${API_STATUS.notFound}:request not found`)})
} else {
  this.row
}
meta ${STATUS_META} = "${API_STATUS.ok}"
`,
        },
    ];
}

/** GET /quota?user_id=: the user's limits and the current window's counters. */
function quotaProcessors(n: PipelineNames): unknown[] {
    const t = n.tables;
    const q = n.defaultQuota;
    const accountQuery = `SELECT u.active, q.request_limit, q.token_limit, q.tier, q.reset_frequency FROM ${t.users} u LEFT JOIN ${t.quotas} q ON q.user_id = u.user_id WHERE u.user_id = $1`;
    return [
        {
            label: "quota_user",
            mapping: `let user = meta("user_id").or("")
root = if !$user.re_match(${bl(n.userIdPattern)}) {
  throw(${bl(`${REJECT}:${API_STATUS.badRequest}:the user_id query parameter is required and must match ${n.userIdPattern}`)})
} else {
  { "user_id": $user }
}
`,
        },
        {
            label: "quota_account",
            branch: {
                request_map: "root = this",
                processors: [{ sql_raw: { ...sql(), query: accountQuery, args_mapping: "root = [ this.user_id ]" } }],
                result_map: "root.account = this.index(0).catch(null)",
            },
        },
        {
            label: "quota_window",
            mapping: `let account = this.account
let frequency = $account.reset_frequency.or(${bl(q.resetFrequency)})
root = if $account == null {
  throw(${bl(`${REJECT}:${API_STATUS.notFound}:unknown user`)})
} else {
  {
    "user_id": this.user_id,
    "active": $account.active,
    "tier": $account.tier.or(${bl(q.tier)}),
    "reset_frequency": $frequency,
    "request_limit": $account.request_limit.or(${q.requestLimit}),
    "token_limit": $account.token_limit.or(${q.tokenLimit}),
    "window": match $frequency {
      "daily" => now().ts_format("2006-01-02", "UTC"),
      "monthly" => now().ts_format("2006-01", "UTC"),
      _ => "all",
    },
  }
}
`,
        },
        {
            label: "quota_counters",
            branch: {
                request_map: "root = this",
                processors: [{
                    redis: {
                        url: env(ENV.redisUrl),
                        command: "mget",
                        args_mapping: `root = [ ${keyExpr(n.redis.requestsKeyPattern)}, ${keyExpr(n.redis.tokensKeyPattern)} ]`,
                    },
                }],
                result_map: "root.counters = this",
            },
        },
        {
            label: "quota_answer",
            mapping: `let requests = this.counters.index(0).or("0").number()
let tokens = this.counters.index(1).or("0").number()
root = {
  "user_id": this.user_id,
  "active": this.active,
  "tier": this.tier,
  "reset_frequency": this.reset_frequency,
  "window": this.window,
  "requests": { "limit": this.request_limit, "used": $requests, "remaining": [this.request_limit - $requests, 0].max() },
  "tokens": { "limit": this.token_limit, "used": $tokens, "remaining": [this.token_limit - $tokens, 0].max() },
}
meta ${STATUS_META} = "${API_STATUS.ok}"
`,
        },
    ];
}

/** The built-in API service: `GET /status/{id}`, `GET /quota?user_id=` on `apiService.port`. */
export function apiServiceConfig(n: PipelineNames): Record<string, unknown> {
    return {
        http: { enabled: true, address: `0.0.0.0:${n.apiService.port}`, root_path: "/benthos", debug_endpoints: false },
        logger: { level: "INFO", format: "json", add_timestamp: true },
        metrics: { prometheus: {} },
        input: {
            broker: {
                inputs: [
                    endpoint("status_api", `${API_ROUTES.status}{${ID_PARAM}}`, statusProcessors(n)),
                    endpoint("quota_api", API_ROUTES.quota, quotaProcessors(n)),
                ],
            },
        },
        pipeline: {
            processors: [
                {
                    label: "rejection",
                    catch: [
                        {
                            // Rejections (400, 404) are answers; anything else is a failure worth a log line.
                            switch: [{
                                check: `!error().or("").has_prefix(${bl(`${REJECT}:`)})`,
                                processors: [{ log: { level: "ERROR", message: "API request failed: ${! error() }" } }],
                            }],
                        },
                        {
                            mapping: `let m = error().or("").re_find_object(${bl(`${REJECT}:(?P<code>[0-9]{3}):(?P<msg>.*)$`)}).catch({})
meta ${STATUS_META} = $m.code.or("${API_STATUS.internal}")
root = { "error": $m.msg.or("internal error") }
`,
                        },
                    ],
                },
                { label: "respond", sync_response: {} },
            ],
        },
        output: { drop: {} },
    };
}

/** The built-in API service's `benthos.yaml`. */
export function apiServiceConfigYaml(n: PipelineNames): string {
    return `# Generated by mlplat from the inference pipeline's names: do not edit.\n${stringify(apiServiceConfig(n), { lineWidth: 0 })}`;
}
