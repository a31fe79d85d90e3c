// mlplat's policies as plain functions over a resource's type and properties.
//
// The CrossGuard pack (policy/index.ts) and the unit tests (test/unit/policy.test.ts, over
// the dev and prod stacks' registered resources under mocks) call the same functions, so
// what the tests prove is what a preview enforces. Nothing here imports Pulumi.

/** A resource as a policy sees it: its type, its Pulumi name and its properties. */
export interface PolicyResource {
    type: string;
    /** The resource's Pulumi name (the last part of its URN). */
    name: string;
    props: Record<string, any>;
    /** Its URN, when the engine gives one (CrossGuard); used to match dependencies. */
    urn?: string;
    /** Its ID, when known (the mocks' `<name>-id`; a cloud resource's outputs). */
    id?: string;
    /** For each property, the URNs of the resources its value came from (CrossGuard stack policies). */
    propertyDependencies?: Record<string, string[]>;
}

/** What the pack needs to know about the stack: set from the stack's config by `policy/stack-config.ts`. */
export interface PolicySettings {
    /** Mirror mode: every image must start with `<prefix>/`. */
    mirror?: {
        /** `<host>[/<pathPrefix>]`, e.g. `registry.corp:5000/mlplat`. */
        prefix: string;
        /** The pull secret every pod spec must carry (an authenticated mirror); none for an anonymous one. */
        pullSecretName?: string;
    };
}

/** A value that cannot be known during a preview (an output of a resource not yet created). */
export const UNKNOWN = "<unknown during preview>";

export type PolicyName =
    | "pod-security-restricted"
    | "container-resources"
    | "container-probes"
    | "images-pinned"
    | "images-from-mirror"
    | "no-plaintext-secret-env"
    | "namespace-default-deny"
    | "s3-bucket-secure"
    | "ecr-repository-secure"
    | "azureml-protected-settings"
    | "read-only-root-filesystem";

export interface PolicyInfo {
    name: PolicyName;
    description: string;
    /** Why we enforce it (docs/reviewing-changes.md says the same at length). */
    why: string;
    severity: "low" | "medium" | "high" | "critical";
    /** `resource`: one resource at a time; `stack`: needs the other resources. */
    scope: "resource" | "stack";
    /** Reported in every preview but never fails one (default: mandatory). */
    advisory?: boolean;
}

