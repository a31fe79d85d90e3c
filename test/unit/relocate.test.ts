import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parseAllDocuments } from "yaml";
import { imageTag, isPinnedImage, parseImage } from "../../components/core/images";
import { mayHoldPodSpecs, relocateImage, rewritePodSpecs } from "../../components/registry";

const mirror = { host: "registry.corp:5000" };

describe("image references", () => {
    const cases: [string, string, string, string][] = [
        ["postgres:16.4", "docker.io", "library/postgres", ":16.4"],
        ["docker.io/bitnami/mongodb:7.0.5", "docker.io", "bitnami/mongodb", ":7.0.5"],
        ["index.docker.io/library/redis:7", "docker.io", "library/redis", ":7"],
        ["quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z", "quay.io", "minio/minio", ":RELEASE.2025-04-22T22-12-26Z"],
        ["localhost:5000/app:1", "localhost:5000", "app", ":1"],
        ["gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:abc123", "gcr.io", "knative-releases/knative.dev/serving/cmd/queue", "@sha256:abc123"],
        ["registry.k8s.io/ingress-nginx/controller:v1.11.3@sha256:d56f", "registry.k8s.io", "ingress-nginx/controller", ":v1.11.3@sha256:d56f"],
        ["ubuntu", "docker.io", "library/ubuntu", ""],
    ];
    for (const [image, registry, repository, reference] of cases) {
        it(`parses ${image}`, () => assert.deepStrictEqual(parseImage(image), { registry, repository, reference }));
    }
    it("knows pinned from floating", () => {
        assert.ok(isPinnedImage("postgres:16.4"));
        assert.ok(isPinnedImage("gcr.io/x/y@sha256:abc"));
        assert.ok(!isPinnedImage("postgres"));
        assert.ok(!isPinnedImage("postgres:latest"));
        assert.ok(!isPinnedImage("localhost:5000/app"));
    });
    it("reads tags", () => {
        assert.strictEqual(imageTag("minio/minio:RELEASE.2025"), "RELEASE.2025");
        assert.strictEqual(imageTag("x@sha256:0123456789abcdef"), "0123456789ab");
    });
});

describe("image relocation", () => {
    it("moves a Docker Hub image under the mirror, keeping its path", () => {
        assert.strictEqual(relocateImage("docker.io/bitnami/mongodb:7.0.5", mirror), "registry.corp:5000/bitnami/mongodb:7.0.5");
    });
    it("applies the path prefix", () => {
        assert.strictEqual(relocateImage("docker.io/bitnami/mongodb:7.0.5", { ...mirror, pathPrefix: "mirror" }), "registry.corp:5000/mirror/bitnami/mongodb:7.0.5");
    });
    it("keeps official images under library/ and keeps digests", () => {
        assert.strictEqual(relocateImage("postgres:16.4", mirror), "registry.corp:5000/library/postgres:16.4");
        assert.strictEqual(relocateImage("gcr.io/knative-releases/queue@sha256:abc", mirror), "registry.corp:5000/knative-releases/queue@sha256:abc");
    });
    it("leaves images already on the mirror alone", () => {
        assert.strictEqual(relocateImage("registry.corp:5000/bitnami/mongodb:7.0.5", mirror), "registry.corp:5000/bitnami/mongodb:7.0.5");
    });
});

const seen: string[] = [];
const rw = { image: (i: string) => { const r = relocateImage(i, mirror); seen.push(r); return r; }, pullSecretName: "pull" };

function podSpecsOf(obj: any): any[] {
    if (!obj || typeof obj !== "object") return [];
    if (Array.isArray(obj.containers)) return [obj];
    return Object.values(obj).flatMap(podSpecsOf);
}

