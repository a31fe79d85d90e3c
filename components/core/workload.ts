// The secure workload builder: every container and pod spec mlplat creates comes from
// here, so the defaults (non-root, no privilege escalation, no capabilities, seccomp
// RuntimeDefault, read-only root, requests and limits, probes, no service-account
// token) are decided once.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { isPinnedImage } from "./images";

type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Probe = k8s.types.input.core.v1.Probe;
type EnvVar = k8s.types.input.core.v1.EnvVar;

export interface ResourceFigures {
    cpu: string;
    memory: string;
    ephemeralStorage: string;
}

export interface Resources {
    requests: ResourceFigures;
    limits: ResourceFigures;
}

/** Small defaults; every platform overrides them where it knows better. */
export const DEFAULT_RESOURCES: Resources = {
    requests: { cpu: "50m", memory: "64Mi", ephemeralStorage: "64Mi" },
    limits: { cpu: "500m", memory: "256Mi", ephemeralStorage: "256Mi" },
};

/** A reference to one key of a Secret, the only way secrets reach a container. */
export interface SecretKeyRef {
    secretName: pulumi.Input<string>;
    key: string;
}

export interface ContainerArgs {
    name: string;
    /** Image with a pinned tag or digest; `latest` and untagged images are refused. */
    image: string;
    command?: string[];
    args?: pulumi.Input<string>[];
    ports?: { name: string; containerPort: number }[];
    /** Plain settings. Never put secrets here: use `secretEnv`. */
    env?: Record<string, pulumi.Input<string>>;
    /** Environment variables read from Secrets through `secretKeyRef`. */
    secretEnv?: Record<string, SecretKeyRef>;
    resources?: Resources;
    /**
     * Readiness probe: may check the workload's dependencies. Required for long-running
     * containers.
     */
    readiness?: Probe;
    /**
     * Liveness probe: must never fail because a dependency (a database, object storage) is
     * down, or an outage restarts every pod. Default: the process only, derived from the
     * readiness probe (`livenessOf`: a TCP check on an HTTP readiness probe's port).
     */
    liveness?: Probe;
    /** Startup probe for slow starters: liveness waits until it has passed once. */
    startup?: Probe;
    /** Default true; set false only for images that must write to their root filesystem. */
    readOnlyRootFilesystem?: boolean;
    /** Paths that get a writable emptyDir even with a read-only root filesystem. */
    writablePaths?: string[];
    volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
    /** UID to run as, when the image's own user is root or unset. */
    runAsUser?: number;
    /** GID to run as; default `runAsUser` (never the image's root group when a UID is set). */
    runAsGroup?: number;
}

/**
 * The liveness probe a readiness probe implies when none is given: the process answers,
 * nothing more. An HTTP readiness check may look at dependencies (a database, object
 * storage), so liveness only opens a TCP connection to the same port; TCP and exec
 * probes are kept (they check the process itself). Slower and more tolerant than
 * readiness: liveness restarts, readiness only takes the pod out of its Service.
 */
export function livenessOf(readiness: Probe | undefined): Probe | undefined {
    if (!readiness) return undefined;
    const timings = {
        initialDelaySeconds: readiness.initialDelaySeconds,
        periodSeconds: 20,
        timeoutSeconds: readiness.timeoutSeconds,
        failureThreshold: 6,
    };
    const http = readiness.httpGet as k8s.types.input.core.v1.HTTPGetAction | undefined;
    if (http) return { tcpSocket: { port: http.port }, ...timings };
    return { ...readiness, ...timings };
}

export interface BuiltContainer {
    container: Container;
    /** emptyDir volumes backing `writablePaths`; add them to the pod spec. */
    volumes: k8s.types.input.core.v1.Volume[];
}

export function container(args: ContainerArgs): BuiltContainer {
    if (!isPinnedImage(args.image)) {
        throw new Error(`container ${args.name}: image ${args.image} must have a pinned tag or digest, never latest`);
    }
    const env: EnvVar[] = [
        ...Object.entries(args.env ?? {}).map(([name, value]) => ({ name, value })),
        ...Object.entries(args.secretEnv ?? {}).map(([name, ref]) => ({
            name, valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } },
        })),
    ];
    const writable = (args.writablePaths ?? []).map((mountPath, i) => ({ name: `${args.name}-tmp-${i}`, mountPath }));
    const r = args.resources ?? DEFAULT_RESOURCES;
    const figures = (f: ResourceFigures) => ({ cpu: f.cpu, memory: f.memory, "ephemeral-storage": f.ephemeralStorage });
    const c: Container = {
        name: args.name,
        image: args.image,
        imagePullPolicy: "IfNotPresent",
        command: args.command,
        args: args.args,
        ports: args.ports?.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: "TCP" })),
        env: env.length > 0 ? env : undefined,
        resources: { requests: figures(r.requests), limits: figures(r.limits) },
        readinessProbe: args.readiness,
        livenessProbe: args.liveness ?? livenessOf(args.readiness),
        startupProbe: args.startup,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: args.runAsUser,
            runAsGroup: args.runAsGroup ?? args.runAsUser,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: args.readOnlyRootFilesystem ?? true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        volumeMounts: [...(args.volumeMounts ?? []), ...writable.map((w) => ({ name: w.name, mountPath: w.mountPath }))],
    };
    return { container: c, volumes: writable.map((w) => ({ name: w.name, emptyDir: { sizeLimit: "64Mi" } })) };
}

