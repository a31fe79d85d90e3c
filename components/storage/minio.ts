import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import type { PlatformContext } from "../core/context";
import { imageTag } from "../core/images";
import { selectorLabels, standardLabels } from "../core/labels";
import { PlatformNamespace } from "../core/namespace";
import { keyRef, secretFromOutputs, SecretPerNamespace } from "../core/secrets";
import { container, httpProbe, podSpec } from "../core/workload";
import { CREDENTIAL_KEYS, ObjectStore } from "./types";

export interface MinioArgs {
    /** Namespace created for MinIO. */
    namespace: string;
    /** Bucket created by the init Job. */
    bucket: string;
    /** Official MinIO server image, pinned. */
    image: string;
    /** Official MinIO client (`mc`) image, pinned; runs the bucket Job. */
    clientImage: string;
    /** PersistentVolumeClaim size. */
    size: string;
    /** Root password; generated when not given. */
    rootPassword?: pulumi.Input<string>;
    /** Host of an Ingress for the S3 API; none when empty. */
    ingressHost?: string;
}

const API_PORT = 9000;
const CONSOLE_PORT = 9001;
const ROOT_USER = "mlplat-root";
const SERVICE_USER = "mlplat-service";
const APP = "minio";

/** The S3 policy that scopes the service user to the one bucket. */
export function bucketPolicy(bucket: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Effect: "Allow", Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"], Resource: [`arn:aws:s3:::${bucket}`] },
            { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], Resource: [`arn:aws:s3:::${bucket}/*`] },
        ],
    }, null, 2);
}

// Idempotent: every step succeeds when its object already exists, so the Job can rerun.
const BUCKET_SCRIPT = `set -eu
i=0
until mc alias set local "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null; do
  i=$((i+1)); [ "$i" -lt 60 ] || { echo "MinIO did not answer at $MINIO_URL" >&2; exit 1; }; sleep 2
done
mc mb --ignore-existing "local/$BUCKET"
mc admin policy create local "$POLICY_NAME" /policy/policy.json
mc admin user add local "$SERVICE_ACCESS_KEY" "$SERVICE_SECRET_KEY"
mc admin policy attach local "$POLICY_NAME" --user "$SERVICE_ACCESS_KEY" || true
echo "bucket $BUCKET ready for $SERVICE_ACCESS_KEY"
`;

/** MinIO in the cluster: official image, generated credentials, a scoped service user and the bucket. */
export class Minio extends pulumi.ComponentResource implements ObjectStore {
    readonly kind = "minio" as const;
    readonly endpoint: pulumi.Output<string>;
    readonly url: pulumi.Output<string>;
    readonly externalUrl?: pulumi.Output<string>;
    readonly bucket: pulumi.Output<string>;
    readonly tls = false;
    readonly region = "us-east-1";
    readonly accessKeyId: pulumi.Output<string>;
    readonly secretAccessKey: pulumi.Output<string>;
    readonly namespace: PlatformNamespace;
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    readonly bucketJob: k8s.batch.v1.Job;
    private readonly credentials: SecretPerNamespace;

    constructor(name: string, args: MinioArgs, ctx: PlatformContext, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:storage:Minio", name, {}, opts);
        const labels = (component: string) => standardLabels({ name: APP, component, partOf: "mlplat-storage" }, ctx.extraLabels);
        // The version label goes on the workloads only, so an image change updates the workload alone.
        const versioned = (component: string, image: string) =>
            standardLabels({ name: APP, component, partOf: "mlplat-storage", version: imageTag(image) }, ctx.extraLabels);
        this.namespace = new PlatformNamespace(`${name}-ns`, { name: args.namespace, partOf: "mlplat-storage" }, ctx, { parent: this });
        const ns = this.namespace.name;

        const rootPassword = args.rootPassword
            ? pulumi.secret(args.rootPassword)
            : new random.RandomPassword(`${name}-root-password`, { length: 32, special: false }, { parent: this }).result;
        const serviceSecret = new random.RandomPassword(`${name}-service-secret`, { length: 40, special: false }, { parent: this }).result;
        this.accessKeyId = pulumi.output(SERVICE_USER);
        this.secretAccessKey = serviceSecret;
        this.credentials = new SecretPerNamespace(this, {
            resourcePrefix: name, secretName: "minio-service-user", labels: labels("credentials"),
            data: { [CREDENTIAL_KEYS.accessKey]: this.accessKeyId, [CREDENTIAL_KEYS.secretKey]: this.secretAccessKey },
        });

        const root = secretFromOutputs(`${name}-root`, {
            name: "minio-root", namespace: ns, labels: labels("server"),
            data: { MINIO_ROOT_USER: ROOT_USER, MINIO_ROOT_PASSWORD: rootPassword },
        }, { parent: this });
        const service = this.credentialsSecret(this.namespace);

        const pvc = new k8s.core.v1.PersistentVolumeClaim(`${name}-data`, {
            metadata: { name: "minio-data", namespace: ns, labels: labels("server") },
            spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: ctx.cluster.storageClass,
                resources: { requests: { storage: args.size } },
            },
        }, { parent: this });

