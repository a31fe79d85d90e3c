// Amazon EKS for `cluster.kind=eks`: a new cluster with everything the platforms need
// (network, IAM, API access entries, a managed node group, the core add-ons, an OIDC
// provider for service-account roles, the EBS CSI driver and a default gp3 StorageClass),
// or an existing cluster by name. Either way the result is a kubeconfig (a secret; the
// token comes from `aws eks get-token`, so it holds no credential) that the Cluster
// component turns into the stack's Kubernetes provider.
//
//   VPC ─ public subnets (IGW, ELBs) ─ private subnets (NAT, nodes)     [or existing subnets]
//   cluster role ─▶ eks.Cluster (API access entries) ─▶ OIDC provider ─▶ EBS CSI role
//   node role + 3 policy attachments ─▶ NodeGroup ─▶ add-ons (vpc-cni, kube-proxy, coredns,
//   eks-pod-identity-agent, aws-ebs-csi-driver) ─▶ Kubernetes provider ─▶ gp3 StorageClass
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as ec2 from "@pulumi/aws/ec2";
import * as eks from "@pulumi/aws/eks";
import * as iam from "@pulumi/aws/iam";
import { getAvailabilityZonesOutput } from "@pulumi/aws/getAvailabilityZones";

/** EKS cluster names: 1–100 characters, alphanumeric first, then alphanumerics, '-' and '_'. */
export const EKS_CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
/** AWS limits on the names this component derives from the cluster name. */
export const AWS_NAME_LIMITS = { iamRole: 64, nodeGroup: 63, cluster: 100 } as const;

/** The add-ons a new cluster gets, in the order they are declared. */
export const EKS_ADDONS = ["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver"] as const;
export type EksAddonName = typeof EKS_ADDONS[number];

/** The service account of the EBS CSI controller (the add-on's default), trusted by its role. */
export const EBS_CSI_SERVICE_ACCOUNT = "system:serviceaccount:kube-system:ebs-csi-controller-sa";
/** The StorageClass created on a new cluster and marked default. */
export const EKS_STORAGE_CLASS = "gp3";

export interface EksNodeGroupArgs {
    /** EC2 instance types; default `["m5.large"]` (eksctl's default, as in the MLEM guide). */
    instanceTypes?: string[];
    /** Nodes: desired, minimum, maximum; default 2, 1, 3. */
    desiredSize?: number;
    minSize?: number;
    maxSize?: number;
    /** Root volume GiB; default 50. */
    diskSize?: number;
    /** `ON_DEMAND` (default) or `SPOT`. */
    capacityType?: "ON_DEMAND" | "SPOT";
    /** EKS AMI type; default `AL2023_x86_64_STANDARD` (`AL2023_x86_64_NVIDIA` for GPU nodes). */
    amiType?: string;
    /** Node labels. */
    labels?: Record<string, string>;
}

export interface EksNetworkArgs {
    /** Existing subnets (at least two, in two zones) for the cluster and the nodes; no VPC is created. */
    subnetIds?: string[];
    /** CIDR of the VPC created when no subnets are given: a /16; default 10.0.0.0/16. */
    vpcCidr?: string;
    /** Zones of the created subnets (two or more); default the region's first two. */
    availabilityZones?: string[];
    /** Put nodes in the public subnets (with public addresses, for NodePort Services reached from outside); default private subnets behind a NAT gateway. */
    publicNodes?: boolean;
}

export interface EksClusterArgs {
    /** `create`: a new cluster and all it needs. `existing`: a cluster that exists, by name. */
    mode: "create" | "existing";
    /** Cluster name (see EKS_CLUSTER_NAME). */
    name: string;
    /** AWS region; the provider's (`aws:region`) when empty. */
    region?: string;
    /** Kubernetes `major.minor` of a new cluster; default EKS's default version. */
    version?: string;
    network?: EksNetworkArgs;
    nodeGroup?: EksNodeGroupArgs;
    /** IAM principals (users or roles) given cluster-admin through API access entries. */
    adminPrincipalArns?: string[];
    /** Public API endpoint; default true (the program talks to it). */
    endpointPublicAccess?: boolean;
    /** Addresses allowed to the public endpoint; default anywhere. */
    publicAccessCidrs?: string[];
    /** Control-plane logs; default api, audit, authenticator. */
    logTypes?: string[];
    /** Pinned add-on versions; EKS's default for the cluster version otherwise. */
    addonVersions?: Partial<Record<EksAddonName, string>>;
    /** AWS partition of the managed policy ARNs; default `aws`. */
    partition?: string;
    /** Tags on every AWS resource. */
    tags?: Record<string, string>;
}

