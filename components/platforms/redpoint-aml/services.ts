// Redpoint AML's microservices as data. The guide names only five of its fourteen
// services (the ones in its secrets table); the other nine, every image, port and size
// come from the operator's configuration (the vendor's zip of manifests). Pure code.
import { isPinnedImage } from "../../core/images";
import type { Resources } from "../../core/workload";

export const AML_PART_OF = "mlplat-redpoint-aml";
/** The guide's namespace. */
export const AML_NAMESPACE = "aml";
/** The guide's count: 14 Deployments and 14 Services, one of each per microservice. */
export const GUIDE_SERVICE_COUNT = 14;

/** The five service names the guide makes public (its secrets table names them). */
export const PUBLIC_SERVICES = ["ml-servicesapi", "ml-scheduler", "dbapi", "dcc-servicesapi", "dcc-init"] as const;
export type PublicService = (typeof PUBLIC_SERVICES)[number];

/**
 * Ports the related single-VM guide gives (notes: 8913 ML endpoints and Swagger). Only
 * ml-servicesapi's is known to belong to a named service; the others are configured.
 */
export const KNOWN_PORTS: Partial<Record<PublicService, number>> = { "ml-servicesapi": 8913 };

/** The UID AML containers run as unless a service sets its own (the vendor documents none). */
export const AML_RUN_AS_USER = 65532;

export const DEFAULT_SERVICE_RESOURCES: Resources = {
    requests: { cpu: "100m", memory: "256Mi", ephemeralStorage: "64Mi" },
    limits: { cpu: "1", memory: "1Gi", ephemeralStorage: "512Mi" },
};

/** One AML microservice: a Deployment and a Service. */
export interface AmlServiceArgs {
    /** Name of the Deployment, Service and container, as in the vendor's manifests (a DNS-1035 label). */
    name: string;
    /** Image, pinned (tag other than latest, or digest); usually `redpointglobal/<name>:<version>` on Docker Hub. */
    image: string;
    /** Port the service listens on: the container port, the Service port and the probes' port. */
    port: number;
    /** Further ports the container listens on, each also on the Service (e.g. a second admin port). */
    extraPorts?: number[];
    /** Pods; default 1. Above one: a PodDisruptionBudget and spreading across nodes. */
    replicas?: number;
    /** HTTP path of the readiness probe; default none: TCP on `port` (the vendor publishes no health path). */
    probePath?: string;
    /** Requests and limits; default DEFAULT_SERVICE_RESOURCES. */
    resources?: Resources;
    /** UID to run as; default 65532. */
    runAsUser?: number;
    /**
     * Escape hatch for a vendor image that only runs as root: the container runs as UID 0,
     * the namespace's Pod Security level drops to baseline (with the services named as the
     * reason) and the policy pack's pod-security-restricted flags the Deployment.
     */
    runAsRoot?: boolean;
    /** Escape hatch for a vendor image that writes outside /tmp: its root filesystem stays writable. */
    writableRootFs?: boolean;
    /** Plain settings (never secrets: those come only from the secrets table). */
    env?: Record<string, string>;
}

/** The five Ingresses: the guide's UI login, admin page and Swagger docs, and two more endpoints. */
export const ENDPOINTS = ["ui", "admin", "docs", "realtime", "auth"] as const;
export type AmlEndpoint = (typeof ENDPOINTS)[number];

/** Default paths: the guide's `/#/Login` (served at `/`), `/Admin/`, `/docs/`; socket.io and auth as the single-VM guide's ports suggest. */
export const DEFAULT_PATHS: Record<AmlEndpoint, string> = {
    ui: "/", admin: "/Admin/", docs: "/docs/", realtime: "/socket.io/", auth: "/auth/",
};
/** The service behind an endpoint, when known: Swagger is on the ML endpoints' service (8913). */
export const DEFAULT_ENDPOINT_SERVICES: Partial<Record<AmlEndpoint, string>> = { docs: "ml-servicesapi" };

