// Root hooks of the e2e suite: the local control plane is started once for every e2e
// file and stopped at the end even when a test failed (unless it was already running,
// e.g. a developer's `make up` cluster, which is left as it was).
import { clusterDown, clusterUp } from "./env";

let wasRunning = true;

export const mochaHooks = {
    beforeAll(this: Mocha.Context) {
        this.timeout(1_200_000);
        wasRunning = clusterUp();
    },
    afterAll(this: Mocha.Context) {
        this.timeout(300_000);
        if (!wasRunning) clusterDown();
    },
};
