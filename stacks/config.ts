// Stack configuration: Pulumi config → one typed, validated object.
//
// `parseConfig` is pure (raw strings + which keys are secret → StackConfig) so that
// every rule is testable without a Pulumi engine; `loadConfig` feeds it from the
// running program. Validation collects every problem before throwing, so a user
// fixes their config in one round; nothing is registered before it passes. The formats
// and rules come from the foundation (stacks/foundation.ts) and each platform
// (stacks/platforms/<platform>.ts).
import * as pulumi from "@pulumi/pulumi";
import { eksClusterRule } from "./eks";
import { aksClusterRule } from "./aks";
import { clusterRule, dataRule, FOUNDATION_FORMATS, ingressRule, registryRule, storageRule } from "./foundation";
import { ConfigOf, Format, InstanceSettings, isSet, Rule } from "./setting";
import { InstanceConfig, PLATFORMS, PROJECT, SETTINGS, Setting, SettingKey } from "./settings";

export { expandHome } from "./setting";

/** The whole stack configuration, keyed exactly as users set it (`mlplat:` implied). */
export type StackConfig = ConfigOf<typeof SETTINGS> & InstanceConfig;

export interface ConfigProblem {
    /** Full config key, e.g. `mlplat:registry.mirror.host`. */
    key: string;
    message: string;
    hint: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: ConfigProblem[]) {
        super(`invalid mlplat configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map((p) => `  - ${p.key}: ${p.message}\n      fix: ${p.hint}`).join("\n"));
        this.name = "ConfigError";
    }
}

const KEYS = Object.keys(SETTINGS) as SettingKey[];
const full = (key: string) => `${PROJECT}:${key}`;
const setCmd = (key: string, example: string, secret = false) =>
    `pulumi config set ${secret ? "--secret " : ""}${key} ${example}`;

const FORMATS: Partial<Record<SettingKey, Format>> = Object.assign({}, FOUNDATION_FORMATS, ...PLATFORMS.map((p) => p.formats));

function coerce(key: SettingKey, setting: Setting, raw: string | undefined, problems: ConfigProblem[]): unknown {
    if (raw === undefined) return setting.default;
    const bad = (message: string, example: string) => {
        problems.push({ key: full(key), message, hint: setCmd(key, example) });
        return setting.default;
    };
    switch (setting.type) {
        case "boolean":
            return raw === "true" ? true : raw === "false" ? false : bad(`must be true or false, got "${raw}"`, "true");
        case "integer":
            return /^-?\d+$/.test(raw) ? Number(raw) : bad(`must be an integer, got "${raw}"`, "3");
        case "array": {
            try {
                const v: unknown = JSON.parse(raw);
                if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
            } catch { /* reported below */ }
            return bad("must be a JSON array of strings", `'["a","b"]'`);
        }
        case "string":
            if (setting.choices && !setting.choices.includes(raw)) {
                return bad(`must be one of ${setting.choices.join(", ")}; got "${raw}"`, setting.choices[0]);
            }
            return raw;
    }
}

function nearest(key: string): string | undefined {
    const distance = (a: string, b: string) => {
        const d = Array.from({ length: b.length + 1 }, (_, i) => i);
        for (let i = 1; i <= a.length; i++) {
            let prev = d[0];
            d[0] = i;
            for (let j = 1; j <= b.length; j++) {
                const tmp = d[j];
                d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
                prev = tmp;
            }
        }
        return d[b.length];
    };
    const best = KEYS.map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
    return best && best.d <= Math.max(3, key.length / 4) ? best.k : undefined;
}


type Values = { [K in SettingKey]: unknown };

/** Platforms need what they declare: an ingress controller, object storage. */
const platformNeedsRule: Rule<SettingKey> = (v, problem) => {
    for (const p of PLATFORMS) {
        if (p.needsIngress && v[p.enabled] === true && v["ingress.controller"] === "none") {
            problem("ingress.controller", `${p.title} (${p.enabled}) needs an ingress controller, but none is enabled or declared present`,
                "pulumi config set ingress.controller install (the pinned ingress-nginx chart), or present (when the cluster runs one serving ingress.className)");
        }
    }
    for (const p of PLATFORMS) {
        if (p.needsStorage && v[p.enabled] === true && v["storage.kind"] === "none") {
            problem("storage.kind", `${p.title} (${p.enabled}) needs object storage`, "pulumi config set storage.kind minio (or s3)");
        }
    }
};

// In this order: the problems of one config are listed in it.
const [pipeline, appStore, modelServing, azureml, redpointAml] = PLATFORMS;
const RULES: Rule<SettingKey>[] = [registryRule, storageRule, dataRule, clusterRule, eksClusterRule as Rule<SettingKey>, aksClusterRule as Rule<SettingKey>, platformNeedsRule, pipeline.rule, ingressRule, appStore.rule, modelServing.rule, azureml.rule, redpointAml.rule];

/** Settings repeated per named instance (`<prefix>.<name>.<field>`, e.g. `modelServing.models.<name>.image`). */
const INSTANCES: InstanceSettings[] = PLATFORMS.flatMap((p) => (p.instances ? [p.instances] : []));

/** The instance table, name and field of a key under an instance prefix. */
function instanceOf(key: string): { table: InstanceSettings; name: string; field: string } | undefined {
    for (const table of INSTANCES) {
        if (!key.startsWith(`${table.prefix}.`)) continue;
        const rest = key.slice(table.prefix.length + 1);
        const dot = rest.indexOf(".");
        return dot < 0 ? { table, name: rest, field: "" } : { table, name: rest.slice(0, dot), field: rest.slice(dot + 1) };
    }
    return undefined;
}

/** Problems with an instance key, or none when it names a setting of a well-named instance. */
function instanceKeyProblem(key: string, i: { table: InstanceSettings; name: string; field: string }): ConfigProblem | undefined {
    const fields = Object.keys(i.table.settings);
    if (!i.table.name.pattern.test(i.name)) {
        return { key: full(key), message: `${i.name} is not a valid name: ${i.table.name.message}`, hint: `pulumi config rm ${key} and use a name like ${i.table.name.example}` };
    }
    if (!(i.field in i.table.settings)) {
        const guess = fields.find((f) => f.toLowerCase() === i.field.toLowerCase()) ?? fields.find((f) => i.field && (f.startsWith(i.field) || i.field.startsWith(f)));
        return {
            key: full(key), message: `is not a setting of ${i.table.prefix}.${i.name} (its settings: ${fields.join(", ")})`,
            hint: guess ? `did you mean ${full(`${i.table.prefix}.${i.name}.${guess}`)}? pulumi config rm ${key}` : `pulumi config rm ${key} (see docs/configuration.md)`,
        };
    }
    return undefined;
}

/**
 * The project's raw config as flat keys. The CLI hands Pulumi.yaml's defaults of dotted
 * keys to the program as nested objects (`mlplat:cluster` = `{"kind":"local"}`), and so
 * does `pulumi config set --path`, while plain `pulumi config set cluster.kind` stays flat:
 * nested values are flattened to dotted keys, and flat keys win over them. A nested
 * object's leaves count as secret when the CLI marks the object secret.
 */
function flattenConfig(raw: Record<string, string>, secretKeys: ReadonlySet<string>): { given: Map<string, string>; secret: Set<string> } {
    const flat = new Map<string, string>();
    const nested = new Map<string, string>();
    const secret = new Set<string>();
    const walk = (prefix: string, v: unknown, isSecret: boolean) => {
        if (v !== null && typeof v === "object" && !Array.isArray(v)) {
            for (const [k, child] of Object.entries(v)) walk(`${prefix}.${k}`, child, isSecret);
        } else {
            nested.set(prefix, typeof v === "string" ? v : JSON.stringify(v));
            if (isSecret) secret.add(prefix);
        }
    };
    for (const [k, value] of Object.entries(raw)) {
        if (!k.startsWith(`${PROJECT}:`)) continue;
        const key = k.slice(PROJECT.length + 1);
        const object = key in SETTINGS ? undefined : parseObject(value);
        if (object) {
            for (const [child, v] of Object.entries(object)) walk(`${key}.${child}`, v, secretKeys.has(k));
        } else {
            flat.set(key, value);
            if (secretKeys.has(k)) secret.add(key);
        }
    }
    // A flat value replaces the nested one of the same key, secrecy included.
    for (const key of flat.keys()) if (!secretKeys.has(full(key))) secret.delete(key);
    return { given: new Map([...nested, ...flat]), secret };
}

function parseObject(value: string): Record<string, unknown> | undefined {
    if (!value.startsWith("{")) return undefined;
    try {
        const v: unknown = JSON.parse(value);
        return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Parses raw Pulumi config (keys with or without the `mlplat:` namespace, values as
 * strings) into a StackConfig. Throws a ConfigError listing every problem.
 */
export function parseConfig(raw: Record<string, string>, secretKeys: ReadonlySet<string>): StackConfig {
    const problems: ConfigProblem[] = [];
    const values = {} as Values;
    const { given, secret } = flattenConfig(raw, secretKeys);
    for (const k of given.keys()) {
        const instance = k in SETTINGS ? undefined : instanceOf(k);
        if (instance) {
            const problem = instanceKeyProblem(k, instance);
            if (problem) problems.push(problem);
            continue;
        }
        if (!(k in SETTINGS)) {
            const guess = nearest(k);
            problems.push({
                key: full(k), message: "is not an mlplat setting",
                hint: guess ? `did you mean ${full(guess)}? pulumi config rm ${k}` : `pulumi config rm ${k} (see docs/configuration.md)`,
            });
        }
    }
    for (const key of KEYS) {
        const setting: Setting = SETTINGS[key];
        const raw = given.get(key);
        if (setting.secret && raw !== undefined && raw !== "" && !secret.has(key)) {
            problems.push({
                key: full(key), message: "is a secret but was set as plain text (it is stored unencrypted in the stack file)",
                hint: `${setCmd(key, "<value>", true)}`,
            });
        }
        values[key] = coerce(key, setting, raw, problems);
        const format = FORMATS[key];
        if (format && raw !== undefined) {
            const result = format.schema.safeParse(values[key]);
            if (!result.success) {
                problems.push({ key: full(key), message: result.error.issues.map((i) => i.message).join("; "), hint: setCmd(key, format.example, setting.secret) });
            }
        }
    }
    // Instances: name → field → value, defaults filled in, under their prefix.
    for (const table of INSTANCES) {
        const instances: Record<string, Record<string, unknown>> = {};
        for (const [k, raw] of given) {
            const i = instanceOf(k);
            if (!i || i.table !== table || instanceKeyProblem(k, i)) continue;
            const setting = table.settings[i.field];
            const parsed = (instances[i.name] ??= Object.fromEntries(Object.entries(table.settings).map(([f, s]) => [f, s.default])));
            parsed[i.field] = coerce(k as SettingKey, setting, raw, problems);
            const format = table.formats[i.field];
            const result = format?.schema.safeParse(parsed[i.field]);
            if (format && result && !result.success) {
                problems.push({ key: full(k), message: result.error.issues.map((x) => x.message).join("; "), hint: setCmd(k, format.example) });
            }
        }
        (values as Record<string, unknown>)[table.prefix] = instances;
    }
    for (const rule of RULES) {
        rule(values, (key, message, hint) => problems.push({ key: full(key), message, hint }));
    }
    if (problems.length > 0) throw new ConfigError(problems);

    // Secrets leave the parser as secret Outputs only.
    const config = { ...values } as Record<string, unknown>;
    for (const key of KEYS) {
        if ((SETTINGS[key] as Setting).secret) {
            config[key] = isSet(values[key]) ? pulumi.secret(values[key] as string) : undefined;
        }
    }
    return config as StackConfig;
}

// `isConfigSecret` is exported by the runtime module but missing from its typings.
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };

/** Reads the running program's config. */
export function loadConfig(): StackConfig {
    const raw = pulumi.runtime.allConfig();
    const secretKeys = new Set(Object.keys(raw).filter((k) => runtimeConfig.isConfigSecret(k)));
    return parseConfig(raw, secretKeys);
}
