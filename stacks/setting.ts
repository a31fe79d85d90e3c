// The building blocks of the settings tables: how a setting is declared, the typed value it
// parses to, the value formats and rules shared by every section (stacks/foundation.ts,
// stacks/platforms/*.ts). Assembled into one table by stacks/settings.ts and checked by
// stacks/config.ts.
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { isPinnedImage } from "../components/core/images";

export type SettingType = "string" | "integer" | "boolean" | "array";

export interface Setting {
    type: SettingType;
    /** The default, as Pulumi.yaml declares it. An empty string means "not set". */
    default: string | number | boolean | string[];
    description: string;
    /** Allowed values of a string setting. */
    choices?: readonly string[];
    /** Must be set with `pulumi config set --secret`. */
    secret?: boolean;
}

export const str = (def: string, description: string) => ({ type: "string" as const, default: def, description });
export const choice = <T extends string>(choices: readonly T[], def: T, description: string) =>
    ({ type: "string" as const, default: def, description, choices });
export const bool = (def: boolean, description: string) => ({ type: "boolean" as const, default: def, description });
export const int = (def: number, description: string) => ({ type: "integer" as const, default: def, description });
export const list = (description: string) => ({ type: "array" as const, default: [] as string[], description });
export const secret = (description: string) => ({ type: "string" as const, default: "", description, secret: true as const });

export const TRI_STATE = ["auto", "true", "false"] as const;

/** The parsed value of a setting. */
export type ValueOf<S> =
    S extends { secret: true } ? pulumi.Output<string> | undefined :
    S extends { type: "boolean" } ? boolean :
    S extends { type: "integer" } ? number :
    S extends { type: "array" } ? string[] :
    S extends { choices: readonly (infer C)[] } ? C :
    string;

/** The parsed config of a settings table, keyed exactly as users set it. */
export type ConfigOf<T> = { readonly [K in keyof T]: ValueOf<T[K]> };

/** A setting's format: the zod schema of its value and an example for the fix. */
export interface Format { schema: z.ZodType; example: string }

/** The values a rule reads (before secrets are wrapped), by key. */
export type Values<K extends string> = { readonly [k in K]: unknown };
/** Contradictions between settings; each problem names the key to change and how. */
export type Rule<K extends string> = (v: Values<K>, problem: (key: K, message: string, hint: string) => void) => void;

export const setCmd = (key: string, example: string, isSecret = false) =>
    `pulumi config set ${isSecret ? "--secret " : ""}${key} ${example}`;
export const isSet = (v: unknown) => v !== "" && v !== undefined;
/** Keys of `table` under `prefix` that were changed from their defaults. */
export const changedUnder = <K extends string>(v: Values<string>, prefix: string, table: Record<K, Setting>) =>
    (Object.keys(table) as K[]).filter((k) => k.startsWith(prefix) && JSON.stringify(v[k]) !== JSON.stringify(table[k].default));

/**
 * A platform's settings are refused while it is off (a typo'd or forgotten key would be silently
 * ignored otherwise). True when the platform is on and its other rules apply.
 */
export function enabledOrRefused<K extends string>(v: Values<string>, enabled: K, table: Record<K, Setting>,
    problem: (key: K, message: string, hint: string) => void): boolean {
    if (v[enabled] === true) return true;
    const prefix = enabled.slice(0, enabled.lastIndexOf(".") + 1);
    for (const k of changedUnder(v, prefix, table).filter((k) => k !== enabled)) {
        problem(k, `is set but ${enabled} is false, so it would be ignored`, `pulumi config set ${enabled} true (or pulumi config rm ${k})`);
    }
    return false;
}

type KubeconfigKey = "cluster.kubeconfig" | "cluster.context" | "cluster.inCluster";

/**
 * A created-or-found cluster flavour's settings (`cluster.<kind>.*`) are refused on another
 * cluster kind; on its own kind the kubeconfig settings are refused (`from`: where the stack
 * takes the kubeconfig instead). Returns the flavour's changed settings when it is selected.
 */
