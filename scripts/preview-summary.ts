// Turns the engine's JSON preview into the Markdown a reviewer reads in ten seconds: what will
// be created, updated, replaced and deleted per component (platform), every replacement and
// delete with the property that forces it, the policy violations and exemptions.
//
//   PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true pulumi preview --json --policy-pack policy … > preview.jsonl
//   ts-node scripts/preview-summary.ts [--stack NAME] preview.jsonl > summary.md
//
// Input: the streaming form (one engine event per line: the only form that carries policy
// events) or the one-document digest of a plain `pulumi preview --json` (no policy results).
// Only names, types, operations and property paths are printed, never property values; the
// engine masks secrets as "[secret]" already, and URL passwords in error messages are masked.
import * as fs from "fs";

export type Change = "create" | "update" | "replace" | "delete" | "same";

export interface Step {
    urn: string;
    type: string;
    change: Change;
    parent?: string;
    /** Properties that force a replacement, or that differ for an update. */
    properties: string[];
}

export interface PolicyResult {
    policy: string;
    level: string;
    urn?: string;
    message: string;
}

export interface Preview {
    stack?: string;
    steps: Step[];
    violations: PolicyResult[];
    exemptions: PolicyResult[];
    advisories: PolicyResult[];
    errors: string[];
    /** The engine's own count (summaryEvent / changeSummary), when present. */
    engineSummary?: Record<string, number>;
    /** False when the input had no policy events at all (the digest form, or no pack). */
    policyRan: boolean;
}

const REPLACE_OPS = new Set(["replace", "create-replacement", "delete-replaced", "discard-replaced", "read-replacement", "import-replacement"]);
const OP_CHANGE: Record<string, Change> = {
    create: "create", import: "create", update: "update", delete: "delete", discard: "delete",
    same: "same", read: "same", refresh: "same", "remove-pending-replace": "same",
};
const EXEMPTION_POLICIES = new Set(["exemptions", "exemptions-stack"]);

/** Engine color directives, `<{%reset%}>` and the like. */
const stripColors = (s: string) => s.replace(/<\{%[^%]*%\}>/g, "");
/** `scheme://user:password@` → `scheme://user:***@`. */
export const maskUrlPasswords = (s: string) => s.replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]+@/gi, "$1***@");

interface StepMetadata {
    op: string;
    urn: string;
    type: string;
    keys?: string[];
    diffs?: string[];
    detailedDiff?: Record<string, { diffKind?: string; kind?: string }> | null;
    old?: { parent?: string } | null;
    new?: { parent?: string } | null;
    oldState?: { parent?: string } | null;
    newState?: { parent?: string } | null;
    replaceReasons?: string[];
    diffReasons?: string[];
}

function changedProperties(m: StepMetadata, replace: boolean): string[] {
    const keys = m.keys ?? m.replaceReasons ?? [];
    const detailed = Object.entries(m.detailedDiff ?? {});
    if (replace) {
        const forcing = detailed.filter(([, d]) => String(d.diffKind ?? d.kind ?? "").endsWith("replace")).map(([p]) => p);
        return keys.length ? keys : forcing;
    }
    return detailed.length ? detailed.map(([p]) => p) : (m.diffs ?? m.diffReasons ?? []);
}