describe("pod spec rewriting", () => {
    const pod = { containers: [{ name: "a", image: "nginx:1.27" }], initContainers: [{ name: "i", image: "busybox:1.36" }] };
    const objects: [string, string, any][] = [
        ["Pod", "kubernetes:core/v1:Pod", { spec: pod }],
        ["Deployment", "kubernetes:apps/v1:Deployment", { spec: { template: { spec: pod } } }],
        ["StatefulSet", "kubernetes:apps/v1:StatefulSet", { spec: { template: { spec: pod } } }],
        ["DaemonSet", "kubernetes:apps/v1:DaemonSet", { spec: { template: { spec: pod } } }],
        ["Job", "kubernetes:batch/v1:Job", { spec: { template: { spec: pod } } }],
        ["CronJob", "kubernetes:batch/v1:CronJob", { spec: { jobTemplate: { spec: { template: { spec: pod } } } } }],
        ["Knative Service", "kubernetes:serving.knative.dev/v1:Service", { spec: { template: { spec: pod } } }],
    ];
    for (const [kind, type, props] of objects) {
        it(`relocates every container and init container of a ${kind} and attaches the pull secret`, () => {
            assert.ok(mayHoldPodSpecs(type));
            const out = rewritePodSpecs(props, rw) as any;
            const [spec] = podSpecsOf(out);
            assert.deepStrictEqual(spec.containers.map((c: any) => c.image), ["registry.corp:5000/library/nginx:1.27"]);
            assert.deepStrictEqual(spec.initContainers.map((c: any) => c.image), ["registry.corp:5000/library/busybox:1.36"]);
            assert.deepStrictEqual(spec.imagePullSecrets, [{ name: "pull" }]);
            assert.strictEqual(props.spec.template?.spec?.containers?.[0]?.image ?? props.spec.containers?.[0]?.image ?? "nginx:1.27", "nginx:1.27", "input mutated");
        });
    }

    it("relocates an object rendered by a Helm chart", () => {
        // As helm renders it: a Deployment with an init container and its own pull secret.
        const [doc] = parseAllDocuments(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: mongodb, labels: {helm.sh/chart: mongodb-15.6.26}}
spec:
  template:
    spec:
      imagePullSecrets: [{name: chart-own}]
      initContainers: [{name: volume-permissions, image: "docker.io/bitnami/os-shell:12-debian-12-r22"}]
      containers: [{name: mongodb, image: "docker.io/bitnami/mongodb:7.0.5"}]
`).map((d) => d.toJSON());
        const out = rewritePodSpecs(doc, rw) as any;
        const spec = out.spec.template.spec;
        assert.strictEqual(spec.containers[0].image, "registry.corp:5000/bitnami/mongodb:7.0.5");
        assert.strictEqual(spec.initContainers[0].image, "registry.corp:5000/bitnami/os-shell:12-debian-12-r22");
        assert.deepStrictEqual(spec.imagePullSecrets, [{ name: "chart-own" }, { name: "pull" }]);
    });

    it("does not attach the pull secret twice", () => {
        const out = rewritePodSpecs({ spec: { imagePullSecrets: [{ name: "pull" }], containers: [{ image: "a:1" }] } }, rw) as any;
        assert.deepStrictEqual(out.spec.imagePullSecrets, [{ name: "pull" }]);
    });

    it("rewrites images that are still Outputs", async () => {
        const out = rewritePodSpecs({ spec: { containers: pulumi.output([{ name: "a", image: pulumi.output("redis:7.4") }]) } }, rw) as any;
        const containers = await new Promise<any[]>((resolve) => out.spec.containers.apply(resolve));
        const image = await new Promise<string>((resolve) => pulumi.output(containers[0].image).apply(resolve));
        assert.strictEqual(image, "registry.corp:5000/library/redis:7.4");
    });

    it("skips objects that hold no pod specs", () => {
        for (const t of ["kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret", "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "kubernetes:helm.sh/v4:Chart", "aws:s3/bucket:Bucket"]) {
            assert.ok(!mayHoldPodSpecs(t), t);
        }
    });

    it("leaves a CRD schema's `containers` property alone", () => {
        const schema = { properties: { containers: { type: "array", items: { properties: { image: { type: "string" } } } } } };
        assert.deepStrictEqual(rewritePodSpecs(schema, rw), schema);
    });
});
