import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { PlatformNamespace } from "../core/namespace";

/**
 * An S3-compatible bucket, whichever implementation provides it. Platforms consume this
 * contract and never know whether MinIO or S3 is behind it.
 */
export interface ObjectStore {
    kind: "minio" | "s3";
    /** `host[:port]` that clients inside the cluster use, without scheme. */
    endpoint: pulumi.Output<string>;
    /** `http(s)://endpoint`. */
    url: pulumi.Output<string>;
    /** URL reachable from outside the cluster, when there is one (MinIO ingress host, S3). */
    externalUrl?: pulumi.Output<string>;
    bucket: pulumi.Output<string>;
    /** Namespace of the store's server pods in the cluster (MinIO), for clients' NetworkPolicies; undefined outside the cluster (S3). */
    serverNamespace?: string;
    /** Port clients connect to (MinIO's API port; S3: 443). */
    serverPort?: number;
    tls: boolean;
    region: string;
    /** Access key id of the bucket's scoped user (not the root/admin account). */
    accessKeyId: pulumi.Output<string>;
    /** Secret key of the bucket's scoped user (a secret Output). */
    secretAccessKey: pulumi.Output<string>;
    /**
     * The Secret holding the scoped user's `accessKey` and `secretKey` in a namespace of the
     * stack, created on first request (pods read only Secrets of their own namespace).
     */
    credentialsSecret(namespace: PlatformNamespace): k8s.core.v1.Secret;
}

/** Keys of the credentials Secret. */
export const CREDENTIAL_KEYS = { accessKey: "accessKey", secretKey: "secretKey" } as const;