export const POLICIES: PolicyInfo[] = [
    {
        name: "pod-security-restricted", scope: "resource", severity: "high",
        description: "Every pod spec (workloads, Jobs, Helm-rendered objects, custom resources embedding pod specs) meets the restricted Pod Security Standard: non-root, no privilege escalation, all capabilities dropped, seccomp RuntimeDefault, no host namespaces, ports or paths, no privileged containers.",
        why: "A compromised model server or third-party image must not get root on the node; the restricted level is what the namespaces' pod-security labels enforce at admission, so a violation found here fails at deploy time anyway, later and less clearly.",
    },
    {
        name: "container-resources", scope: "resource", severity: "medium",
        description: "Every container requests and limits CPU and memory.",
        why: "Without requests the scheduler overcommits nodes; without limits one runaway worker starves the platform's other pods.",
    },
    {
        name: "container-probes", scope: "resource", severity: "medium",
        description: "Every long-running container (not Jobs or run-to-completion pods) has a readiness and a liveness probe.",
        why: "A rollout only waits for pods that can say they are ready, and a hung process is only restarted if something checks it.",
    },
    {
        name: "images-pinned", scope: "resource", severity: "high",
        description: "Every container image is pinned: a digest or an exact tag, never `latest`, a floating tag or no tag.",
        why: "The same preview must deploy the same bits on every node and every run; a moving tag changes production without a diff.",
    },
    {
        name: "images-from-mirror", scope: "resource", severity: "critical",
        description: "In mirror mode every image comes from the mirror, and with an authenticated mirror every pod spec carries its pull secret.",
        why: "An air-gapped cluster cannot pull from anywhere else: an image outside the mirror is a pod stuck in ImagePullBackOff, or a leak out of the air gap.",
    },
    {
        name: "no-plaintext-secret-env", scope: "resource", severity: "critical",
        description: "No environment variable whose name says it holds a secret (…PASSWORD, …SECRET, …TOKEN, …KEY, …CREDENTIAL(S)) has a literal value; no connection string (…DSN, …CONNECTION_STRING) and no URL in any value embeds a literal credential: secrets come through `secretKeyRef`.",
        why: "A literal env value is stored in the object, in the Pulumi state and in every preview diff, readable by anyone who can read the workload.",
    },
    {
        name: "namespace-default-deny", scope: "stack", severity: "high",
        description: "Every namespace the stack creates has a NetworkPolicy that selects all its pods and denies ingress by default.",
        why: "Platform services (databases, queues, model servers) must be reachable only by the clients a policy names, not by every pod in the cluster.",
    },
    {
        name: "s3-bucket-secure", scope: "stack", severity: "high",
        description: "Every S3 bucket the stack creates blocks public access (all four settings) and has default server-side encryption.",
        why: "Model artefacts and user data must never become public by a later ACL or bucket policy, and must be encrypted at rest.",
    },
    {
        name: "ecr-repository-secure", scope: "resource", severity: "medium",
        description: "Every ECR repository scans images on push and has immutable tags.",
        why: "A pushed tag must keep meaning the same image (pinning is worthless otherwise), and vulnerabilities must be reported when an image arrives.",
    },
    {
        name: "azureml-protected-settings", scope: "resource", severity: "critical",
        description: "An AzureML extension's connection strings, keys and certificates are only in `configurationProtectedSettings`, never in the plain `configurationSettings`.",
        why: "Plain extension settings are readable by anyone with read access to the cluster resource in Azure; protected settings are write-only.",
    },
    {
        name: "read-only-root-filesystem", scope: "resource", severity: "low", advisory: true,
        description: "Every container's root filesystem is read-only (`readOnlyRootFilesystem: true`). Advisory: a vendor image that must write its root (Redpoint AML's `writableRootFs` escape hatch, some upstream charts) is shown in every preview, not refused.",
        why: "A writable root lets a compromised process change the image's own binaries and hide there; our builder mounts writable paths as emptyDir volumes instead.",
    },
];

export interface Finding {
    policy: PolicyName;
    /** The resource, as `resourceId` names it. */
    resource: string;
    message: string;
}

const isUnknown = (v: unknown) => v === UNKNOWN;
const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === "object" && !Array.isArray(v);

/** The short kind of a Kubernetes type token: `kubernetes:apps/v1:Deployment` → `Deployment`. */
export function kindOf(type: string): string {
    return type.slice(type.lastIndexOf(":") + 1);
}

/**
 * How findings and exemptions name a resource: `<Kind> <namespace>/<name>` for a Kubernetes
 * object (`Deployment ai-appstore/mongodb`, `Namespace mlplat-storage`), `<type> <Pulumi name>`
 * for anything else (`aws:s3/bucket:Bucket storage-bucket`).
 */
export function resourceId(r: Pick<PolicyResource, "type" | "name" | "props">): string {
    const md = r.props?.metadata;
    if (r.type.startsWith("kubernetes:") && isObj(md) && typeof md.name === "string" && !isUnknown(md.name)) {
        return `${kindOf(r.type)} ${typeof md.namespace === "string" ? `${md.namespace}/` : ""}${md.name}`;
    }
    return `${r.type} ${r.name}`;
}

// ---------------------------------------------------------------------------
// Pod specs

/** Kubernetes types whose properties are not objects in the cluster (they render objects, checked on their own). */
const RENDERERS = /^kubernetes:(helm\.sh\/v\d+:Chart|helm\.sh\/v\d+:Release|yaml(\/v\d+)?:Config(File|Group)|kustomize(\/v\d+)?:Directory|apiextensions\.k8s\.io\/v1:CustomResourceDefinition)$/;