/** Every problem with `args`; the constructor refuses args with any. */
export function eksProblems(args: EksClusterArgs): { field: string; message: string }[] {
    const problems: { field: string; message: string }[] = [];
    const add = (field: string, message: string) => problems.push({ field, message });
    if (!EKS_CLUSTER_NAME.test(args.name)) add("name", `cluster name ${args.name} must be 1-100 characters: letters, digits, '-' and '_', starting with a letter or digit`);
    if (args.mode === "existing") return problems;
    if (args.version && !/^\d+\.\d+$/.test(args.version)) add("version", `version ${args.version} must be major.minor, e.g. 1.33`);
    const net = args.network ?? {};
    if (net.subnetIds && net.subnetIds.length > 0 && net.subnetIds.length < 2) add("subnetIds", "EKS needs subnets in at least two availability zones: give two or more subnet ids");
    if (net.vpcCidr && !/^10\.\d{1,3}\.0\.0\/16$|^172\.(1[6-9]|2\d|3[01])\.0\.0\/16$|^192\.168\.0\.0\/16$/.test(net.vpcCidr)) {
        add("vpcCidr", `VPC CIDR ${net.vpcCidr} must be a private /16 (10.x.0.0/16, 172.16-31.0.0/16 or 192.168.0.0/16)`);
    }
    if (net.availabilityZones && net.availabilityZones.length === 1) add("availabilityZones", "give at least two availability zones");
    const ng = args.nodeGroup ?? {};
    const [min, desired, max] = [ng.minSize ?? 1, ng.desiredSize ?? 2, ng.maxSize ?? 3];
    if (!(min >= 0 && min <= desired && desired <= max && max >= 1)) add("nodeGroup", `node counts must satisfy 0 <= min (${min}) <= desired (${desired}) <= max (${max}), max >= 1`);
    if (ng.instanceTypes && ng.instanceTypes.length === 0) add("instanceTypes", "give at least one instance type");
    for (const arn of args.adminPrincipalArns ?? []) {
        if (!/^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/.+$/.test(arn)) add("adminPrincipalArns", `${arn} is not an IAM user or role ARN`);
    }
    return problems;
}

/**
 * A name within `max` characters: `base-suffix`, or a shortened base with a hash of the
 * full name when it is too long (so two long names never collide).
 */
export function awsName(base: string, suffix: string, max: number): string {
    const full = `${base}-${suffix}`;
    if (full.length <= max) return full;
    const hash = createHash("sha256").update(full).digest("hex").slice(0, 6);
    return `${base.slice(0, max - suffix.length - hash.length - 2)}-${hash}-${suffix}`;
}

/** Subnet CIDRs of a /16: public ones from .0.0, private ones from .128.0, each a /20. */
export function subnetCidrs(vpcCidr: string, zones: number): { public: string[]; private: string[] } {
    const [a, b] = vpcCidr.split(".");
    const cidr = (third: number) => `${a}.${b}.${third}.0/20`;
    return {
        public: Array.from({ length: zones }, (_, i) => cidr(i * 16)),
        private: Array.from({ length: zones }, (_, i) => cidr(128 + i * 16)),
    };
}

/** A trust policy letting an AWS service assume a role. */
export function serviceTrust(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    });
}

/** A trust policy letting one Kubernetes service account assume a role through the cluster's OIDC provider. */
export function serviceAccountTrust(oidcProviderArn: string, issuerUrl: string, subject: string): string {
    const issuer = issuerUrl.replace(/^https:\/\//, "");
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Federated: oidcProviderArn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringEquals: { [`${issuer}:sub`]: subject, [`${issuer}:aud`]: "sts.amazonaws.com" } },
        }],
    });
}

