// What the App Store changes in the upstream manifests it installs (Emissary's CRDs,
// Knative Serving, Kourier), as a transform over the objects the provider renders from
// them. Installed stack-wide like the registry's (stacks/compose.ts): engine-side in a
// real run, in-process under the unit tests' mocks. Pure: a function of the settings.
import type { TransformInput } from "../../registry";
import { KNATIVE } from "./versions";

export interface ManifestTransformArgs {
    /**
     * Namespaces the stack creates (PlatformNamespace, with their pull secrets) that an
     * upstream manifest also declares: its Namespace object gets exactly our labels, so
     * that both apply the same object (server-side apply upserts) and neither conflicts.
     */
    namespaces: Record<string, Record<string, string>>;
    /** Annotations of those namespaces (why one is below restricted Pod Security), by name. */
    namespaceAnnotations?: Record<string, Record<string, string>>;
    /** Knative's settings, when the stack installs it. */
    knative?: {
        /** `config-domain`: the domain of Knative services. */
        domain?: string;
        /** Kourier's gateway Service as NodePort: the cluster gives LoadBalancers no address (Pulumi would wait for one). */
        nodePortGateway: boolean;
    };
}

type Props = Record<string, unknown>;
const meta = (props: Props) => (props.metadata ?? {}) as Record<string, unknown>;

/** The transform; returns undefined for every object it leaves alone. */
export function manifestTransform(args: ManifestTransformArgs): (input: TransformInput) => Props | undefined {
    return ({ type, props }) => {
        const { name, namespace } = meta(props);
        if (typeof name !== "string") return undefined;
        if (type === "kubernetes:core/v1:Namespace" && args.namespaces[name]) {
            const annotations = args.namespaceAnnotations?.[name];
            return { ...props, metadata: { ...meta(props), labels: { ...args.namespaces[name] }, ...(annotations ? { annotations: { ...annotations } } : {}) } };
        }
        const k = args.knative;
        if (!k) return undefined;
        const data = (props.data ?? {}) as Record<string, unknown>;
        if (type === "kubernetes:core/v1:ConfigMap" && namespace === KNATIVE.servingNamespace) {
            // Kourier is the networking layer (the install guide's `kubectl patch configmap/config-network`).
            if (name === "config-network") return { ...props, data: { ...data, "ingress-class": KNATIVE.ingressClass } };
            if (name === "config-domain" && k.domain) return { ...props, data: { ...data, [k.domain]: "" } };
        }
        if (type === "kubernetes:core/v1:Service" && namespace === KNATIVE.kourierNamespace && name === KNATIVE.gatewayService && k.nodePortGateway) {
            return { ...props, spec: { ...(props.spec as Props), type: "NodePort" } };
        }
        return undefined;
    };
}
