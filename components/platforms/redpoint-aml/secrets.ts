// The guide's secrets table, as one table: which environment variable each of the five
// public services reads from a Secret, and where mlplat takes its value. Containers get
// exactly these variables through secretKeyRef and no other secret. Pure code.
import type { AmlProblem, AmlServiceArgs, PublicService } from "./services";

/** Where a variable's value comes from. */
export type SecretSource =
    /** The MongoDB connection string: the data service's connection Secret, or CosmosDB's. */
    | "mongodb"
    /** The stack's object store: the bucket user's access key / secret key. */
    | "objectStore"
    /** A `--secret` setting (AmlSecretValues). */
    | "setting";

export interface SecretVariable {
    source: SecretSource;
    /** The containers that get it (the guide's table). */
    services: readonly PublicService[];
}

const ML = ["ml-servicesapi", "ml-scheduler"] as const;
const ML_DB = [...ML, "dbapi"] as const;
const DCC = ["dcc-servicesapi", "dcc-init"] as const;

/** The guide's table (document 000, "Secrets"), row by row. */
export const SECRETS_TABLE = {
    MONGODB_NAME: { source: "mongodb", services: [...ML_DB, ...DCC] },
    ADL2_ACCESS_KEY: { source: "setting", services: ML_DB },
    S3_ACCESS_KEY: { source: "objectStore", services: ML_DB },
    S3_SECRET_ACCESS_KEY: { source: "objectStore", services: ML_DB },
    GCS_CREDENTIAL: { source: "setting", services: ML_DB },
    RPDM_PASS: { source: "setting", services: ML },
    KEYCLOAK_ADMIN_PASS: { source: "setting", services: ML },
    RPI_SHARED_PASS: { source: "setting", services: DCC },
    SMTP_PASS: { source: "setting", services: DCC },
    DEFAULT_DCC_ADMIN_PASS: { source: "setting", services: ["dcc-init"] },
} as const satisfies Record<string, SecretVariable>;

export type SecretVariableName = keyof typeof SECRETS_TABLE;
/** The variables whose values are `--secret` settings. */
export type SettingSecret = { [K in SecretVariableName]: (typeof SECRETS_TABLE)[K]["source"] extends "setting" ? K : never }[SecretVariableName];
export const SETTING_SECRETS = (Object.keys(SECRETS_TABLE) as SecretVariableName[])
    .filter((k): k is SettingSecret => SECRETS_TABLE[k].source === "setting");

/**
 * Values that may be left empty: the Azure Data Lake and Google Cloud Storage keys are for
 * AML's connectors to those stores; mlplat gives it S3 (the stack's object store). An empty
 * value still reaches the containers (the variable is set, empty), as the vendor's script
 * with an unused placeholder would.
 */
export const OPTIONAL_SECRETS: readonly SettingSecret[] = ["ADL2_ACCESS_KEY", "GCS_CREDENTIAL"];

/** The variables one service reads, in the table's order. */
export function secretVariablesOf(service: string): SecretVariableName[] {
    return (Object.keys(SECRETS_TABLE) as SecretVariableName[])
        .filter((k) => (SECRETS_TABLE[k].services as readonly string[]).includes(service));
}

/** The key of the platform's own Secret holding a setting's value (lowercase, a valid Secret key). */
export const secretKeyOf = (variable: SettingSecret) => variable.toLowerCase().replace(/_/g, "-");

/** A table variable among a service's plain env would reach the container as a plain value: refused. */
export function envProblems(services: AmlServiceArgs[]): AmlProblem[] {
    return services.flatMap((s) => Object.keys(s.env ?? {}).filter((k) => k in SECRETS_TABLE).map((k) => ({
        service: s.name, field: "env", message: `sets ${k}, a variable of the guide's secrets table: it reaches containers only from its Secret`,
    })));
}