/** A kubeconfig for an EKS cluster whose user runs `aws eks get-token` (the AWS CLI): it holds no credential. */
export function eksKubeconfig(clusterName: string, endpoint: string, caData: string, region: string): string {
    const args = ["eks", "get-token", "--cluster-name", clusterName, "--output", "json", ...(region ? ["--region", region] : [])];
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": caData } }],
        users: [{
            name: clusterName,
            user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args, interactiveMode: "Never" } },
        }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
    }, null, 2);
}

/** The region of an ARN (`arn:aws:eks:<region>:…`). */
const arnRegion = (arn: string | undefined) => arn?.split(":")[3] ?? "";

/** What every step of creating an EKS cluster needs: names, region, tags and the child options. */
interface EksCreateContext {
    name: string;
    args: EksClusterArgs;
    region: string | undefined;
    partition: string;
    /** The ARN of an AWS-managed IAM policy in the partition. */
    managed: (policy: string) => string;
    tags: Record<string, string>;
    child: pulumi.CustomResourceOptions;
}

/**
 * An EKS cluster, created or existing, as a kubeconfig for the Kubernetes provider. The
 * Cluster component makes the provider, makes it wait for `ready`, and calls
 * `createStorageClass` with it.
 */
export class EksCluster extends pulumi.ComponentResource {
    /** The kubeconfig (a secret Output): endpoint, CA and an `aws eks get-token` exec user. */
    readonly kubeconfig: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    readonly endpoint: pulumi.Output<string>;
    /** OIDC issuer URL, for service-account roles. */
    readonly oidcIssuer: pulumi.Output<string>;
    /** What the Kubernetes provider waits for: access entries, the node group and the add-ons. */
    readonly ready: pulumi.Resource[] = [];
    /** Set when the component created the cluster. */
    readonly cluster?: eks.Cluster;
    readonly nodeGroup?: eks.NodeGroup;
    readonly oidcProvider?: iam.OpenIdConnectProvider;
    readonly addons: Partial<Record<EksAddonName, eks.Addon>> = {};
    readonly vpc?: ec2.Vpc;
    /** Nodes the new cluster starts with. */
    readonly nodeCount?: number;

    private readonly args: EksClusterArgs;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:cluster:Eks", name, {}, opts);
        const problems = eksProblems(args);
        if (problems.length > 0) throw new Error(`eks cluster ${args.name}: ${problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`);
        this.args = args;
        const region = args.region || undefined;

        if (args.mode === "existing") {
            const found = eks.getClusterOutput({ name: args.name, region }, { parent: this });
            this.clusterName = found.name;
            this.endpoint = found.endpoint;
            this.oidcIssuer = found.identities.apply((ids) => ids?.[0]?.oidcs?.[0]?.issuer ?? "");
            this.kubeconfig = pulumi.secret(pulumi.all([found.name, found.endpoint, found.certificateAuthorities, found.arn]).apply(
                ([n, endpoint, cas, arn]) => eksKubeconfig(n, endpoint, cas[0]?.data ?? "", args.region || arnRegion(arn))));
            this.registerOutputs({ clusterName: this.clusterName, endpoint: this.endpoint });
            return;
        }

        const partition = args.partition ?? "aws";
        const c: EksCreateContext = {
            name, args, region, partition,
            managed: (policy: string) => `arn:${partition}:iam::aws:policy/${policy}`,
            tags: { ...args.tags, "mlplat.dev/cluster": args.name },
            child: { parent: this },
        };
        // In resource-creation order: network, control plane, admins, service-account roles, nodes, add-ons.
        const subnets = this.subnets(c);
        if (subnets.vpc) this.vpc = subnets.vpc;
        const cluster = this.controlPlane(c, subnets.cluster);
        this.cluster = cluster;
        this.clusterName = cluster.name;
        this.endpoint = cluster.endpoint;
        this.oidcIssuer = cluster.identities.apply((ids) => ids?.[0]?.oidcs?.[0]?.issuer ?? "");
        this.ready.push(...this.adminAccess(c, cluster));

