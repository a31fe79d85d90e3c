// Resource options under mocks, shared by the stack harness and the component harnesses.
import * as pulumi from "@pulumi/pulumi";

/**
 * The mocks see no resource options: records each resource's dependsOn and parent (Pulumi
 * names) as the SDK hands them over, keyed `type::name`. Call inside runInPulumiStack.
 */
export function recordResourceOptions(options: Map<string, { dependsOn: string[]; parent?: string }>): void {
    const nameOf = (r: unknown) => (r as { __name?: string } | undefined)?.__name;
    pulumi.runtime.registerStackTransformation((args) => {
        const deps = args.opts.dependsOn;
        const list: unknown[] = Array.isArray(deps) ? deps : deps ? [deps] : [];
        options.set(`${args.type}::${args.name}`, { dependsOn: list.map(nameOf).filter((n): n is string => !!n), parent: nameOf(args.opts.parent) });
        return undefined;
    });
}

/** A resource as the mocks saw it: type, name, inputs, and the recorded dependsOn and parent. */
export interface MockedResource {
    type: string;
    name: string;
    inputs: any;
    dependsOn?: string[];
    parent?: string;
}

export interface MockedRun<T> {
    resources: MockedResource[];
    /** Tokens of the provider functions the program called. */
    calls: string[];
    result?: T;
    error?: Error;
}

/**
 * Runs `program` under mocks, recording each resource with its inputs, parent and dependsOn.
 * `state` answers new resources whose type starts with `prefix` (others echo their inputs),
 * `call` answers provider functions. With `exportResult` the result becomes the stack's outputs,
 * so errors raised inside its Outputs fail the run (the Azure checks rely on it); without, a
 * component result stays out of them (the EKS kubeconfig is read from the result instead).
 * Shared by the cloud component harnesses.
 */
export async function runUnderMocks<T>(program: () => T | Promise<T>, prefix: string,
    state: (args: pulumi.runtime.MockResourceArgs) => { id: string; state: Record<string, any> },
    call: (args: pulumi.runtime.MockCallArgs) => Record<string, any>, exportResult = false): Promise<MockedRun<T>> {
    const resources: MockedResource[] = [];
    const calls: string[] = [];
    pulumi.runtime.setMocks({
        newResource: (args) => {
            resources.push({ type: args.type, name: args.name, inputs: args.inputs });
            return args.type.startsWith(prefix) ? state(args) : { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => {
            calls.push(args.token);
            return call(args);
        },
    }, "mlplat", "unit", false);
    pulumi.runtime.setAllConfig({});
    const options = new Map<string, { dependsOn: string[]; parent?: string }>();
    let result: T | undefined;
    let error: Error | undefined;
    try {
        const outputs = await pulumi.runtime.runInPulumiStack(async () => {
            recordResourceOptions(options);
            result = await program();
            return exportResult ? result : undefined;
        });
        if (exportResult) result = outputs as T;
    } catch (e) {
        error = e as Error;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (const r of resources) Object.assign(r, options.get(`${r.type}::${r.name}`) ?? {});
    return { resources: resources.filter((r) => r.type !== "pulumi:pulumi:Stack"), calls, result, error };
}
