import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { AksCluster, AksClusterArgs } from "./aks";
import { ClusterFlavour, ClusterInfo } from "./types";
import { EksCluster, EksClusterArgs } from "./eks";
import { MANAGED_BY } from "../core/labels";
import { STACK_LABEL, stackIdentity } from "../core/ownership";

export * from "./types";
export * from "./eks";
export * from "./aks";

/** Where `scripts/cluster.sh` writes the local control plane's kubeconfig and version (Pulumi runs programs in the project directory). */
export const LOCAL_CLUSTER_DIR = process.env.MLPLAT_LOCAL_CLUSTER_DIR ?? path.join(process.cwd(), ".local", "cluster");

export interface ClusterArgs {
    /** `local`: the bundled control plane. `existing`: a kubeconfig, a context, or in-cluster credentials. `aks`: an AKS cluster (`aks`). */
    flavour: ClusterFlavour;
    /** The AKS cluster to create or use (`aks`). */
    aks?: AksClusterArgs;
    /** The EKS cluster to create or use (`eks`). */
    eks?: EksClusterArgs;
    /** Kubeconfig file. Empty: `existing` uses the provider's usual chain; `local` uses LOCAL_CLUSTER_DIR. */
    kubeconfig?: string;
    /** Context in the kubeconfig (`existing`). */
    context?: string;
    /** Use the pod's service account (`existing`). */
    inCluster?: boolean;
    /** `major.minor`, when known (read from the local control plane otherwise). */
    kubernetesVersion?: string;
    nodeCount?: number;
    /** Overrides of what the flavour implies. */
    loadBalancer?: boolean;
    defaultStorageClass?: boolean;
    storageClass?: string;
    /** IngressClass of a controller already running in the cluster. */
    ingressClassName?: string;
}

/**
 * The cluster the stack deploys to: its Kubernetes provider and what is known about it.
 * New flavours (AKS, EKS) create their cluster here and hand back the same ClusterInfo.
 */
export class Cluster extends pulumi.ComponentResource {
    readonly info: ClusterInfo;
    /** The EKS cluster (`eks`): its name, endpoint and OIDC issuer. */
    readonly eks?: EksCluster;
    /** The AKS cluster (`aks`): its ARM id, location and node count, for Azure platforms. */
    readonly aks?: AksCluster;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:cluster:Cluster", name, {}, opts);
        if (args.flavour === "eks") {
            if (!args.eks) throw new Error("cluster flavour eks needs its EksClusterArgs");
            this.eks = new EksCluster(`${name}-eks`, args.eks, { parent: this });
        }
        if (args.flavour === "aks") {
            if (!args.aks) throw new Error("cluster flavour aks needs its AksClusterArgs");
            this.aks = new AksCluster(`${name}-aks`, args.aks, { parent: this });
        }
        const facts = this.aks ? aksFacts(this.aks) : this.eks ? eksFacts(this.eks, args.eks!) : args.flavour === "local" ? localFacts(args) : existingFacts(args);
        // Client-side apply: a create is a POST, so creating an object that already exists
        // fails with AlreadyExists (at preview too) instead of taking it over, as 4.25's
        // server-side apply does; see docs/architecture.md, "Ownership".
        const provider = new k8s.Provider(`${name}-k8s`, { ...facts.providerArgs, enableServerSideApply: false }, { parent: this, dependsOn: facts.dependsOn });
        this.info = {
            provider,
            flavour: args.flavour,
            kubernetesVersion: args.kubernetesVersion || facts.kubernetesVersion,
            nodeCount: args.nodeCount || facts.nodeCount,
            loadBalancer: args.loadBalancer ?? facts.loadBalancer,
            defaultStorageClass: args.defaultStorageClass ?? true,
            storageClass: args.storageClass || undefined,
            ingress: args.ingressClassName ? { className: args.ingressClassName } : undefined,
        };
        // EKS: the default gp3 StorageClass, once the EBS CSI driver runs. It is created before
        // the stack-wide ownership transform is installed, so it carries the stack label itself.
        this.eks?.createStorageClass(provider, {
            "app.kubernetes.io/managed-by": MANAGED_BY, [STACK_LABEL]: stackIdentity(pulumi.getProject(), pulumi.getStack()),
        });
        this.registerOutputs({ flavour: args.flavour, kubernetesVersion: this.info.kubernetesVersion });
    }
}

interface FlavourFacts {
    providerArgs: k8s.ProviderArgs;
    kubernetesVersion?: string;
    nodeCount?: number;
    loadBalancer: boolean;
    /** What the provider waits for (a new cluster's nodes, add-ons and access entries). */
    dependsOn?: pulumi.Resource[];
}

// The kubeconfig's contents (not its path) go to the provider, as a secret: the path
// differs between machines and would show as a provider change; the contents hold
// credentials.
function kubeconfigContents(file: string, hint: string): pulumi.Output<string> {
    if (!fs.existsSync(file)) throw new Error(`kubeconfig ${file} does not exist: ${hint}`);
    return pulumi.secret(fs.readFileSync(file, "utf8"));
}

function localFacts(args: ClusterArgs): FlavourFacts {
    const file = args.kubeconfig || path.join(LOCAL_CLUSTER_DIR, "kubeconfig");
    const versionFile = path.join(path.dirname(file), "version");
    return {
        providerArgs: { kubeconfig: kubeconfigContents(file, "start the local control plane with `make cluster-up` (or set mlplat:cluster.kind existing)") },
        kubernetesVersion: fs.existsSync(versionFile) ? fs.readFileSync(versionFile, "utf8").trim() : undefined,
        nodeCount: 3,
        loadBalancer: true,
    };
}

// AKS: the user kubeconfig (a secret) from the cluster's credentials; Azure's load
// balancer serves LoadBalancer Services and the `default` StorageClass provisions disks.
function aksFacts(aks: AksCluster): FlavourFacts {
    return {
        providerArgs: { kubeconfig: aks.kubeconfig },
        kubernetesVersion: aks.kubernetesVersion,
        nodeCount: typeof aks.nodeCount === "number" ? aks.nodeCount : undefined,
        loadBalancer: true,
    };
}

// EKS: the kubeconfig runs `aws eks get-token`; the AWS cloud provider serves LoadBalancer
// Services, and a new cluster gets the default gp3 StorageClass.
function eksFacts(eks: EksCluster, args: EksClusterArgs): FlavourFacts {
    return {
        providerArgs: { kubeconfig: eks.kubeconfig },
        kubernetesVersion: args.version || undefined,
        nodeCount: eks.nodeCount,
        loadBalancer: true,
        dependsOn: eks.ready,
    };
}

function existingFacts(args: ClusterArgs): FlavourFacts {
    const providerArgs: k8s.ProviderArgs = {};
    if (!args.inCluster && args.kubeconfig) {
        providerArgs.kubeconfig = kubeconfigContents(args.kubeconfig, "set mlplat:cluster.kubeconfig to an existing file");
    }
    if (args.context) providerArgs.context = args.context;
    return { providerArgs, loadBalancer: false };
}
