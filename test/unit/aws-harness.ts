// Runs components directly (hand-written Args, no stack config) under Pulumi mocks that
// answer like the AWS provider would: ARNs, names, ECR repository URLs, the EKS cluster's
// endpoint, CA and OIDC issuer, and the invokes (availability zones, an existing cluster).
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { PlatformContext } from "../../components/core/context";
import { Registry, RegistryArgs } from "../../components/registry";
import type { Registered } from "./harness";
import { MockedRun, runUnderMocks } from "./record";

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
export const OIDC_ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";
/** The CA the mocks give clusters (not a secret, but scanned for to check the kubeconfig). */
export const MOCK_CA = Buffer.from("-----BEGIN CERTIFICATE-----\nmock-ca\n-----END CERTIFICATE-----\n").toString("base64");

function awsState(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
    const inputs = args.inputs;
    const name = (inputs.name as string | undefined) ?? args.name;
    const [, module, kind] = args.type.split(/[:/]/);
    const state: Record<string, unknown> = { ...inputs, arn: `arn:aws:${module}:${REGION}:${ACCOUNT}:${kind}/${name}` };
    let id = `${args.name}-id`;
    switch (args.type) {
        case "aws:iam/role:Role":
            state.arn = `arn:aws:iam::${ACCOUNT}:role/${name}`;
            state.name = name;
            id = name;
            break;
        case "aws:ecr/repository:Repository":
            state.repositoryUrl = `${ACCOUNT}.dkr.ecr.${inputs.region ?? REGION}.amazonaws.com/${name}`;
            state.arn = `arn:aws:ecr:${inputs.region ?? REGION}:${ACCOUNT}:repository/${name}`;
            id = name;
            break;
        case "aws:eks/cluster:Cluster":
            id = name;
            state.name = name;
            state.endpoint = `https://${name.toLowerCase()}.gr7.${REGION}.eks.amazonaws.com`;
            state.certificateAuthority = { data: MOCK_CA };
            state.identities = [{ oidcs: [{ issuer: OIDC_ISSUER }] }];
            state.version = inputs.version ?? "1.33";
            break;
        case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            state.arn = `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(inputs.url).replace(/^https:\/\//, "")}`;
            break;
        case "aws:ec2/vpc:Vpc":
        case "aws:ec2/subnet:Subnet":
            id = `${kind.toLowerCase()}-${args.name}`;
            break;
    }
    return { id, state };
}

/** The existing cluster `getCluster` answers with (modes `existing`). */
export const EXISTING_CLUSTER = {
    name: "team-eks", endpoint: "https://team-eks.gr7.eu-west-1.eks.amazonaws.com", version: "1.32",
    certificateAuthorities: [{ data: MOCK_CA }], identities: [{ oidcs: [{ issuer: OIDC_ISSUER }] }],
    arn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/team-eks`, status: "ACTIVE",
};

function awsCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    switch (args.token) {
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { names: [`${REGION}a`, `${REGION}b`, `${REGION}c`], zoneIds: ["euw1-az1", "euw1-az2", "euw1-az3"], id: REGION };
        case "aws:eks/getCluster:getCluster":
            if (args.inputs.name !== EXISTING_CLUSTER.name) throw new Error(`cluster ${args.inputs.name} not found`);
            return { ...EXISTING_CLUSTER, region: args.inputs.region ?? REGION };
        default:
            return args.inputs;
    }
}

export type ProgramRun<T> = MockedRun<T>;

/** Runs `program` under the AWS mocks, recording each resource with its inputs, parent and dependsOn. */
export function runAwsProgram<T>(program: () => T | Promise<T>): Promise<ProgramRun<T>> {
    return runUnderMocks(program, "aws:", awsState, awsCall);
}

/**
 * A PlatformContext on a placeholder cluster. In mirror mode the registry's transform is
 * installed as a stack transformation (as the unit harness does), so relocation is visible.
 */
export function awsTestContext(opts: { loadBalancer?: boolean; registry?: Partial<RegistryArgs>; existingNamespaces?: string[] } = {}): {
    ctx: PlatformContext; opts: pulumi.ComponentResourceOptions;
} {
    const provider = new k8s.Provider("k8s", { kubeconfig: "placeholder", enableServerSideApply: false });
    const registry = new Registry("registry", { mode: "public", pullSecretName: "mlplat-registry", ...opts.registry });
    pulumi.runtime.registerStackTransformation((a) => {
        const props = registry.transformProps({ type: a.type, props: a.props as Record<string, unknown> });
        return props ? { props, opts: a.opts } : undefined;
    });
    return {
        ctx: {
            cluster: { provider, flavour: "existing", loadBalancer: opts.loadBalancer ?? true, defaultStorageClass: true },
            registry, extraLabels: { team: "ml" }, existingNamespaces: opts.existingNamespaces,
        },
        opts: { providers: { kubernetes: provider } },
    };
}

export const ofType = (resources: Registered[], type: string) => resources.filter((r) => r.type === type);
export const single = (resources: Registered[], type: string, name?: string) => {
    const found = ofType(resources, type).filter((r) => name === undefined || r.name === name || r.inputs?.metadata?.name === name || r.inputs?.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
    return found[0];
};

/** Resolves an Output to its value under the mocks (undefined when unknown). */
export function valueOf<T>(o: pulumi.Input<T> | undefined): Promise<T | undefined> {
    return new Promise((resolve) => pulumi.output(o).apply((v) => { resolve(v as T); return v; }));
}
