// The environment the upstream AI App Store reads (DinoHub/appstore-ai), per app line: one
// row per setting, with the upstream file that reads it. The component sets exactly these
// (test/unit/ai-app-store-upstream.test.ts compares the rendered env of both workloads with
// this table for every line). Pure data.
//
// The backend's settings module (back-end/src/config/config.py) is a pydantic BaseSettings:
// with ENV_STATE=prod every field is read from `PROD_<FIELD>`. The ClearML SDK reads its own
// unprefixed CLEARML_* variables (what upstream's chart sets, k8s/charts/aas-backend/values.yaml).

/**
 * The app lines mlplat deploys:
 * - `1.0`: v1.0.x, the built-in login (PROD_FIRST_SUPERUSER_*, inserted by internal/tasks/init_db.py);
 * - `1.2`: v1.2.1 and later 1.2.x, login through Keycloak (PROD_KEYCLOAK_*, VUE_APP_KEYCLOAK_*).
 * v1.1.0 and v1.2.0 are refused: their backend needs Keycloak, but their frontend's Keycloak
 * settings are compiled in empty (front-end/src/security/KeycloakService.ts) and cannot be set.
 */
export type AppLine = "1.0" | "1.2";

/** The upstream version our images are built from in the dev and prod stacks. */
export const UPSTREAM_VERSION = "1.2.1";

/** The app line of an exact upstream version (`1.0.11`, `1.2.1`), or why it is not deployable. */
export function appLine(version: string): AppLine | { refused: string } {
    const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(version);
    if (!m) return { refused: "must be an exact upstream release like 1.2.1 or 1.0.11 (the git tag the images are built from)" };
    const [major, minor, patch] = m.slice(1).map(Number);
    if (major === 1 && minor === 0) return "1.0";
    if (major === 1 && (minor === 1 || (minor === 2 && patch === 0))) {
        return { refused: `is ${version}, whose backend logs in through Keycloak but whose frontend has its Keycloak settings compiled in empty (front-end/src/security/KeycloakService.ts): build the images from v1.2.1 (or v1.0.x for the built-in login)` };
    }
    if (major === 1 && minor === 2) return "1.2";
    return { refused: `is ${version}, an upstream version mlplat has not been checked against (known: 1.0.x, 1.2.1+ in 1.2.x)` };
}

export interface EnvRow {
    name: string;
    workload: "backend" | "frontend";
    /** The app lines that read it. */
    lines: readonly AppLine[];
    /** Upstream file that reads it (paths in DinoHub/appstore-ai). */
    upstream: string;
    /** Set through a secretKeyRef. */
    secret?: boolean;
    /** Set only when configured (optional upstream, e.g. ClearML keys). */
    optional?: boolean;
}

const BOTH: readonly AppLine[] = ["1.0", "1.2"];
const CONFIG = "back-end/src/config/config.py";
const b = (name: string, lines: readonly AppLine[], upstream: string, extra: Partial<EnvRow> = {}): EnvRow => ({ name, workload: "backend", lines, upstream, ...extra });
const f = (name: string, lines: readonly AppLine[], upstream: string): EnvRow => ({ name, workload: "frontend", lines, upstream });

