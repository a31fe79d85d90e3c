import * as k8s from "@pulumi/kubernetes";

/** The kinds of cluster mlplat deploys to; AKS and EKS create (or find) their cluster in components/cluster. */
export type ClusterFlavour = "local" | "existing" | "aks" | "eks";

/** What the platforms need to know about the cluster they deploy to. */
export interface ClusterInfo {
    /** The Kubernetes provider every object of the stack is created with. */
    provider: k8s.Provider;
    flavour: ClusterFlavour;
    /** `major.minor` when known. */
    kubernetesVersion?: string;
    nodeCount?: number;
    /** LoadBalancer Services get an address. */
    loadBalancer: boolean;
    /** A default StorageClass provisions volumes for PVCs that name none. */
    defaultStorageClass: boolean;
    /** StorageClass for the stack's PVCs; undefined means the cluster default. */
    storageClass?: string;
    /** The Ingress controller present in the cluster, if any. */
    ingress?: { className: string };
}

/** Compares `major.minor` versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
    const [am, an] = a.replace(/^v/, "").split(".").map(Number);
    const [bm, bn] = b.replace(/^v/, "").split(".").map(Number);
    return am !== bm ? am - bm : an - bn;
}
