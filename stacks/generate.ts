// Renders the declared settings as Pulumi.yaml's `config:` block and as
// docs/configuration.md, so neither can drift from stacks/settings.ts
// (`npm run gen` writes them; a unit test checks they are current).
import { stringify } from "yaml";
import { PLATFORMS, SETTINGS, Setting } from "./settings";

const HEADER = `# Generated from stacks/settings.ts by \`npm run gen\`: edit the settings there.
name: mlplat
description: Deploys machine-learning platforms onto Kubernetes.
runtime:
  name: nodejs
  options:
    typescript: true
# The program is index.ts; package.json's "main" is the component package's entry point.
main: index.ts
`;

export function pulumiYaml(): string {
    const config: Record<string, Record<string, unknown>> = {};
    for (const [key, s] of Object.entries(SETTINGS) as [string, Setting][]) {
        const entry: Record<string, unknown> = { type: s.type };
        if (s.type === "array") entry.items = { type: "string" };
        entry.description = describe(s);
        entry.default = s.default;
        config[key] = entry;
    }
    return `${HEADER}${stringify({ config }, { lineWidth: 0 })}`;
}

function describe(s: Setting): string {
    const parts = [s.description];
    if (s.choices) parts.push(`One of: ${s.choices.join(", ")}.`);
    if (s.secret) parts.push("Secret: set it with `pulumi config set --secret`.");
    return parts.join(" ");
}

export function configurationDoc(): string {
    const row = ([key, s]: [string, Setting]) => {
        const def = s.secret ? "(secret)" : JSON.stringify(s.default);
        return `| \`mlplat:${key}\` | ${s.type}${s.choices ? ` (${s.choices.join(" \\| ")})` : ""} | \`${def}\` | ${s.description.replace(/\|/g, "\\|")} |`;
    };
    const rows = (Object.entries(SETTINGS) as [string, Setting][]).map(row);
    // Settings repeated per named instance (not declared in Pulumi.yaml: their keys are made up by the user).
    for (const p of PLATFORMS) {
        if (!p.instances) continue;
        const { prefix, settings } = p.instances;
        rows.push(...(Object.entries(settings) as [string, Setting][]).map(([field, s]) => row([`${prefix}.<name>.${field}`, s])));
    }
    return `# Configuration reference

Generated from \`stacks/settings.ts\` by \`npm run gen\`; a unit test fails when this file is stale.

Set a value with \`pulumi config set <key> <value>\` (the \`mlplat:\` prefix is implied) and a secret
with \`pulumi config set --secret <key> <value>\`. Every value is validated before anything is
registered: an invalid or contradictory configuration fails with one line per problem, naming
the key and the command that fixes it. Unknown \`mlplat:\` keys are errors too (with the nearest
valid key as a hint), so a typo never silently falls back to a default.

| key | type | default | description |
| --- | --- | --- | --- |
${rows.join("\n")}

## Rules between settings

- \`registry.mode=mirror\` needs \`registry.mirror.host\`; \`registry.mirror.*\` settings are refused in public mode;
  \`registry.mirror.username\` and \`registry.mirror.password\` go together.
- \`storage.minio.*\` settings are refused unless \`storage.kind=minio\`, and \`storage.s3.*\` unless \`storage.kind=s3\`
  (MinIO and S3 cannot both be selected).
- \`data.<service>.mode=external\` needs the service's connection secret (a URL of the service's scheme), and the secret is
  refused in other modes; \`data.<service>.image\` applies to \`embedded\` only, \`chartVersion\` to \`chart\` only, \`size\`,
  \`storageClass\` and \`username\` to both (see docs/data-services.md). In mirror mode a data service on \`chart\` needs
  \`registry.chartMirror\`.
- Secret settings must be set with \`--secret\`.
- \`cluster.context\` and \`cluster.inCluster\` apply to \`cluster.kind=existing\` only; \`cluster.inCluster\` excludes
  \`cluster.kubeconfig\` and \`cluster.context\`; an \`existing\` kubeconfig file must exist.
- \`cluster.eks.*\` applies to \`cluster.kind=eks\` only, which needs \`cluster.eks.name\` and refuses \`cluster.kubeconfig\`,
  \`cluster.context\` and \`cluster.inCluster\` (the kubeconfig comes from the cluster); with \`cluster.eks.mode=existing\` the
  settings that shape a new cluster are refused, with \`cluster.eks.subnetIds\` those of the VPC; node counts must satisfy
  min <= desired <= max; a new cluster's \`cluster.kubernetesVersion\` is \`major.minor\`.
- \`cluster.aks.*\` applies to \`cluster.kind=aks\` only, which needs \`cluster.aks.name\` and \`cluster.aks.resourceGroup\`
  (and \`cluster.aks.location\` to create one) and refuses \`cluster.kubeconfig\`, \`cluster.context\` and \`cluster.inCluster\`;
  with \`cluster.aks.mode=existing\` the settings that shape a new cluster are refused, and \`cluster.aks.gpuPool.*\` without
  \`cluster.aks.gpuPool.vmSize\`; names, pools and taints follow Azure's rules.
- Platforms that serve HTTP (\`inferencePipeline.enabled\`, \`aiAppStore.enabled\`) and \`storage.minio.ingressHost\`
  need \`ingress.controller=present\` or \`install\`; the AI App Store needs object storage (with MinIO, its ingress host).
- \`ingress.nginx.*\` applies to \`ingress.controller=install\` only; in mirror mode it needs \`registry.chartMirror\`.
- \`aiAppStore.*\` settings are refused while the App Store is off; hosts and both app images are required; the settings
  of an engine not in \`aiAppStore.engines\` (and the install settings of an engine declared present) are refused;
  Knative is refused on a known Kubernetes older than 1.23; in mirror mode an installed Emissary needs
  \`registry.chartMirror\` and \`aiAppStore.emissary.crdsManifest\`, an installed Knative \`aiAppStore.knative.manifests\`
  (see docs/platforms/ai-app-store.md).
- \`modelServing.models.<name>.*\` are the settings of one model (\`<name>\`: a DNS-1035 label; unknown fields are refused
  with the nearest one as a hint); they and \`modelServing.*\` are refused while model serving is off, and it needs at least
  one model with an image (by digest or a tag other than latest). Fixed node ports are unique, \`LoadBalancer\` needs a
  cluster with load balancers (\`cluster.loadBalancer\`), model namespaces differ from other platforms' namespaces;
  \`modelServing.ecr.enabled\` needs \`cluster.kind=eks\` or a mirror with a host, and \`modelServing.ecr.*\` is refused
  without it (see docs/platforms/model-serving.md).
- \`azureml.*\` settings are refused while the AzureML extension is off. It needs \`cluster.kind=aks\`, or an Arc-connected
  cluster (\`azureml.arc.clusterId\` with \`azureml.arc.location\`) reached through \`cluster.kind=existing\`. Every rule of
  \`az k8s-extension create\` applies with its meaning (training or inference; the router's service type, HTTPS or
  \`allowInsecureConnections\`, \`sslCname\` with SSL, no nodePort with an internal load balancer, a pinned version with
  auto-upgrade off, no key both public and protected), and what the extension's healthcheck would fail later (certificate and
  key together, internal load balancer only on AKS, HA only on three nodes, pass-through keys that shadow modelled or derived
  ones). Connection strings and keys of an existing Relay, Service Bus or Log Analytics workspace are refused when they would be
  ignored; \`azureml.compute.*\` needs \`azureml.compute.enabled\`, one workspace (new by name or existing by id), a namespace
  of its own, and Trusted Access when local accounts are off (see docs/platforms/azureml-extension.md).
`;
}
