// Image relocation: pure functions over Kubernetes object properties, used by the
// registry's stack-wide transform. They work on our own objects and on objects
// rendered by Helm charts alike, and on values that are still Outputs.
import * as pulumi from "@pulumi/pulumi";
import { parseImage } from "../core/images";

export interface MirrorSpec {
    /** Mirror host and port, e.g. `registry.corp:5000`. */
    host: string;
    /** Optional path after the host, e.g. `mirror`. */
    pathPrefix?: string;
}

/**
 * `docker.io/bitnami/mongodb:7.0.5` → `registry.corp:5000[/prefix]/bitnami/mongodb:7.0.5`.
 * The source registry host is dropped and the repository path kept, so a mirror is
 * filled with `<mirror>/<path>`; images already on the mirror are left alone.
 */
export function relocateImage(image: string, mirror: MirrorSpec): string {
    const prefix = mirror.pathPrefix ? `${mirror.host}/${mirror.pathPrefix}` : mirror.host;
    if (image.startsWith(`${prefix}/`)) return image;
    const { repository, reference } = parseImage(image);
    return `${prefix}/${repository}${reference}`;
}

type Json = unknown;

const POD_CONTAINER_FIELDS = ["containers", "initContainers", "ephemeralContainers"] as const;

/** Applies `f` to a value that may be an Output. */
function mapInput(v: Json, f: (x: any) => Json): Json {
    return pulumi.Output.isInstance(v) ? (v as pulumi.Output<any>).apply(f) : f(v);
}

function isPodSpec(node: Record<string, Json>): boolean {
    return Array.isArray(node.containers) || pulumi.Output.isInstance(node.containers);
}

export interface PodSpecRewrite {
    /** New image for an image; also the place to record it. */
    image: (image: string) => string;
    /** A pull secret to attach to every pod spec. */
    pullSecretName?: string;
}

function rewritePodSpec(spec: Record<string, Json>, rw: PodSpecRewrite): Record<string, Json> {
    const out: Record<string, Json> = { ...spec };
    for (const field of POD_CONTAINER_FIELDS) {
        if (spec[field] === undefined) continue;
        out[field] = mapInput(spec[field], (list: Json[] | undefined) => list?.map((c) => mapInput(c, (c: Record<string, Json>) =>
            c && c.image !== undefined ? { ...c, image: mapInput(c.image, (i: string | undefined) => (i ? rw.image(i) : i)) } : c)));
    }
    if (rw.pullSecretName) {
        const name = rw.pullSecretName;
        out.imagePullSecrets = mapInput(spec.imagePullSecrets, (list: { name?: string }[] | undefined) =>
            (list ?? []).some((s) => s?.name === name) ? list : [...(list ?? []), { name }]);
    }
    return out;
}

/**
 * Rewrites every pod spec found anywhere in `node` (Pod, the templates of Deployments,
 * StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, and custom resources that embed
 * pod specs such as Knative Services). Returns the same object when it holds none.
 */
export function rewritePodSpecs(node: Json, rw: PodSpecRewrite): Json {
    if (pulumi.Output.isInstance(node)) return (node as pulumi.Output<Json>).apply((n) => rewritePodSpecs(n, rw));
    if (Array.isArray(node)) return node.map((n) => rewritePodSpecs(n, rw));
    if (node === null || typeof node !== "object" || pulumi.asset.Asset.isInstance(node) || pulumi.asset.Archive.isInstance(node)) return node;
    const obj = node as Record<string, Json>;
    if (isPodSpec(obj)) return rewritePodSpec(obj, rw);
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = rewritePodSpecs(v, rw);
    return out;
}

/** Resource types whose properties may hold pod specs: Kubernetes objects, not providers, charts or CRDs. */
export function mayHoldPodSpecs(type: string): boolean {
    return type.startsWith("kubernetes:")
        && !type.startsWith("kubernetes:helm.sh/")
        && !type.startsWith("kubernetes:yaml/")
        && !type.startsWith("kubernetes:kustomize")
        && !type.includes("CustomResourceDefinition")
        && !/^kubernetes:core\/v1:(ConfigMap|Secret|Service|Namespace|ServiceAccount|Endpoints|PersistentVolumeClaim|PersistentVolume)$/.test(type);
}