export interface FoundPodSpec {
    /** Where it is in the object, e.g. `spec.template.spec`. */
    path: string;
    spec: Record<string, any>;
    /** False for Jobs, CronJobs and pods that restart never or on failure. */
    longRunning: boolean;
}

const RUN_TO_COMPLETION = new Set(["Job", "CronJob"]);

/** Every pod spec in a Kubernetes object: an object with a `containers` list, anywhere in its properties. */
export function podSpecs(type: string, props: Record<string, any>): FoundPodSpec[] {
    if (!type.startsWith("kubernetes:") || RENDERERS.test(type)) return [];
    const out: FoundPodSpec[] = [];
    const batchKind = RUN_TO_COMPLETION.has(kindOf(type));
    const walk = (node: unknown, path: string) => {
        if (Array.isArray(node)) return node.forEach((v, i) => walk(v, `${path}[${i}]`));
        if (!isObj(node)) return;
        if (Array.isArray(node.containers) && node.containers.some(isObj)) {
            const restart = node.restartPolicy;
            out.push({ path, spec: node, longRunning: !batchKind && restart !== "Never" && restart !== "OnFailure" });
            return;
        }
        for (const [k, v] of Object.entries(node)) {
            if (path === "" && (k === "metadata" || k === "status" || k === "apiVersion" || k === "kind")) continue;
            walk(v, path ? `${path}.${k}` : k);
        }
    };
    walk(props, "");
    return out;
}

interface ContainerRef {
    field: "containers" | "initContainers" | "ephemeralContainers";
    c: Record<string, any>;
    label: string;
}

function containersOf(spec: Record<string, any>): ContainerRef[] {
    const out: ContainerRef[] = [];
    for (const field of ["containers", "initContainers", "ephemeralContainers"] as const) {
        const list = spec[field];
        if (!Array.isArray(list)) continue;
        for (const c of list) {
            if (!isObj(c)) continue;
            const kind = field === "containers" ? "container" : field === "initContainers" ? "init container" : "ephemeral container";
            out.push({ field, c, label: `${kind} ${typeof c.name === "string" ? c.name : "?"}` });
        }
    }
    return out;
}

type Check = (r: PolicyResource, settings: PolicySettings) => string[];

/** Applies `f` to each pod spec of the resource; messages are prefixed with the spec's path when the object holds several. */
function perPodSpec(f: (p: FoundPodSpec, settings: PolicySettings) => string[]): Check {
    return (r, settings) => {
        const specs = podSpecs(r.type, r.props);
        return specs.flatMap((p) => f(p, settings).map((m) => (specs.length > 1 ? `${p.path}: ${m}` : m)));
    };
}

const ALLOWED_VOLUMES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);
const SECCOMP_OK = new Set(["RuntimeDefault", "Localhost"]);

