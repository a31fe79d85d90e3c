// cluster.kind=eks through the stack config (cluster.eks.*) and the same composition index.ts runs.
import * as assert from "assert";
import { byType, configProblems, one, runStack, StackRun, tempKubeconfig } from "./harness";

const eks = {
    "cluster.kind": "eks", "cluster.eks.name": "ml-eks", "cluster.eks.region": "eu-west-1", "cluster.kubernetesVersion": "1.33",
    "cluster.eks.subnetIds": JSON.stringify(["subnet-0a", "subnet-0b"]), "storage.kind": "none",
};

describe("cluster.kind=eks through the stack config", function () {
    this.timeout(60_000);

    it("creates the EKS cluster and deploys the platforms through its provider; ECR repositories and a LoadBalancer model on it", async () => {
        const run = await runStack({
            ...eks,
            "cluster.eks.instanceTypes": JSON.stringify(["m6i.large"]), "cluster.eks.nodes.desired": "3", "cluster.eks.nodes.max": "5",
            "modelServing.enabled": "true", "modelServing.ecr.enabled": "true",
            "modelServing.models.classifier.image": `123456789012.dkr.ecr.eu-west-1.amazonaws.com/classifier@sha256:${"c".repeat(64)}`,
            "modelServing.models.classifier.serviceType": "LoadBalancer",
        });
        assert.ifError(run.error);
        const cluster = one(run, "aws:eks/cluster:Cluster");
        assert.deepStrictEqual({ name: cluster.inputs.name, version: cluster.inputs.version, region: cluster.inputs.region, subnets: cluster.inputs.vpcConfig.subnetIds },
            { name: "ml-eks", version: "1.33", region: "eu-west-1", subnets: ["subnet-0a", "subnet-0b"] });
        const ng = one(run, "aws:eks/nodeGroup:NodeGroup").inputs;
        assert.deepStrictEqual(ng.scalingConfig, { desiredSize: 3, minSize: 1, maxSize: 5 });
        assert.deepStrictEqual(ng.instanceTypes, ["m6i.large"]);
        assert.strictEqual(byType(run, "aws:ec2/vpc:Vpc").length, 0, "existing subnets: no VPC");
        assert.strictEqual(byType(run, "aws:eks/addon:Addon").length, 5);
        assert.strictEqual(one(run, "kubernetes:storage.k8s.io/v1:StorageClass").inputs.metadata.labels["mlplat.dev/stack"], "mlplat.unit");
        const provider = one(run, "pulumi:providers:kubernetes");
        assert.ok(provider.dependsOn!.includes("cluster-eks-nodes"));
        assert.strictEqual(one(run, "aws:ecr/repository:Repository").inputs.name, "classifier");
        assert.strictEqual(one(run, "kubernetes:core/v1:Service", "classifier").inputs.spec.type, "LoadBalancer");
        assert.deepStrictEqual(run.outputs.cluster, { flavour: "eks", kubernetesVersion: "1.33" });
        assert.ok("repository" in run.outputs.modelServing.classifier);
    });

    it("the inference pipeline's and the models' objects are the same on EKS as on the local control plane (EKS adds only its gp3 StorageClass)", async () => {
        const platforms = {
            "storage.kind": "none", "ingress.controller": "present", "cluster.kubernetesVersion": "1.33",
            "inferencePipeline.enabled": "true", "inferencePipeline.host": "inference.example.com",
            "inferencePipeline.model.image": "hashicorp/http-echo:1.0.0", "inferencePipeline.model.port": "5678",
            "modelServing.enabled": "true", "modelServing.models.classifier.image": "hashicorp/http-echo:1.0.0", "modelServing.models.classifier.serviceType": "LoadBalancer",
        };
        const local = await runStack({ ...platforms, "cluster.kubeconfig": tempKubeconfig() });
        const onEks = await runStack({ ...platforms, ...eks, "storage.kind": "none" });
        assert.ifError(local.error);
        assert.ifError(onEks.error);
        const objects = (r: StackRun) => r.resources.filter((x) => x.type.startsWith("kubernetes:") && x.type !== "kubernetes:storage.k8s.io/v1:StorageClass")
            .map((x) => JSON.stringify([x.type, x.name, x.inputs])).sort();
        assert.ok(objects(local).length > 20);
        assert.deepStrictEqual(objects(onEks), objects(local));
        assert.deepStrictEqual(onEks.outputs.inferencePipeline.gatewayUrl, local.outputs.inferencePipeline.gatewayUrl);
    });

    it("refuses contradictory EKS settings, each with its key and fix", () => {
        const p = (config: Record<string, string>) => configProblems(config).map(([k, m]) => `${k}: ${m}`);
        const has = (problems: string[], re: RegExp) => assert.ok(problems.some((x) => re.test(x)), `missing ${re} in\n${problems.join("\n")}`);
        has(p({ "cluster.kind": "eks" }), /^mlplat:cluster\.eks\.name: is required when cluster\.kind is eks/);
        has(p({ "cluster.eks.name": "ml-eks" }), /^mlplat:cluster\.eks\.name: applies to cluster\.kind=eks only, but cluster\.kind is local/);
        has(p({ ...eks, "cluster.kubeconfig": "/tmp/kc" }), /^mlplat:cluster\.kubeconfig: does not apply to cluster\.kind=eks/);
        has(p({ ...eks, "cluster.eks.mode": "existing" }), /^mlplat:cluster\.eks\.subnetIds: shapes a cluster the stack creates, but cluster\.eks\.mode is existing/);
        has(p({ ...eks, "cluster.eks.vpcCidr": "10.1.0.0/16" }), /^mlplat:cluster\.eks\.vpcCidr: shapes the VPC the stack creates, but cluster\.eks\.subnetIds names existing subnets/);
        has(p({ ...eks, "cluster.eks.nodes.min": "4" }), /^mlplat:cluster\.eks\.nodes\.desired: node counts must satisfy 0 <= min \(4\) <= desired \(2\)/);
        has(p({ ...eks, "cluster.kubernetesVersion": "1.33.2" }), /^mlplat:cluster\.kubernetesVersion: version 1\.33\.2 must be major\.minor/);
        has(p({ ...eks, "cluster.eks.subnetIds": JSON.stringify(["subnet-0a"]) }), /^mlplat:cluster\.eks\.subnetIds: EKS needs subnets in at least two availability zones/);
        has(p({ ...eks, "cluster.eks.subnetIds": JSON.stringify(["sn-1", "sn-2"]) }), /^mlplat:cluster\.eks\.subnetIds: each entry must be a subnet id/);
        has(p({ ...eks, "cluster.eks.name": "bad name" }), /^mlplat:cluster\.eks\.name: must be 1-100 letters/);
        has(p({ ...eks, "cluster.eks.adminPrincipalArns": JSON.stringify(["alice"]) }), /^mlplat:cluster\.eks\.adminPrincipalArns: each entry must be an IAM user or role ARN/);
        has(p({ "cluster.kind": "eks", "cluster.eks.name": "ml-eks", "cluster.eks.vpcCidr": "8.8.0.0/16" }), /^mlplat:cluster\.eks\.vpcCidr: VPC CIDR 8\.8\.0\.0\/16 must be a private \/16/);
        // An existing cluster by name needs nothing else; ECR fits EKS.
        assert.deepStrictEqual(p({ "cluster.kind": "eks", "cluster.eks.mode": "existing", "cluster.eks.name": "team-eks", "storage.kind": "none",
            "modelServing.enabled": "true", "modelServing.ecr.enabled": "true", "modelServing.models.clf.image": "r.example.com/clf:1", "modelServing.models.clf.serviceType": "LoadBalancer" }), []);
    });
});
