import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { PlatformContext } from "./context";
import { standardLabels } from "./labels";

export interface PlatformNamespaceArgs {
    /** Namespace name in the cluster (fixed, not auto-named: guides and users refer to it). */
    name: string;
    /** The platform it belongs to, for `app.kubernetes.io/part-of`. */
    partOf: string;
    /**
     * Pod Security admission level enforced on the namespace; default `restricted`. A lower
     * level needs its reason, kept on the namespace (annotation `mlplat.dev/pod-security-reason`).
     */
    podSecurity?: PodSecurity;
}

/** A Pod Security admission level below `restricted`, with why the namespace needs it. */
export interface PodSecurity {
    level: "baseline" | "privileged";
    reason: string;
}

/**
 * The Pod Security admission labels of a namespace: `enforce` at its level (restricted
 * unless a reason says otherwise), `audit` and `warn` always at restricted, so anything
 * that falls short of restricted shows in the audit log and in kubectl's warnings.
 */
export function podSecurityLabels(podSecurity?: PodSecurity): Record<string, string> {
    const level = podSecurity?.level ?? "restricted";
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    };
}

/** The labels of a namespace the stack creates: the standard ones and Pod Security admission's. */
export function namespaceLabels(args: PlatformNamespaceArgs, ctx: Pick<PlatformContext, "extraLabels">): Record<string, string> {
    return { ...standardLabels({ name: args.name, partOf: args.partOf }, ctx.extraLabels), ...podSecurityLabels(args.podSecurity) };
}

/** The annotation keeping why a namespace is below restricted. */
export function namespaceAnnotations(args: PlatformNamespaceArgs): Record<string, string> | undefined {
    return args.podSecurity ? { "mlplat.dev/pod-security-reason": args.podSecurity.reason } : undefined;
}

/** Whether the stack must use the namespace `name` as it is (see PlatformContext.existingNamespaces). */
export function isExistingNamespace(ctx: Pick<PlatformContext, "existingNamespaces">, name: string): boolean {
    return ctx.existingNamespaces?.includes(name) ?? false;
}

/**
 * A namespace the stack creates, with the registry's pull secret when the stack pulls
 * from a mirror: every namespace of the stack gets one, so every pod can pull.
 * A namespace declared existing (ctx.existingNamespaces) is used as it is: no Namespace
 * object is created, labelled or ever deleted; only the stack's own objects go into it.
 */
export class PlatformNamespace extends pulumi.ComponentResource {
    /** The Namespace object, unless the namespace is declared existing. */
    readonly namespace?: k8s.core.v1.Namespace;
    /** True when the namespace was declared existing: the stack neither created nor owns it. */
    readonly existing: boolean;
    /** The namespace name, known once the Namespace exists: depend on it to order children after it. */
    readonly name: pulumi.Output<string>;
    /** The same name as a plain string, for keys and labels. */
    readonly plainName: string;
    readonly pullSecret?: k8s.core.v1.Secret;

    constructor(name: string, args: PlatformNamespaceArgs, ctx: PlatformContext, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:core:Namespace", name, {}, opts);
        const labels = standardLabels({ name: args.name, partOf: args.partOf }, ctx.extraLabels);
        this.existing = isExistingNamespace(ctx, args.name);
        if (!this.existing) {
            this.namespace = new k8s.core.v1.Namespace(name, {
                metadata: { name: args.name, labels: namespaceLabels(args, ctx), annotations: namespaceAnnotations(args) },
            }, { parent: this });
        }
        this.name = this.namespace ? this.namespace.metadata.name : pulumi.output(args.name);
        this.plainName = args.name;
        this.pullSecret = ctx.registry.createPullSecret(`${name}-pull`, this.name, labels, { parent: this });
        this.registerOutputs({ name: this.name });
    }
}
