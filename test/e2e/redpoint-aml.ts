// Redpoint AML on the local control plane: checks run inside the dev-stack suite
// (test/e2e/dev-stack.test.ts) against the dev stack it deploys, which enables AML, so AML
// costs no deploy of its own; that suite's no-op second preview and destroy cover AML too.
import * as assert from "assert";
import type { Stack } from "@pulumi/pulumi/automation";
import { PULL_SECRET_NAME, SECRETS_TABLE, secretVariablesOf } from "../../components/platforms/redpoint-aml";
import { kubectl } from "./env";

const NS = "aml";
const MICROSERVICES = "app.kubernetes.io/component=microservice";
const items = (kind: string, selector?: string): any[] => kubectl("get", kind, "-n", NS, ...(selector ? ["-l", selector] : []), "-o", "json").items;
const decode = (s: string) => Buffer.from(s, "base64").toString();

/** Registers the AML checks in the calling describe; `stack` is the deployed dev stack. */
export function redpointAmlChecks(stack: () => Stack): void {
    it("Redpoint AML: 14 Deployments Available, 14 Services, in namespace aml", async () => {
        const deployments = items("deployments", MICROSERVICES);
        assert.strictEqual(deployments.length, 14);
        for (const d of deployments) {
            assert.strictEqual(d.status.conditions?.find((c: any) => c.type === "Available")?.status, "True", `${d.metadata.name} Available`);
            assert.strictEqual(d.status.availableReplicas, d.spec.replicas, d.metadata.name);
        }
        const services = items("services", MICROSERVICES);
        assert.deepStrictEqual(services.map((s) => s.metadata.name).sort(), deployments.map((d) => d.metadata.name).sort());
        const out = (await stack().outputs()).redpointAml.value;
        assert.deepStrictEqual([...out.services].sort(), deployments.map((d) => d.metadata.name).sort());
    });

    it("Redpoint AML: each container's secret references are exactly its row of the guide's table, to keys that exist, holding the configured values", async () => {
        const secrets = Object.fromEntries(items("secrets").map((s) => [s.metadata.name, s.data ?? {}]));
        for (const d of items("deployments", MICROSERVICES)) {
            const [c] = d.spec.template.spec.containers;
            const refs = (c.env ?? []).filter((e: any) => e.valueFrom?.secretKeyRef);
            assert.ok((c.env ?? []).every((e: any) => !(e.name in SECRETS_TABLE) || e.valueFrom?.secretKeyRef), `${c.name}: a table variable as a plain value`);
            assert.deepStrictEqual(refs.map((e: any) => e.name), secretVariablesOf(c.name), c.name);
            for (const { name, valueFrom: { secretKeyRef: ref } } of refs) {
                assert.ok(ref.key in (secrets[ref.name] ?? {}), `${c.name} ${name}: Secret ${ref.name} has no key ${ref.key}`);
            }
        }
        const rpdm = await stack().getConfig("mlplat:redpointAml.secrets.RPDM_PASS");
        assert.strictEqual(decode(secrets["aml-secrets"]["rpdm-pass"]), rpdm.value);
        assert.match(decode(secrets["mongodb-credentials"].uri), /^mongodb:\/\/.*@mongodb\.aml\.svc\.cluster\.local:27017\//);
    });

    it("Redpoint AML: the Docker Hub pull secret on every pod", async () => {
        const pods = items("pods", MICROSERVICES);
        assert.strictEqual(pods.length, 14);
        for (const p of pods) assert.deepStrictEqual(p.spec.imagePullSecrets, [{ name: PULL_SECRET_NAME }], p.metadata.name);
        const pull = kubectl("get", "secret", PULL_SECRET_NAME, "-n", NS, "-o", "json");
        assert.strictEqual(pull.type, "kubernetes.io/dockerconfigjson");
        const auth = JSON.parse(decode(pull.data[".dockerconfigjson"])).auths["https://index.docker.io/v1/"];
        assert.strictEqual(auth.username, (await stack().getConfig("mlplat:redpointAml.dockerHub.username")).value);
        assert.strictEqual(auth.password, (await stack().getConfig("mlplat:redpointAml.dockerHub.token")).value);
    });

    it("Redpoint AML: five Ingresses with an address, and the UI login, admin and docs URLs on it", async () => {
        const ingresses = items("ingresses");
        assert.deepStrictEqual(ingresses.map((i) => i.metadata.name).sort(), ["aml-admin", "aml-auth", "aml-docs", "aml-realtime", "aml-ui"]);
        const address = (name: string) => {
            const lb = ingresses.find((i) => i.metadata.name === name).status.loadBalancer.ingress?.[0];
            return lb?.hostname || lb?.ip;
        };
        for (const i of ingresses) assert.ok(address(i.metadata.name), `${i.metadata.name} has an address`);
        const out = (await stack().outputs()).redpointAml.value;
        assert.deepStrictEqual([out.uiLoginUrl, out.adminUrl, out.docsUrl],
            [`http://${address("aml-ui")}/#/Login`, `http://${address("aml-admin")}/Admin/`, `http://${address("aml-docs")}/docs/`]);
    });
}
