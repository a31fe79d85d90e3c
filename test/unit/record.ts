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
