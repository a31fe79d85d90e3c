// Kubernetes Secrets built from secret Outputs. Values stay Pulumi secrets end to end:
// they are wrapped with pulumi.secret() whatever the caller passed, and the Secret's
// data fields are marked as secret outputs.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
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

/** The `.dockerconfigjson` document for one registry, as a secret Output. */
export function dockerConfigJson(host: string, username: string, password: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.secret(pulumi.output(password).apply((p) => JSON.stringify({
        auths: { [host]: { username, password: p, auth: Buffer.from(`${username}:${p}`).toString("base64") } },
    })));
}
