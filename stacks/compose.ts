// The composition: the validated StackConfig → which components, wired how. index.ts
// and the unit tests both run exactly this.
import * as pulumi from "@pulumi/pulumi";
import { Cluster, LOCAL_CLUSTER_DIR } from "../components/cluster";
import type { PlatformContext } from "../components/core/context";
import { parseExtraLabels } from "../components/core/labels";
import { PlatformNamespace } from "../components/core/namespace";
import { ownershipTransform, stackIdentity } from "../components/core/ownership";
import { IngressNginx } from "../components/ingress";
import { InferencePipeline } from "../components/platforms/inference-pipeline";
import { AiAppStore, appStoreManifestTransform, manifestTransform } from "../components/platforms/ai-app-store";
import { ModelEndpoint, ModelServer } from "../components/platforms/model-serving";
import { Registry, TransformInput } from "../components/registry";
import { Minio, ObjectStore, S3Store } from "../components/storage";
import { expandHome, StackConfig } from "./config";
import { modelServerArgs } from "./platforms/model-serving";
import { chartMirrorOf, registryLockArgs } from "./foundation";
import { eksClusterArgs } from "./eks";
import { AzureMlExtension, RELEASE_NAMESPACE } from "../components/platforms/azureml-extension";
import { aksClusterArgs } from "./aks";
import { azureMlExtensionArgs } from "./platforms/azureml";
import { aiAppStoreArgs } from "./platforms/ai-app-store";
import { inferencePipelineArgs } from "./platforms/inference-pipeline";
import { RedpointAml } from "../components/platforms/redpoint-aml";
import { redpointAmlArgs } from "./platforms/redpoint-aml";

/** How the registry's transform is installed: the engine's stack-wide transform in a real run. */
export type InstallTransform = (transform: (input: TransformInput) => Record<string, unknown> | undefined) => void;

export interface StackOutputs {
    /** Every image the stack deploys, after relocation, sorted: what an air-gapped operator mirrors. */
    images: pulumi.Output<string[]>;
    cluster: { flavour: string; kubernetesVersion?: string };
    /** Every namespace the stack creates (not those of cluster.existingNamespaces). */
    namespaces: pulumi.Output<string>[];
    storage?: {
        kind: string;
        endpoint: pulumi.Output<string>;
        url: pulumi.Output<string>;
        externalUrl?: pulumi.Output<string>;
        bucket: pulumi.Output<string>;
    };
    /** The inference pipeline's endpoints, when `inferencePipeline.enabled`. */
    inferencePipeline?: {
        namespace: pulumi.Output<string>;
        /** `POST` here to submit a request (through the Ingress). */
        gatewayUrl: pulumi.Output<string>;
        /** `GET` a request's status here, `{id}` replaced by the request id. */
        statusUrl: pulumi.Output<string>;
        /** `GET` a user's quota here (`?user_id=`). */
        quotaUrl: pulumi.Output<string>;
        /** The gateway inside the cluster. */
        gatewayServiceUrl: pulumi.Output<string>;
        /** The model service inside the cluster. */
        modelServiceUrl: pulumi.Output<string>;
        /** RabbitMQ queues (requests, results) and the ScaledObject scaling the workers on the requests queue. */
        queues: { requests: string; results: string };
        scaledObject: string;
        /** How KEDA is provided: `chart` or `present`. */
        keda: "chart" | "present";
        /** Mode of each data service. */
        data: { postgresql: string; redis: string; rabbitmq: string };
    };
    /** The AI App Store's URLs and first administrator, when `aiAppStore.enabled`. */
    aiAppStore?: {
        namespace: pulumi.Output<string>;
        inferenceNamespace: pulumi.Output<string>;
        frontendUrl: pulumi.Output<string>;
        /** The backend (the frontend's VUE_APP_BACKEND_URL). */
        apiUrl: pulumi.Output<string>;
        /** Where browsers reach the bucket (MinIO's ingress host, or S3). */
        storageUrl: pulumi.Output<string>;
        /** The upstream release the images are built from (aiAppStore.appVersion). */
        appVersion: string;
        /** The first administrator (1.0 line only; from 1.2 users log in through Keycloak). */
        superuserId?: string;
        /** A secret: `pulumi stack output aiAppStore --show-secrets` (1.0 line only). */
        superuserPassword?: pulumi.Output<string>;
        /** Where users' inference services are reached (PROD_IE_DOMAIN). */
        inferenceDomain: string;
        engines: string[];
        serviceType: string;
        mongodb: string;
    };
    /** Per model, when `modelServing.enabled`: where clients reach it, the image it serves, its ECR repository. */
    modelServing?: Record<string, ModelEndpoint>;
    /** The AzureML extension, when `azureml.enabled`. */
    azureml?: AzureMlOutput;
    /** Redpoint AML's URLs, when `redpointAml.enabled`. */
    redpointAml?: RedpointAmlOutput;
}

