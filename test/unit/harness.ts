// Runs the real composition (stacks/compose.ts, as index.ts does) under Pulumi mocks and
// records every registered resource with its inputs.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import * as assert from "assert";
import { ConfigError, loadConfig, parseConfig } from "../../stacks/config";
import { composeStack, InstallTransform } from "../../stacks/compose";
import { recordResourceOptions } from "./record";
import { azureCall, azureState } from "./azure-harness";

export interface Registered {
    type: string;
    name: string;
    inputs: any;
    /** Pulumi names of the resources in its `dependsOn` option (components included, as given). */
    dependsOn?: string[];
    /** Pulumi name of its parent, when it has one. */
    parent?: string;
}

export interface StackRun {
    resources: Registered[];
    /** Stack outputs with secrets unwrapped. */
    outputs: any;
    /** The stack outputs as the engine receives them (secrets still wrapped), for leak scans. */
    serializedOutputs: unknown;
    error?: Error;
}

/** The secret marker the SDK puts around secret values when it serializes them. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** Values the mocks give to provider-computed secrets, so tests can scan for them. */
export const MOCK_SECRETS = {
    randomPassword: (name: string) => `mock-random-${name}`,
    awsSecretKey: "mock-aws-secret-access-key",
};

function mockState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
    const inputs = args.inputs;
    switch (args.type) {
        case "random:index/randomPassword:RandomPassword":
            return { ...inputs, result: MOCK_SECRETS.randomPassword(args.name) };
        case "aws:s3/bucket:Bucket":
            return { ...inputs, arn: `arn:aws:s3:::${inputs.bucket}`, region: inputs.region ?? "eu-west-1" };
        case "aws:iam/accessKey:AccessKey":
            return { ...inputs, secret: MOCK_SECRETS.awsSecretKey };
        case "aws:iam/user:User":
            return { ...inputs, arn: `arn:aws:iam::123456789012:user${inputs.path ?? "/"}${inputs.name}` };
        default:
            return inputs;
    }
}

/** The registry transform under mocks: mocks cannot run engine-side transforms, so the same function runs as a stack transformation. */
const installInProcess: InstallTransform = (transform) =>
    pulumi.runtime.registerStackTransformation((args) => {
        const props = transform({ type: args.type, props: args.props as Record<string, unknown> });
        return props ? { props, opts: args.opts } : undefined;
    });

/**
 * Runs the stack with `config` (keys without the `mlplat:` prefix; other namespaces such
 * as `aws:region` given in full) and `secretKeys` marked as `--secret`.
 */
export async function runStack(config: Record<string, string>, given: string[] = []): Promise<StackRun> {
    const secretKeys = withFileSecrets(config, given);
    const resources: Registered[] = [];
    pulumi.runtime.setMocks({
        newResource: (args) => {
            resources.push({ type: args.type, name: args.name, inputs: args.inputs });
            // Azure resources and invokes answer as azure-native would (test/unit/azure-harness.ts).
            if (args.type.startsWith("azure-native:")) return azureState(args);
            return { id: `${args.name}-id`, state: mockState(args) };
        },
        call: (args) => (args.token.startsWith("azure-native:") ? azureCall(args) : args.inputs),
    }, "mlplat", "unit", false);
    const full = (k: string) => (k.includes(":") ? k : `mlplat:${k}`);
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [full(k), v])), secretKeys.map(full));
    let outputs: any;
    let error: Error | undefined;
    const options = new Map<string, { dependsOn: string[]; parent?: string }>();
    try {
        outputs = await pulumi.runtime.runInPulumiStack(async () => {
            recordResourceOptions(options);
            return composeStack(loadConfig(), installInProcess);
        });
    } catch (e) {
        error = e as Error;
    }
    // The stack's outputs reach the mock monitor after runInPulumiStack resolves: let that RPC land.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const monitor = (pulumi.runtime as any).getMonitor();
    // The stack resource's registered outputs arrive at the monitor as a protobuf Struct.
    const stack = monitor ? [...monitor.getRegisteredResources().values()].find((r: any) => r.urn.includes("pulumi:pulumi:Stack")) : undefined;
    const serializedOutputs = typeof stack?.state?.toJavaScript === "function" ? stack.state.toJavaScript() : stack?.state;
    for (const r of resources) Object.assign(r, options.get(`${r.type}::${r.name}`) ?? {});
    return { resources: resources.filter((r) => r.type !== "pulumi:pulumi:Stack"), outputs, serializedOutputs, error };
}