        const server = container({
            name: "minio",
            image: args.image,
            args: ["server", "/data", "--address", `:${API_PORT}`, "--console-address", `:${CONSOLE_PORT}`, "--certs-dir", "/tmp/certs"],
            ports: [{ name: "api", containerPort: API_PORT }, { name: "console", containerPort: CONSOLE_PORT }],
            env: { MINIO_BROWSER_REDIRECT: "off", HOME: "/tmp" },
            secretEnv: { MINIO_ROOT_USER: keyRef(root, "MINIO_ROOT_USER"), MINIO_ROOT_PASSWORD: keyRef(root, "MINIO_ROOT_PASSWORD") },
            readiness: httpProbe("/minio/health/ready", API_PORT),
            liveness: httpProbe("/minio/health/live", API_PORT, 15),
            resources: {
                requests: { cpu: "100m", memory: "256Mi", ephemeralStorage: "64Mi" },
                limits: { cpu: "1", memory: "1Gi", ephemeralStorage: "256Mi" },
            },
            runAsUser: 1000,
            writablePaths: ["/tmp"],
            volumeMounts: [{ name: "data", mountPath: "/data" }],
        });
        this.deployment = new k8s.apps.v1.Deployment(`${name}-server`, {
            metadata: { name: "minio", namespace: ns, labels: versioned("server", args.image) },
            spec: {
                replicas: 1,
                // One ReadWriteOnce volume: the old pod must stop before the new one starts.
                strategy: { type: "Recreate" },
                selector: { matchLabels: selectorLabels({ name: APP, component: "server" }) },
                template: {
                    metadata: { labels: versioned("server", args.image) },
                    spec: podSpec({
                        containers: [server],
                        fsGroup: 1000,
                        volumes: [{ name: "data", persistentVolumeClaim: { claimName: pvc.metadata.name } }],
                    }),
                },
            },
        }, { parent: this });

        this.service = new k8s.core.v1.Service(`${name}-service`, {
            metadata: { name: "minio", namespace: ns, labels: labels("server") },
            spec: {
                type: "ClusterIP",
                selector: selectorLabels({ name: APP, component: "server" }),
                ports: [
                    { name: "api", port: API_PORT, targetPort: "api" },
                    { name: "console", port: CONSOLE_PORT, targetPort: "console" },
                ],
            },
        }, { parent: this });
        this.endpoint = pulumi.interpolate`${this.service.metadata.name}.${ns}.svc.cluster.local:${API_PORT}`;
        this.url = pulumi.interpolate`http://${this.endpoint}`;
        this.bucket = pulumi.output(args.bucket);

        const policy = new k8s.core.v1.ConfigMap(`${name}-policy`, {
            metadata: { name: "minio-bucket-policy", namespace: ns, labels: labels("bucket-init") },
            data: { "policy.json": bucketPolicy(args.bucket) },
        }, { parent: this });
        const mc = container({
            name: "bucket-init",
            image: args.clientImage,
            command: ["/bin/sh", "-c", BUCKET_SCRIPT],
            env: { MINIO_URL: this.url, BUCKET: args.bucket, POLICY_NAME: `${args.bucket}-readwrite`, MC_CONFIG_DIR: "/tmp/.mc" },
            secretEnv: {
                MINIO_ROOT_USER: keyRef(root, "MINIO_ROOT_USER"),
                MINIO_ROOT_PASSWORD: keyRef(root, "MINIO_ROOT_PASSWORD"),
                SERVICE_ACCESS_KEY: keyRef(service, CREDENTIAL_KEYS.accessKey),
                SERVICE_SECRET_KEY: keyRef(service, CREDENTIAL_KEYS.secretKey),
            },
            runAsUser: 1000,
            writablePaths: ["/tmp"],
            volumeMounts: [{ name: "policy", mountPath: "/policy", readOnly: true }],
        });
        this.bucketJob = new k8s.batch.v1.Job(`${name}-bucket`, {
            metadata: { name: "minio-bucket-init", namespace: ns, labels: versioned("bucket-init", args.clientImage) },
            spec: {
                backoffLimit: 6,
                template: {
                    metadata: { labels: versioned("bucket-init", args.clientImage) },
                    spec: podSpec({
                        containers: [mc],
                        restartPolicy: "OnFailure",
                        runToCompletion: true,
                        volumes: [{ name: "policy", configMap: { name: policy.metadata.name } }],
                    }),
                },
            },
        }, { parent: this, dependsOn: [this.deployment, this.service] });

        if (args.ingressHost) {
            const className = ctx.cluster.ingress?.className;
            new k8s.networking.v1.Ingress(`${name}-ingress`, {
                metadata: {
                    name: "minio", namespace: ns, labels: labels("server"),
                    // Model uploads are large: no body size limit at the proxy.
                    annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "0" },
                },
                spec: {
                    ingressClassName: className,
                    rules: [{
                        host: args.ingressHost,
                        http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: this.service.metadata.name, port: { name: "api" } } } }] },
                    }],
                },
            }, { parent: this });
            this.externalUrl = pulumi.output(`http://${args.ingressHost}`);
        }

        this.registerOutputs({ endpoint: this.endpoint, bucket: this.bucket, externalUrl: this.externalUrl });
    }

    credentialsSecret(namespace: PlatformNamespace): k8s.core.v1.Secret {
        return this.credentials.in(namespace);
    }
}
