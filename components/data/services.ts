// What differs between PostgreSQL, Redis, RabbitMQ and MongoDB, as data: the official
// image's user and paths, probes, environment and first-start script (embedded mode),
// and the Bitnami chart's name and values (chart mode). Everything else — the
// StatefulSet, the Services, the generated credentials, the chart wrapper, the
// connection Secrets — is written once in service.ts.
import * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../core/workload";
import type { DataServiceName } from "./connection";

/** What a service's settings are derived from. */
export interface SpecInput {
    /** The platform's user (empty for Redis). */
    username: string;
    /** The platform's database (empty for Redis and RabbitMQ). */
    database: string;
}

export interface EmbeddedSpec {
    /** UID of the official image's non-root user; its group owns the volumes (fsGroup). */
    uid: number;
    gid: number;
    /** Mount path of the data volume. */
    dataPath: string;
    /** Other paths the server writes (emptyDirs; the root filesystem stays read-only). */
    writablePaths: string[];
    /** Arguments of the image's entrypoint. */
    args?: string[];
    /** Readiness, liveness and startup command. */
    probe: string[];
    /** Plain settings, and settings from the auth Secret (env name → key of the auth Secret). */
    env(a: SpecInput): { env: Record<string, string>; secretEnv: Record<string, string> };
    /** A file built from the passwords, stored in the auth Secret and mounted read-only in `dir`. */
    secretFile?: { key: string; dir: string; content(passwords: Record<string, pulumi.Output<string>>): pulumi.Output<string> };
    /** A first-start script for /docker-entrypoint-initdb.d (a ConfigMap; credentials come from env). */
    initScript?: { file: string; content: string };
}

export interface ChartSpec {
    /** Chart name in Bitnami's OCI registry (oci://registry-1.docker.io/bitnamicharts). */
    name: string;
    /** Values key of the chart's main workload (`primary`, `master`); empty for top-level. */
    workloadKey: string;
    /** What the chart appends to the release's full name for the client Service. */
    serviceSuffix: string;
    /** Passwords only the chart needs, generated beside `ServiceSpec.passwords`. */
    passwords?: string[];
    /** The service's own values: images, architecture, auth wired to the auth Secret `authSecret`. */
    values(a: SpecInput & { authSecret: pulumi.Output<string> }): Record<string, unknown>;
}

export interface ServiceSpec {
    /** Name in type tokens and prose. */
    title: string;
    /** Port of the protocol platforms speak. */
    port: number;
    /** Further ports of the Services (RabbitMQ's management API, used by KEDA's HTTP mode and the UI). */
    extraPorts: { name: string; port: number }[];
    /** Keys of the auth Secret that are generated passwords, named as the Bitnami chart expects them. */
    passwords: string[];
    /** The key of `passwords` the platform's user authenticates with. */
    appPasswordKey: string;
    /** Requests and limits of the server (both modes). */
    resources: Resources;
    embedded: EmbeddedSpec;
    chart: ChartSpec;
}

/** Bitnami's free images moved to docker.io/bitnamilegacy in August 2025 (docs/data-services.md). */
const legacy = (repository: string) => ({ registry: "docker.io", repository: `bitnamilegacy/${repository}` });
const resources = (request: [string, string], limit: [string, string]): Resources => ({
    requests: { cpu: request[0], memory: request[1], ephemeralStorage: "64Mi" },
    limits: { cpu: limit[0], memory: limit[1], ephemeralStorage: "512Mi" },
});

/** The MongoDB user that administers the server; platforms never get its password. */
export const MONGODB_ROOT_USER = "root";
/** The PostgreSQL superuser; platforms never get its password. */
export const POSTGRES_SUPERUSER = "postgres";

// Run once by the image's entrypoint, on the first start with an empty data directory.
const POSTGRES_INIT = `-- The platform's user owns the platform's database and is not a superuser.
-- Credentials come from the environment (a Secret), never from this file.
\\getenv app_user APP_USERNAME
\\getenv app_password APP_PASSWORD
\\getenv app_database APP_DATABASE
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password';
CREATE DATABASE :"app_database" OWNER :"app_user";
`;

const MONGODB_INIT = `// Connected as the root user: the platform's service user may read and write the
// platform's database only. Credentials come from the environment (a Secret).
const database = process.env.MONGO_APP_DATABASE;
db.getSiblingDB(database).createUser({
    user: process.env.MONGO_APP_USERNAME,
    pwd: process.env.MONGO_APP_PASSWORD,
    roles: [{ role: "readWrite", db: database }],
});
`;