/**
 * The test value standing for a `secure:` value of a stack file (set with --secret; its
 * ciphertext is not decrypted here). runStack and configProblems treat it as a secret.
 */
export const fileSecret = (key: string) => `unit-file-secret-${key}`;
const withFileSecrets = (config: Record<string, string>, secretKeys: string[]) =>
    [...secretKeys, ...Object.keys(config).filter((k) => config[k] === fileSecret(k))];

/**
 * The fixture image lock of the prod stack (synthetic digests; test/fixtures/write-prod-lock.ts):
 * prod is in mirror mode with registry.mirror.pinDigests on, so it renders only with a lock.
 */
export const PROD_FIXTURE_LOCK = path.join(__dirname, "..", "fixtures", "images.prod.lock");

/**
 * Mirror mode by tag (registry.mirror.pinDigests=false, the opt-out): for tests of relocation
 * itself, which need no image lock. Digest pinning is tested in mirror-lock.test.ts and on prod.
 */
export const MIRROR_BY_TAG = { "registry.mirror.pinDigests": "false" } as const;

/**
 * The stack file's config, with test values substituted for the secrets its comments tell
 * operators to set, and for its `secure:` values; prod's image lock is the fixture lock.
 */
export function stackFileConfig(stack: "dev" | "prod" | "azure"): Record<string, string> {
    const file = path.join(__dirname, "..", "..", `Pulumi.${stack}.yaml`);
    const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(doc.config ?? {})) {
        const key = k.startsWith("mlplat:") ? k.slice("mlplat:".length) : k;
        const secure = v !== null && typeof v === "object" && "secure" in v;
        out[key] = secure ? fileSecret(key) : typeof v === "string" ? v : JSON.stringify(v);
    }
    if (stack === "prod") out["registry.mirror.lockFile"] = PROD_FIXTURE_LOCK;
    return out;
}

/** Paths inside `value` where any of `needles` appears outside a secret wrapper (plain, base64 or inside JSON). */
export function plainTextLeaks(value: unknown, needles: string[], at = "$"): string[] {
    const forms = needles.flatMap((n) => [n, Buffer.from(n).toString("base64")]);
    if (typeof value === "string") return forms.some((f) => value.includes(f)) ? [at] : [];
    if (Array.isArray(value)) return value.flatMap((v, i) => plainTextLeaks(v, needles, `${at}[${i}]`));
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[SIG_KEY] === SECRET_SIG) return [];
        return Object.entries(obj).flatMap(([k, v]) => plainTextLeaks(v, needles, `${at}.${k}`));
    }
    return [];
}

/** A temporary kubeconfig file for cluster tests. */
export function tempKubeconfig(server = "https://127.0.0.1:16443"): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlplat-kubeconfig-"));
    const file = path.join(dir, "kubeconfig");
    fs.writeFileSync(file, `apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]
users: [{name: admin, user: {token: unit-test-token}}]
contexts: [{name: local, context: {cluster: local, user: admin}}, {name: other, context: {cluster: local, user: admin}}]
current-context: local
`);
    // As scripts/cluster.sh writes it beside the local control plane's kubeconfig.
    fs.writeFileSync(path.join(dir, "version"), "1.34\n");
    return file;
}

/**
 * Parses `config` (keys without the `mlplat:` prefix, `secretKeys` set with --secret) and
 * returns every problem as [key, message]; each problem must name its fix.
 */
export function configProblems(config: Record<string, string>, given: string[] = []): [string, string][] {
    const secretKeys = withFileSecrets(config, given);
    const full = (k: string) => (k.includes(":") ? k : `mlplat:${k}`);
    try {
        parseConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [full(k), v])), new Set(secretKeys.map(full)));
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
        for (const p of e.problems) assert.match(p.hint, /pulumi config (set|rm)/, `${p.key} names no fix`);
        return e.problems.map((p) => [p.key, p.message]);
    }
    return [];
}

/** The value inside a secret wrapper (or the value itself). */
export function unsecret(v: any): any {
    return v && typeof v === "object" && v[SIG_KEY] === SECRET_SIG ? v.value : v;
}

export const byType = (run: StackRun, type: string) => run.resources.filter((r) => r.type === type);
export const one = (run: StackRun, type: string, name?: string) => {
    const found = byType(run, type).filter((r) => name === undefined || r.inputs?.metadata?.name === name || r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
    return found[0];
};
