// An ingress controller the stack installs (`ingress.controller: install`): the pinned
// ingress-nginx chart serving one IngressClass. `present` clusters need nothing here.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ChartMirror, HelmChart, resolveChartSource } from "../core/chart";
import type { PlatformContext } from "../core/context";
import { standardLabels } from "../core/labels";
import { PlatformNamespace } from "../core/namespace";

/** ingress-nginx: chart 4.12.1 is controller v1.12.1 (the IngressNightmare fixes). */
export const INGRESS_NGINX = {
    chartRepo: "https://kubernetes.github.io/ingress-nginx",
    chart: "ingress-nginx",
    chartVersion: "4.12.1",
    namespace: "ingress-nginx",
} as const;

export interface IngressNginxArgs {
    /** IngressClass the controller serves (created by the chart, not the cluster default). */
    className: string;
    /** Namespace created for the controller; default `ingress-nginx`. */
    namespace?: string;
    /** Exact ingress-nginx chart version; default `INGRESS_NGINX.chartVersion`. */
    chartVersion?: string;
    /** OCI registry mirroring charts (`registry.chartMirror`); the chart is pulled from `<mirror>/ingress-nginx`. */
    chartMirror?: ChartMirror;
}

/**
 * ingress-nginx from its pinned chart. Its Service is a LoadBalancer where the cluster
 * gives them an address and a NodePort elsewhere (Pulumi waits for a LoadBalancer's
 * address). The validating admission webhook is off: it is the component the 2025
 * IngressNightmare CVEs attacked, and without it Ingresses of the stack need not wait
 * for the controller (a webhook that is registered but not yet serving rejects them).
 */
export class IngressNginx extends pulumi.ComponentResource {
    readonly namespace: PlatformNamespace;
    readonly chart: HelmChart;
    readonly className: string;

    constructor(name: string, args: IngressNginxArgs, ctx: PlatformContext, opts?: pulumi.ComponentResourceOptions) {
        super("mlplat:ingress:IngressNginx", name, {}, opts);
        this.className = args.className;
        this.namespace = new PlatformNamespace(`${name}-ns`, { name: args.namespace ?? INGRESS_NGINX.namespace, partOf: "ingress-nginx" }, ctx, { parent: this });
        this.chart = new HelmChart(`${name}-chart`, {
            source: resolveChartSource({ repo: INGRESS_NGINX.chartRepo, chart: INGRESS_NGINX.chart, version: args.chartVersion ?? INGRESS_NGINX.chartVersion }, args.chartMirror),
            namespace: this.namespace.name,
            releaseName: "ingress-nginx",
            values: {
                commonLabels: ctx.extraLabels,
                controller: {
                    ingressClass: args.className,
                    ingressClassResource: { name: args.className, enabled: true, default: false, controllerValue: "k8s.io/ingress-nginx" },
                    service: { type: ctx.cluster.loadBalancer ? "LoadBalancer" : "NodePort" },
                    admissionWebhooks: { enabled: false },
                },
            },
        }, { parent: this });
        this.networkPolicies(name, ctx);
        this.registerOutputs({ namespace: this.namespace.name, className: this.className });
    }

    /**
     * Default deny in and out, then the controller's own flows: HTTP and HTTPS in from anywhere
     * (it is the cluster's edge), out to anywhere (the Ingresses' backends in every namespace,
     * the API server, DNS).
     */
    private networkPolicies(name: string, ctx: PlatformContext): void {
        const labels = standardLabels({ name: "ingress-nginx", component: "network", partOf: "ingress-nginx" }, ctx.extraLabels);
        const policy = (key: string, policyName: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
            new k8s.networking.v1.NetworkPolicy(`${name}-netpol-${key}`, { metadata: { name: policyName, namespace: this.namespace.name, labels }, spec }, { parent: this });
        policy("default-deny", "ingress-nginx-default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        policy("controller", "ingress-nginx-controller", {
            podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" } },
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ ports: [{ protocol: "TCP", port: 80 }, { protocol: "TCP", port: 443 }] }],
            egress: [{}],
        });
    }
}
