// Writes the CrossGuard policy-pack config of a stack: the mirror the `images-from-mirror`
// policy checks against, read from Pulumi.<stack>.yaml (policy/stack-config.ts), over the
// stack's own enforcement levels in policy/config/<stack>.json when that file exists
// (in $MLPLAT_POLICY_DIR when set).
//
//   ts-node scripts/policy-config.ts <stack> <out.json>
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { packConfig, settingsFromStackConfig } from "../policy/stack-config";

export function stackPolicyConfig(root: string, stack: string): Record<string, unknown> {
    const doc = parse(fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> } | null;
    const flat = Object.fromEntries(Object.entries(doc?.config ?? {}).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    const levelsFile = path.join(process.env.MLPLAT_POLICY_DIR ?? path.join(root, "policy"), "config", `${stack}.json`);
    const levels: Record<string, unknown> = fs.existsSync(levelsFile) ? JSON.parse(fs.readFileSync(levelsFile, "utf8")) : {};
    const generated = packConfig(settingsFromStackConfig(flat));
    const out: Record<string, unknown> = { ...levels };
    for (const [policy, props] of Object.entries(generated)) {
        const own = levels[policy];
        out[policy] = typeof own === "string" ? { enforcementLevel: own, ...props } : { ...(own as object | undefined), ...props };
    }
    return out;
}

if (require.main === module) {
    const [stack, out] = process.argv.slice(2);
    if (!stack || !out) {
        console.error("usage: policy-config.ts <stack> <out.json>");
        process.exit(2);
    }
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(stackPolicyConfig(path.join(__dirname, ".."), stack), null, 2) + "\n");
}
