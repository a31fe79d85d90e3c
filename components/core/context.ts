import type { ClusterInfo } from "../cluster/types";
import type { Registry } from "../registry";

/**
 * What every platform component is handed by the stack: the cluster it deploys to
 * (with its Kubernetes provider), the registry that relocates images and creates pull
 * secrets, and the labels every object carries.
 */
export interface PlatformContext {
    cluster: ClusterInfo;
    registry: Registry;
    /** Extra labels (`labels.extra`) for every Kubernetes object. */
    extraLabels: Record<string, string>;
    /**
     * Namespaces that exist already and that the stack uses without owning them: it does
     * not create, label or delete them (a team's namespace, one an operator created).
     * Every other namespace a platform names is created by the stack, and an up fails if
     * it already exists.
     */
    existingNamespaces?: readonly string[];
}
