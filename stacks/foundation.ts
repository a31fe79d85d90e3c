// The foundation's settings (cluster.*, ingress.*, registry.*, storage.*, data.*, labels.*):
// their declarations, value formats and rules, and the data services' adapter (data.<service>.*
// → DataServiceArgs) that platforms' adapters use.
import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { ChartMirror } from "../components/core/chart";
import type { PlatformContext } from "../components/core/context";
import type { PlatformNamespace } from "../components/core/namespace";
import {
    connectionStringForm, DATA_MODES, DATA_SERVICES, DataMode, DataService, DataServiceArgs, DataServiceName, isConnectionString,
} from "../components/data";
import { defaultLockFile, readLock, type RegistryArgs } from "../components/registry";
import {
    bool, changedUnder, choice, ConfigOf, Setting, dnsLabel, dnsName, exactVersion, expandHome, Format, hostName, int, isSet, list, NAMESPACE,
    namespaceName, optional, pinnedImage, Rule, secret, setCmd, str, TRI_STATE,
} from "./setting";
import { EKS_CLUSTER_FORMATS, EKS_CLUSTER_SETTINGS } from "./eks";
import { AKS_CLUSTER_FORMATS, AKS_CLUSTER_SETTINGS } from "./aks";

export const CLUSTER_KINDS = ["local", "existing", "eks", "aks"] as const;
export const REGISTRY_MODES = ["public", "mirror"] as const;
export const STORAGE_KINDS = ["minio", "s3", "none"] as const;
export const INGRESS_CONTROLLERS = ["none", "present", "install"] as const;

function dataMode(name: DataServiceName) {
    const { secretKey } = DATA_SERVICES[name];
    return choice(DATA_MODES, "embedded",
        `How ${name} is provided: \`embedded\` (a small StatefulSet on the official image), \`chart\` (pinned upstream Helm chart) or \`external\` (a managed service; give data.${name}.external.${secretKey}).`);
}
function dataSecret(name: DataServiceName) {
    const { secretKey, example } = DATA_SERVICES[name];
    return secret(`Connection string of an external ${name}, e.g. \`${example}\`. Required when data.${name}.mode is \`external\` (key ${secretKey}).`);
}
const dataImage = (name: DataServiceName) =>
    str(DATA_SERVICES[name].image, `Official ${name} image of \`embedded\` mode, pinned (never latest).`);
const dataChartVersion = (name: DataServiceName) =>
    str(DATA_SERVICES[name].chartVersion, `Version of the Bitnami ${name} chart of \`chart\` mode (oci://registry-1.docker.io/bitnamicharts/${name}, or registry.chartMirror); its images come from docker.io/bitnamilegacy (see docs/data-services.md).`);
const dataSize = (name: DataServiceName) =>
    str(DATA_SERVICES[name].size, `Size of the ${name} PersistentVolumeClaim (\`embedded\` and \`chart\`).`);
const dataStorageClass = (name: DataServiceName) =>
    str("", `StorageClass of the ${name} PersistentVolumeClaim (\`embedded\` and \`chart\`); empty means cluster.storageClass.`);

