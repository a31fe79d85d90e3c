// The image lock (`images.<stack>.lock`): the digest of every image the stack deploys, as
// `make mirror` copied it into the mirror. With it, mirror mode references each image by
// digest, so the cluster runs exactly what was carried and reviewed (a re-pushed tag in
// the mirror changes nothing).
import * as fs from "fs";
import { parseImage } from "../core/images";
import { MirrorSpec, relocateImage } from "./relocate";

export interface ImageLock {
    /** Where the lock was read from, for error messages. */
    file: string;
    /** Source image (canonical form, see `lockKey`) → `sha256:…` of what the mirror holds. */
    images: Record<string, string>;
    /** Chart in the chart mirror (`oci://host/path/chart:version`) → digest of its manifest. */
    charts?: Record<string, string>;
}

/** The lock file of a stack when registry.mirror.lockFile is empty: `images.<stack>.lock` in the project. */
export const defaultLockFile = (stack: string) => `images.${stack}.lock`;

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** `postgres:16.4` → `docker.io/library/postgres:16.4`: one key whatever way the image is spelled. */
export function lockKey(image: string): string {
    const { registry, repository, reference } = parseImage(image);
    return `${registry}/${repository}${reference}`;
}

/** True when the reference already names a digest (then no lock entry is needed). */
export function hasDigest(image: string): boolean {
    return parseImage(image).reference.includes("@sha256:");
}

/**
 * The mirror reference of `image` pinned by the lock: `<mirror>/<path>@sha256:…`.
 * Undefined when the lock has no entry for it (an image added or retagged since the last
 * `make mirror`). Images that carry a digest already keep it.
 */
export function pinnedImage(image: string, mirror: MirrorSpec, lock: ImageLock): string | undefined {
    const relocated = relocateImage(image, mirror);
    if (hasDigest(image)) return relocated;
    const digest = lock.images[lockKey(image)];
    if (!digest) return undefined;
    const { registry, repository } = parseImage(relocated);
    return `${registry}/${repository}@${digest}`;
}

/** Reads a lock file; a missing file is an empty lock (every image is then reported missing). */
export function readLock(file: string): ImageLock {
    if (!fs.existsSync(file)) return { file, images: {} };
    let doc: { images?: Record<string, string>; charts?: Record<string, string> };
    try {
        doc = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new Error(`${file} is not a JSON image lock (${(e as Error).message}); rewrite it with make mirror`);
    }
    const bad = Object.entries(doc.images ?? {}).filter(([, d]) => !DIGEST.test(d)).map(([i]) => i);
    if (bad.length > 0) throw new Error(`${file}: not a sha256 digest for ${bad.join(", ")}`);
    return { file, images: doc.images ?? {}, charts: doc.charts };
}

/** The error for images the lock does not cover: every one of them, and the command that fixes it. */
export function lockMissingMessage(images: string[], lock: ImageLock, stack: string): string {
    const exists = fs.existsSync(lock.file);
    return `registry.mirror.pinDigests is on, but ${exists ? `the image lock ${lock.file} has no digest for` : `there is no image lock ${lock.file} for`} `
        + `${images.length} image(s) of stack ${stack} (new images, or tags changed since the last copy):\n`
        + images.map((i) => `  - ${i}\n`).join("")
        + `  fix: make mirror STACK=${stack}   (copies them into the mirror and rewrites the lock; commit the lock)`;
}