        this.oidcProvider = new iam.OpenIdConnectProvider(`${name}-oidc`, {
            url: this.oidcIssuer,
            clientIdLists: ["sts.amazonaws.com"],
            tags: c.tags,
        }, c.child);
        const oidcArn = this.oidcProvider.arn;
        const ebs = this.ebsCsiRole(c, oidcArn, this.oidcIssuer);

        const ng = args.nodeGroup ?? {};
        this.nodeCount = ng.desiredSize ?? 2;
        this.nodeGroup = this.nodes(c, cluster, subnets.nodes, this.nodeCount);
        this.createAddons(c, cluster, this.nodeGroup, ebs);
        this.ready.push(this.nodeGroup);

        this.kubeconfig = pulumi.secret(pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority, cluster.arn]).apply(
            ([n, endpoint, ca, arn]) => eksKubeconfig(n, endpoint, ca?.data ?? "", args.region || arnRegion(arn))));
        this.registerOutputs({ clusterName: this.clusterName, endpoint: this.endpoint, oidcProviderArn: oidcArn });
    }

    /** The given subnets, or a new VPC's: nodes in its private subnets unless `publicNodes`. */
    private subnets(c: EksCreateContext): { cluster: pulumi.Input<string>[]; nodes: pulumi.Input<string>[]; vpc?: ec2.Vpc } {
        const net = c.args.network ?? {};
        if (net.subnetIds && net.subnetIds.length > 0) {
            return { cluster: net.subnetIds, nodes: net.subnetIds };
        }
        const subnets = this.network(c.name, c.args.name, net, c.region, c.tags);
        return { cluster: [...subnets.public, ...subnets.private], nodes: net.publicNodes ? subnets.public : subnets.private, vpc: subnets.vpc };
    }

    /** The control plane and its IAM role. */
    private controlPlane(c: EksCreateContext, subnetIds: pulumi.Input<string>[]): eks.Cluster {
        const { name, args, region, tags, child } = c;
        const clusterRole = new iam.Role(`${name}-cluster-role`, {
            name: awsName(args.name, "cluster", AWS_NAME_LIMITS.iamRole),
            description: `EKS control plane of ${args.name}`,
            assumeRolePolicy: serviceTrust("eks.amazonaws.com"),
            tags,
        }, child);
        const clusterPolicy = new iam.RolePolicyAttachment(`${name}-cluster-policy`, {
            role: clusterRole.name, policyArn: c.managed("AmazonEKSClusterPolicy"),
        }, child);
        return new eks.Cluster(`${name}-cluster`, {
            name: args.name,
            region,
            version: args.version || undefined,
            roleArn: clusterRole.arn,
            vpcConfig: {
                subnetIds,
                endpointPrivateAccess: true,
                endpointPublicAccess: args.endpointPublicAccess ?? true,
                publicAccessCidrs: args.publicAccessCidrs && args.publicAccessCidrs.length > 0 ? args.publicAccessCidrs : undefined,
            },
            // Access entries only (no aws-auth ConfigMap); whoever runs `pulumi up` is admin, so
            // the stack can create its Kubernetes objects right away.
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
            enabledClusterLogTypes: args.logTypes ?? ["api", "audit", "authenticator"],
            tags,
        }, { ...child, dependsOn: [clusterPolicy] });
    }

    /** Cluster-admin access entries for `adminPrincipalArns`; returns the policy associations to wait for. */
    private adminAccess(c: EksCreateContext, cluster: eks.Cluster): eks.AccessPolicyAssociation[] {
        const { name, args, region, tags, child } = c;
        const associations: eks.AccessPolicyAssociation[] = [];
        for (const [i, principalArn] of (args.adminPrincipalArns ?? []).entries()) {
            const entry = new eks.AccessEntry(`${name}-admin-${i}`, {
                clusterName: cluster.name, region, principalArn, type: "STANDARD", tags,
            }, child);
            associations.push(new eks.AccessPolicyAssociation(`${name}-admin-${i}-policy`, {
                clusterName: cluster.name, region, principalArn,
                policyArn: `arn:${c.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
                accessScope: { type: "cluster" },
            }, { ...child, dependsOn: [entry] }));
        }
        return associations;
    }

    /** The EBS CSI controller's service-account role (IRSA) and its policy attachment. */
    private ebsCsiRole(c: EksCreateContext, oidcArn: pulumi.Output<string>, oidcIssuer: pulumi.Output<string>) {
        const { name, args, tags, child } = c;
        const role = new iam.Role(`${name}-ebs-csi-role`, {
            name: awsName(args.name, "ebs-csi", AWS_NAME_LIMITS.iamRole),
            description: `EBS CSI controller of ${args.name}`,
            assumeRolePolicy: pulumi.all([oidcArn, oidcIssuer]).apply(([arn, issuer]) => serviceAccountTrust(arn, issuer, EBS_CSI_SERVICE_ACCOUNT)),
            tags,
        }, child);
        const policy = new iam.RolePolicyAttachment(`${name}-ebs-csi-policy`, {
            role: role.name, policyArn: c.managed("service-role/AmazonEBSCSIDriverPolicy"),
        }, child);
        return { role, policy };
    }

    /** The managed node group and its IAM role. */
    private nodes(c: EksCreateContext, cluster: eks.Cluster, subnetIds: pulumi.Input<string>[], desiredSize: number): eks.NodeGroup {
        const { name, args, region, tags, child } = c;
        const nodeRole = new iam.Role(`${name}-node-role`, {
            name: awsName(args.name, "node", AWS_NAME_LIMITS.iamRole),
            description: `EKS nodes of ${args.name}`,
            assumeRolePolicy: serviceTrust("ec2.amazonaws.com"),
            tags,
        }, child);
        // Worker (join), CNI (pod networking), ECR read-only: nodes pull from ECR with this role, no pull secret.
        const nodePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"].map((p) =>
            new iam.RolePolicyAttachment(`${name}-node-${p}`, { role: nodeRole.name, policyArn: c.managed(p) }, child));
        const ng = args.nodeGroup ?? {};
        return new eks.NodeGroup(`${name}-nodes`, {
            clusterName: cluster.name,
            region,
            nodeGroupName: awsName(args.name, "nodes", AWS_NAME_LIMITS.nodeGroup),
            nodeRoleArn: nodeRole.arn,
            subnetIds,
            scalingConfig: { desiredSize, minSize: ng.minSize ?? 1, maxSize: ng.maxSize ?? 3 },
            instanceTypes: ng.instanceTypes ?? ["m5.large"],
            capacityType: ng.capacityType ?? "ON_DEMAND",
            amiType: ng.amiType ?? "AL2023_x86_64_STANDARD",
            diskSize: ng.diskSize ?? 50,
            labels: ng.labels,
            updateConfig: { maxUnavailable: 1 },
            tags,
        }, { ...child, dependsOn: nodePolicies });
    }

    /**
     * The managed add-ons, into `addons` and `ready`. After the node group: coredns and the EBS CSI
     * controller are Deployments that only become healthy on nodes, and the managed vpc-cni/kube-proxy
     * take over the copies EKS bootstraps for the nodes (bootstrapSelfManagedAddons) on create.
     */
    private createAddons(c: EksCreateContext, cluster: eks.Cluster, nodeGroup: eks.NodeGroup,
        ebs: { role: iam.Role; policy: iam.RolePolicyAttachment }): void {
        const { name, args, region, tags, child } = c;
        for (const addon of EKS_ADDONS) {
            this.addons[addon] = new eks.Addon(`${name}-${addon}`, {
                clusterName: cluster.name,
                region,
                addonName: addon,
                addonVersion: args.addonVersions?.[addon],
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "PRESERVE",
                serviceAccountRoleArn: addon === "aws-ebs-csi-driver" ? ebs.role.arn : undefined,
                tags,
            }, { ...child, dependsOn: addon === "aws-ebs-csi-driver" ? [nodeGroup, ebs.policy] : [nodeGroup] });
            this.ready.push(this.addons[addon]!);
        }
    }

    /**
     * The default gp3 StorageClass (EBS CSI driver; encrypted, bound where the pod lands),
     * created with the cluster's provider once the add-on runs. Nothing for an existing cluster.
     */
    createStorageClass(provider: k8s.Provider, labels: Record<string, string>): k8s.storage.v1.StorageClass | undefined {
        if (this.args.mode !== "create") return undefined;
        return new k8s.storage.v1.StorageClass(`${this.args.name}-gp3`, {
            metadata: { name: EKS_STORAGE_CLASS, labels, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
            provisioner: "ebs.csi.aws.com",
            parameters: { type: "gp3", encrypted: "true", fsType: "ext4" },
            volumeBindingMode: "WaitForFirstConsumer",
            allowVolumeExpansion: true,
            reclaimPolicy: "Delete",
        }, { parent: this, provider, dependsOn: this.addons["aws-ebs-csi-driver"] ? [this.addons["aws-ebs-csi-driver"]] : [] });
    }

    /** A VPC with public and private subnets in two (or the given) zones, an internet gateway and one NAT gateway. */
    private network(name: string, clusterName: string, net: EksNetworkArgs, region: string | undefined, tags: Record<string, string>) {
        const child = { parent: this };
        const cidr = net.vpcCidr || "10.0.0.0/16";
        const zones = net.availabilityZones && net.availabilityZones.length > 0
            ? pulumi.output(net.availabilityZones)
            : getAvailabilityZonesOutput({ state: "available", region }, child).names.apply((n) => (n ?? []).slice(0, 2));
        const count = net.availabilityZones && net.availabilityZones.length > 0 ? net.availabilityZones.length : 2;
        const cidrs = subnetCidrs(cidr, count);
        const vpc = new ec2.Vpc(`${name}-vpc`, {
            cidrBlock: cidr, region, enableDnsSupport: true, enableDnsHostnames: true, tags: { ...tags, Name: clusterName },
        }, child);
        const shared = { [`kubernetes.io/cluster/${clusterName}`]: "shared" };
        const igw = new ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, region, tags }, child);
        const publicRoutes = new ec2.RouteTable(`${name}-public-rt`, {
            vpcId: vpc.id, region, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags,
        }, child);
        const subnet = (kind: "public" | "private", i: number) => new ec2.Subnet(`${name}-${kind}-${i}`, {
            vpcId: vpc.id, region,
            cidrBlock: cidrs[kind][i],
            availabilityZone: zones.apply((z) => z[i]),
            mapPublicIpOnLaunch: kind === "public",
            // Where the cloud provider puts internet-facing (public) and internal (private) load balancers.
            tags: { ...tags, ...shared, Name: `${clusterName}-${kind}-${i}`, [kind === "public" ? "kubernetes.io/role/elb" : "kubernetes.io/role/internal-elb"]: "1" },
        }, child);
        const publicSubnets = cidrs.public.map((_, i) => subnet("public", i));
        publicSubnets.forEach((s, i) => new ec2.RouteTableAssociation(`${name}-public-${i}-rt`, { subnetId: s.id, routeTableId: publicRoutes.id, region }, child));
        const eip = new ec2.Eip(`${name}-nat-ip`, { domain: "vpc", region, tags }, { ...child, dependsOn: [igw] });
        const nat = new ec2.NatGateway(`${name}-nat`, { subnetId: publicSubnets[0].id, allocationId: eip.id, region, tags }, { ...child, dependsOn: [igw] });
        const privateRoutes = new ec2.RouteTable(`${name}-private-rt`, {
            vpcId: vpc.id, region, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags,
        }, child);
        const privateSubnets = cidrs.private.map((_, i) => subnet("private", i));
        privateSubnets.forEach((s, i) => new ec2.RouteTableAssociation(`${name}-private-${i}-rt`, { subnetId: s.id, routeTableId: privateRoutes.id, region }, child));
        return { vpc, public: publicSubnets.map((s) => s.id), private: privateSubnets.map((s) => s.id) };
    }
}