export const FOUNDATION_SETTINGS = {
    "cluster.kind": choice(CLUSTER_KINDS, "local",
        "Which cluster the stack deploys to: `local` (the bundled local control plane, see `make cluster-up`), `existing` (a kubeconfig, a context, or in-cluster credentials), `eks` (an Amazon EKS cluster the stack creates or finds, cluster.eks.*) or `aks` (an Azure AKS cluster the stack creates or finds, cluster.aks.*)."),
    "cluster.kubeconfig": str("",
        "Path to a kubeconfig file. `existing`: empty means the usual chain (KUBECONFIG, ~/.kube/config, in-cluster). `local`: empty means `.local/cluster/kubeconfig` in the project."),
    "cluster.context": str("", "Context of the kubeconfig to use (`existing` only); empty means the kubeconfig's current context."),
    "cluster.inCluster": bool(false, "Use the pod's in-cluster service account (`existing` only; excludes cluster.kubeconfig and cluster.context)."),
    "cluster.kubernetesVersion": str("", "Kubernetes version of the cluster as `major.minor` (e.g. `1.34`), when known. Platforms use it to refuse features the cluster is too old for."),
    "cluster.nodeCount": int(0, "Number of nodes, when known (0: unknown)."),
    "cluster.loadBalancer": choice(TRI_STATE, "auto", "Whether LoadBalancer Services get an address on this cluster. `auto`: yes on the local control plane, no on an existing cluster."),
    "cluster.defaultStorageClass": choice(TRI_STATE, "auto", "Whether the cluster has a default StorageClass that provisions PersistentVolumes. `auto`: yes on the local control plane, yes on an existing cluster."),
    "cluster.storageClass": str("", "StorageClass for the stack's PersistentVolumeClaims; empty means the cluster's default."),
    "cluster.existingNamespaces": list("Namespaces that already exist in the cluster and that the stack uses without owning them: it does not create, label or delete them, only puts its own objects in them. Any other namespace a platform names is created by the stack, and `pulumi up` refuses one that already exists (see README, \"Objects the stack did not create\")."),
    ...EKS_CLUSTER_SETTINGS,
    ...AKS_CLUSTER_SETTINGS,

    "ingress.controller": choice(INGRESS_CONTROLLERS, "none",
        "Ingress controller: `present` (the cluster already runs one serving ingress.className), `install` (the stack installs the pinned ingress-nginx chart, IngressClass ingress.className) or `none`."),
    "ingress.className": str("nginx", "IngressClass of the stack's Ingresses."),
    "ingress.nginx.chartVersion": str("4.12.1", "Version of the ingress-nginx chart (https://kubernetes.github.io/ingress-nginx, or registry.chartMirror; controller v1.12.1) when ingress.controller is `install`."),
    "ingress.nginx.namespace": str("ingress-nginx", "Namespace the ingress-nginx controller is installed in when ingress.controller is `install`."),

    "registry.mode": choice(REGISTRY_MODES, "public",
        "`public`: images are pulled from their public registries. `mirror`: every image the stack deploys, chart-rendered ones included, is relocated to registry.mirror.host."),
    "registry.mirror.host": str("", "Host (and port) of the private mirror, e.g. `registry.corp:5000`. Required in mirror mode."),
    "registry.mirror.pathPrefix": str("", "Path inserted after the mirror host, e.g. `mirror` gives `registry.corp:5000/mirror/bitnami/mongodb:7.0.5`."),
    "registry.mirror.username": str("", "User for the mirror's pull secret; empty for an anonymous mirror."),
    "registry.mirror.password": secret("Password or token for registry.mirror.username."),
    "registry.mirror.pinDigests": bool(true, "Mirror mode: reference every image by the digest recorded in the image lock (registry.mirror.lockFile, written by `make mirror`), so the cluster runs exactly what was copied; an image without an entry (new, or its tag changed) fails the preview, naming it and `make mirror STACK=<stack>`. `false` references images by tag: an opt-out while a mirror is being brought up, which gives up that guarantee (a re-pushed tag changes what runs). See docs/air-gap.md."),
    "registry.mirror.lockFile": str("", "The image lock of registry.mirror.pinDigests, relative to the project; empty means `images.<stack>.lock`."),
    "registry.pullSecretName": str("mlplat-registry", "Name of the `kubernetes.io/dockerconfigjson` Secret created in every namespace of the stack in mirror mode."),
    "registry.chartMirror": str("", "OCI registry that mirrors the Helm charts the stack installs, e.g. `oci://registry.corp:5000/charts` (each chart is pulled from `<mirror>/<chart>` at its pinned version); empty means the charts' public repositories. Required in mirror mode when a data service uses `chart`."),
    "registry.chartMirrorPlainHttp": bool(false, "Pull the charts from registry.chartMirror over plain HTTP instead of HTTPS (a chart mirror without TLS). Needs registry.chartMirror."),

    "storage.kind": choice(STORAGE_KINDS, "minio", "Object storage: `minio` (in-cluster), `s3` (an AWS bucket) or `none`."),
    "storage.bucket": str("mlplat", "Name of the bucket the stack creates."),
    "storage.minio.namespace": str("mlplat-storage", "Namespace of the in-cluster MinIO."),
    "storage.minio.image": str("minio/minio:RELEASE.2025-04-22T22-12-26Z", "MinIO server image (official, pinned)."),
    "storage.minio.clientImage": str("minio/mc:RELEASE.2025-04-16T18-13-26Z", "MinIO client image used by the bucket Job."),
    "storage.minio.size": str("10Gi", "Size of MinIO's PersistentVolumeClaim."),
    "storage.minio.ingressHost": str("", "Host name of an Ingress for the MinIO S3 API; empty for none (needs ingress.controller)."),
    "storage.minio.rootPassword": secret("MinIO root password; empty means generated."),
    "storage.s3.region": str("", "AWS region of the bucket; empty means the `aws:region` config."),
    "storage.s3.forceDestroy": bool(false, "Let `pulumi destroy` delete a non-empty bucket."),
    "storage.s3.credentialsNamespace": str("mlplat-storage", "Namespace that receives the bucket credentials Secret for in-cluster consumers."),

    "data.postgresql.mode": dataMode("postgresql"),
    "data.postgresql.image": dataImage("postgresql"),
    "data.postgresql.chartVersion": dataChartVersion("postgresql"),
    "data.postgresql.size": dataSize("postgresql"),
    "data.postgresql.storageClass": dataStorageClass("postgresql"),
    "data.postgresql.username": str(DATA_SERVICES.postgresql.username, "PostgreSQL user the platform connects as (`embedded` and `chart` create it; not a superuser)."),
    "data.postgresql.database": str(DATA_SERVICES.postgresql.database, "PostgreSQL database owned by data.postgresql.username (`embedded` and `chart` create it; `external`: used when the DSN names none)."),
    "data.postgresql.external.dsn": dataSecret("postgresql"),
    "data.redis.mode": dataMode("redis"),
    "data.redis.image": dataImage("redis"),
    "data.redis.chartVersion": dataChartVersion("redis"),
    "data.redis.size": dataSize("redis"),
    "data.redis.storageClass": dataStorageClass("redis"),
    "data.redis.external.url": dataSecret("redis"),
    "data.rabbitmq.mode": dataMode("rabbitmq"),
    "data.rabbitmq.image": dataImage("rabbitmq"),
    "data.rabbitmq.chartVersion": dataChartVersion("rabbitmq"),
    "data.rabbitmq.size": dataSize("rabbitmq"),
    "data.rabbitmq.storageClass": dataStorageClass("rabbitmq"),
    "data.rabbitmq.username": str(DATA_SERVICES.rabbitmq.username, "RabbitMQ user the platform connects as (`embedded` and `chart` create it)."),
    "data.rabbitmq.external.url": dataSecret("rabbitmq"),
    "data.mongodb.mode": dataMode("mongodb"),
    "data.mongodb.image": dataImage("mongodb"),
    "data.mongodb.chartVersion": dataChartVersion("mongodb"),
    "data.mongodb.size": dataSize("mongodb"),
    "data.mongodb.storageClass": dataStorageClass("mongodb"),
    "data.mongodb.username": str(DATA_SERVICES.mongodb.username, "MongoDB service user the platform connects as, with readWrite on data.mongodb.database only (`embedded` and `chart` create it beside a root user that platforms never get)."),
    "data.mongodb.database": str(DATA_SERVICES.mongodb.database, "MongoDB database of the platform (`embedded` and `chart` create it; `external`: used when the URI names none, as CosmosDB URIs do)."),
    "data.mongodb.external.uri": dataSecret("mongodb"),
} satisfies Record<string, Setting>;

