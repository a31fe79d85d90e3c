// mlplat's CrossGuard policy pack. The policies are the plain functions of ./rules.ts (the unit
// tests run the same ones over the stacks under mocks); this file only adapts them to
// @pulumi/policy: one policy per rule, mandatory by default, and two advisory policies that
// show every exemption (policy/exemptions.json) in the preview output with its reason.
import * as fs from "fs";
import * as path from "path";
import { PolicyPack, PolicyResource as EnginePolicyResource, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
    checkResource, checkStack, Exemption, exemptionProblems, findExemption, POLICIES, PolicyResource, resourceId, stackOfUrn, UNKNOWN,
} from "./rules";
import { MirrorPolicyConfig, settingsFromPackConfig } from "./stack-config";

// Compiled to policy/bin/index.js: the exemptions file is beside the sources.
const exemptions: Exemption[] = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "exemptions.json"), "utf8"));
const problems = exemptionProblems(exemptions);
if (problems.length) throw new Error(`policy/exemptions.json: ${problems.join("; ")}`);

/**
 * A plain copy of the engine's properties. @pulumi/policy hands them over behind a proxy that
 * throws on a value unknown during preview; the rules get `UNKNOWN` there instead, so one
 * unknown field skips that field's check, not the whole policy.
 */
function plain(v: unknown, depth = 0): any {
    if (depth > 64 || v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) {
        const out: unknown[] = [];
        for (let i = 0; i < v.length; i++) out.push(read(v, i, depth));
        return out;
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = read(v as Record<string, unknown>, k, depth);
    return out;
}
function read(o: any, k: string | number, depth: number): unknown {
    try {
        return plain(o[k], depth + 1);
    } catch (e) {
        if ((e as Error)?.constructor?.name === "UnknownValueError") return UNKNOWN;
        throw e;
    }
}

// Mirror settings come from the stack's policy config (scripts/policy.sh writes it from Pulumi.<stack>.yaml).
let mirrorConfig: MirrorPolicyConfig = {};

const toResource = (type: string, name: string, props: Record<string, any>, urn: string): PolicyResource =>
    ({ type, name, urn, props: plain(props) });

const exempt = (policy: string, resource: string, urn: string) =>
    findExemption(exemptions, policy as Exemption["policy"], resource, stackOfUrn(urn));

const resourcePolicies: ResourceValidationPolicy[] = POLICIES.filter((p) => p.scope === "resource").map((p) => ({
    name: p.name,
    description: p.description,
    severity: p.severity,
    ...(p.advisory ? { enforcementLevel: "advisory" as const } : {}),
    remediationSteps: "Fix the component or stack config that builds this object; or, with a reason, add an exemption to policy/exemptions.json (docs/reviewing-changes.md).",
    ...(p.name === "images-from-mirror" ? {
        configSchema: { properties: { mirror: { type: "string" }, pullSecretName: { type: "string" } } },
    } : {}),
    validateResource: (args, report) => {
        if (p.name === "images-from-mirror") mirrorConfig = args.getConfig<MirrorPolicyConfig>();
        const r = toResource(args.type, args.name, args.props, args.urn);
        const id = resourceId(r);
        if (exempt(p.name, id, args.urn)) return;
        for (const m of checkResource(p.name, r, settingsFromPackConfig(mirrorConfig))) report(`${id}: ${m}`);
    },
}));

const stackResources = (rs: EnginePolicyResource[]): PolicyResource[] => rs.map((r) => ({
    ...toResource(r.type, r.name, r.props, r.urn),
    propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies ?? {}).map(([k, deps]) => [k, deps.map((d) => d.urn)])),
}));

function reportByUrn(rs: PolicyResource[], report: ReportViolation, resource: string, message: string) {
    const r = rs.find((x) => resourceId(x) === resource);
    report(message, r?.urn);
}

const stackPolicies: StackValidationPolicy[] = POLICIES.filter((p) => p.scope === "stack").map((p) => ({
    name: p.name,
    description: p.description,
    severity: p.severity,
    remediationSteps: "Fix the component that creates these resources; or, with a reason, add an exemption to policy/exemptions.json (docs/reviewing-changes.md).",
    validateStack: (args, report) => {
        const rs = stackResources(args.resources);
        if (!rs.length) return;
        const stack = stackOfUrn(rs[0].urn!);
        for (const f of checkStack(p.name, rs, {})) {
            if (!findExemption(exemptions, f.policy, f.resource, stack)) reportByUrn(rs, report, f.resource, `${f.resource}: ${f.message}`);
        }
    },
}));

const exemptionNote = (f: { policy: string; resource: string; message: string; reason: string }) =>
    `EXEMPT from ${f.policy}: ${f.resource}: ${f.message} — reason: ${f.reason}`;

new PolicyPack("mlplat", {
    enforcementLevel: "mandatory",
    description: "mlplat: restricted pod security, resources, probes, pinned and mirrored images, no literal secrets, default-deny namespaces, S3/ECR/AzureML settings.",
    policies: [
        ...resourcePolicies,
        ...stackPolicies,
        {
            name: "exemptions",
            description: "Shows every finding of a resource policy that policy/exemptions.json lifts, with its reason (advisory: never fails a preview).",
            enforcementLevel: "advisory",
            severity: "low",
            validateResource: (args, report) => {
                const r = toResource(args.type, args.name, args.props, args.urn);
                const resource = resourceId(r);
                for (const p of POLICIES.filter((p) => p.scope === "resource")) {
                    const e = exempt(p.name, resource, args.urn);
                    // images-from-mirror ran before this policy for the same resource and read the mirror config.
                    if (e) for (const message of checkResource(p.name, r, settingsFromPackConfig(mirrorConfig))) report(exemptionNote({ policy: p.name, resource, message, reason: e.reason }));
                }
            },
        },
        {
            name: "exemptions-stack",
            description: "Shows every finding of a stack policy that policy/exemptions.json lifts, with its reason (advisory: never fails a preview).",
            enforcementLevel: "advisory",
            severity: "low",
            validateStack: (args, report) => {
                const rs = stackResources(args.resources);
                if (!rs.length) return;
                const stack = stackOfUrn(rs[0].urn!);
                for (const p of POLICIES.filter((p) => p.scope === "stack")) {
                    for (const f of checkStack(p.name, rs, {})) {
                        const e = findExemption(exemptions, f.policy, f.resource, stack);
                        if (e) reportByUrn(rs, report, f.resource, exemptionNote({ ...f, reason: e.reason }));
                    }
                }
            },
        },
    ],
});
