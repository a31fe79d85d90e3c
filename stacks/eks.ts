// `cluster.kind=eks` on the stack side: the `cluster.eks.*` settings, their formats and
// rule, and the adapter to EksClusterArgs (components/cluster/eks.ts). Part of the
// foundation's settings (stacks/foundation.ts spreads them in after cluster.*).
import { z } from "zod";
import { EksClusterArgs, eksProblems } from "../components/cluster/eks";
import { bool, choice, clusterFlavourOrRefused, ConfigOf, count, Format, int, isSet, list, Rule, setCmd, Setting, str } from "./setting";

export const EKS_CLUSTER_SETTINGS = {
    "cluster.eks.mode": choice(["create", "existing"] as const, "create", "`cluster.kind=eks`: `create` a cluster (VPC or cluster.eks.subnetIds, IAM roles, node group, add-ons, OIDC provider, gp3 StorageClass) or use an `existing` one by name. The Kubernetes version of a new cluster is cluster.kubernetesVersion (`major.minor`; empty: EKS's default)."),
    "cluster.eks.name": str("", "Name of the EKS cluster (1-100 letters, digits, '-' and '_'). Required with cluster.kind=eks."),
    "cluster.eks.region": str("", "AWS region of the cluster; empty means the `aws:region` config."),
    "cluster.eks.subnetIds": list("Existing subnets (two or more, in two zones) for a new cluster and its nodes; empty: a VPC is created (cluster.eks.vpcCidr)."),
    "cluster.eks.vpcCidr": str("10.0.0.0/16", "CIDR (a private /16) of the VPC created for a new cluster: public subnets for load balancers and a NAT gateway, private subnets for the nodes."),
    "cluster.eks.availabilityZones": list("Zones of the created subnets (two or more); empty: the region's first two."),
    "cluster.eks.publicNodes": bool(false, "Put the nodes in the public subnets, with public addresses (NodePort Services reachable from outside, as in MLEM's EKS guide; open them in the node security group)."),
    "cluster.eks.instanceTypes": list("EC2 instance types of the node group; empty means `[\"m5.large\"]` (eksctl's default)."),
    "cluster.eks.nodes.desired": int(2, "Nodes the node group starts with."),
    "cluster.eks.nodes.min": int(1, "Fewest nodes of the node group."),
    "cluster.eks.nodes.max": int(3, "Most nodes of the node group."),
    "cluster.eks.diskSize": int(50, "Root volume of each node, GiB."),
    "cluster.eks.capacityType": choice(["ON_DEMAND", "SPOT"] as const, "ON_DEMAND", "Capacity type of the node group."),
    "cluster.eks.amiType": str("AL2023_x86_64_STANDARD", "EKS AMI type of the node group (`AL2023_x86_64_NVIDIA` for GPU instance types)."),
    "cluster.eks.adminPrincipalArns": list("IAM users or roles given cluster-admin through EKS access entries (whoever runs `pulumi up` is admin anyway)."),
    "cluster.eks.endpointPublicAccess": bool(true, "Serve the Kubernetes API on a public endpoint (the program reaches the cluster through it unless it runs inside the VPC)."),
    "cluster.eks.publicAccessCidrs": list("Addresses allowed to the public API endpoint; empty: anywhere."),
} satisfies Record<string, Setting>;

type EksKey = keyof typeof EKS_CLUSTER_SETTINGS;
type ClusterKey = "cluster.kind" | "cluster.kubeconfig" | "cluster.context" | "cluster.inCluster" | "cluster.kubernetesVersion";
export type EksClusterConfig = ConfigOf<typeof EKS_CLUSTER_SETTINGS> & { readonly "cluster.kubernetesVersion": string };

export const EKS_CLUSTER_FORMATS = {
    "cluster.eks.name": { schema: z.string().refine((v) => v === "" || /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(v), "must be 1-100 letters, digits, '-' and '_', starting with a letter or digit"), example: "ml-eks" },
    "cluster.eks.region": { schema: z.string().refine((v) => v === "" || /^[a-z]{2}(-[a-z]+)+-\d$/.test(v), "must be an AWS region like eu-west-1"), example: "eu-west-1" },
    "cluster.eks.subnetIds": { schema: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "each entry must be a subnet id like subnet-0123abcd")), example: `'["subnet-0123abcd","subnet-4567ef01"]'` },
    "cluster.eks.availabilityZones": { schema: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, "each entry must be a zone like eu-west-1a")), example: `'["eu-west-1a","eu-west-1b"]'` },
    "cluster.eks.nodes.desired": { schema: count(0, "must not be negative"), example: "2" },
    "cluster.eks.nodes.min": { schema: count(0, "must not be negative"), example: "1" },
    "cluster.eks.nodes.max": { schema: count(1, "must be at least 1"), example: "3" },
    "cluster.eks.diskSize": { schema: count(20, "must be at least 20 (GiB)"), example: "50" },
    "cluster.eks.adminPrincipalArns": { schema: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/.+$/, "each entry must be an IAM user or role ARN")), example: `'["arn:aws:iam::123456789012:role/platform-admins"]'` },
    "cluster.eks.publicAccessCidrs": { schema: z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "each entry must be a CIDR like 203.0.113.0/24")), example: `'["203.0.113.0/24"]'` },
} satisfies Partial<Record<EksKey, Format>>;