/** Reads either input form into one `Preview`. */
export function parsePreview(text: string, stack?: string): Preview {
    const out: Preview = { stack, steps: [], violations: [], exemptions: [], advisories: [], errors: [], policyRan: false };
    const metas: StepMetadata[] = [];
    const trimmed = text.trim();
    let digest: any;
    if (trimmed.startsWith("{") && !trimmed.includes("\n{")) {
        try {
            digest = JSON.parse(trimmed);
        } catch {
            digest = undefined;
        }
    }
    if (digest && Array.isArray(digest.steps)) {
        metas.push(...digest.steps);
        out.engineSummary = digest.changeSummary;
        for (const d of digest.diagnostics ?? []) if (d.severity === "error") out.errors.push(stripColors(String(d.message)));
    } else {
        for (const line of trimmed.split("\n")) {
            if (!line.trim()) continue;
            let e: any;
            try {
                e = JSON.parse(line);
            } catch {
                continue; // a stray non-JSON line (a plugin's stdout)
            }
            if (e.resourcePreEvent) metas.push(e.resourcePreEvent.metadata);
            else if (e.policyEvent) {
                const p = e.policyEvent;
                const lines = stripColors(String(p.message)).trim().split("\n");
                // @pulumi/policy puts the policy's description first, then the violation.
                const message = (lines.length > 1 ? lines.slice(1) : lines).join(" ").trim();
                const r: PolicyResult = { policy: p.policyName, level: p.enforcementLevel, urn: p.resourceUrn || undefined, message };
                if (EXEMPTION_POLICIES.has(p.policyName)) out.exemptions.push(r);
                else if (p.enforcementLevel === "mandatory") out.violations.push(r);
                else out.advisories.push(r);
            } else if (e.policyAnalyzeSummaryEvent || e.policyAnalyzeStackSummaryEvent || e.policyLoadEvent) out.policyRan = true;
            else if (e.diagnosticEvent?.severity === "error") out.errors.push(stripColors(`${e.diagnosticEvent.prefix ?? ""}${e.diagnosticEvent.message}`).trim());
            else if (e.errorEvent) out.errors.push(String(e.errorEvent.error));
            else if (e.summaryEvent) out.engineSummary = e.summaryEvent.resourceChanges;
        }
        if (out.violations.length || out.exemptions.length || out.advisories.length) out.policyRan = true;
    }
    // One entry per URN: a replacement shows up as several steps (create-replacement, replace, delete-replaced).
    const byUrn = new Map<string, Step>();
    for (const m of metas) {
        if (!m?.urn) continue;
        const replace = REPLACE_OPS.has(m.op);
        const change: Change = replace ? "replace" : OP_CHANGE[m.op] ?? "same";
        const parent = (m.new ?? m.newState)?.parent || (m.old ?? m.oldState)?.parent || undefined;
        const prev = byUrn.get(m.urn);
        const step: Step = { urn: m.urn, type: m.type ?? typeOfUrn(m.urn), change, parent: parent ?? prev?.parent, properties: changedProperties(m, replace) };
        if (!prev || rank(change) > rank(prev.change)) byUrn.set(m.urn, { ...step, properties: step.properties.length ? step.properties : prev?.properties ?? [] });
        else if (prev.change === "replace" && !prev.properties.length) prev.properties = step.properties;
    }
    out.steps = [...byUrn.values()];
    out.errors = [...new Set(out.errors.map(maskUrlPasswords))];
    return out;
}

const rank = (c: Change) => ["same", "update", "create", "delete", "replace"].indexOf(c);

/** `urn:pulumi:dev::mlplat::a$b$kubernetes:apps/v1:Deployment::name` → its type and name. */
export function typeOfUrn(urn: string): string {
    const parts = urn.split("::");
    const types = parts[2] ?? "";
    return types.slice(types.lastIndexOf("$") + 1);
}
export const nameOfUrn = (urn: string) => urn.split("::").slice(3).join("::");
const shortType = (t: string) => t.slice(t.lastIndexOf(":") + 1);

/**
 * The component a resource belongs to: its ancestor directly under the stack (itself, for a
 * top-level component); "(stack)" for a resource directly under the stack. When an ancestor
 * is not in the input (the digest lists only changed resources), the URN's type chain names
 * the top-level component's type.
 */
function componentOf(step: Step, byUrn: Map<string, Step>): string {
    let cur = step;
    const seen = new Set<string>([step.urn]);
    for (;;) {
        if (!cur.parent) {
            // No parent recorded (a digest without states): the URN's type chain starts with the top-level component.
            const chain = cur.urn.split("::")[2]?.split("$") ?? [];
            if (cur === step && chain.length > 1) return shortType(chain[0]);
            break;
        }
        const parent = byUrn.get(cur.parent);
        if (!parent) {
            if (typeOfUrn(cur.parent) === "pulumi:pulumi:Stack") break;
            const chain = cur.parent.split("::")[2]?.split("$") ?? [];
            return chain.length > 1 ? shortType(chain[0]) : `${shortType(typeOfUrn(cur.parent))} ${nameOfUrn(cur.parent)}`;
        }
        if (parent.type === "pulumi:pulumi:Stack" || seen.has(parent.urn)) break;
        seen.add(parent.urn);
        cur = parent;
    }
    return cur === step && !isComponentType(cur.type) ? "(stack)" : `${shortType(cur.type)} ${nameOfUrn(cur.urn)}`;
}
/** Component types (`mlplat:platforms:AiAppStore`, `kubernetes:helm.sh/v4:Chart` is a component too). */
const isComponentType = (t: string) => (!t.startsWith("pulumi:") && !/^(kubernetes|aws|azure-native|random):/.test(t)) || /^kubernetes:(helm\.sh|yaml|kustomize)/.test(t);

/** What a reviewer needs to identify a resource: the Kubernetes kind or cloud type, and its name. */
const label = (urn: string, type: string) => `\`${shortType(type)}\` \`${nameOfUrn(urn)}\``;

