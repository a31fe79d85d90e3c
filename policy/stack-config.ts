// What the policy pack needs to know about a stack, read from the same config the program
// reads (`Pulumi.<stack>.yaml`), and how it travels to the pack: as CrossGuard policy config
// (`pulumi preview --policy-pack-config FILE`), written by `scripts/policy.sh`.
import { PolicySettings } from "./rules";

/** The settings for a stack's flat config (keys with or without the `mlplat:` prefix). */
export function settingsFromStackConfig(config: Record<string, string>): PolicySettings {
    const get = (k: string) => config[k] ?? config[`mlplat:${k}`] ?? "";
    if (get("registry.mode") !== "mirror") return {};
    const host = get("registry.mirror.host");
    const prefix = get("registry.mirror.pathPrefix") ? `${host}/${get("registry.mirror.pathPrefix")}` : host;
    // The registry creates a pull secret only for a mirror with a user (stacks/compose.ts, components/registry).
    const pullSecretName = get("registry.mirror.username") ? get("registry.pullSecretName") || "mlplat-registry" : undefined;
    return { mirror: { prefix, ...(pullSecretName ? { pullSecretName } : {}) } };
}

/** The config of the `images-from-mirror` policy: empty `mirror` means public images. */
export interface MirrorPolicyConfig {
    mirror?: string;
    pullSecretName?: string;
}

/** CrossGuard policy-pack config for these settings (merged over a stack's own levels). */
export function packConfig(settings: PolicySettings): Record<string, MirrorPolicyConfig> {
    return { "images-from-mirror": settings.mirror ? { mirror: settings.mirror.prefix, pullSecretName: settings.mirror.pullSecretName } : {} };
}

/** The inverse of `packConfig`, for the pack. */
export function settingsFromPackConfig(c: MirrorPolicyConfig): PolicySettings {
    return c.mirror ? { mirror: { prefix: c.mirror, ...(c.pullSecretName ? { pullSecretName: c.pullSecretName } : {}) } } : {};
}
