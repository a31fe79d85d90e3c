// One Amazon ECR repository for one image (a model server): scanned on push, immutable
// tags, encrypted, and a lifecycle policy that keeps the registry from growing forever.
// Nodes of an EKS cluster pull from it through their IAM role, so no pull secret is needed.
import * as pulumi from "@pulumi/pulumi";
import * as ecr from "@pulumi/aws/ecr";

/** ECR repository names: 2–256 characters, lowercase path components separated by `/`. */
export const ECR_REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export function ecrRepositoryNameProblem(name: string): string | undefined {
    if (name.length < 2 || name.length > 256) return `ECR repository name ${name} must have 2 to 256 characters`;
    if (!ECR_REPOSITORY_NAME.test(name)) return `ECR repository name ${name} must be lowercase letters, digits and . _ - / (path components start and end alphanumeric)`;
    return undefined;
}

export interface EcrRepositoryArgs {
    /** Repository name, e.g. `mlplat/classifier` (see ECR_REPOSITORY_NAME). */
    name: string;
    /** AWS region; the provider's region (`aws:region`) when empty. */
    region?: string;
    /** Let `pulumi destroy` delete the repository with the images still in it (dev stacks). */
    forceDelete?: boolean;
    /** Keep this many most recent tagged images; older ones expire. Default 30. */
    keepImages?: number;
    /** Untagged images (left by a pushed tag that moved elsewhere) expire after this many days. Default 7. */
    untaggedExpiryDays?: number;
    /** KMS key ARN for encryption at rest; AES256 (ECR-managed) when empty. */
    kmsKeyArn?: string;
    tags?: Record<string, string>;
}

/** The lifecycle policy: untagged images expire after N days, then only the last N images are kept. */
export function ecrLifecyclePolicy(keepImages: number, untaggedExpiryDays: number): ecr.LifecyclePolicyDocument {
    return {
        rules: [
            {
                rulePriority: 1,
                description: `expire untagged images after ${untaggedExpiryDays} days`,
                selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: untaggedExpiryDays },
                action: { type: "expire" },
            },
            {
                rulePriority: 2,
                description: `keep the last ${keepImages} images`,
                selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keepImages },
                action: { type: "expire" },
            },
        ],
    };
}

/** An ECR repository with scan on push, immutable tags, encryption and a lifecycle policy. */
export class EcrRepository extends pulumi.ComponentResource {
    readonly repository: ecr.Repository;
    /** `<account>.dkr.ecr.<region>.amazonaws.com/<name>`: push here, reference images as `<url>@sha256:…`. */
    readonly url: pulumi.Output<string>;
    readonly arn: pulumi.Output<string>;

    constructor(name: string, args: EcrRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:registry:EcrRepository", name, {}, opts);
        const problem = ecrRepositoryNameProblem(args.name);
        if (problem) throw new Error(problem);
        const region = args.region || undefined;
        this.repository = new ecr.Repository(`${name}-repo`, {
            name: args.name,
            region,
            imageScanningConfiguration: { scanOnPush: true },
            imageTagMutability: "IMMUTABLE",
            encryptionConfigurations: [args.kmsKeyArn ? { encryptionType: "KMS", kmsKey: args.kmsKeyArn } : { encryptionType: "AES256" }],
            forceDelete: args.forceDelete ?? false,
            tags: args.tags,
        }, { parent: this });
        new ecr.LifecyclePolicy(`${name}-lifecycle`, {
            repository: this.repository.name,
            region,
            policy: ecrLifecyclePolicy(args.keepImages ?? 30, args.untaggedExpiryDays ?? 7),
        }, { parent: this });
        this.url = this.repository.repositoryUrl;
        this.arn = this.repository.arn;
        this.registerOutputs({ url: this.url });
    }
}
