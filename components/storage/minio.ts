import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import type { PlatformContext } from "../core/context";
import { imageTag } from "../core/images";
import { selectorLabels, standardLabels } from "../core/labels";
import { PlatformNamespace } from "../core/namespace";
import { byName, DNS_EGRESS, serviceAwaitAnnotations } from "../core/network";
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
    /** Namespace of the ingress controller: only it reaches the API through the Ingress. Default any namespace. */
    ingressNamespace?: string;
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
    readonly serverNamespace: string;
    readonly serverPort = API_PORT;
    readonly accessKeyId: pulumi.Output<string>;
    readonly secretAccessKey: pulumi.Output<string>;
    readonly namespace: PlatformNamespace;
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    readonly bucketJob: k8s.batch.v1.Job;
    private readonly credentials: SecretPerNamespace;
    private readonly resourceName: string;
    private readonly ctx: PlatformContext;
    private readonly args: MinioArgs;
    /** The namespaces allowed to reach the API (those given the credentials), by name. */
    private readonly clients = new Set<string>();

    constructor(name: string, args: MinioArgs, ctx: PlatformContext, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:storage:Minio", name, {}, opts);
        this.resourceName = name;
        this.ctx = ctx;
        this.args = args;
        this.namespace = new PlatformNamespace(`${name}-ns`, { name: args.namespace, partOf: "mlplat-storage" }, ctx, { parent: this });
        this.serverNamespace = args.namespace;
        const secrets = this.createSecrets();
        this.accessKeyId = secrets.accessKeyId;
        this.secretAccessKey = secrets.secretAccessKey;
        this.credentials = secrets.credentials;

        const server = this.serverWorkload(secrets.root);
        this.deployment = server.deployment;
        this.service = server.service;
        this.endpoint = pulumi.interpolate`${this.service.metadata.name}.${this.namespace.name}.svc.cluster.local:${API_PORT}`;
        this.url = pulumi.interpolate`http://${this.endpoint}`;
        this.bucket = pulumi.output(args.bucket);
        this.bucketJob = this.bucketInit(secrets.root, this.credentialsSecret(this.namespace));
        if (args.ingressHost) this.externalUrl = this.ingressFor(args.ingressHost);
        this.networkPolicies();

        this.registerOutputs({ endpoint: this.endpoint, bucket: this.bucket, externalUrl: this.externalUrl });
    }

    /**
     * The scoped user's keys in `namespace` (created on first request); pods there may then
     * reach MinIO's API (a NetworkPolicy in MinIO's namespace admits that namespace).
     */
    credentialsSecret(namespace: PlatformNamespace): k8s.core.v1.Secret {
        if (namespace.plainName !== this.namespace.plainName && !this.clients.has(namespace.plainName)) {
            this.clients.add(namespace.plainName);
            this.policy(`client-${namespace.plainName}`, `minio-from-${namespace.plainName}`, {
                podSelector: { matchLabels: SERVER_SELECTOR }, policyTypes: ["Ingress"],
                ingress: [{ from: [{ namespaceSelector: byName(namespace.plainName) }], ports: [{ protocol: "TCP", port: API_PORT }] }],
            });
        }
        return this.credentials.in(namespace);
    }

    private labels(component: string, image?: string): Record<string, string> {
        // The version label goes on the workloads only, so an image change updates the workload alone.
        return standardLabels({ name: APP, component, partOf: "mlplat-storage", version: image ? imageTag(image) : undefined }, this.ctx.extraLabels);
    }

    /** The root user's Secret (generated password unless given) and the scoped service user's keys. */
    private createSecrets() {
        const name = this.resourceName;
        const rootPassword = this.args.rootPassword
            ? pulumi.secret(this.args.rootPassword)
            : new random.RandomPassword(`${name}-root-password`, { length: 32, special: false }, { parent: this }).result;
        const serviceSecret = new random.RandomPassword(`${name}-service-secret`, { length: 40, special: false }, { parent: this }).result;
        const accessKeyId = pulumi.output(SERVICE_USER);
        const credentials = new SecretPerNamespace(this, {
            resourcePrefix: name, secretName: "minio-service-user", labels: this.labels("credentials"),
            data: { [CREDENTIAL_KEYS.accessKey]: accessKeyId, [CREDENTIAL_KEYS.secretKey]: serviceSecret },
        });
        const root = secretFromOutputs(`${name}-root`, {
            name: "minio-root", namespace: this.namespace.name, labels: this.labels("server"),
            data: { MINIO_ROOT_USER: ROOT_USER, MINIO_ROOT_PASSWORD: rootPassword },
        }, { parent: this });
        return { root, credentials, accessKeyId, secretAccessKey: serviceSecret };
    }

    /** The server: its volume, Deployment (one replica, Recreate: one ReadWriteOnce volume) and Service. */
    private serverWorkload(root: k8s.core.v1.Secret) {
        const name = this.resourceName;
        const ns = this.namespace.name;
        const args = this.args;
        const pvc = new k8s.core.v1.PersistentVolumeClaim(`${name}-data`, {
            metadata: { name: "minio-data", namespace: ns, labels: this.labels("server") },
            spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: this.ctx.cluster.storageClass,
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
        const deployment = new k8s.apps.v1.Deployment(`${name}-server`, {
            metadata: { name: "minio", namespace: ns, labels: this.labels("server", args.image) },
            spec: {
                replicas: 1,
                // One ReadWriteOnce volume: the old pod must stop before the new one starts.
                strategy: { type: "Recreate" },
                selector: { matchLabels: SERVER_SELECTOR },
                template: {
                    metadata: { labels: this.labels("server", args.image) },
                    spec: podSpec({
                        containers: [server],
                        fsGroup: 1000,
                        volumes: [{ name: "data", persistentVolumeClaim: { claimName: pvc.metadata.name } }],
                    }),
                },
            },
        }, { parent: this });
        const service = new k8s.core.v1.Service(`${name}-service`, {
            metadata: { name: "minio", namespace: ns, labels: this.labels("server"), annotations: serviceAwaitAnnotations("ClusterIP") },
            spec: {
                type: "ClusterIP",
                selector: SERVER_SELECTOR,
                ports: [
                    { name: "api", port: API_PORT, targetPort: "api" },
                    { name: "console", port: CONSOLE_PORT, targetPort: "console" },
                ],
            },
        }, { parent: this });
        return { deployment, service };
    }

    /** The Job that creates the bucket, its policy and the scoped user (idempotent). */
    private bucketInit(root: k8s.core.v1.Secret, service: k8s.core.v1.Secret): k8s.batch.v1.Job {
        const name = this.resourceName;
        const ns = this.namespace.name;
        const args = this.args;
        const policy = new k8s.core.v1.ConfigMap(`${name}-policy`, {
            metadata: { name: "minio-bucket-policy", namespace: ns, labels: this.labels("bucket-init") },
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
        return new k8s.batch.v1.Job(`${name}-bucket`, {
            metadata: { name: "minio-bucket-init", namespace: ns, labels: this.labels("bucket-init", args.clientImage) },
            spec: {
                backoffLimit: 6,
                template: {
                    metadata: { labels: this.labels("bucket-init", args.clientImage) },
                    spec: podSpec({
                        containers: [mc],
                        restartPolicy: "OnFailure",
                        runToCompletion: true,
                        volumes: [{ name: "policy", configMap: { name: policy.metadata.name } }],
                    }),
                },
            },
        }, { parent: this, dependsOn: [this.deployment, this.service] });
    }

    /** The S3 API's Ingress (no body limit: model uploads are large); its URL. */
    private ingressFor(host: string): pulumi.Output<string> {
        new k8s.networking.v1.Ingress(`${this.resourceName}-ingress`, {
            metadata: {
                name: "minio", namespace: this.namespace.name, labels: this.labels("server"),
                annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "0" },
            },
            spec: {
                ingressClassName: this.ctx.cluster.ingress?.className,
                rules: [{
                    host,
                    http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: this.service.metadata.name, port: { name: "api" } } } }] },
                }],
            },
        }, { parent: this });
        return pulumi.output(`http://${host}`);
    }

    /**
     * Default deny in and out; DNS; the bucket Job to the API; the ingress controller to the
     * API (presigned URLs), when there is an Ingress. The console is reachable from nowhere.
     * Client namespaces are admitted as they get the credentials (`credentialsSecret`).
     */
    private networkPolicies(): void {
        const api = [{ protocol: "TCP", port: API_PORT }];
        const job = { matchLabels: selectorLabels({ name: APP, component: "bucket-init" }) };
        this.policy("default-deny", "minio-default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        this.policy("dns", "minio-dns", DNS_EGRESS);
        this.policy("bucket-init", "minio-bucket-init", { podSelector: job, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: { matchLabels: SERVER_SELECTOR } }], ports: api }] });
        const from: k8s.types.input.networking.v1.NetworkPolicyPeer[] = [{ podSelector: job }];
        if (this.args.ingressHost) from.push({ namespaceSelector: this.args.ingressNamespace ? byName(this.args.ingressNamespace) : {} });
        this.policy("server", "minio-server", { podSelector: { matchLabels: SERVER_SELECTOR }, policyTypes: ["Ingress"], ingress: [{ from, ports: api }] });
    }

    private policy(key: string, name: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec): k8s.networking.v1.NetworkPolicy {
        return new k8s.networking.v1.NetworkPolicy(`${this.resourceName}-netpol-${key}`, {
            metadata: { name, namespace: this.namespace.name, labels: this.labels("network") },
            spec,
        }, { parent: this });
    }
}

const SERVER_SELECTOR = selectorLabels({ name: APP, component: "server" });