/** Redpoint AML's stack output (`redpointAml`): the guide's three URLs, no secret. */
export interface RedpointAmlOutput {
    namespace: pulumi.Output<string>;
    /** The guide's UI login (`http://EXTERNAL-IP/#/Login`); with no host, known once the Ingress has an address. */
    uiLoginUrl: pulumi.Output<string | undefined>;
    /** The admin page (`/Admin/`). */
    adminUrl: pulumi.Output<string | undefined>;
    /** The Swagger docs (`/docs/`). */
    docsUrl: pulumi.Output<string | undefined>;
    /** How MongoDB is provided: embedded, chart, external or cosmosdb. */
    mongodb: string;
    /** The microservices deployed. */
    services: string[];
}

/** The AzureML extension's stack output (`azureml`): ids and names only, no secret. */
export interface AzureMlOutput {
    clusterKind: "aks" | "arc";
    extensionId: pulumi.Output<string>;
    /** The extension's release namespace (always `azureml`). */
    namespace: string;
    /** Where scoring endpoints are reached: azureml.sslCname, or `<location>.cloudapp.azure.com`. */
    scoringDomain: pulumi.Output<string>;
    /** The Azure ML Kubernetes compute and the namespace its workloads run in, when `azureml.compute.enabled`. */
    computeId?: pulumi.Output<string>;
    computeNamespace?: pulumi.Output<string>;
    workspaceId?: pulumi.Output<string>;
}

