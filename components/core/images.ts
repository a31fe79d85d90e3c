// Image references: parsing and the pinned-tag rule.

export interface ImageRef {
    /** Registry host, `docker.io` when the reference names none. */
    registry: string;
    /** Repository path in the registry, with `library/` for Docker Hub's official images. */
    repository: string;
    /** `:tag`, `@sha256:…` or `:tag@sha256:…`; empty when the reference has neither. */
    reference: string;
}

/** Splits an image reference the way container runtimes resolve it. */
export function parseImage(image: string): ImageRef {
    const firstSlash = image.indexOf("/");
    const first = firstSlash >= 0 ? image.slice(0, firstSlash) : "";
    // Only a first component with a '.', a ':' or "localhost" is a registry host.
    const hasRegistry = firstSlash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
    let registry = hasRegistry ? first : "docker.io";
    const rest = hasRegistry ? image.slice(firstSlash + 1) : image;
    if (registry === "index.docker.io") registry = "docker.io";
    const at = rest.indexOf("@");
    const lastSlash = rest.lastIndexOf("/");
    const colon = rest.indexOf(":", lastSlash + 1);
    const cut = colon >= 0 && (at < 0 || colon < at) ? colon : at;
    let repository = cut >= 0 ? rest.slice(0, cut) : rest;
    const reference = cut >= 0 ? rest.slice(cut) : "";
    if (registry === "docker.io" && !repository.includes("/")) repository = `library/${repository}`;
    return { registry, repository, reference };
}

/** True for references with a tag other than `latest`, or a digest. */
export function isPinnedImage(image: string): boolean {
    const { reference } = parseImage(image);
    return reference.includes("@sha256:") || (reference.startsWith(":") && reference !== ":latest" && reference.length > 1);
}

/** The tag of an image (`repo:tag` → `tag`; a digest → its first 12 hex digits). */
export function imageTag(image: string): string {
    const { reference } = parseImage(image);
    const digest = reference.indexOf("@sha256:");
    if (reference.startsWith(":")) return reference.slice(1, digest >= 0 ? digest : undefined);
    return digest >= 0 ? reference.slice(digest + 8, digest + 20) : "";
}
