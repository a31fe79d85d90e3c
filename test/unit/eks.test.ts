// The EKS cluster component constructed directly with hand-written Args under AWS mocks
// (the AWS provider plugin cannot be built here), typed against @pulumi/aws 7.x.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import { Cluster } from "../../components/cluster";
import { Registry } from "../../components/registry";
import { ModelServer } from "../../components/platforms/model-serving";
import { AWS_NAME_LIMITS, awsName, EKS_ADDONS, EksCluster, EksClusterArgs, eksProblems, subnetCidrs } from "../../components/cluster/eks";
import { SECRET_SIG, unsecret } from "./harness";
import { ACCOUNT, EXISTING_CLUSTER, MOCK_CA, OIDC_ISSUER, ofType, REGION, runAwsProgram, single, valueOf } from "./aws-harness";

const SECRET_KEY = "4dabf18193072939515e22adb298388d";
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/platform-admins`;
const create = (over: Partial<EksClusterArgs> = {}): EksClusterArgs => ({ mode: "create", name: "ml-eks", version: "1.33", adminPrincipalArns: [ADMIN], ...over });

async function eksRun(args: EksClusterArgs) {
    return runAwsProgram(() => new EksCluster("eks", args));
}

const policyArns = (run: Awaited<ReturnType<typeof eksRun>>, role: string) =>
    ofType(run.resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === role).map((a) => a.inputs.policyArn).sort();

describe("EKS cluster (mocks)", function () {
    this.timeout(60000);

    it("creates a VPC with public and private subnets in two zones, tagged for load balancers", async () => {
        const run = await eksRun(create());
        assert.ifError(run.error);
        assert.strictEqual(single(run.resources, "aws:ec2/vpc:Vpc").inputs.cidrBlock, "10.0.0.0/16");
        const subnets = ofType(run.resources, "aws:ec2/subnet:Subnet");
        assert.deepStrictEqual(subnets.map((s) => s.inputs.cidrBlock).sort(), ["10.0.0.0/20", "10.0.128.0/20", "10.0.144.0/20", "10.0.16.0/20"]);
        assert.deepStrictEqual(subnets.map((s) => s.inputs.availabilityZone).sort(), [`${REGION}a`, `${REGION}a`, `${REGION}b`, `${REGION}b`]);
        const pub = subnets.filter((s) => s.inputs.mapPublicIpOnLaunch);
        assert.strictEqual(pub.length, 2);
        for (const s of pub) assert.strictEqual(s.inputs.tags["kubernetes.io/role/elb"], "1");
        for (const s of subnets.filter((x) => !x.inputs.mapPublicIpOnLaunch)) assert.strictEqual(s.inputs.tags["kubernetes.io/role/internal-elb"], "1");
        for (const s of subnets) assert.strictEqual(s.inputs.tags["kubernetes.io/cluster/ml-eks"], "shared");
        assert.ok(run.calls.includes("aws:index/getAvailabilityZones:getAvailabilityZones"));
        single(run.resources, "aws:ec2/internetGateway:InternetGateway");
        single(run.resources, "aws:ec2/natGateway:NatGateway");
        assert.strictEqual(ofType(run.resources, "aws:ec2/routeTableAssociation:RouteTableAssociation").length, 4);
        // Nodes in the private subnets, the control plane in all four.
        const ng = single(run.resources, "aws:eks/nodeGroup:NodeGroup");
        assert.deepStrictEqual(ng.inputs.subnetIds.sort(), ["subnet-eks-private-0", "subnet-eks-private-1"]);
        assert.strictEqual(single(run.resources, "aws:eks/cluster:Cluster").inputs.vpcConfig.subnetIds.length, 4);
        assert.deepStrictEqual(subnetCidrs("172.20.0.0/16", 3).private, ["172.20.128.0/20", "172.20.144.0/20", "172.20.160.0/20"]);
    });

    it("uses existing subnets without creating a network", async () => {
        const run = await eksRun(create({ network: { subnetIds: ["subnet-a", "subnet-b"] } }));
        assert.ifError(run.error);
        assert.strictEqual(ofType(run.resources, "aws:ec2/vpc:Vpc").length, 0);
        assert.strictEqual(ofType(run.resources, "aws:ec2/subnet:Subnet").length, 0);
        assert.ok(!run.calls.includes("aws:index/getAvailabilityZones:getAvailabilityZones"));
        assert.deepStrictEqual(single(run.resources, "aws:eks/cluster:Cluster").inputs.vpcConfig.subnetIds, ["subnet-a", "subnet-b"]);
        assert.deepStrictEqual(single(run.resources, "aws:eks/nodeGroup:NodeGroup").inputs.subnetIds, ["subnet-a", "subnet-b"]);
    });

    it("gives the control plane, the nodes and the EBS CSI driver their roles, trusts and managed policies", async () => {
        const run = await eksRun(create());
        const roles = ofType(run.resources, "aws:iam/role:Role");
        const trust = (n: string) => JSON.parse(roles.find((r) => r.inputs.name === n)!.inputs.assumeRolePolicy);
        assert.deepStrictEqual(trust("ml-eks-cluster").Statement, [{ Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: "sts:AssumeRole" }]);
        assert.deepStrictEqual(trust("ml-eks-node").Statement[0].Principal, { Service: "ec2.amazonaws.com" });
        assert.deepStrictEqual(policyArns(run, "ml-eks-cluster"), ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]);
        assert.deepStrictEqual(policyArns(run, "ml-eks-node"), [
            "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
            "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
            "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        ]);
        assert.deepStrictEqual(policyArns(run, "ml-eks-ebs-csi"), ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]);
        // The EBS CSI role trusts exactly the controller's service account through the cluster's OIDC provider.
        const oidc = single(run.resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
        assert.strictEqual(oidc.inputs.url, OIDC_ISSUER);
        assert.deepStrictEqual(oidc.inputs.clientIdLists, ["sts.amazonaws.com"]);
        const issuer = OIDC_ISSUER.replace("https://", "");
        assert.deepStrictEqual(trust("ml-eks-ebs-csi").Statement, [{
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${issuer}` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringEquals: { [`${issuer}:sub`]: "system:serviceaccount:kube-system:ebs-csi-controller-sa", [`${issuer}:aud`]: "sts.amazonaws.com" } },
        }]);
        const ebs = ofType(run.resources, "aws:eks/addon:Addon").find((a) => a.inputs.addonName === "aws-ebs-csi-driver")!;
        assert.strictEqual(ebs.inputs.serviceAccountRoleArn, `arn:aws:iam::${ACCOUNT}:role/ml-eks-ebs-csi`);
    });

    it("creates the cluster with API access entries, its admins, logs and the private endpoint", async () => {
        const run = await eksRun(create({ publicAccessCidrs: ["203.0.113.0/24"] }));
        const c = single(run.resources, "aws:eks/cluster:Cluster");
        assert.strictEqual(c.inputs.name, "ml-eks");
        assert.strictEqual(c.inputs.version, "1.33");
        assert.strictEqual(c.inputs.roleArn, `arn:aws:iam::${ACCOUNT}:role/ml-eks-cluster`);
        assert.deepStrictEqual(c.inputs.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true });
        assert.strictEqual(c.inputs.vpcConfig.endpointPrivateAccess, true);
        assert.deepStrictEqual(c.inputs.vpcConfig.publicAccessCidrs, ["203.0.113.0/24"]);
        assert.deepStrictEqual(c.inputs.enabledClusterLogTypes, ["api", "audit", "authenticator"]);
        assert.deepStrictEqual(c.dependsOn, ["eks-cluster-policy"]);
        const entry = single(run.resources, "aws:eks/accessEntry:AccessEntry");
        assert.deepStrictEqual({ p: entry.inputs.principalArn, t: entry.inputs.type, c: entry.inputs.clusterName }, { p: ADMIN, t: "STANDARD", c: "ml-eks" });
        const assoc = single(run.resources, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
        assert.strictEqual(assoc.inputs.policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
        assert.deepStrictEqual(assoc.inputs.accessScope, { type: "cluster" });
        assert.deepStrictEqual(assoc.dependsOn, [entry.name]);
    });

    it("orders the node group after its policy attachments and every add-on after the node group", async () => {
        const run = await eksRun(create());
        const ng = single(run.resources, "aws:eks/nodeGroup:NodeGroup");
        assert.deepStrictEqual(ng.dependsOn!.sort(), ["eks-node-AmazonEC2ContainerRegistryReadOnly", "eks-node-AmazonEKSWorkerNodePolicy", "eks-node-AmazonEKS_CNI_Policy"]);
        assert.deepStrictEqual(ng.inputs.scalingConfig, { desiredSize: 2, minSize: 1, maxSize: 3 });
        assert.deepStrictEqual(ng.inputs.instanceTypes, ["m5.large"]);
        assert.strictEqual(ng.inputs.amiType, "AL2023_x86_64_STANDARD");
        const addons = ofType(run.resources, "aws:eks/addon:Addon");
        assert.deepStrictEqual(addons.map((a) => a.inputs.addonName), [...EKS_ADDONS]);
        for (const a of addons) {
            assert.ok(a.dependsOn!.includes(ng.name), `${a.inputs.addonName} after the node group`);
            assert.strictEqual(a.inputs.resolveConflictsOnCreate, "OVERWRITE");
        }
        assert.ok(addons.find((a) => a.inputs.addonName === "aws-ebs-csi-driver")!.dependsOn!.includes("eks-ebs-csi-policy"));
        // Everything is a child of the component.
        for (const r of run.resources) if (r.type.startsWith("aws:")) assert.strictEqual(r.parent, "eks", r.name);
    });

    it("keeps every derived name within AWS limits, distinct, even for a 100-character cluster name", async () => {
        const long = "a".repeat(40) + "-" + "b".repeat(59);
        assert.strictEqual(long.length, 100);
        const run = await eksRun(create({ name: long }));
        assert.ifError(run.error);
        const roleNames = ofType(run.resources, "aws:iam/role:Role").map((r) => r.inputs.name as string);
        for (const n of roleNames) assert.ok(n.length <= AWS_NAME_LIMITS.iamRole, `${n} (${n.length})`);
        assert.strictEqual(new Set(roleNames).size, 3);
        const ng = single(run.resources, "aws:eks/nodeGroup:NodeGroup").inputs.nodeGroupName as string;
        assert.ok(ng.length <= AWS_NAME_LIMITS.nodeGroup && /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(ng), ng);
        assert.notStrictEqual(awsName("x".repeat(70), "node", 64), awsName("x".repeat(69) + "y", "node", 64));
        assert.strictEqual(awsName("short", "node", 64), "short-node");
    });

    it("hands out a kubeconfig as a secret: the cluster's endpoint and CA and an `aws eks get-token` user, no credential", async () => {
        const run = await eksRun(create({ region: "us-west-2" }));
        const eks = run.result!;
        assert.strictEqual(await pulumi.isSecret(eks.kubeconfig), true);
        const kc = parse((await valueOf(eks.kubeconfig))!);
        assert.strictEqual(kc.clusters[0].cluster.server, "https://ml-eks.gr7.eu-west-1.eks.amazonaws.com");
        assert.strictEqual(kc.clusters[0].cluster["certificate-authority-data"], MOCK_CA);
        assert.deepStrictEqual(kc.users[0].user.exec, {
            apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", interactiveMode: "Never",
            args: ["eks", "get-token", "--cluster-name", "ml-eks", "--output", "json", "--region", "us-west-2"],
        });
        assert.strictEqual(kc.users[0].user.token, undefined);
        assert.strictEqual(single(run.resources, "aws:eks/cluster:Cluster").inputs.region, "us-west-2");
        // Without a region setting, the region comes from the cluster's ARN.
        const noRegion = await eksRun(create());
        const kc2 = parse((await valueOf(noRegion.result!.kubeconfig))!);
        assert.deepStrictEqual(kc2.users[0].user.exec.args.slice(-2), ["--region", REGION]);
    });

    it("creates the default gp3 StorageClass through the EBS CSI driver, after its add-on", async () => {
        const run = await runAwsProgram(() => {
            const eks = new EksCluster("eks", create());
            const provider = new k8s.Provider("eks-k8s", { kubeconfig: eks.kubeconfig, enableServerSideApply: false });
            return eks.createStorageClass(provider, { "app.kubernetes.io/managed-by": "mlplat" });
        });
        assert.ifError(run.error);
        const sc = single(run.resources, "kubernetes:storage.k8s.io/v1:StorageClass");
        assert.strictEqual(sc.inputs.metadata.name, "gp3");
        assert.strictEqual(sc.inputs.metadata.annotations["storageclass.kubernetes.io/is-default-class"], "true");
        assert.strictEqual(sc.inputs.provisioner, "ebs.csi.aws.com");
        assert.deepStrictEqual(sc.inputs.parameters, { type: "gp3", encrypted: "true", fsType: "ext4" });
        assert.strictEqual(sc.inputs.volumeBindingMode, "WaitForFirstConsumer");
        assert.deepStrictEqual(sc.dependsOn, ["eks-aws-ebs-csi-driver"]);
    });

    it("uses an existing cluster by name: no AWS resource, a kubeconfig from the cluster it finds", async () => {
        const run = await runAwsProgram(() => {
            const eks = new EksCluster("eks", { mode: "existing", name: EXISTING_CLUSTER.name });
            const provider = new k8s.Provider("eks-k8s", { kubeconfig: eks.kubeconfig, enableServerSideApply: false });
            assert.strictEqual(eks.createStorageClass(provider, {}), undefined);
            return eks;
        });
        assert.ifError(run.error);
        assert.deepStrictEqual(run.resources.filter((r) => r.type.startsWith("aws:")), []);
        assert.ok(run.calls.includes("aws:eks/getCluster:getCluster"));
        const kc = parse((await valueOf(run.result!.kubeconfig))!);
        assert.strictEqual(kc.clusters[0].cluster.server, EXISTING_CLUSTER.endpoint);
        assert.deepStrictEqual(kc.users[0].user.exec.args.slice(2, 4), ["--cluster-name", "team-eks"]);
        assert.strictEqual(await valueOf(run.result!.oidcIssuer), OIDC_ISSUER);
    });

    it("refuses invalid arguments with every problem at once", async () => {
        const problems = eksProblems({
            mode: "create", name: "-bad name", version: "1.33.2",
            network: { subnetIds: ["subnet-a"], vpcCidr: "8.8.0.0/16", availabilityZones: ["eu-west-1a"] },
            nodeGroup: { minSize: 3, desiredSize: 2, maxSize: 1, instanceTypes: [] },
            adminPrincipalArns: ["alice"],
        }).map((p) => `${p.field}: ${p.message}`);
        for (const re of [/^name: cluster name -bad name must be 1-100/, /^version: version 1.33.2 must be major.minor/, /^subnetIds: EKS needs subnets in at least two/,
            /^vpcCidr: VPC CIDR 8.8.0.0\/16 must be a private \/16/, /^availabilityZones: give at least two/, /^nodeGroup: node counts must satisfy/,
            /^instanceTypes: give at least one/, /^adminPrincipalArns: alice is not an IAM user or role ARN/]) {
            assert.ok(problems.some((p) => re.test(p)), `missing ${re} in\n${problems.join("\n")}`);
        }
        assert.deepStrictEqual(eksProblems({ mode: "create", name: "x".repeat(101) }).map((p) => p.field), ["name"]);
        const run = await eksRun(create({ name: "bad name" }));
        assert.match(String(run.error), /eks cluster bad name: name: cluster name bad name must be/);
        assert.strictEqual(run.resources.filter((r) => r.type.startsWith("aws:")).length, 0);
    });

    it("is a Cluster flavour: the provider takes the kubeconfig secret, waits for the cluster, and the platforms run on it unchanged", async () => {
        const run = await runAwsProgram(() => {
            const cluster = new Cluster("cluster", { flavour: "eks", eks: create() });
            const registry = new Registry("registry", { mode: "public", pullSecretName: "mlplat-registry" });
            new ModelServer("models", { models: [{ name: "classifier", image: "registry.example.com/c:1.0", serviceType: "LoadBalancer" }] },
                { cluster: cluster.info, registry, extraLabels: {} }, { providers: { kubernetes: cluster.info.provider } });
            return cluster;
        });
        assert.ifError(run.error);
        const cluster = run.result!;
        assert.strictEqual(cluster.info.flavour, "eks");
        assert.strictEqual(cluster.info.loadBalancer, true);
        assert.strictEqual(cluster.info.nodeCount, 2);
        assert.strictEqual(cluster.info.kubernetesVersion, "1.33");
        const provider = single(run.resources, "pulumi:providers:kubernetes");
        assert.strictEqual(provider.inputs.enableServerSideApply, "false");
        assert.strictEqual(provider.inputs.kubeconfig[SECRET_KEY], SECRET_SIG, "the kubeconfig reaches the provider as a secret");
        assert.match(unsecret(provider.inputs.kubeconfig), /get-token/);
        assert.deepStrictEqual(provider.dependsOn!.sort(), ["cluster-eks-admin-0-policy", "cluster-eks-nodes", ...EKS_ADDONS.map((a) => `cluster-eks-${a}`)].sort());
        assert.strictEqual(single(run.resources, "kubernetes:storage.k8s.io/v1:StorageClass").inputs.metadata.name, "gp3");
        assert.strictEqual(single(run.resources, "kubernetes:core/v1:Service", "classifier").inputs.spec.type, "LoadBalancer");
        assert.throws(() => new Cluster("c", { flavour: "eks" }), /cluster flavour eks needs its EksClusterArgs/);
    });
});