const podSecurity = perPodSpec(({ spec }) => {
    const out: string[] = [];
    const podSc = isObj(spec.securityContext) ? spec.securityContext : {};
    for (const f of ["hostNetwork", "hostPID", "hostIPC"]) if (spec[f] === true) out.push(`${f} is true`);
    if (Array.isArray(spec.volumes)) {
        for (const v of spec.volumes) {
            if (!isObj(v)) continue;
            const kinds = Object.keys(v).filter((k) => k !== "name");
            const bad = kinds.filter((k) => !ALLOWED_VOLUMES.has(k));
            if (bad.length) out.push(`volume ${v.name}: ${bad.join(", ")} is not allowed (only ${[...ALLOWED_VOLUMES].join(", ")})`);
        }
    }
    if (podSc.runAsUser === 0) out.push("the pod's runAsUser is 0 (root)");
    const podSeccomp = isObj(podSc.seccompProfile) ? podSc.seccompProfile.type : undefined;
    if (podSeccomp !== undefined && !isUnknown(podSeccomp) && !SECCOMP_OK.has(podSeccomp)) out.push(`the pod's seccompProfile is ${podSeccomp}`);
    for (const { c, label } of containersOf(spec)) {
        const sc = isObj(c.securityContext) ? c.securityContext : {};
        const problems: string[] = [];
        if (sc.privileged === true) problems.push("privileged");
        if (sc.allowPrivilegeEscalation !== false && !isUnknown(sc.allowPrivilegeEscalation)) problems.push("allowPrivilegeEscalation is not false");
        const caps = isObj(sc.capabilities) ? sc.capabilities : {};
        const drop: unknown[] = Array.isArray(caps.drop) ? caps.drop : [];
        if (!drop.includes("ALL") && !isUnknown(caps.drop)) problems.push("capabilities.drop does not include ALL");
        const added = (Array.isArray(caps.add) ? caps.add : []).filter((a: unknown) => a !== "NET_BIND_SERVICE");
        if (added.length) problems.push(`adds capabilities ${added.join(", ")} (only NET_BIND_SERVICE is allowed)`);
        const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
        if (nonRoot !== true && !isUnknown(nonRoot)) problems.push(sc.runAsNonRoot === false ? "runAsNonRoot is false" : "runAsNonRoot is not set (on the container or the pod)");
        if (sc.runAsUser === 0) problems.push("runAsUser is 0 (root)");
        const seccomp = isObj(sc.seccompProfile) ? sc.seccompProfile.type : podSeccomp;
        if (!isUnknown(seccomp) && !SECCOMP_OK.has(seccomp)) problems.push(seccomp === undefined ? "no seccompProfile RuntimeDefault (on the container or the pod)" : `seccompProfile is ${seccomp}`);
        if (Array.isArray(c.ports) && c.ports.some((p: any) => isObj(p) && typeof p.hostPort === "number" && p.hostPort !== 0)) problems.push("uses a hostPort");
        if (problems.length) out.push(`${label}: ${problems.join("; ")}`);
    }
    return out;
});

const containerResources = perPodSpec(({ spec }) => {
    const out: string[] = [];
    // Ephemeral (debug) containers cannot have resources.
    for (const { c, label, field } of containersOf(spec)) {
        if (field === "ephemeralContainers" || isUnknown(c.resources)) continue;
        const res = isObj(c.resources) ? c.resources : {};
        const missing: string[] = [];
        for (const kind of ["requests", "limits"] as const) {
            const figures = isObj(res[kind]) ? res[kind] : undefined;
            if (isUnknown(res[kind])) continue;
            for (const what of ["cpu", "memory"]) if (figures?.[what] === undefined) missing.push(`${kind}.${what}`);
        }
        if (missing.length) out.push(`${label}: no ${missing.join(", ")}`);
    }
    return out;
});

const containerProbes = perPodSpec(({ spec, longRunning }) => {
    if (!longRunning) return [];
    const out: string[] = [];
    for (const { c, label, field } of containersOf(spec)) {
        // Init containers run to completion, except sidecars (restartPolicy Always), which run with the pod.
        if (field === "ephemeralContainers" || (field === "initContainers" && c.restartPolicy !== "Always")) continue;
        const missing = ["readinessProbe", "livenessProbe"].filter((p) => c[p] === undefined || c[p] === null);
        if (missing.length) out.push(`${label}: no ${missing.join(" or ")}`);
    }
    return out;
});

/** Tags that name a moving target, not one build. */
const FLOATING_TAGS = new Set(["latest", "stable", "edge", "nightly", "main", "master", "dev", "develop"]);

