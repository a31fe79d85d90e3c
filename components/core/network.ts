// NetworkPolicies for the namespaces of third-party controllers the platforms install
// (KEDA, Emissary, Knative): default deny in and out, then only the flows a controller
// namespace has. Their pods are the upstream's, so the flows are per namespace, not per pod.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** A label selector for a namespace by its name (the label the API server sets on every namespace). */
export const byName = (name: pulumi.Input<string>) => ({ matchLabels: { "kubernetes.io/metadata.name": name } });

/** A peer: every pod of the namespace of this name. */
export const namespaceNamed = (name: pulumi.Input<string>): NetworkPolicyPeer => ({ namespaceSelector: byName(name) });

export const tcp = (port: pulumi.Input<number>) => ({ protocol: "TCP", port });

/**
 * Annotations of a Service in front of pods the stack awaits through their Deployment or StatefulSet.
 * The kubernetes provider awaits a Service with a selector until its Endpoints have not changed for
 * 10 s, with or without an endpoint (pkg/await/service.go), so each one held everything depending on
 * it 10 s or more (docs/benchmarks.md) and proved nothing the workload's own await does not. A
 * LoadBalancer Service keeps the await: its address is an output.
 */
export function serviceAwaitAnnotations(type: string): Record<string, string> | undefined {
    return type === "LoadBalancer" ? undefined : { "pulumi.com/skipAwait": "true" };
}

/** The API server is no pod: its ports to any address (443 behind the `kubernetes` Service, 6443 on the nodes). */
export const API_SERVER_PORTS = [443, 6443];

/** The egress rule to DNS in kube-system. */
export const DNS_RULE: k8s.types.input.networking.v1.NetworkPolicyEgressRule =
    { to: [namespaceNamed("kube-system")], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] };

/** DNS to kube-system, for every pod of the namespace. */
export const DNS_EGRESS: NetworkPolicySpec = { podSelector: {}, policyTypes: ["Egress"], egress: [DNS_RULE] };

/** What a controller namespace's pods exchange beyond DNS, their own namespace and the API server. */
export interface ControllerFlows {
    /**
     * Ports any source may reach: webhooks and aggregated APIs the API server calls (it is
     * no pod), or the listeners of a gateway that takes traffic from outside the cluster.
     */
    openPorts: number[];
    /** Namespaces whose pods reach any pod here, on any port. */
    fromNamespaces?: pulumi.Input<string>[];
    /** Namespaces whose pods this namespace's pods reach, on any port (a gateway's backends). */
    toNamespaces?: pulumi.Input<string>[];
    /** Further ports reached at any address (a scaler's data service that may be external). */
    egressPorts?: pulumi.Input<number>[];
}

/** The specs, by key: default deny, DNS, then one policy each for what comes in and what goes out. */
export function controllerPolicySpecs(flows: ControllerFlows): Record<"default-deny" | "dns" | "allow-in" | "allow-out", NetworkPolicySpec> {
    const self: NetworkPolicyPeer = { podSelector: {} };
    return {
        "default-deny": { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        "dns": DNS_EGRESS,
        "allow-in": {
            podSelector: {}, policyTypes: ["Ingress"],
            ingress: [
                { from: [self, ...(flows.fromNamespaces ?? []).map(namespaceNamed)] },
                ...(flows.openPorts.length ? [{ ports: flows.openPorts.map(tcp) }] : []),
            ],
        },
        "allow-out": {
            podSelector: {}, policyTypes: ["Egress"],
            egress: [
                { to: [self, ...(flows.toNamespaces ?? []).map(namespaceNamed)] },
                { ports: [...API_SERVER_PORTS, ...(flows.egressPorts ?? [])].map(tcp) },
            ],
        },
    };
}

/** Creates the controller namespace's NetworkPolicies (`<prefix>-default-deny`, `-dns`, `-allow-in`, `-allow-out`). */
export function controllerNetworkPolicies(
    resourceName: string, namespace: pulumi.Input<string>, prefix: string, flows: ControllerFlows,
    labels: Record<string, string>, opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy[] {
    return Object.entries(controllerPolicySpecs(flows)).map(([key, spec]) =>
        new k8s.networking.v1.NetworkPolicy(`${resourceName}-netpol-${key}`, {
            metadata: { name: `${prefix}-${key}`, namespace, labels },
            spec,
        }, opts));
}