/** Last in the table, after the platforms' settings. */
export const LABEL_SETTINGS = {
    "labels.extra": list("Extra `key=value` labels put on every Kubernetes object the stack creates."),
} satisfies Record<string, Setting>;

export type FoundationKey = keyof typeof FOUNDATION_SETTINGS | keyof typeof LABEL_SETTINGS;
const TABLE = { ...FOUNDATION_SETTINGS, ...LABEL_SETTINGS };
/** The foundation's parsed config: what every platform's adapter may read besides its own settings. */
export type FoundationConfig = ConfigOf<typeof TABLE>;

export const FOUNDATION_FORMATS: Partial<Record<FoundationKey, Format>> = {
    ...EKS_CLUSTER_FORMATS,
    ...AKS_CLUSTER_FORMATS,
    "cluster.kubernetesVersion": { schema: optional(/^v?\d+\.\d+(\.\d+)?$/, "must look like 1.34 or 1.34.2"), example: "1.34" },
    "cluster.nodeCount": { schema: z.number().int().min(0, "must not be negative"), example: "3" },
    "cluster.storageClass": { schema: optional(dnsName, "must be a Kubernetes object name (lowercase, digits, '-', '.')"), example: "standard" },
    "ingress.className": { schema: z.string().regex(dnsName, "must be a Kubernetes object name"), example: "nginx" },
    "registry.mirror.host": {
        schema: optional(/^[a-zA-Z0-9.-]+(:\d{1,5})?$/, "must be a host with an optional port, without scheme or path"),
        example: "registry.corp:5000",
    },
    "registry.mirror.pathPrefix": { schema: optional(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, "must be a lowercase repository path without leading or trailing '/'"), example: "mirror" },
    "registry.pullSecretName": { schema: z.string().regex(dnsName, "must be a Kubernetes object name"), example: "mlplat-registry" },
    "registry.chartMirror": { schema: optional(/^oci:\/\/[a-zA-Z0-9.-]+(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*\/?$/, "must be an OCI registry URL without credentials, like oci://registry.corp:5000/charts"), example: "oci://registry.corp:5000/charts" },
    "storage.bucket": { schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid bucket name: 3-63 lowercase letters, digits, '.' or '-'"), example: "model-zoo" },
    "storage.minio.namespace": namespaceName("mlplat-storage"),
    "storage.minio.size": { schema: z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/, "must be a Kubernetes quantity"), example: "10Gi" },
    "storage.minio.ingressHost": hostName("storage.example.com"),
    "storage.minio.image": { schema: pinnedImage, example: "minio/minio:RELEASE.2025-04-22T22-12-26Z" },
    "storage.minio.clientImage": { schema: pinnedImage, example: "minio/mc:RELEASE.2025-04-16T18-13-26Z" },
    "storage.s3.credentialsNamespace": namespaceName("mlplat-storage"),
    "cluster.existingNamespaces": { schema: z.array(z.string().regex(dnsLabel, "each entry " + NAMESPACE)), example: `'["team-ml"]'` },
    "ingress.nginx.chartVersion": exactVersion("4.12.1"),
    "ingress.nginx.namespace": namespaceName("ingress-nginx"),
    "labels.extra": { schema: z.array(z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?=([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, "each label must be key=value")), example: `'["team=ml"]'` },
};

// data.<service>.* formats, the same for every service.
const identifier = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, "must be a lowercase name: a letter, then letters, digits or '_' (at most 63)");
for (const name of Object.keys(DATA_SERVICES) as DataServiceName[]) {
    const { image, chartVersion, size, secretKey, example } = DATA_SERVICES[name];
    const formats: Record<string, Format> = {
        image: { schema: pinnedImage, example: image },
        chartVersion: { schema: z.string().regex(/^\d+\.\d+\.\d+$/, "must be an exact chart version like 1.2.3"), example: chartVersion },
        size: { schema: z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/, "must be a Kubernetes quantity"), example: size },
        storageClass: { schema: optional(dnsName, "must be a Kubernetes object name (lowercase, digits, '-', '.')"), example: "standard" },
        username: { schema: identifier, example: "app_user" },
        database: { schema: identifier, example: "app_db" },
        [`external.${secretKey}`]: { schema: z.string().refine((v) => v === "" || isConnectionString(name, v), `must be ${connectionStringForm(name)}`), example: `'${example}'` },
    };
    for (const [suffix, format] of Object.entries(formats)) {
        if (`data.${name}.${suffix}` in FOUNDATION_SETTINGS) FOUNDATION_FORMATS[`data.${name}.${suffix}` as FoundationKey] = format;
    }
}

