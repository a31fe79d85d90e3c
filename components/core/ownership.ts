// Which stack created an object. Every Kubernetes object the stack creates carries the
// label below, so a rerun after an interrupted `up` can tell its own half-created
// objects from foreign ones (scripts/stack-state.ts), and so can a person with kubectl.
import { labelValue } from "./labels";

/** The label naming the stack that created an object: `<project>.<stack>`. */
export const STACK_LABEL = "mlplat.dev/stack";

/** The value of STACK_LABEL for a project's stack. */
export function stackIdentity(project: string, stack: string): string {
    return labelValue(`${project}.${stack}`);
}

/** Types that are not objects in the cluster (components, providers) or that change objects someone else owns (patches). */
function isOwnedObject(type: string): boolean {
    if (!type.startsWith("kubernetes:")) return false;
    const [, module = "", kind = ""] = type.split(":");
    if (module.startsWith("helm.sh/") || module.startsWith("yaml/") || module.startsWith("kustomize/")) return false;
    return !kind.endsWith("Patch") && !kind.endsWith("List");
}

/** The stack-wide transform that puts STACK_LABEL on every Kubernetes object the stack creates, chart-rendered ones included. */
export function ownershipTransform(identity: string) {
    return (input: { type: string; props: Record<string, unknown> }): Record<string, unknown> | undefined => {
        if (!isOwnedObject(input.type)) return undefined;
        const metadata = (input.props.metadata ?? {}) as Record<string, unknown>;
        const labels = (metadata.labels ?? {}) as Record<string, unknown>;
        if (labels[STACK_LABEL] === identity) return undefined;
        return { ...input.props, metadata: { ...metadata, labels: { ...labels, [STACK_LABEL]: identity } } };
    };
}
