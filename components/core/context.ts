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
}
