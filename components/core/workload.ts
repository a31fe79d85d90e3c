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
    /** Readiness probe; also used as the liveness probe unless `liveness` is given. Required for long-running containers. */
    readiness?: Probe;
    liveness?: Probe;
    startup?: Probe;
    /** Default true; set false only for images that must write to their root filesystem. */
    readOnlyRootFilesystem?: boolean;
    /** Paths that get a writable emptyDir even with a read-only root filesystem. */
    writablePaths?: string[];
    volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
    /** UID to run as, when the image's own user is root or unset. */
    runAsUser?: number;
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
        livenessProbe: args.liveness ?? args.readiness,
        startupProbe: args.startup,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: args.runAsUser,
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