/** The modes a `data.<service>.<setting>` applies to; settings not listed apply to every mode (external.* has its own rule). */
const DATA_KEY_MODES: Record<string, readonly DataMode[]> = {
    image: ["embedded"],
    chartVersion: ["chart"],
    size: ["embedded", "chart"],
    storageClass: ["embedded", "chart"],
    username: ["embedded", "chart"],
};

type FoundationRule = Rule<FoundationKey>;
const changed = (v: Parameters<FoundationRule>[0], prefix: string) => changedUnder(v, prefix, TABLE);

// Contradictions between settings. Each names the key to change and how.
export const registryRule: FoundationRule = (v, problem) => {
    if (v["registry.mode"] === "mirror" && !isSet(v["registry.mirror.host"])) {
        problem("registry.mirror.host", "is required when registry.mode is mirror", setCmd("registry.mirror.host", "registry.corp:5000"));
    }
    if (v["registry.mode"] === "public") {
        for (const k of changed(v, "registry.mirror.")) {
            problem(k, "is set but registry.mode is public, so it would be ignored",
                `pulumi config set registry.mode mirror (or pulumi config rm ${k})`);
        }
    }
    if (v["registry.chartMirrorPlainHttp"] === true && !isSet(v["registry.chartMirror"])) {
        problem("registry.chartMirrorPlainHttp", "only applies to a chart mirror, but registry.chartMirror is not set, so it would be ignored",
            "pulumi config set registry.chartMirror oci://registry.corp:5000/charts (or pulumi config rm registry.chartMirrorPlainHttp)");
    }
    if (v["registry.mode"] === "mirror" && isSet(v["registry.mirror.username"]) !== isSet(v["registry.mirror.password"])) {
        const missing = isSet(v["registry.mirror.username"]) ? "registry.mirror.password" : "registry.mirror.username";
        problem(missing, "the mirror's username and password go together", setCmd(missing, "<value>", missing.endsWith("password")));
    }
};