/**
 * A property of a Kubernetes object that holds an image reference outside any pod spec:
 * images that a controller reads from its configuration and starts at run time (e.g.
 * Knative's queue-proxy in the `config-deployment` ConfigMap, or an image passed to a
 * controller in an environment variable). Platforms declare them to the registry
 * (`Registry.addImageFields`) so that the same relocation applies to them.
 */
export interface ImageField {
    /** Resource type token, e.g. `kubernetes:core/v1:ConfigMap`. */
    type: string;
    /** Only the object with this `metadata.name`; every object of the type when undefined. */
    name?: string;
    /** Only objects in this `metadata.namespace`. */
    namespace?: string;
    /** Path of a string property holding one image, e.g. `["data", "queue-sidecar-image"]` or `["spec", "image"]`. */
    path?: string[];
    /** Names of environment variables, in any container of any pod spec of the object, whose values are images. */
    env?: string[];
}

function rewritePath(node: Json, path: string[], image: (i: string) => Json): Json {
    if (path.length === 0) return mapInput(node, (v: unknown) => (typeof v === "string" && v !== "" ? image(v) : v));
    return mapInput(node, (obj: Record<string, Json> | undefined) => {
        if (!obj || typeof obj !== "object" || !(path[0] in obj)) return obj;
        return { ...obj, [path[0]]: rewritePath(obj[path[0]], path.slice(1), image) };
    });
}

function rewriteEnv(node: Json, names: readonly string[], image: (i: string) => Json): Json {
    if (pulumi.Output.isInstance(node)) return (node as pulumi.Output<Json>).apply((n) => rewriteEnv(n, names, image));
    if (Array.isArray(node)) return node.map((n) => rewriteEnv(n, names, image));
    if (node === null || typeof node !== "object") return node;
    const obj = node as Record<string, Json>;
    if (isPodSpec(obj)) {
        const out: Record<string, Json> = { ...obj };
        for (const field of POD_CONTAINER_FIELDS) {
            if (obj[field] === undefined) continue;
            out[field] = mapInput(obj[field], (list: Json[] | undefined) => list?.map((c) => mapInput(c, (c: Record<string, Json>) =>
                c && c.env !== undefined ? {
                    ...c,
                    env: mapInput(c.env, (env: Record<string, Json>[] | undefined) => env?.map((e) => mapInput(e, (e: Record<string, Json>) =>
                        e && names.includes(e.name as string) && e.value !== undefined ? { ...e, value: rewritePath(e.value, [], image) } : e))),
                } : c)));
        }
        return out;
    }
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = rewriteEnv(v, names, image);
    return out;
}

/**
 * Rewrites the image-bearing fields that apply to an object of `type` (matched by type,
 * and by name and namespace where the field names them). Returns `props` itself when no
 * field applies. Names that are still Outputs (our own objects) are matched once known:
 * the rewritten values then become Outputs too.
 */
export function rewriteImageFields(type: string, props: Record<string, Json>, fields: readonly ImageField[], image: (i: string) => string): Record<string, Json> {
    let out = props;
    for (const f of fields) {
        if (f.type !== type) continue;
        const metadata = (props.metadata ?? {}) as Record<string, Json>;
        const wanted: [string | undefined, Json][] = [[f.name, metadata.name], [f.namespace, metadata.namespace]];
        let rw: (i: string) => Json = image;
        if (wanted.some(([w, actual]) => w !== undefined && pulumi.Output.isInstance(actual))) {
            const matches = pulumi.all(wanted.map(([, actual]) => actual as pulumi.Input<unknown>))
                .apply((actual) => wanted.every(([w], i) => w === undefined || actual[i] === w));
            rw = (i) => matches.apply((m) => (m ? image(i) : i));
        } else if (!wanted.every(([w, actual]) => w === undefined || actual === w)) {
            continue;
        }
        if (f.path) out = rewritePath(out, f.path, rw) as Record<string, Json>;
        if (f.env) out = rewriteEnv(out, f.env, rw) as Record<string, Json>;
    }
    return out;
}
