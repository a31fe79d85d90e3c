import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as fs from "fs";
import { ImageLock, lockKey, lockMissingMessage, pinnedImage } from "./lock";
import { ImageField, mayHoldPodSpecs, relocateImage, rewriteImageFields, rewritePodSpecs } from "./relocate";

export { relocateImage, rewritePodSpecs, mayHoldPodSpecs, rewriteImageFields, ImageField } from "./relocate";
export { ImageLock, defaultLockFile, hasDigest, lockKey, pinnedImage, readLock } from "./lock";

export interface RegistryArgs {
    /** `public`: images stay where they are. `mirror`: every image is relocated to `mirrorHost`. */
    mode: "public" | "mirror";
    /** Mirror host and port, e.g. `registry.corp:5000` (mirror mode). */
    mirrorHost?: string;
    /** Path after the mirror host, e.g. `mirror`. */
    pathPrefix?: string;
    /** Mirror user; with `password`, a pull secret is created in every namespace of the stack. */
    username?: string;
    /** Mirror password or token (a secret). */
    password?: pulumi.Input<string>;
    /** Name of the pull secrets. */
    pullSecretName: string;
    /**
     * Mirror mode: the image lock (`make mirror`). Every image is then referenced by the digest
     * it records (`<mirror>/<path>@sha256:…`); images it lacks fail the stack, all named at once.
     */
    lock?: ImageLock;
    /**
     * Inventory mode (`make mirror` runs a preview with it): instead of failing on images the lock
     * lacks, write every image's source and mirror reference to this JSON file.
     */
    inventoryFile?: string;
    /**
     * Inventory mode: public sources of the charts, keyed by their chart-mirror URL
     * (`oci://<chartMirror>/<chart>`), so a preview renders them before they are mirrored.
     */
    chartSources?: Record<string, { chart: string; repo?: string; plainHttp?: boolean }>;
}

/** One image the stack deploys: where it comes from and the reference the cluster pulls. */
export interface InventoryEntry {
    source: string;
    target: string;
}

/** The subset of a resource transform's arguments the registry needs (old- and new-style transforms both provide it). */
export interface TransformInput {
    type: string;
    props: Record<string, unknown>;
}

/**
 * Public images or an air-gapped mirror. Provides the stack-wide transform that relocates
 * every image (our objects and chart-rendered ones alike) and attaches the pull secret,
 * creates the pull secret in each namespace, and keeps the inventory of every image the
 * stack deploys.
 */
export class Registry extends pulumi.ComponentResource {
    readonly mode: "public" | "mirror";
    /** Set when pods must reference a pull secret (mirror mode with credentials). */
    readonly pullSecretName?: string;
    private readonly args: RegistryArgs;
    private readonly seen = new Set<string>();
    private readonly sources = new Map<string, string>();
    private readonly unlocked = new Set<string>();
    private readonly imageFields: ImageField[] = [];

    constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:registry:Registry", name, {}, opts);
        if (args.mode === "mirror" && !args.mirrorHost) throw new Error("registry: mirror mode needs mirrorHost");
        this.args = args;
        this.mode = args.mode;
        this.pullSecretName = args.mode === "mirror" && args.username && args.password ? args.pullSecretName : undefined;
        this.registerOutputs({ mode: this.mode });
    }

    /** The image the cluster pulls for `image`: pinned by the lock's digest when there is one. */
    relocate(image: string): string {
        if (this.args.mode !== "mirror") return image;
        const mirror = { host: this.args.mirrorHost!, pathPrefix: this.args.pathPrefix };
        const target = relocateImage(image, mirror);
        this.sources.set(lockKey(image), target);
        if (!this.args.lock || this.args.inventoryFile) return target;
        const pinned = pinnedImage(image, mirror, this.args.lock);
        if (pinned) return pinned;
        this.unlocked.add(lockKey(image));
        return target;
    }

    /**
     * The transform that rewrites pod specs of Kubernetes objects; returns undefined for
     * objects without any. Install it stack-wide (`pulumi.runtime.registerResourceTransform`).
     */
    transformProps(input: TransformInput): Record<string, unknown> | undefined {
        // Inventory mode renders charts without a cluster: the provider's YAML mode (a preview writes nothing).
        if (this.args.inventoryFile && input.type === "pulumi:providers:kubernetes") {
            const { kubeconfig: _k, context: _c, cluster: _cl, ...props } = input.props;
            return { ...props, renderYamlToDirectory: `${this.args.inventoryFile}.yaml` };
        }
        const chartSource = input.type === "kubernetes:helm.sh/v4:Chart" ? this.args.chartSources?.[String(input.props.chart)] : undefined;
        if (chartSource) {
            // The public source's own transport, not the chart mirror's (registry.chartMirrorPlainHttp).
            const { chart, repo, plainHttp } = chartSource;
            const { plainHttp: _mirrors, ...props } = input.props;
            return { ...props, chart, repositoryOpts: repo ? { repo } : undefined, ...(plainHttp ? { plainHttp } : {}) };
        }
        const image = (image: string) => {
            const relocated = this.relocate(image);
            this.seen.add(relocated);
            return relocated;
        };
        const fields = this.imageFields.filter((f) => f.type === input.type);
        const props = fields.length > 0 ? rewriteImageFields(input.type, input.props, fields, image) : input.props;
        if (!mayHoldPodSpecs(input.type)) return fields.length > 0 ? props : undefined;
        return rewritePodSpecs(props, { image, pullSecretName: this.pullSecretName }) as Record<string, unknown>;
    }

    /**
     * Declares properties that hold images outside pod specs (e.g. an image a controller
     * reads from its ConfigMap and starts at run time): the transform relocates and
     * records them like pod images. Declare them before the objects are registered.
     */
    addImageFields(...fields: ImageField[]): void {
        this.imageFields.push(...fields);
    }

    /** The pull secret for one namespace of the stack, or undefined when pods need none. */
    createPullSecret(name: string, namespace: pulumi.Input<string>, labels: Record<string, string>,
        opts: pulumi.CustomResourceOptions): k8s.core.v1.Secret | undefined {
        if (!this.pullSecretName) return undefined;
        return new k8s.core.v1.Secret(name, {
            metadata: { name: this.pullSecretName, namespace, labels },
            type: "kubernetes.io/dockerconfigjson",
            stringData: { ".dockerconfigjson": dockerConfigJson(this.args.mirrorHost!, this.args.username!, this.args.password!) },
        }, { ...opts, additionalSecretOutputs: ["data", "stringData"] });
    }

    /**
     * The sorted list of every image the stack deploys, after relocation. `after` must
     * resolve once every resource is registered (the stack passes their URNs), because
     * chart-rendered objects are only seen as the provider registers them.
     */
    images(after: pulumi.Input<unknown>[]): pulumi.Output<string[]> {
        return pulumi.all(after).apply(() => {
            if (this.args.inventoryFile) fs.writeFileSync(this.args.inventoryFile, JSON.stringify(this.inventory(), null, 2));
            else if (this.unlocked.size > 0) throw new pulumi.RunError(lockMissingMessage([...this.unlocked].sort(), this.args.lock!, pulumi.getStack()));
            return [...this.seen].sort();
        });
    }

    /** Every image seen so far (mirror mode): its source (canonical) and its mirror reference by tag. */
    inventory(): InventoryEntry[] {
        return [...this.sources].sort(([a], [b]) => a.localeCompare(b)).map(([source, target]) => ({ source, target }));
    }
}

/** The `.dockerconfigjson` document for one registry, as a secret Output. */
export function dockerConfigJson(host: string, username: string, password: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.secret(pulumi.output(password).apply((p) => JSON.stringify({
        auths: { [host]: { username, password: p, auth: Buffer.from(`${username}:${p}`).toString("base64") } },
    })));
}