export const SPECS: Record<DataServiceName, ServiceSpec> = {
    postgresql: {
        title: "PostgreSQL",
        port: 5432,
        extraPorts: [],
        passwords: ["postgres-password", "password"],
        appPasswordKey: "password",
        resources: resources(["100m", "256Mi"], ["1", "1Gi"]),
        embedded: {
            uid: 70, gid: 70, // postgres on the Alpine images (999 on Debian)
            dataPath: "/var/lib/postgresql/data",
            writablePaths: ["/var/run/postgresql", "/tmp"],
            probe: ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", POSTGRES_SUPERUSER],
            env: (a) => ({
                // A subdirectory: the volume's root may hold lost+found, which initdb refuses.
                env: { POSTGRES_USER: POSTGRES_SUPERUSER, PGDATA: "/var/lib/postgresql/data/pgdata", APP_USERNAME: a.username, APP_DATABASE: a.database },
                secretEnv: { POSTGRES_PASSWORD: "postgres-password", APP_PASSWORD: "password" },
            }),
            initScript: { file: "10-app-user.sql", content: POSTGRES_INIT },
        },
        chart: {
            name: "postgresql",
            workloadKey: "primary",
            serviceSuffix: "",
            values: (a) => ({
                image: legacy("postgresql"),
                volumePermissions: { image: legacy("os-shell") },
                metrics: { image: legacy("postgres-exporter") },
                architecture: "standalone",
                auth: {
                    username: a.username, database: a.database, existingSecret: a.authSecret,
                    secretKeys: { adminPasswordKey: "postgres-password", userPasswordKey: "password" },
                },
            }),
        },
    },
    redis: {
        title: "Redis",
        port: 6379,
        extraPorts: [],
        passwords: ["redis-password"],
        appPasswordKey: "redis-password",
        resources: resources(["50m", "128Mi"], ["500m", "512Mi"]),
        embedded: {
            uid: 999, gid: 1000, // redis on the Alpine images
            dataPath: "/data",
            writablePaths: [],
            // The password sits in a mounted file, not in the command line.
            args: ["/etc/redis/auth/redis.conf", "--dir", "/data", "--appendonly", "yes"],
            probe: ["sh", "-c", "redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG"],
            // redis-cli reads the password from REDISCLI_AUTH.
            env: () => ({ env: {}, secretEnv: { REDISCLI_AUTH: "redis-password" } }),
            secretFile: { key: "redis.conf", dir: "/etc/redis/auth", content: (p) => pulumi.interpolate`requirepass ${p["redis-password"]}\n` },
        },
        chart: {
            name: "redis",
            workloadKey: "master",
            serviceSuffix: "-master",
            values: (a) => ({
                image: legacy("redis"),
                sentinel: { image: legacy("redis-sentinel") },
                metrics: { image: legacy("redis-exporter") },
                volumePermissions: { image: legacy("os-shell") },
                kubectl: { image: legacy("kubectl") },
                sysctl: { image: legacy("os-shell") },
                architecture: "standalone",
                auth: { enabled: true, existingSecret: a.authSecret, existingSecretPasswordKey: "redis-password" },
            }),
        },
    },
    rabbitmq: {
        title: "RabbitMQ",
        port: 5672,
        extraPorts: [{ name: "management", port: 15672 }],
        passwords: ["rabbitmq-password"],
        appPasswordKey: "rabbitmq-password",
        resources: resources(["100m", "256Mi"], ["1", "1Gi"]),
        embedded: {
            uid: 100, gid: 101, // rabbitmq on the Alpine images (999 on Ubuntu)
            dataPath: "/var/lib/rabbitmq", // also $HOME: the Erlang cookie the CLI tools share with the server
            writablePaths: ["/tmp"],
            probe: ["rabbitmq-diagnostics", "-q", "ping"],
            env: (a) => ({ env: { RABBITMQ_DEFAULT_USER: a.username }, secretEnv: { RABBITMQ_DEFAULT_PASS: "rabbitmq-password" } }),
        },
        chart: {
            name: "rabbitmq",
            workloadKey: "",
            serviceSuffix: "",
            passwords: ["rabbitmq-erlang-cookie"],
            values: (a) => ({
                image: legacy("rabbitmq"),
                volumePermissions: { image: legacy("os-shell") },
                replicaCount: 1,
                auth: {
                    username: a.username,
                    existingPasswordSecret: a.authSecret, existingSecretPasswordKey: "rabbitmq-password",
                    existingErlangSecret: a.authSecret, existingSecretErlangKey: "rabbitmq-erlang-cookie",
                },
            }),
        },
    },
    mongodb: {
        title: "MongoDB",
        port: 27017,
        extraPorts: [],
        passwords: ["mongodb-root-password", "mongodb-passwords"],
        appPasswordKey: "mongodb-passwords",
        resources: resources(["100m", "512Mi"], ["1", "2Gi"]),
        embedded: {
            uid: 999, gid: 999, // mongodb on the official (Ubuntu) images
            dataPath: "/data/db",
            writablePaths: ["/tmp", "/data/configdb"],
            probe: ["mongosh", "--quiet", "--eval", "db.adminCommand('ping')"],
            env: (a) => ({
                // HOME: mongosh keeps its state there, not in the data directory.
                env: { MONGO_INITDB_ROOT_USERNAME: MONGODB_ROOT_USER, MONGO_APP_USERNAME: a.username, MONGO_APP_DATABASE: a.database, HOME: "/tmp" },
                secretEnv: { MONGO_INITDB_ROOT_PASSWORD: "mongodb-root-password", MONGO_APP_PASSWORD: "mongodb-passwords" },
            }),
            initScript: { file: "10-service-user.js", content: MONGODB_INIT },
        },
        chart: {
            name: "mongodb",
            workloadKey: "",
            serviceSuffix: "",
            values: (a) => ({
                image: legacy("mongodb"),
                metrics: { image: legacy("mongodb-exporter") },
                volumePermissions: { image: legacy("os-shell") },
                architecture: "standalone",
                // The chart creates the root user and, per entry, a user with readWrite on its database.
                auth: { enabled: true, rootUser: MONGODB_ROOT_USER, usernames: [a.username], databases: [a.database], existingSecret: a.authSecret },
            }),
        },
    },
};