/** Every setting the upstream app reads that mlplat sets. */
export const ENV_CONTRACT: readonly EnvRow[] = [
    b("ENV_STATE", BOTH, CONFIG),
    b("PROD_FRONTEND_HOST", BOTH, `${CONFIG} → main.py (CORS origins)`),
    b("PROD_MAX_UPLOAD_SIZE_GB", BOTH, `${CONFIG} → routers/models.py, routers/datasets.py`),
    b("PROD_SECURE_COOKIES", BOTH, `${CONFIG} → internal/auth.py (1.0), models/auth.py (1.2)`),
    b("PROD_SECRET_KEY", BOTH, `${CONFIG} → internal/auth.py (1.0), models/auth.py (1.2)`, { secret: true }),
    b("PROD_ALGORITHM", ["1.0"], `${CONFIG} → internal/auth.py (JWT signing; unread from 1.1)`),
    b("PROD_FIRST_SUPERUSER_ID", ["1.0"], `${CONFIG} → internal/tasks/init_db.py`),
    b("PROD_FIRST_SUPERUSER_PASSWORD", ["1.0"], `${CONFIG} → internal/tasks/init_db.py`, { secret: true }),
    b("PROD_DB_NAME", BOTH, `${CONFIG} → internal/dependencies/mongo_client.py`, { secret: true }),
    b("PROD_MONGO_DSN", BOTH, `${CONFIG} → internal/dependencies/mongo_client.py`, { secret: true }),
    b("PROD_MONGO_USERNAME", BOTH, `${CONFIG} → internal/dependencies/mongo_client.py`, { secret: true }),
    b("PROD_MONGO_PASSWORD", BOTH, `${CONFIG} → internal/dependencies/mongo_client.py`, { secret: true }),
    b("PROD_MINIO_DSN", BOTH, `${CONFIG} → internal/dependencies/minio_client.py`),
    b("PROD_MINIO_API_HOST", BOTH, `${CONFIG} → internal/dependencies/minio_client.py (get_presigned_url)`),
    b("PROD_MINIO_BUCKET_NAME", BOTH, `${CONFIG} → internal/dependencies/minio_client.py, routers/*`),
    b("PROD_MINIO_TLS", BOTH, `${CONFIG} → internal/dependencies/minio_client.py`),
    b("PROD_MINIO_API_ACCESS_KEY", BOTH, `${CONFIG} → internal/dependencies/minio_client.py`, { secret: true }),
    b("PROD_MINIO_API_SECRET_KEY", BOTH, `${CONFIG} → internal/dependencies/minio_client.py`, { secret: true }),
    b("PROD_IE_NAMESPACE", BOTH, `${CONFIG} → routers/engines.py, internal/tasks/clean_orphaned_services.py`),
    b("PROD_IE_SERVICE_TYPE", BOTH, `${CONFIG} → routers/engines.py`),
    b("PROD_IE_DEFAULT_PROTOCOL", BOTH, `${CONFIG} → routers/engines.py`),
    b("PROD_IE_DOMAIN", BOTH, `${CONFIG} → routers/engines.py (inference URLs)`),
    b("PROD_KEYCLOAK_SERVER_URL", ["1.2"], `${CONFIG} → internal/keycloak_auth.py`),
    b("PROD_KEYCLOAK_REALM_NAME", ["1.2"], `${CONFIG} → internal/keycloak_auth.py`),
    b("PROD_KEYCLOAK_CLIENT_ID", ["1.2"], `${CONFIG} → internal/keycloak_auth.py`),
    b("PROD_KEYCLOAK_CLIENT_SECRET_KEY", ["1.2"], `${CONFIG} → internal/keycloak_auth.py`, { secret: true }),
    b("PROD_KEYCLOAK_AUTHORIZATION_URL", ["1.2"], `${CONFIG} → internal/keycloak_auth.py (OAuth2AuthorizationCodeBearer)`),
    b("PROD_KEYCLOAK_TOKEN_URL", ["1.2"], `${CONFIG} → internal/keycloak_auth.py (OAuth2AuthorizationCodeBearer)`),
    b("CLEARML_WEB_HOST", BOTH, "ClearML SDK (internal/dependencies/clearml_client.py), as k8s/charts/aas-backend/values.yaml sets it"),
    b("CLEARML_API_HOST", BOTH, "ClearML SDK (internal/dependencies/clearml_client.py), as k8s/charts/aas-backend/values.yaml sets it"),
    b("CLEARML_FILES_HOST", BOTH, "ClearML SDK (internal/dependencies/clearml_client.py), as k8s/charts/aas-backend/values.yaml sets it"),
    b("CLEARML_API_ACCESS_KEY", BOTH, "ClearML SDK, as k8s/charts/aas-backend/values.yaml sets it", { secret: true, optional: true }),
    b("CLEARML_API_SECRET_KEY", BOTH, "ClearML SDK, as k8s/charts/aas-backend/values.yaml sets it", { secret: true, optional: true }),
    f("VUE_APP_BACKEND_URL", BOTH, "front-end/entrypoint.sh (sed into the compiled assets)"),
    f("VUE_APP_KEYCLOAK_URL", ["1.2"], "front-end/entrypoint.sh → src/security/KeycloakService.ts"),
    f("VUE_APP_KEYCLOAK_REALM", ["1.2"], "front-end/entrypoint.sh → src/security/KeycloakService.ts"),
    f("VUE_APP_KEYCLOAK_CLIENT_ID", ["1.2"], "front-end/entrypoint.sh → src/security/KeycloakService.ts"),
    f("VUE_APP_FRONTEND_VERSION", ["1.2"], "front-end/entrypoint.sh (the version shown)"),
    f("VUE_APP_BACKEND_VERSION", ["1.2"], "front-end/entrypoint.sh (the version shown)"),
];

/** The names a workload of a line gets (optional rows included). */
export function contractNames(line: AppLine, workload: EnvRow["workload"]): string[] {
    return ENV_CONTRACT.filter((r) => r.workload === workload && r.lines.includes(line)).map((r) => r.name);
}

/**
 * The Keycloak client the backend reads its users' roles from: upstream's
 * internal/keycloak_auth.py takes `resource_access['ai-appstore-frontend'].roles` from every
 * token, so the frontend's client must have this id.
 */
export const KEYCLOAK_FRONTEND_CLIENT = "ai-appstore-frontend";

/** Variables the workloads get that are not the app's settings: the runtime's (home, CA bundle). */
export const RUNTIME_ENV = ["HOME", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"] as const;
