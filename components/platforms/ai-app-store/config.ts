// The stack config's `aiAppStore.*` keys (with `data.mongodb.*`, `registry.chartMirror`)
// → the App Store's typed inputs. stacks/config.ts validates the same keys first.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { StackConfig } from "../../../stacks/config";
import { dataServiceArgs } from "../../data/service";
import type { ObjectStore } from "../../storage/types";
import type { AiAppStoreArgs, AppStoreEngine } from "./index";

const tri = (v: "auto" | "true" | "false") => (v === "auto" ? undefined : v === "true");
const expand = (p: string) => (p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p);

/** The CA certificate file of a self-hosted ClearML, read when the program runs. */
export function readCaCert(file: string): string {
    return fs.readFileSync(expand(file), "utf8");
}

/** True when `text` holds at least one PEM certificate. */
export function isPemCertificate(text: string): boolean {
    return /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text);
}

/** The AiAppStoreArgs the stack config gives, with the stack's object storage. */
export function aiAppStoreArgs(cfg: StackConfig, storage: ObjectStore): AiAppStoreArgs {
    const c = cfg;
    const engines = c["aiAppStore.engines"];
    const has = (e: AppStoreEngine) => engines === e || engines === "both";
    const serviceType = c["aiAppStore.serviceType"];
    const chartMirror = c["registry.chartMirror"] || undefined;
    const caFile = c["aiAppStore.clearml.caCertFile"];
    return {
        namespace: c["aiAppStore.namespace"],
        inferenceNamespace: c["aiAppStore.inferenceNamespace"],
        webHost: c["aiAppStore.webHost"],
        apiHost: c["aiAppStore.apiHost"],
        tls: {
            secretName: c["aiAppStore.tls.secretName"] || undefined,
            clusterIssuer: c["aiAppStore.tls.clusterIssuer"] || undefined,
        },
        corsOrigins: c["aiAppStore.corsOrigins"].length > 0 ? c["aiAppStore.corsOrigins"] : undefined,
        secureCookies: tri(c["aiAppStore.secureCookies"]),
        maxUploadSizeGb: c["aiAppStore.maxUploadSizeGb"],
        jwt: { algorithm: c["aiAppStore.jwtAlgorithm"], secret: c["aiAppStore.jwtSecret"] },
        superuser: { id: c["aiAppStore.superuser.id"], password: c["aiAppStore.superuser.password"] },
        clearml: {
            webHost: c["aiAppStore.clearml.webHost"],
            apiHost: c["aiAppStore.clearml.apiHost"],
            filesHost: c["aiAppStore.clearml.filesHost"],
            accessKey: c["aiAppStore.clearml.accessKey"],
            secretKey: c["aiAppStore.clearml.secretKey"],
            caCert: caFile ? readCaCert(caFile) : undefined,
        },
        backend: { image: c["aiAppStore.backend.image"], replicas: c["aiAppStore.backend.replicas"] },
        frontend: { image: c["aiAppStore.frontend.image"], replicas: c["aiAppStore.frontend.replicas"] },
        engines: {
            emissary: !has("emissary") ? undefined : c["aiAppStore.emissary.install"]
                ? {
                    install: true,
                    namespace: c["aiAppStore.emissary.namespace"],
                    chartVersion: c["aiAppStore.emissary.chartVersion"],
                    chartMirror,
                    image: c["aiAppStore.emissary.image"],
                    agentImage: c["aiAppStore.emissary.agentImage"],
                    crdsManifest: c["aiAppStore.emissary.crdsManifest"] || undefined,
                }
                : { install: false, namespace: c["aiAppStore.emissary.namespace"] },
            knative: !has("knative") ? undefined : c["aiAppStore.knative.install"]
                ? {
                    install: true,
                    version: c["aiAppStore.knative.version"],
                    kourierVersion: c["aiAppStore.knative.kourierVersion"],
                    manifests: c["aiAppStore.knative.manifests"] || undefined,
                    domain: c["aiAppStore.knative.domain"] || undefined,
                }
                : { install: false },
        },
        serviceType: serviceType === "auto" ? undefined : serviceType,
        protocol: c["aiAppStore.protocol"],
        mongodb: dataServiceArgs(c, "mongodb"),
        mongodbHostPath: c["aiAppStore.mongodb.hostPath"],
        storage,
    };
}