export const storageRule: FoundationRule = (v, problem) => {
    const kind = v["storage.kind"];
    for (const [impl, other] of [["minio", "s3"], ["s3", "minio"]] as const) {
        if (kind === impl) continue;
        for (const k of changed(v, `storage.${impl}.`)) {
            problem(k, `is ${impl === "s3" ? "an S3" : "a MinIO"} setting but storage.kind is ${kind}: ${kind === other ? "MinIO and S3 cannot both be selected" : "no object storage is selected"}`,
                `pulumi config set storage.kind ${impl} (or pulumi config rm ${k})`);
        }
    }
    if (isSet(v["storage.minio.ingressHost"]) && v["ingress.controller"] === "none") {
        problem("storage.minio.ingressHost", "needs an ingress controller but ingress.controller is none",
            "pulumi config set ingress.controller present (or pulumi config rm storage.minio.ingressHost)");
    }
};

export const dataRule: FoundationRule = (v, problem) => {
    for (const name of Object.keys(DATA_SERVICES) as DataServiceName[]) {
        const secretKey = `data.${name}.external.${DATA_SERVICES[name].secretKey}` as FoundationKey;
        const mode = v[`data.${name}.mode` as FoundationKey];
        if (mode === "external" && !isSet(v[secretKey])) {
            problem(secretKey, `is required when data.${name}.mode is external: it is the connection secret of your ${name}`,
                setCmd(secretKey, `'${DATA_SERVICES[name].example}'`, true));
        }
        if (mode !== "external" && isSet(v[secretKey])) {
            problem(secretKey, `is set but data.${name}.mode is ${mode}, so it would be ignored`,
                `pulumi config set data.${name}.mode external (or pulumi config rm ${secretKey})`);
        }
        for (const k of changed(v, `data.${name}.`)) {
            const modes = DATA_KEY_MODES[k.slice(`data.${name}.`.length)];
            if (modes && !modes.includes(mode as DataMode)) {
                problem(k, `applies only when data.${name}.mode is ${modes.join(" or ")}, but it is ${mode}, so it would be ignored`,
                    `pulumi config set data.${name}.mode ${modes[0]} (or pulumi config rm ${k})`);
            }
        }
    }
    const charted = (Object.keys(DATA_SERVICES) as DataServiceName[]).filter((name) => v[`data.${name}.mode` as FoundationKey] === "chart");
    if (v["registry.mode"] === "mirror" && charted.length > 0 && !isSet(v["registry.chartMirror"])) {
        problem("registry.chartMirror", `is required when registry.mode is mirror and a data service uses its chart (${charted.map((n) => `data.${n}.mode`).join(", ")}): the air-gapped cluster cannot reach the public chart registry`,
            setCmd("registry.chartMirror", "oci://registry.corp:5000/charts"));
    }
};

export const clusterRule: FoundationRule = (v, problem) => {
    const kind = v["cluster.kind"];
    if (kind === "local") {
        for (const k of ["cluster.context", "cluster.inCluster"] as const) {
            if (JSON.stringify(v[k]) !== JSON.stringify(TABLE[k].default)) {
                problem(k, "applies to existing clusters only; the local control plane has its own kubeconfig",
                    `pulumi config set cluster.kind existing (or pulumi config rm ${k})`);
            }
        }
    }
    if (v["cluster.inCluster"] === true) {
        for (const k of ["cluster.kubeconfig", "cluster.context"] as const) {
            if (isSet(v[k])) {
                problem(k, "cannot be combined with cluster.inCluster=true", `pulumi config rm ${k} (or pulumi config set cluster.inCluster false)`);
            }
        }
    }
    const kubeconfig = v["cluster.kubeconfig"];
    if (kind === "existing" && typeof kubeconfig === "string" && kubeconfig !== "" && !fs.existsSync(expandHome(kubeconfig))) {
        problem("cluster.kubeconfig", `file ${kubeconfig} does not exist`, setCmd("cluster.kubeconfig", "~/.kube/config"));
    }
};