/** Why an image reference is not pinned, or undefined when it is. */
export function unpinnedReason(image: string): string | undefined {
    const at = image.indexOf("@");
    if (at >= 0) return /^@sha(256|384|512):[0-9a-f]{32,}$/.test(image.slice(at)) ? undefined : `${image} has a malformed digest`;
    const lastSlash = image.lastIndexOf("/");
    const colon = image.indexOf(":", lastSlash + 1);
    if (colon < 0) return `${image} has no tag (it means latest)`;
    const tag = image.slice(colon + 1);
    if (!tag) return `${image} has an empty tag`;
    if (FLOATING_TAGS.has(tag.toLowerCase())) return `${image} uses the floating tag ${tag}`;
    return undefined;
}

const imagesPinned = perPodSpec(({ spec }) => containersOf(spec).flatMap(({ c, label }) => {
    if (typeof c.image !== "string" || isUnknown(c.image)) return c.image === undefined ? [`${label}: no image`] : [];
    const why = unpinnedReason(c.image);
    return why ? [`${label}: ${why}`] : [];
}));

const imagesFromMirror = perPodSpec(({ spec }, settings) => {
    const mirror = settings.mirror;
    if (!mirror) return [];
    const out = containersOf(spec).flatMap(({ c, label }) =>
        typeof c.image === "string" && !isUnknown(c.image) && !c.image.startsWith(`${mirror.prefix}/`)
            ? [`${label}: ${c.image} is not on the mirror ${mirror.prefix}`] : []);
    if (mirror.pullSecretName && !isUnknown(spec.imagePullSecrets)) {
        const secrets: unknown[] = Array.isArray(spec.imagePullSecrets) ? spec.imagePullSecrets : [];
        if (!secrets.some((s) => isObj(s) && s.name === mirror.pullSecretName)) out.push(`no imagePullSecrets entry ${mirror.pullSecretName} for the authenticated mirror`);
    }
    return out;
});

/** Name endings that say a variable holds a secret. */
const SECRET_ENDINGS = [/PASSWORD$/, /PASSWD$/, /PASSPHRASE$/, /SECRET$/, /TOKEN$/, /KEY$/, /CREDENTIALS?$/, /CREDS$/];
/** `…_KEY` names that are identifiers, not secrets. */
const NON_SECRET_KEYS = /(ROUTING|PARTITION|SORT|PRIMARY|FOREIGN|CACHE|HASH|QUEUE|IDEMPOTENCY|OBJECT|PUBLIC|LOOKUP|GROUP|MAP|RESULT|JSON|S3)_?KEY$/;

/** True when an environment variable's name says it holds a secret. */
export function secretLookingName(name: string): boolean {
    const n = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[-.]/g, "_").toUpperCase();
    return SECRET_ENDINGS.some((re) => re.test(n)) && !NON_SECRET_KEYS.test(n);
}

/** Values that cannot be credentials: numbers and booleans (`MAX_TOKEN=512`), references to other variables (`$(PASSWORD)`). */
const harmless = (v: string) => v === "" || /^(\d+(\.\d+)?|true|false)$/i.test(v) || /\$\([A-Za-z_][A-Za-z0-9_]*\)/.test(v);
/** A URL carrying a password in its user info, `scheme://user:password@host`. */
const URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:([^@\s/]+)@/i;

