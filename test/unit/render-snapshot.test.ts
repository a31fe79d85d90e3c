// The dev and prod stacks rendered under mocks must match the committed snapshots: every
// registered resource (type, name, inputs, parent, dependsOn) and the stack outputs. Refactors
// of components and stacks keep these identical; a deliberate change regenerates them with
// UPDATE_SNAPSHOTS=1 make test-unit and shows up in the diff.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { runStack, stackFileConfig, tempKubeconfig } from "./harness";

const KUBECONFIG = tempKubeconfig();
const STACKS = {
    dev: { config: () => ({ ...stackFileConfig("dev"), "cluster.kubeconfig": KUBECONFIG }), secrets: [] as string[] },
    prod: {
        config: () => ({
            ...stackFileConfig("prod"),
            "cluster.kubeconfig": KUBECONFIG,
            "registry.mirror.password": "snapshot-mirror-password",
            "data.postgresql.external.dsn": "postgres://app:snapshot-db-password@db.corp:5432/ml?sslmode=require",
            "aiAppStore.keycloak.backendClientSecret": "snapshot-keycloak-secret",
        }),
        secrets: ["registry.mirror.password", "data.postgresql.external.dsn", "aiAppStore.keycloak.backendClientSecret"],
    },
};

/** Resources keyed by type, parent and name (registration order is not part of the contract). */
async function render(stack: keyof typeof STACKS) {
    const run = await runStack(STACKS[stack].config(), STACKS[stack].secrets);
    if (run.error) throw run.error;
    const resources: Record<string, unknown> = {};
    for (const r of run.resources) {
        const key = `${r.type}::${r.parent ?? ""}::${r.name}`;
        assert.ok(!(key in resources), `two resources registered as ${key}`);
        resources[key] = { inputs: r.inputs, parent: r.parent, dependsOn: r.dependsOn };
    }
    const sorted = Object.fromEntries(Object.keys(resources).sort().map((k) => [k, resources[k]]));
    // A JSON round trip drops undefined fields, as the snapshot file does.
    return JSON.parse(JSON.stringify({ resources: sorted, outputs: run.serializedOutputs }));
}

describe("rendered stacks match their snapshots", function () {
    this.timeout(60_000);
    for (const stack of Object.keys(STACKS) as (keyof typeof STACKS)[]) {
        it(`${stack}: every resource and output`, async () => {
            const file = path.join(__dirname, "snapshots", `${stack}.json`);
            const actual = await render(stack);
            if (process.env.UPDATE_SNAPSHOTS === "1") fs.writeFileSync(file, JSON.stringify(actual, null, 1) + "\n");
            const expected = JSON.parse(fs.readFileSync(file, "utf8"));
            assert.deepStrictEqual(Object.keys(actual.resources), Object.keys(expected.resources), "the set of resources changed");
            for (const key of Object.keys(expected.resources)) assert.deepStrictEqual(actual.resources[key], expected.resources[key], key);
            assert.deepStrictEqual(actual.outputs, expected.outputs, "stack outputs");
        });
    }
});
