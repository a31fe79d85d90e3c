import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { PlatformContext } from "./context";
import { standardLabels } from "./labels";

export interface PlatformNamespaceArgs {
    /** Namespace name in the cluster (fixed, not auto-named: guides and users refer to it). */
    name: string;
    /** The platform it belongs to, for `app.kubernetes.io/part-of`. */
    partOf: string;
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
            this.namespace = new k8s.core.v1.Namespace(name, { metadata: { name: args.name, labels } }, { parent: this });
        }
        this.name = this.namespace ? this.namespace.metadata.name : pulumi.output(args.name);
        this.plainName = args.name;
        this.pullSecret = ctx.registry.createPullSecret(`${name}-pull`, this.name, labels, { parent: this });
        this.registerOutputs({ name: this.name });
    }
}