/** Names of connection strings: they hold a secret only when they embed a credential. */
const CONNECTION_NAME = /(DSN|CONNECTION_?STRING)$/;
/** A credential inside a connection string: `password=…`, `AccountKey=…`, `SharedAccessKey=…`, `token=…`. */
const EMBEDDED_CREDENTIAL = /(^|[;&?\s])(password|pwd|passwd|secret|token|accountkey|sharedaccesskey)=(?!\$\()[^;&\s]+/i;

const noPlaintextSecretEnv = perPodSpec(({ spec }) => containersOf(spec).flatMap(({ c, label }) => {
    if (!Array.isArray(c.env)) return [];
    return c.env.flatMap((e: any) => {
        if (!isObj(e) || typeof e.value !== "string" || isUnknown(e.value)) return [];
        const name = String(e.name).replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
        if (CONNECTION_NAME.test(name)) {
            if (EMBEDDED_CREDENTIAL.test(e.value)) return [`${label}: env ${e.name} is a connection string with a literal credential (use valueFrom.secretKeyRef)`];
        } else if (secretLookingName(String(e.name)) && !harmless(e.value)) return [`${label}: env ${e.name} has a literal value (use valueFrom.secretKeyRef)`];
        const m = URL_PASSWORD.exec(e.value);
        if (m && !harmless(m[1])) return [`${label}: env ${e.name} has a URL with a literal password (use valueFrom.secretKeyRef)`];
        return [];
    });
}));

const ECR_REPOSITORY = "aws:ecr/repository:Repository";
const ecrRepositorySecure: Check = (r) => {
    if (r.type !== ECR_REPOSITORY) return [];
    const out: string[] = [];
    const scan = r.props.imageScanningConfiguration;
    if (!isUnknown(scan) && !(isObj(scan) && scan.scanOnPush === true)) out.push("imageScanningConfiguration.scanOnPush is not true");
    const m = r.props.imageTagMutability;
    if (!isUnknown(m) && m !== "IMMUTABLE" && m !== "IMMUTABLE_WITH_EXCLUSION") out.push(`imageTagMutability is ${m ?? "MUTABLE (the default)"}, not IMMUTABLE`);
    return out;
};

const AZURE_EXTENSION = /^azure-native:kubernetesconfiguration(\/v\d+[a-z0-9]*)?:Extension$/;
/** Settings the AzureML extension documents as protected, and names that say a setting is one. */
const PROTECTED_SETTINGS = new Set(["sslCertPemFile", "sslKeyPemFile", "scoringFe.sslCert", "scoringFe.sslKey", "relayServerConnectionString", "relayserver.relayConnectionString", "serviceBusConnectionString", "servicebus.connectionString", "azure_log_analytics.connection_string"]);
const PROTECTED_NAME = /(connection_?string|password|secret|token|sharedkey|accesskey|sslkey|privatekey)$/i;

const azuremlProtectedSettings: Check = (r) => {
    if (!AZURE_EXTENSION.test(r.type)) return [];
    const t = r.props.extensionType;
    if (typeof t === "string" && t.toLowerCase() !== "microsoft.azureml.kubernetes") return [];
    const plain = r.props.configurationSettings;
    if (!isObj(plain)) return [];
    return Object.keys(plain).filter((k) => PROTECTED_SETTINGS.has(k) || PROTECTED_NAME.test(k))
        .map((k) => `configurationSettings.${k} belongs in configurationProtectedSettings`);
};

const readOnlyRootFilesystem = perPodSpec(({ spec }) => containersOf(spec)
    .filter(({ field, c }) => field !== "ephemeralContainers" && c.securityContext?.readOnlyRootFilesystem !== true && !isUnknown(c.securityContext?.readOnlyRootFilesystem))
    .map(({ label }) => `${label}: root filesystem writable (readOnlyRootFilesystem is not true)`));

const RESOURCE_CHECKS: Record<Exclude<PolicyName, "namespace-default-deny" | "s3-bucket-secure">, Check> = {
    "pod-security-restricted": podSecurity,
    "container-resources": containerResources,
    "container-probes": containerProbes,
    "images-pinned": imagesPinned,
    "images-from-mirror": imagesFromMirror,
    "no-plaintext-secret-env": noPlaintextSecretEnv,
    "ecr-repository-secure": ecrRepositorySecure,
    "azureml-protected-settings": azuremlProtectedSettings,
    "read-only-root-filesystem": readOnlyRootFilesystem,
};

/** The messages of one resource policy for one resource (empty: compliant or not applicable). */
export function checkResource(policy: PolicyName, r: PolicyResource, settings: PolicySettings = {}): string[] {
    const check = (RESOURCE_CHECKS as Record<string, Check | undefined>)[policy];
    if (!check) throw new Error(`${policy} is not a resource policy`);
    return check(r, settings);
}

// ---------------------------------------------------------------------------
// Stack policies

const NAMESPACE = "kubernetes:core/v1:Namespace";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** True for a NetworkPolicy that selects every pod of its namespace and allows no ingress. */
export function isDefaultDenyIngress(props: Record<string, any>): boolean {
    const spec = isObj(props.spec) ? props.spec : {};
    const sel = spec.podSelector;
    const selectsAll = isObj(sel) && !(Array.isArray(sel.matchExpressions) && sel.matchExpressions.length)
        && !(isObj(sel.matchLabels) && Object.keys(sel.matchLabels).length);
    const types: unknown[] = Array.isArray(spec.policyTypes) ? spec.policyTypes : [];
    const deniesIngress = types.includes("Ingress") && !(Array.isArray(spec.ingress) && spec.ingress.length);
    return selectsAll && deniesIngress;
}

const namespaceDefaultDeny = (rs: PolicyResource[]): Finding[] => {
    const denied = new Set(rs.filter((r) => r.type === NETWORK_POLICY && isDefaultDenyIngress(r.props))
        .map((r) => r.props.metadata?.namespace).filter((n): n is string => typeof n === "string"));
    return rs.filter((r) => r.type === NAMESPACE).flatMap((r) => {
        const ns = r.props.metadata?.name;
        if (typeof ns !== "string" || isUnknown(ns) || denied.has(ns)) return [];
        return [{ policy: "namespace-default-deny" as const, resource: resourceId(r), message: `namespace ${ns} has no default-deny NetworkPolicy (podSelector {} with policyTypes [Ingress] and no ingress rules)` }];
    });
};

const S3_BUCKET = /^aws:s3\/bucket(V2)?:Bucket(V2)?$/;
const S3_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const S3_ENCRYPTION = /^aws:s3\/bucketServerSideEncryptionConfiguration(V2)?:BucketServerSideEncryptionConfiguration(V2)?$/;
const SSE_ALGORITHMS = new Set(["AES256", "aws:kms", "aws:kms:dsse"]);

/** True when `r`'s `bucket` property names the bucket `b` (by ID, name, or the dependency the engine recorded). */
function refersToBucket(r: PolicyResource, b: PolicyResource): boolean {
    const v = r.props.bucket;
    if (typeof v === "string" && !isUnknown(v) && [b.id, b.props.id, b.props.bucket].includes(v)) return true;
    return !!b.urn && (r.propertyDependencies?.bucket ?? []).includes(b.urn);
}

function encryptionRules(props: Record<string, any>): boolean {
    const rules: unknown[] = Array.isArray(props.rules) ? props.rules : Array.isArray(props.rule) ? props.rule : [];
    return rules.some((rule) => isObj(rule) && isObj(rule.applyServerSideEncryptionByDefault) && SSE_ALGORITHMS.has(rule.applyServerSideEncryptionByDefault.sseAlgorithm));
}

const s3BucketSecure = (rs: PolicyResource[]): Finding[] => rs.filter((r) => S3_BUCKET.test(r.type)).flatMap((b) => {
    const problems: string[] = [];
    const blocks = rs.filter((r) => r.type === S3_PUBLIC_ACCESS_BLOCK && refersToBucket(r, b));
    const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
    if (!blocks.some((p) => flags.every((f) => p.props[f] === true))) problems.push(`no BucketPublicAccessBlock with ${flags.join(", ")} all true`);
    const inline = isObj(b.props.serverSideEncryptionConfiguration) && encryptionRules(b.props.serverSideEncryptionConfiguration);
    if (!inline && !rs.some((r) => S3_ENCRYPTION.test(r.type) && refersToBucket(r, b) && encryptionRules(r.props))) problems.push("no default server-side encryption (BucketServerSideEncryptionConfiguration)");
    return problems.map((message) => ({ policy: "s3-bucket-secure" as const, resource: resourceId(b), message }));
});

const STACK_CHECKS: Record<"namespace-default-deny" | "s3-bucket-secure", (rs: PolicyResource[], settings: PolicySettings) => Finding[]> = {
    "namespace-default-deny": namespaceDefaultDeny,
    "s3-bucket-secure": s3BucketSecure,
};

/** The findings of one stack policy over all the stack's resources. */
export function checkStack(policy: PolicyName, rs: PolicyResource[], settings: PolicySettings = {}): Finding[] {
    const check = (STACK_CHECKS as Record<string, ((rs: PolicyResource[], s: PolicySettings) => Finding[]) | undefined>)[policy];
    if (!check) throw new Error(`${policy} is not a stack policy`);
    return check(rs, settings);
}

// ---------------------------------------------------------------------------
// Exemptions

/** One exemption, from `policy/exemptions.json`. */
export interface Exemption {
    /** The policy it lifts. */
    policy: PolicyName;
    /** The resource as `resourceId` names it; `*` matches any run of characters. */
    resource: string;
    /** Only in these stacks (default: every stack). */
    stacks?: string[];
    /** Why it is acceptable: shown in every preview. Required. */
    reason: string;
}

/** Problems with an exemptions list (unknown policies, missing reasons). */
export function exemptionProblems(list: unknown): string[] {
    if (!Array.isArray(list)) return ["exemptions must be a list"];
    const names = new Set(POLICIES.map((p) => p.name));
    return list.flatMap((e, i) => {
        if (!isObj(e)) return [`exemption ${i}: not an object`];
        const out: string[] = [];
        if (!names.has(e.policy)) out.push(`exemption ${i}: unknown policy ${e.policy}`);
        if (typeof e.resource !== "string" || !e.resource) out.push(`exemption ${i}: no resource`);
        if (typeof e.reason !== "string" || e.reason.trim().length < 10) out.push(`exemption ${i}: no reason (say why, in a sentence)`);
        if (e.stacks !== undefined && !(Array.isArray(e.stacks) && e.stacks.every((s: unknown) => typeof s === "string"))) out.push(`exemption ${i}: stacks must be a list of stack names`);
        return out;
    });
}

const glob = (pattern: string) => new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);