export interface AmlIngressArgs {
    /** The service it routes to (its `port`). */
    service: string;
    /** Path prefix, e.g. `/Admin/`. */
    path: string;
}

/** A problem with the services or ingresses: where (a service name or an endpoint) and the field. */
export interface AmlProblem {
    service?: string;
    endpoint?: AmlEndpoint;
    /** The AmlServiceArgs or AmlIngressArgs field, or an Args path (`secrets.RPDM_PASS`). */
    field: string;
    message: string;
}

const DNS_1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const validPort = (p: number) => Number.isInteger(p) && p >= 1 && p <= 65535;

/** Every problem with the services; the component refuses any. */
export function serviceProblems(services: AmlServiceArgs[]): AmlProblem[] {
    const problems: AmlProblem[] = [];
    const add = (service: string | undefined, field: AmlProblem["field"], message: string) => problems.push({ service, field, message });
    const names = new Set(services.map((s) => s.name));
    for (const name of PUBLIC_SERVICES) {
        if (!names.has(name)) add(name, "image", `has no image: ${name} is one of the guide's services (its secrets table names it)`);
    }
    const seen = new Set<string>();
    for (const s of services) {
        if (!DNS_1035.test(s.name)) add(s.name, "name", `service name ${s.name} must be a DNS-1035 label (lowercase letters, digits and '-', a letter first)`);
        if (seen.has(s.name)) add(s.name, "name", `service ${s.name} is defined twice`);
        seen.add(s.name);
        if (!s.image) add(s.name, "image", "has no image");
        else if (!isPinnedImage(s.image)) add(s.name, "image", `image ${s.image} must be pinned by digest or by a tag other than latest`);
        if (!validPort(s.port)) add(s.name, "port", s.port ? `port ${s.port} must be 1-65535` : "has no port (the vendor's manifests give it)");
        const ports = [s.port, ...(s.extraPorts ?? [])];
        for (const p of s.extraPorts ?? []) if (!validPort(p)) add(s.name, "extraPorts", `port ${p} must be 1-65535`);
        const dup = ports.filter((p, i) => ports.indexOf(p) !== i);
        if (dup.length > 0) add(s.name, "extraPorts", `port ${[...new Set(dup)].join(", ")} is listed twice (a Service cannot expose a port twice)`);
        if (s.replicas !== undefined && (!Number.isInteger(s.replicas) || s.replicas < 1)) add(s.name, "replicas", `replicas ${s.replicas} must be at least 1`);
        if (s.probePath && !s.probePath.startsWith("/")) add(s.name, "probePath", `probe path ${s.probePath} must start with /`);
        if (s.runAsUser === 0) add(s.name, "runAsUser", "is 0 (root): use the runAsRoot escape hatch, which the policy pack flags");
    }
    return problems;
}

/** Every problem with the five Ingresses: unknown services, missing or duplicate paths. */
export function ingressProblems(ingresses: Record<AmlEndpoint, AmlIngressArgs>, services: AmlServiceArgs[]): AmlProblem[] {
    const problems: AmlProblem[] = [];
    const names = services.map((s) => s.name);
    const byPath = new Map<string, AmlEndpoint>();
    for (const endpoint of ENDPOINTS) {
        const i = ingresses[endpoint];
        if (!i?.service) problems.push({ endpoint, field: "service", message: "names no service" });
        else if (!names.includes(i.service)) problems.push({ endpoint, field: "service", message: `names service ${i.service}, which is not configured (services: ${names.join(", ")})` });
        if (!i?.path || !i.path.startsWith("/")) problems.push({ endpoint, field: "path", message: `path ${i?.path ?? ""} must start with /` });
        else if (byPath.has(i.path)) problems.push({ endpoint, field: "path", message: `path ${i.path} is already the ${byPath.get(i.path)} endpoint's (two Ingresses cannot route one path)` });
        else byPath.set(i.path, endpoint);
    }
    return problems;
}
