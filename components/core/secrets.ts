// Kubernetes Secrets built from secret Outputs. Values stay Pulumi secrets end to end:
// they are wrapped with pulumi.secret() whatever the caller passed, and the Secret's
// data fields are marked as secret outputs.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { PlatformNamespace } from "./namespace";
import type { SecretKeyRef } from "./workload";

export interface OpaqueSecretArgs {
    /** Object name in the cluster. */
    name: string;
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    /** Secret values by key; plain strings are wrapped as secrets too. */
    data: Record<string, pulumi.Input<string>>;
    /** Secret type, default Opaque. */
    type?: string;
}

export function secretFromOutputs(resourceName: string, args: OpaqueSecretArgs, opts: pulumi.CustomResourceOptions): k8s.core.v1.Secret {
    const stringData: Record<string, pulumi.Output<string>> = {};
    for (const [key, value] of Object.entries(args.data)) stringData[key] = pulumi.secret(value);
    return new k8s.core.v1.Secret(resourceName, {
        metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
        type: args.type ?? "Opaque",
        stringData,
    }, { ...opts, additionalSecretOutputs: ["data", "stringData"] });
}

/** References to every key of a Secret, for `ContainerArgs.secretEnv`. */
export function keyRef(secret: k8s.core.v1.Secret, key: string): SecretKeyRef {
    return { secretName: secret.metadata.name, key };
}

/**
 * One Secret with the same values in each namespace that asks for it, created on first
 * request: pods read only Secrets of their own namespace, so a service shared by
 * several platforms hands each of them its own copy.
 */
export class SecretPerNamespace {
    private readonly byNamespace = new Map<string, k8s.core.v1.Secret>();

    constructor(private readonly owner: pulumi.Resource, private readonly args: {
        /** Prefix of the Pulumi resource names (`<prefix>-credentials-<namespace>`). */
        resourcePrefix: string;
        /** Secret name in each namespace. */
        secretName: string;
        labels: Record<string, string>;
        data: Record<string, pulumi.Input<string>>;
    }) { }

    in(namespace: PlatformNamespace): k8s.core.v1.Secret {
        let secret = this.byNamespace.get(namespace.plainName);
        if (!secret) {
            secret = secretFromOutputs(`${this.args.resourcePrefix}-credentials-${namespace.plainName}`, {
                name: this.args.secretName, namespace: namespace.name, labels: this.args.labels, data: this.args.data,
            }, { parent: this.owner });
            this.byNamespace.set(namespace.plainName, secret);
        }
        return secret;
    }
}
