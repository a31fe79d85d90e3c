// What the App Store's backend may do in the inference namespace: exactly the Kubernetes
// API calls the upstream back-end makes (DinoHub/appstore-ai back-end/src/routers/engines.py
// and internal/tasks/clean_orphaned_services.py, the same in v1.0.x and v1.1.x+), per
// engine. Pure data; test/unit/ai-app-store-upstream.test.ts holds the list with the upstream
// call behind each verb.
import type * as k8s from "@pulumi/kubernetes";

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/** The rules of the backend's ClusterRole, bound in the inference namespace only. */
export function backendRbacRules(engines: readonly ("emissary" | "knative")[]): PolicyRule[] {
    const rules: PolicyRule[] = [
        // read_/list_/create_/delete_/patch_/replace_namespaced_service
        { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "create", "delete", "patch", "update"] },
        // list_namespaced_pod (service status, log streaming)
        { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
        // read_namespaced_pod_log
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
        // list_/create_/delete_/patch_/replace_namespaced_deployment
        { apiGroups: ["apps"], resources: ["deployments"], verbs: ["list", "create", "delete", "patch", "update"] },
        // read_namespaced_deployment_status
        { apiGroups: ["apps"], resources: ["deployments/status"], verbs: ["get"] },
        // patch_namespaced_deployment_scale
        { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["patch"] },
    ];
    if (engines.includes("emissary")) {
        // list_/create_/delete_/patch_/replace_namespaced_custom_object(getambassador.io, v2, mappings)
        rules.push({ apiGroups: ["getambassador.io"], resources: ["mappings"], verbs: ["list", "create", "delete", "patch", "update"] });
    }
    if (engines.includes("knative")) {
        // get_/list_/create_/delete_/patch_/replace_namespaced_custom_object(serving.knative.dev, v1, services)
        rules.push({ apiGroups: ["serving.knative.dev"], resources: ["services"], verbs: ["get", "list", "create", "delete", "patch", "update"] });
    }
    return rules;
}
