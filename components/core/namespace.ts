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

/**
 * A namespace the stack creates, with the registry's pull secret when the stack pulls
 * from a mirror: every namespace of the stack gets one, so every pod can pull.
 */
export class PlatformNamespace extends pulumi.ComponentResource {
    readonly namespace: k8s.core.v1.Namespace;
    /** The namespace name, known once the Namespace exists: depend on it to order children after it. */
    readonly name: pulumi.Output<string>;
    /** The same name as a plain string, for keys and labels. */
    readonly plainName: string;
    readonly pullSecret?: k8s.core.v1.Secret;

    constructor(name: string, args: PlatformNamespaceArgs, ctx: PlatformContext, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:core:Namespace", name, {}, opts);
        const labels = standardLabels({ name: args.name, partOf: args.partOf }, ctx.extraLabels);
        this.namespace = new k8s.core.v1.Namespace(name, { metadata: { name: args.name, labels } }, { parent: this });
        this.name = this.namespace.metadata.name;
        this.plainName = args.name;
        this.pullSecret = ctx.registry.createPullSecret(`${name}-pull`, this.name, labels, { parent: this });
        this.registerOutputs({ name: this.name });
    }
}
