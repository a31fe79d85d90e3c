// Standard Kubernetes labels (app.kubernetes.io/*) and names for everything mlplat creates.

/** Value of `app.kubernetes.io/managed-by` on every object the stack creates. */
export const MANAGED_BY = "mlplat";

export interface LabelArgs {
    /** The application, e.g. `minio`. */
    name: string;
    /** The role inside the application, e.g. `server`, `bucket-init`. */
    component?: string;
    /** The platform the object belongs to, e.g. `mlplat-storage`. */
    partOf?: string;
    /** Version of the application, usually the image tag. */
    version?: string;
}

/** Labels that select one workload's pods: stable for the life of the workload. */
export function selectorLabels(args: Pick<LabelArgs, "name" | "component">): Record<string, string> {
    const labels: Record<string, string> = { "app.kubernetes.io/name": args.name };
    if (args.component) labels["app.kubernetes.io/component"] = args.component;
    return labels;
}

/** The full label set of an object: selector labels, grouping labels and the stack's extra labels. */
export function standardLabels(args: LabelArgs, extra: Record<string, string> = {}): Record<string, string> {
    const labels: Record<string, string> = { ...extra, ...selectorLabels(args), "app.kubernetes.io/managed-by": MANAGED_BY };
    if (args.partOf) labels["app.kubernetes.io/part-of"] = args.partOf;
    if (args.version) labels["app.kubernetes.io/version"] = labelValue(args.version);
    return labels;
}

/** Parses `labels.extra` entries (`key=value`). */
export function parseExtraLabels(entries: readonly string[]): Record<string, string> {
    return Object.fromEntries(entries.map((e) => {
        const i = e.indexOf("=");
        return [e.slice(0, i), e.slice(i + 1)];
    }));
}

/** A label value: at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function labelValue(v: string): string {
    return v.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}