function resourceLabel(urn: string | undefined): string {
    return urn ? label(urn, typeOfUrn(urn)) : "the stack";
}

/** The Markdown summary. */
export function renderSummary(p: Preview): string {
    const steps = p.steps.filter((s) => s.type !== "pulumi:pulumi:Stack");
    const byUrn = new Map(p.steps.map((s) => [s.urn, s]));
    const count = (c: Change, list = steps) => list.filter((s) => s.change === c).length;
    const changes: Change[] = ["create", "update", "replace", "delete"];
    const lines: string[] = [];
    const title = p.stack ? `stack \`${p.stack}\`` : "the stack";
    const failed = p.violations.length > 0 || p.errors.length > 0;
    lines.push(`### ${failed ? "❌" : "✅"} \`pulumi preview\` of ${title}`, "");
    const totals = changes.map((c) => `${count(c)} to ${c}`).join(" · ");
    const policy = p.policyRan
        ? `policies: ${p.violations.length} violation${p.violations.length === 1 ? "" : "s"}, ${p.exemptions.length} exemption${p.exemptions.length === 1 ? "" : "s"}`
        : "policies: not run (no policy events in the input)";
    // The digest lists only changed resources: the engine's own count has the unchanged ones.
    const unchanged = count("same") || (p.engineSummary?.same ?? 0);
    lines.push(`**${totals}** · ${unchanged} unchanged · ${policy}`, "");

    const groups = new Map<string, Step[]>();
    for (const s of steps) {
        const g = componentOf(s, byUrn);
        groups.set(g, [...(groups.get(g) ?? []), s]);
    }
    const changed = [...groups.entries()].filter(([, list]) => list.some((s) => s.change !== "same"));
    if (changed.length) {
        lines.push("| component | create | update | replace | delete | unchanged |", "| --- | ---: | ---: | ---: | ---: | ---: |");
        for (const [g, list] of changed.sort(([a], [b]) => a.localeCompare(b))) {
            lines.push(`| ${g} | ${changes.map((c) => count(c, list) || "").join(" | ")} | ${count("same", list)} |`);
        }
        lines.push("");
    } else {
        lines.push("No changes.", "");
    }

    const destructive = steps.filter((s) => s.change === "replace" || s.change === "delete");
    if (destructive.length) {
        lines.push("#### Replacements and deletions", "");
        for (const s of destructive) {
            const why = s.change === "replace"
                ? (s.properties.length ? `forced by ${s.properties.map((x) => `\`${x}\``).join(", ")}` : "forced by the provider (no property named)")
                : "no longer declared by the program";
            lines.push(`- **${s.change}** ${label(s.urn, s.type)} (${componentOf(s, byUrn)}): ${why}`);
        }
        lines.push("");
    }
    const updates = steps.filter((s) => s.change === "update");
    if (updates.length) {
        lines.push("<details><summary>Updates</summary>", "");
        for (const s of updates) lines.push(`- ${label(s.urn, s.type)} (${componentOf(s, byUrn)}): ${s.properties.map((x) => `\`${x}\``).join(", ") || "changed"}`);
        lines.push("", "</details>", "");
    }
    if (p.violations.length) {
        lines.push("#### Policy violations (mandatory: the preview fails)", "");
        for (const v of p.violations) lines.push(`- \`${v.policy}\` on ${resourceLabel(v.urn)}: ${v.message}`);
        lines.push("");
    }
    if (p.exemptions.length) {
        lines.push("#### Exemptions (policy/exemptions.json)", "");
        for (const x of p.exemptions) lines.push(`- ${resourceLabel(x.urn)}: ${x.message.replace(/^EXEMPT from /, "")}`);
        lines.push("");
    }
    if (p.advisories.length) {
        lines.push("<details><summary>Advisory policy notes</summary>", "");
        for (const a of p.advisories) lines.push(`- \`${a.policy}\` on ${resourceLabel(a.urn)}: ${a.message}`);
        lines.push("", "</details>", "");
    }
    if (p.errors.length) {
        lines.push("#### Errors", "");
        for (const e of p.errors) lines.push("```", e.length > 2000 ? `${e.slice(0, 2000)}…` : e, "```");
        lines.push("");
    }
    return lines.join("\n");
}

if (require.main === module) {
    const args = process.argv.slice(2);
    let stack: string | undefined;
    const i = args.indexOf("--stack");
    if (i >= 0) {
        stack = args[i + 1];
        args.splice(i, 2);
    }
    const input = args[0] && args[0] !== "-" ? fs.readFileSync(args[0], "utf8") : fs.readFileSync(0, "utf8");
    process.stdout.write(renderSummary(parsePreview(input, stack)));
}