export function clusterFlavourOrRefused<K extends string>(v: Values<string>, kind: string, table: Record<K, Setting>, from: string,
    problem: (key: K | KubeconfigKey, message: string, hint: string) => void): K[] | undefined {
    const changed = changedUnder(v, `cluster.${kind}.`, table);
    if (v["cluster.kind"] !== kind) {
        for (const k of changed) {
            problem(k, `applies to cluster.kind=${kind} only, but cluster.kind is ${v["cluster.kind"]}, so it would be ignored`, `pulumi config set cluster.kind ${kind} (or pulumi config rm ${k})`);
        }
        return undefined;
    }
    for (const k of ["cluster.kubeconfig", "cluster.context"] as const) {
        if (isSet(v[k])) problem(k, `does not apply to cluster.kind=${kind}: ${from}`, `pulumi config rm ${k}`);
    }
    if (v["cluster.inCluster"] === true) problem("cluster.inCluster", `does not apply to cluster.kind=${kind}`, "pulumi config rm cluster.inCluster");
    return changed;
}

export function expandHome(p: string): string {
    return p.startsWith("~/") ? path.join(process.env.HOME ?? "", p.slice(2)) : p;
}

// Formats of single values. Empty strings mean "not set" and are always accepted here;
// whether a value is required is a cross-field rule.
export const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const dnsName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const optional = (re: RegExp, what: string) => z.string().refine((v) => v === "" || re.test(v), what);
// Formats shared by several settings: one wording per rule.
const PINNED = "must be an image with a pinned tag or digest (not latest)";
export const pinnedImage = z.string().refine(isPinnedImage, PINNED);
export const pinnedOrEmpty = z.string().refine((v) => v === "" || isPinnedImage(v), PINNED);
export const NAMESPACE = "must be a namespace name (DNS label)";
export const namespaceName = (example: string): Format => ({ schema: z.string().regex(dnsLabel, NAMESPACE), example });
export const hostName = (example: string): Format => ({ schema: optional(dnsName, "must be a DNS host name (lowercase letters, digits, '-' and '.', no scheme, port or path)"), example });
export const count = (min: number, what: string) => z.number().int().min(min, what);
export const exactVersion = (example: string): Format => ({ schema: z.string().regex(/^\d+\.\d+\.\d+$/, `must be an exact version like ${example}`), example });

/** A platform's part of the settings table and of the parser (stacks/platforms/<platform>.ts). */
export interface PlatformSettings<K extends string> {
    /** Its `<platform>.enabled` setting. */
    enabled: K;
    /** How problems name it, e.g. "the inference pipeline". */
    title: string;
    /** Refused with `ingress.controller=none`. */
    needsIngress: boolean;
    /** Refused with `storage.kind=none`. */
    needsStorage: boolean;
    settings: Record<K, Setting>;
    formats: Partial<Record<K, Format>>;
    /** Its cross-setting rules; it may read foundation and other platforms' settings too. */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    rule: Rule<any>;
    /** Settings it repeats per named instance (`<prefix>.<name>.<field>`, e.g. one set per model). */
    instances?: InstanceSettings;
}

/**
 * Settings repeated per instance whose name the user makes up, e.g.
 * `modelServing.models.<name>.image`: keys are `<prefix>.<name>.<field>`. The parser
 * checks each like a setting (type, format; unknown fields and bad names are problems)
 * and hands them to rules and adapters as one value under `<prefix>`: name → field → value,
 * defaults filled in. Not declared in Pulumi.yaml (its keys are not known in advance).
 */
export interface InstanceSettings<F extends string = string> {
    /** e.g. `modelServing.models`. */
    prefix: string;
    /** What an instance name must look like. */
    name: { pattern: RegExp; message: string; example: string };
    settings: Record<F, Setting>;
    formats: Partial<Record<F, Format>>;
}

/** The parsed instances of an InstanceSettings table: name → its settings' values. */
export type InstancesOf<T> = Readonly<Record<string, ConfigOf<T>>>;