export interface PodSpecArgs {
    containers: BuiltContainer[];
    initContainers?: BuiltContainer[];
    /** Give the pod the API token only if it talks to the API server. */
    serviceAccountName?: pulumi.Input<string>;
    automountServiceAccountToken?: boolean;
    volumes?: k8s.types.input.core.v1.Volume[];
    /** Group that owns mounted volumes (the image's data user's group). */
    fsGroup?: number;
    restartPolicy?: "Always" | "OnFailure" | "Never";
    /** True for run-to-completion pods (Jobs): they need no probes. */
    runToCompletion?: boolean;
    /**
     * Selector labels of a replicated workload's pods: spread them across nodes
     * (`spreadAcrossNodes`). Give it whenever the workload may run more than one replica.
     */
    spreadSelector?: Record<string, string>;
}

export function podSpec(args: PodSpecArgs): PodSpec {
    if (!args.runToCompletion) {
        for (const { container: c } of args.containers) {
            if (!c.readinessProbe) throw new Error(`container ${c.name}: a long-running container needs a readiness probe`);
        }
    }
    const all = [...args.containers, ...(args.initContainers ?? [])];
    return {
        serviceAccountName: args.serviceAccountName,
        automountServiceAccountToken: args.automountServiceAccountToken ?? false,
        restartPolicy: args.restartPolicy,
        topologySpreadConstraints: args.spreadSelector ? spreadAcrossNodes(args.spreadSelector) : undefined,
        securityContext: {
            runAsNonRoot: true,
            fsGroup: args.fsGroup,
            seccompProfile: { type: "RuntimeDefault" },
        },
        containers: args.containers.map((b) => b.container),
        initContainers: args.initContainers?.map((b) => b.container),
        volumes: [...(args.volumes ?? []), ...all.flatMap((b) => b.volumes)],
    };
}

/**
 * Replicas on different nodes where the scheduler can (one node's loss or drain takes at
 * most its share). `ScheduleAnyway`: a preference, so a cluster with fewer nodes than
 * replicas, or a cordoned node during a drain, never leaves a pod pending.
 */
export function spreadAcrossNodes(selector: Record<string, string>): k8s.types.input.core.v1.TopologySpreadConstraint[] {
    return [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } }];
}

/** What decides whether a workload gets a PodDisruptionBudget. */
export interface DisruptionBudgetArgs {
    /** Name of the PDB (the workload's). */
    name: string;
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    /** Selector labels of the workload's pods. */
    selector: Record<string, string>;
    /** Fixed replicas (undefined when an autoscaler owns them). */
    replicas?: number;
    /** An autoscaler (HPA, KEDA) sets the replicas. */
    autoscaled?: boolean;
}

/** True when a workload needs a PodDisruptionBudget: more than one replica, or an autoscaler. */
export function needsDisruptionBudget(args: Pick<DisruptionBudgetArgs, "replicas" | "autoscaled">): boolean {
    return args.autoscaled === true || (args.replicas ?? 1) > 1;
}

/**
 * The PodDisruptionBudget of a replicated or autoscaled workload, or none: a voluntary
 * disruption (a node drain, a cluster upgrade) evicts at most one of its pods at a time,
 * so with its replicas spread across nodes the workload stays available. `maxUnavailable`
 * rather than `minAvailable`, so a drain never blocks on a workload scaled to one replica.
 */
export function disruptionBudget(resourceName: string, args: DisruptionBudgetArgs, opts: pulumi.CustomResourceOptions): k8s.policy.v1.PodDisruptionBudget | undefined {
    if (!needsDisruptionBudget(args)) return undefined;
    return new k8s.policy.v1.PodDisruptionBudget(resourceName, {
        metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
        spec: { maxUnavailable: 1, selector: { matchLabels: args.selector } },
    }, opts);
}

/** An HTTP GET probe with sensible timings. */
export function httpProbe(path: string, port: number | string, initialDelaySeconds = 5): Probe {
    return { httpGet: { path, port }, initialDelaySeconds, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 };
}

/** A TCP probe with sensible timings. */
export function tcpProbe(port: number | string, initialDelaySeconds = 5): Probe {
    return { tcpSocket: { port }, initialDelaySeconds, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 };
}

/** A probe that runs a command in the container. */
export function execProbe(command: string[], initialDelaySeconds = 5): Probe {
    return { exec: { command }, initialDelaySeconds, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 };
}