/** Settings that shape a cluster the stack creates: refused for an existing one. */
const CREATE_ONLY: EksKey[] = [
    "cluster.eks.subnetIds", "cluster.eks.vpcCidr", "cluster.eks.availabilityZones", "cluster.eks.publicNodes", "cluster.eks.instanceTypes",
    "cluster.eks.nodes.desired", "cluster.eks.nodes.min", "cluster.eks.nodes.max", "cluster.eks.diskSize", "cluster.eks.capacityType",
    "cluster.eks.amiType", "cluster.eks.adminPrincipalArns", "cluster.eks.endpointPublicAccess", "cluster.eks.publicAccessCidrs",
];

export const eksClusterRule: Rule<EksKey | ClusterKey> = (v, problem) => {
    const changed = clusterFlavourOrRefused<EksKey>(v, "eks", EKS_CLUSTER_SETTINGS, "the stack makes the kubeconfig from the EKS cluster (aws eks get-token)", problem);
    if (!changed) return;
    if (!isSet(v["cluster.eks.name"])) problem("cluster.eks.name", "is required when cluster.kind is eks", setCmd("cluster.eks.name", "ml-eks"));
    if (v["cluster.eks.mode"] === "existing") {
        for (const k of changed.filter((k) => CREATE_ONLY.includes(k))) {
            problem(k, "shapes a cluster the stack creates, but cluster.eks.mode is existing, so it would be ignored", `pulumi config set cluster.eks.mode create (or pulumi config rm ${k})`);
        }
        return;
    }
    const subnets = v["cluster.eks.subnetIds"] as string[];
    if (subnets.length > 0) {
        for (const k of changed.filter((k) => ["cluster.eks.vpcCidr", "cluster.eks.availabilityZones", "cluster.eks.publicNodes"].includes(k))) {
            problem(k, "shapes the VPC the stack creates, but cluster.eks.subnetIds names existing subnets, so it would be ignored", `pulumi config rm ${k} (or pulumi config rm cluster.eks.subnetIds)`);
        }
    }
    // What the component refuses, by key.
    const keys: Record<string, [EksKey | ClusterKey, string]> = {
        version: ["cluster.kubernetesVersion", "1.33"],
        subnetIds: ["cluster.eks.subnetIds", `'["subnet-0123abcd","subnet-4567ef01"]'`],
        vpcCidr: ["cluster.eks.vpcCidr", "10.0.0.0/16"],
        availabilityZones: ["cluster.eks.availabilityZones", `'["eu-west-1a","eu-west-1b"]'`],
        nodeGroup: ["cluster.eks.nodes.desired", String(v["cluster.eks.nodes.min"])],
        instanceTypes: ["cluster.eks.instanceTypes", `'["m5.large"]'`],
    };
    if (!isSet(v["cluster.eks.name"])) return;
    for (const p of eksProblems(eksClusterArgs(v as unknown as EksClusterConfig))) {
        const [key, example] = keys[p.field] ?? [];
        if (key) problem(key, p.message, setCmd(key, example));
    }
};

/** The EksClusterArgs the stack config gives (`cluster.kind=eks`). */
export function eksClusterArgs(cfg: EksClusterConfig): EksClusterArgs {
    const list = (a: string[]) => (a.length > 0 ? a : undefined);
    return {
        mode: cfg["cluster.eks.mode"],
        name: cfg["cluster.eks.name"],
        region: cfg["cluster.eks.region"] || undefined,
        version: cfg["cluster.kubernetesVersion"] ? cfg["cluster.kubernetesVersion"].replace(/^v/, "") : undefined,
        network: {
            subnetIds: list(cfg["cluster.eks.subnetIds"]),
            vpcCidr: cfg["cluster.eks.vpcCidr"],
            availabilityZones: list(cfg["cluster.eks.availabilityZones"]),
            publicNodes: cfg["cluster.eks.publicNodes"],
        },
        nodeGroup: {
            instanceTypes: list(cfg["cluster.eks.instanceTypes"]),
            desiredSize: cfg["cluster.eks.nodes.desired"],
            minSize: cfg["cluster.eks.nodes.min"],
            maxSize: cfg["cluster.eks.nodes.max"],
            diskSize: cfg["cluster.eks.diskSize"],
            capacityType: cfg["cluster.eks.capacityType"],
            amiType: cfg["cluster.eks.amiType"] || undefined,
        },
        adminPrincipalArns: list(cfg["cluster.eks.adminPrincipalArns"]),
        endpointPublicAccess: cfg["cluster.eks.endpointPublicAccess"],
        publicAccessCidrs: list(cfg["cluster.eks.publicAccessCidrs"]),
    };
}
