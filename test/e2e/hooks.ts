// Root hooks of the e2e suite: the suite's own control plane (test/e2e/env.ts: its own
// state directory and ports) is started once for every e2e file and purged at the end,
// even when a test failed. A developer's `make up` cluster, when it runs, is checked to
// be exactly as it was: the same objects with the same UIDs.
import * as assert from "assert";
import { clusterPurge, clusterUp, userClusterObjects } from "./env";

let userObjects: string[] | undefined;

export const mochaHooks = {
    beforeAll(this: Mocha.Context) {
        this.timeout(1_200_000);
        userObjects = userClusterObjects();
        clusterPurge(); // a previous run's leftovers, if it was killed
        clusterUp();
    },
    afterAll(this: Mocha.Context) {
        this.timeout(300_000);
        clusterPurge();
        if (userObjects) {
            assert.deepStrictEqual(userClusterObjects(), userObjects, "the e2e suite changed objects of the make up cluster");
            console.log(`    the make up cluster's ${userObjects.length} objects are unchanged (same UIDs)`);
        }
    },
};