/** The exemption that lifts `policy` for the resource named `resource` in `stack`, if any. */
export function findExemption(exemptions: Exemption[], policy: PolicyName, resource: string, stack: string): Exemption | undefined {
    return exemptions.find((e) => e.policy === policy && (!e.stacks || e.stacks.includes(stack)) && glob(e.resource).test(resource));
}

/** The stack name in a URN: `urn:pulumi:<stack>::<project>::…`. */
export function stackOfUrn(urn: string): string {
    return urn.split("::")[0].slice("urn:pulumi:".length);
}

export interface Report {
    /** Findings of mandatory policies no exemption covers: they fail the preview. */
    violations: Finding[];
    /** Findings of advisory policies: shown, never failing. */
    advisories: Finding[];
    /** Findings an exemption covers, with its reason. */
    exempted: (Finding & { reason: string })[];
}

/** Every policy over every resource, as a stack's preview runs them; what the unit tests assert on. */
export function evaluate(rs: PolicyResource[], settings: PolicySettings, exemptions: Exemption[], stack: string): Report {
    const findings: Finding[] = [];
    for (const p of POLICIES) {
        if (p.scope === "stack") findings.push(...checkStack(p.name, rs, settings));
        else for (const r of rs) findings.push(...checkResource(p.name, r, settings).map((message) => ({ policy: p.name, resource: resourceId(r), message })));
    }
    const report: Report = { violations: [], advisories: [], exempted: [] };
    const advisory = new Set(POLICIES.filter((p) => p.advisory).map((p) => p.name));
    for (const f of findings) {
        const e = findExemption(exemptions, f.policy, f.resource, stack);
        if (e) report.exempted.push({ ...f, reason: e.reason });
        else if (advisory.has(f.policy)) report.advisories.push(f);
        else report.violations.push(f);
    }
    return report;
}
