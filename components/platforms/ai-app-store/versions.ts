// Pinned versions and sources of what the AI App Store installs, and the names of the
// objects it creates. stacks/settings.ts declares the same defaults (a unit test checks
// they agree); every other module reads them from here.
import type { ImageField } from "../../registry/relocate";

/** Emissary-ingress: the chart (8.4.0 = Emissary 3.4.0) and the images the guide pins. */
export const EMISSARY = {
    chartRepo: "https://app.getambassador.io",
    chart: "emissary-ingress",
    chartVersion: "8.4.0",
    image: "docker.io/emissaryingress/emissary:3.4.0",
    agentImage: "docker.io/ambassador/ambassador-agent:1.0.3",
    namespace: "emissary",
    /** Namespace of the CRDs' conversion webhook (emissary-apiext), fixed by the CRDs manifest. */
    apiextNamespace: "emissary-system",
    /** Release name; also the name of the gateway's Service the backend reads. */
    releaseName: "emissary-ingress",
    /** The upstream CRDs manifest of an Emissary version (the conversion webhook included). */
    crdsManifest: (version: string) => `https://app.getambassador.io/yaml/emissary/${version}/emissary-crds.yaml`,
    /** Port of the backend's Listener (the chart's Service maps 80 to it). */
    listenerPort: 8080,
    /** Port of emissary-apiext's conversion webhook (its Service maps 443 to it); the API server calls it. */
    apiextWebhookPort: 8443,
} as const;

/** Knative Serving 1.8 with net-kourier 1.8, from their release manifests. */
export const KNATIVE = {
    version: "1.8.3",
    kourierVersion: "1.8.1",
    /** Knative Serving 1.8 needs Kubernetes 1.23 (its release notes; the guide's "1.20" predates 1.8). */
    minKubernetes: "1.23",
    servingNamespace: "knative-serving",
    kourierNamespace: "kourier-system",
    /** The gateway's Service the backend reads (its address is the services' entry point). */
    gatewayService: "kourier",
    ingressClass: "kourier.ingress.networking.knative.dev",
    files: { crds: "serving-crds.yaml", core: "serving-core.yaml", kourier: "kourier.yaml" },
    /** Port of Knative's admission and conversion webhooks (the `webhook` Service maps 443 to it). */
    webhookPort: 8443,
    /** Ports of the Kourier gateway's listeners, reached from outside the cluster (Service `kourier`: 80, 443). */
    gatewayPorts: [8080, 8443],
    servingRelease: (version: string) => `https://github.com/knative/serving/releases/download/knative-v${version}`,
    kourierRelease: (version: string) => `https://github.com/knative/net-kourier/releases/download/knative-v${version}`,
} as const;

/** The message when Knative is asked for on a Kubernetes version it does not support. */
export function knativeTooOld(version: string): string {
    return `Knative Serving ${KNATIVE.version.replace(/\.\d+$/, "")} needs Kubernetes ${KNATIVE.minKubernetes} or newer, but the cluster runs ${version}: use the Emissary engine (aiAppStore.engines emissary)`;
}

/**
 * Images Knative reads from its configuration and starts at run time, outside any pod
 * spec of its manifests: the queue-proxy sidecar it injects into every revision's pod
 * (`config-deployment`), and the same image in the `Image` cache object. (Serving 1.8's
 * controllers carry no image in their environment; the registry's field list would take
 * `env` names too.)
 */
export const KNATIVE_IMAGE_FIELDS: ImageField[] = [
    { type: "kubernetes:core/v1:ConfigMap", name: "config-deployment", namespace: KNATIVE.servingNamespace, path: ["data", "queue-sidecar-image"] },
    { type: "kubernetes:caching.internal.knative.dev/v1alpha1:Image", namespace: KNATIVE.servingNamespace, path: ["spec", "image"] },
];

/** The hosted ClearML's URLs, the backend's defaults. */
export const CLEARML_DEFAULTS = { webHost: "https://app.clear.ml", apiHost: "https://api.clear.ml", filesHost: "https://files.clear.ml" } as const;

/** Names of the App Store's objects, as the guide's charts name them. */
export const APP = {
    namespace: "ai-appstore",
    inferenceNamespace: "inference-engine",
    backend: "aas-backend",
    frontend: "aas-frontend",
    /** The backend's port (probes `GET /`). */
    backendPort: 8080,
    /** The frontend image's `quasar serve` port; its Service listens on 80. */
    frontendPort: 8081,
    /** UID both images run as (neither image sets a user; node:lts' `node` is 1000). */
    uid: 1000,
    /** Generated Secret of the backend (JWT keys, the first superuser, ClearML keys). */
    backendSecret: "aas-backend",
    caConfigMap: "aas-backend-ca",
    ingressTls: "ai-appstore-tls",
    managerClusterRole: "ai-appstore-inference-engine-manager",
    /** The ServiceAccount upstream's inference Deployment template names (templates/ambassador/inference-engine-deployment.yaml.j2). */
    enginesServiceAccount: "backend-service-engines",
    listener: "emissary-ingress-listener-8080",
    host: "ai-appstore-wildcard",
    /** The StorageClass and PersistentVolume the guide creates by hand without a provisioner. */
    mongoStorageClass: "aas-mongodb",
    mongoVolume: "aas-mongodb-pv",
    partOf: "ai-appstore",
} as const;