export function composeStack(cfg: StackConfig, installTransform: InstallTransform): StackOutputs {
    // Every resource constructed by this program, so the image inventory can wait for
    // all of them to be registered (and so for their transforms to have run).
    const constructed: pulumi.Resource[] = [];
    pulumi.runtime.registerStackTransformation((args) => {
        constructed.push(args.resource);
        return undefined;
    });

    const tri = (v: "auto" | "true" | "false") => (v === "auto" ? undefined : v === "true");
    const cluster = new Cluster("cluster", {
        flavour: cfg["cluster.kind"],
        eks: cfg["cluster.kind"] === "eks" ? eksClusterArgs(cfg) : undefined,
        aks: cfg["cluster.kind"] === "aks" ? aksClusterArgs(cfg) : undefined,
        kubeconfig: cfg["cluster.kubeconfig"] ? expandHome(cfg["cluster.kubeconfig"]) : (cfg["cluster.kind"] === "local" ? `${LOCAL_CLUSTER_DIR}/kubeconfig` : undefined),
        context: cfg["cluster.context"] || undefined,
        inCluster: cfg["cluster.inCluster"],
        kubernetesVersion: cfg["cluster.kubernetesVersion"] || undefined,
        nodeCount: cfg["cluster.nodeCount"] || undefined,
        loadBalancer: tri(cfg["cluster.loadBalancer"]),
        defaultStorageClass: tri(cfg["cluster.defaultStorageClass"]),
        storageClass: cfg["cluster.storageClass"] || undefined,
        ingressClassName: cfg["ingress.controller"] !== "none" ? cfg["ingress.className"] : undefined,
    });
    const provider = cluster.info.provider;

    const registry = new Registry("registry", {
        mode: cfg["registry.mode"],
        mirrorHost: cfg["registry.mirror.host"] || undefined,
        pathPrefix: cfg["registry.mirror.pathPrefix"] || undefined,
        username: cfg["registry.mirror.username"] || undefined,
        password: cfg["registry.mirror.password"],
        pullSecretName: cfg["registry.pullSecretName"],
        ...registryLockArgs(cfg, pulumi.getStack()),
    });
    installTransform((input) => registry.transformProps(input));
    installTransform(ownershipTransform(stackIdentity(pulumi.getProject(), pulumi.getStack())));

    const ctx: PlatformContext = {
        cluster: cluster.info, registry, extraLabels: parseExtraLabels(cfg["labels.extra"]),
        existingNamespaces: cfg["cluster.existingNamespaces"],
    };
    const opts = { providers: { kubernetes: provider } };

    if (cfg["ingress.controller"] === "install") {
        new IngressNginx("ingress-nginx", {
            className: cfg["ingress.className"],
            namespace: cfg["ingress.nginx.namespace"],
            chartVersion: cfg["ingress.nginx.chartVersion"],
            chartMirror: chartMirrorOf(cfg),
        }, ctx, opts);
    }

    let store: ObjectStore | undefined;
    if (cfg["storage.kind"] === "minio") {
        store = new Minio("minio", {
            namespace: cfg["storage.minio.namespace"],
            bucket: cfg["storage.bucket"],
            image: cfg["storage.minio.image"],
            clientImage: cfg["storage.minio.clientImage"],
            size: cfg["storage.minio.size"],
            rootPassword: cfg["storage.minio.rootPassword"],
            ingressHost: cfg["storage.minio.ingressHost"] || undefined,
            ingressNamespace: cfg["ingress.controller"] === "install" ? cfg["ingress.nginx.namespace"] : undefined,
        }, ctx, opts);
    } else if (cfg["storage.kind"] === "s3") {
        store = new S3Store("s3", {
            bucket: cfg["storage.bucket"],
            region: cfg["storage.s3.region"],
            forceDestroy: cfg["storage.s3.forceDestroy"],
            credentialsNamespace: cfg["storage.s3.credentialsNamespace"],
        }, ctx, opts);
    }

    let pipeline: InferencePipeline | undefined;
    if (cfg["inferencePipeline.enabled"]) {
        pipeline = new InferencePipeline("inference", inferencePipelineArgs(cfg), ctx, opts);
    }

    let appStore: AiAppStore | undefined;
    if (cfg["aiAppStore.enabled"] && store) {
        const args = aiAppStoreArgs(cfg, store);
        // What the App Store changes in the upstream manifests it installs, installed like the registry's.
        installTransform(manifestTransform(appStoreManifestTransform(args, ctx)));
        appStore = new AiAppStore("appstore", args, ctx, opts);
    }

    let models: ModelServer | undefined;
    if (cfg["modelServing.enabled"]) {
        models = new ModelServer("models", modelServerArgs(cfg), ctx, opts);
    }

    let azureml: AzureMlExtension | undefined;
    if (cfg["azureml.enabled"]) {
        azureml = new AzureMlExtension("azureml", azureMlExtensionArgs(cfg, cluster.aks), ctx, opts);
    }

    let aml: RedpointAml | undefined;
    if (cfg["redpointAml.enabled"] && store) {
        aml = new RedpointAml("aml", redpointAmlArgs(cfg, store), ctx, opts);
    }

    const platformNamespaces = constructed.filter((r): r is PlatformNamespace => r instanceof PlatformNamespace);
    const namespaces = platformNamespaces.filter((ns) => !ns.existing).map((ns) => ns.name);
    for (const unused of cfg["cluster.existingNamespaces"].filter((n) => !platformNamespaces.some((ns) => ns.plainName === n))) {
        pulumi.log.warn(`cluster.existingNamespaces names ${unused}, which no enabled platform uses`);
    }
    return {
        images: registry.images(constructed.map((r) => r.urn)),
        cluster: { flavour: cluster.info.flavour, kubernetesVersion: cluster.info.kubernetesVersion },
        namespaces,
        storage: store && {
            kind: store.kind, endpoint: store.endpoint, url: store.url, bucket: store.bucket,
            ...(store.externalUrl ? { externalUrl: store.externalUrl } : {}),
        },
        inferencePipeline: pipeline && {
            namespace: pipeline.namespace.name,
            gatewayUrl: pipeline.gatewayUrl,
            statusUrl: pipeline.statusUrl,
            quotaUrl: pipeline.quotaUrl,
            gatewayServiceUrl: pipeline.gatewayServiceUrl,
            modelServiceUrl: pipeline.modelServiceUrl,
            queues: pipeline.names.queues,
            scaledObject: pipeline.names.scaling.scaledObject,
            keda: pipeline.keda ? "chart" : "present",
            data: { postgresql: pipeline.data.postgresql.mode, redis: pipeline.data.redis.mode, rabbitmq: pipeline.data.rabbitmq.mode },
        },
        aiAppStore: appStore && {
            namespace: appStore.namespace.name,
            inferenceNamespace: appStore.inferenceNamespace.name,
            frontendUrl: appStore.frontendUrl,
            apiUrl: appStore.apiUrl,
            storageUrl: appStore.storageUrl,
            appVersion: appStore.appVersion,
            superuserId: appStore.superuserId,
            superuserPassword: appStore.superuserPassword,
            inferenceDomain: appStore.inferenceDomain,
            engines: appStore.engines,
            serviceType: appStore.serviceType,
            mongodb: appStore.mongodb.mode,
        },
        modelServing: models?.endpoints,
        azureml: azureml && {
            clusterKind: cfg["azureml.arc.clusterId"] ? "arc" : "aks",
            extensionId: azureml.extension.id,
            namespace: RELEASE_NAMESPACE,
            scoringDomain: azureml.scoringDomain,
            ...(azureml.compute ? { computeId: azureml.compute.computeId, computeNamespace: azureml.compute.namespace.name, workspaceId: azureml.compute.workspaceId } : {}),
        },
        redpointAml: aml && {
            namespace: aml.namespace.name,
            uiLoginUrl: aml.uiLoginUrl,
            adminUrl: aml.adminUrl,
            docsUrl: aml.docsUrl,
            mongodb: aml.mongodbMode,
            services: Object.keys(aml.deployments),
        },
    };
}
