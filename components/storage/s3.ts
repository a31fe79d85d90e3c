import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as s3 from "@pulumi/aws/s3";
import * as iam from "@pulumi/aws/iam";
import type { PlatformContext } from "../core/context";
import { standardLabels } from "../core/labels";
import { PlatformNamespace } from "../core/namespace";
import { SecretPerNamespace } from "../core/secrets";
import { CREDENTIAL_KEYS, ObjectStore } from "./types";

export interface S3StoreArgs {
    /** Bucket name (global in AWS). */
    bucket: string;
    /** AWS region; the `aws:region` config applies when empty. */
    region: string;
    /** Let `pulumi destroy` delete a bucket that still holds objects. */
    forceDestroy: boolean;
    /** Namespace created to hold the bucket credentials for in-cluster consumers. */
    credentialsNamespace: string;
}

/** The IAM policy that scopes the bucket user to the one bucket. */
export function bucketUserPolicy(bucketArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Effect: "Allow", Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"], Resource: [bucketArn] },
            { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], Resource: [`${bucketArn}/*`] },
        ],
    });
}

/** An S3 bucket with versioning, encryption and public access blocked, and an IAM user scoped to it. */
export class S3Store extends pulumi.ComponentResource implements ObjectStore {
    readonly kind = "s3" as const;
    readonly endpoint: pulumi.Output<string>;
    readonly url: pulumi.Output<string>;
    readonly externalUrl: pulumi.Output<string>;
    readonly bucket: pulumi.Output<string>;
    readonly tls = true;
    readonly region: string;
    /** S3 answers on HTTPS. */
    readonly serverPort = 443;
    readonly accessKeyId: pulumi.Output<string>;
    readonly secretAccessKey: pulumi.Output<string>;
    readonly namespace: PlatformNamespace;
    private readonly credentials: SecretPerNamespace;

    constructor(name: string, args: S3StoreArgs, ctx: PlatformContext, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:storage:S3", name, {}, opts);
        const region = args.region || undefined;
        this.region = args.region;
        const bucket = new s3.Bucket(`${name}-bucket`, { bucket: args.bucket, forceDestroy: args.forceDestroy, region }, { parent: this });
        new s3.BucketVersioning(`${name}-versioning`, {
            bucket: bucket.id, region, versioningConfiguration: { status: "Enabled" },
        }, { parent: this });
        new s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
            bucket: bucket.id, region, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }],
        }, { parent: this });
        new s3.BucketPublicAccessBlock(`${name}-public-access`, {
            bucket: bucket.id, region,
            blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
        }, { parent: this });

        const user = new iam.User(`${name}-user`, { name: `${args.bucket}-bucket-user`, path: "/mlplat/" }, { parent: this });
        new iam.UserPolicy(`${name}-user-policy`, { user: user.name, policy: bucket.arn.apply(bucketUserPolicy) }, { parent: this });
        const key = new iam.AccessKey(`${name}-user-key`, { user: user.name }, { parent: this });

        this.bucket = bucket.bucket;
        this.endpoint = bucket.region.apply((r) => `s3.${r}.amazonaws.com`);
        this.url = pulumi.interpolate`https://${this.endpoint}`;
        this.externalUrl = this.url;
        this.accessKeyId = key.id;
        this.secretAccessKey = pulumi.secret(key.secret);
        this.credentials = new SecretPerNamespace(this, {
            resourcePrefix: name, secretName: "s3-bucket-user",
            labels: standardLabels({ name: "s3", component: "credentials", partOf: "mlplat-storage" }, ctx.extraLabels),
            data: { [CREDENTIAL_KEYS.accessKey]: this.accessKeyId, [CREDENTIAL_KEYS.secretKey]: this.secretAccessKey },
        });

        this.namespace = new PlatformNamespace(`${name}-ns`, { name: args.credentialsNamespace, partOf: "mlplat-storage" }, ctx, { parent: this });
        this.credentialsSecret(this.namespace);
        // Only Secrets live here: no pod may run with any traffic.
        new k8s.networking.v1.NetworkPolicy(`${name}-netpol-default-deny`, {
            metadata: {
                name: "s3-default-deny", namespace: this.namespace.name,
                labels: standardLabels({ name: "s3", component: "network", partOf: "mlplat-storage" }, ctx.extraLabels),
            },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }, { parent: this });
        this.registerOutputs({ endpoint: this.endpoint, bucket: this.bucket });
    }

    credentialsSecret(namespace: PlatformNamespace): k8s.core.v1.Secret {
        return this.credentials.in(namespace);
    }
}