export const ingressRule: FoundationRule = (v, problem) => {
    const controller = v["ingress.controller"];
    if (controller !== "install") {
        for (const k of changed(v, "ingress.nginx.")) {
            problem(k, `applies only when ingress.controller is install, but it is ${controller}, so it would be ignored`,
                `pulumi config set ingress.controller install (or pulumi config rm ${k})`);
        }
    } else if (v["registry.mode"] === "mirror" && !isSet(v["registry.chartMirror"])) {
        problem("registry.chartMirror", "is required when registry.mode is mirror and ingress.controller is install: the air-gapped cluster cannot reach the ingress-nginx chart repository",
            setCmd("registry.chartMirror", "oci://registry.corp:5000/charts"));
    }
};

/** The image lock file of a stack (`registry.mirror.lockFile`, default `images.<stack>.lock` in the project). */
export function lockFilePath(cfg: Pick<FoundationConfig, "registry.mirror.lockFile">, stack: string): string {
    return cfg["registry.mirror.lockFile"] || defaultLockFile(stack);
}

/**
 * The registry's lock arguments: the lock when registry.mirror.pinDigests is on; the inventory
 * file and the charts' public sources when `make mirror` previews the stack to list its images
 * (MLPLAT_IMAGE_INVENTORY, MLPLAT_CHART_SOURCES: scripts/mirror/stack.ts).
 */
export function registryLockArgs(cfg: FoundationConfig, stack: string): Pick<RegistryArgs, "lock" | "inventoryFile" | "chartSources"> {
    if (cfg["registry.mode"] !== "mirror") return {};
    const inventoryFile = process.env.MLPLAT_IMAGE_INVENTORY || undefined;
    const chartSources = inventoryFile && process.env.MLPLAT_CHART_SOURCES ? JSON.parse(process.env.MLPLAT_CHART_SOURCES) : undefined;
    // Inventory mode lists images to write the lock: it needs none, and a broken one must not stop it.
    if (!cfg["registry.mirror.pinDigests"] || inventoryFile) return { inventoryFile, chartSources };
    return { lock: readLock(path.resolve(lockFilePath(cfg, stack))), inventoryFile, chartSources };
}

/** The stack's chart mirror for resolveChartSource (`registry.chartMirror`, `registry.chartMirrorPlainHttp`); undefined for none. */
export function chartMirrorOf(cfg: Pick<FoundationConfig, "registry.chartMirror" | "registry.chartMirrorPlainHttp">): ChartMirror | undefined {
    const url = cfg["registry.chartMirror"];
    return url ? { url, plainHttp: cfg["registry.chartMirrorPlainHttp"] } : undefined;
}

/** The DataServiceArgs that the stack config gives a service (`data.<service>.*`, `registry.chartMirror`). */
export function dataServiceArgs<S extends DataServiceName>(cfg: FoundationConfig, service: S): DataServiceArgs<S> {
    const get = (key: string) => (cfg as Record<string, unknown>)[`data.${service}.${key}`] as string | undefined;
    return {
        service,
        mode: get("mode") as DataMode,
        image: get("image"),
        chartVersion: get("chartVersion"),
        chartMirror: chartMirrorOf(cfg),
        size: get("size"),
        storageClass: get("storageClass") || undefined,
        username: get("username"),
        database: get("database"),
        external: (cfg as Record<string, unknown>)[`data.${service}.external.${DATA_SERVICES[service].secretKey}`] as pulumi.Output<string> | undefined,
    };
}

/**
 * The data service a platform asks for, configured by the stack config: e.g.
 * `createDataService("pipeline-postgresql", "postgresql", cfg, ctx, namespace, { parent: this })`;
 * then `conn.keyRef(namespace, "dsn")` in its containers and `dependsOn: conn.ready` where
 * it must wait for the server.
 */
export function createDataService<S extends DataServiceName>(name: string, service: S, cfg: FoundationConfig, ctx: PlatformContext,
    namespace: PlatformNamespace, opts?: pulumi.ComponentResourceOptions): DataService<S> {
    return new DataService(name, dataServiceArgs(cfg, service), ctx, namespace, opts);
}
