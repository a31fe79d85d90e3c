// What a platform gets from a data service, whatever its mode: one Secret per consuming
// namespace with the same keys in every mode. This module decides the Secret names,
// the keys, how connection strings are built for in-cluster services and how the
// user's connection strings are read in `external` mode. Pure TypeScript: no Pulumi.
/**
 * The data services, the key of the connection secret each takes in `external` mode (with an
 * example), and the defaults of DataServiceArgs: pinned image, chart version, volume size and
 * the platform's user and database.
 */
export const DATA_SERVICES = {
    postgresql: { secretKey: "dsn", example: "postgres://user:pass@db.example:5432/mlservice?sslmode=require", image: "postgres:16.15-alpine", chartVersion: "15.5.38", size: "8Gi", username: "mlservice", database: "mlservice" },
    redis: { secretKey: "url", example: "redis://:pass@redis.example:6379/0", image: "redis:7.4.11-alpine", chartVersion: "20.6.2", size: "2Gi" },
    rabbitmq: { secretKey: "url", example: "amqp://user:pass@rabbitmq.example:5672/", image: "rabbitmq:4.2.1-management-alpine", chartVersion: "15.4.0", size: "4Gi", username: "mlplat" },
    mongodb: { secretKey: "uri", example: "mongodb://user:pass@mongo.example:27017/appstore", image: "mongo:7.0.26", chartVersion: "15.6.26", size: "8Gi", username: "appstore", database: "appstore" },
} as const;
export type DataServiceName = keyof typeof DATA_SERVICES;

/** How a data service is provided. */
export const DATA_MODES = ["embedded", "chart", "external"] as const;
export type DataMode = (typeof DATA_MODES)[number];

/**
 * Per service: the connection Secret's name (the go-with-me-ml names where the guide has
 * one), its keys (the first is the connection string), the URL schemes accepted from
 * users, and the default port.
 */
export const CONNECTIONS = {
    postgresql: { secretName: "postgres-credentials", keys: ["dsn", "username", "password", "database", "host", "port"], schemes: ["postgres", "postgresql"], port: 5432 },
    redis: { secretName: "redis-credentials", keys: ["url", "password", "host", "port"], schemes: ["redis", "rediss"], port: 6379 },
    rabbitmq: { secretName: "rabbitmq-credentials", keys: ["url", "username", "password", "host", "port"], schemes: ["amqp", "amqps"], port: 5672 },
    mongodb: { secretName: "mongodb-credentials", keys: ["uri", "username", "password", "database"], schemes: ["mongodb", "mongodb+srv"], port: 27017 },
} as const satisfies Record<DataServiceName, { secretName: string; keys: readonly string[]; schemes: readonly string[]; port: number }>;

/** A key of the connection Secret of service `S`. */
export type ConnectionKey<S extends DataServiceName> = (typeof CONNECTIONS)[S]["keys"][number];
/** Every value of the connection Secret of service `S`. */
export type ConnectionValues<S extends DataServiceName> = Record<ConnectionKey<S>, string>;

/** Credentials and address of an in-cluster service. */
export interface InClusterEndpoint {
    host: string;
    port: number;
    /** Empty for Redis (password only). */
    username: string;
    password: string;
    /** Empty for Redis and RabbitMQ. */
    database: string;
}

const enc = encodeURIComponent;
/** Connection strings of in-cluster services: TLS off inside the cluster network. */
const URLS: Record<DataServiceName, (e: InClusterEndpoint) => string> = {
    postgresql: (e) => `postgres://${enc(e.username)}:${enc(e.password)}@${e.host}:${e.port}/${enc(e.database)}?sslmode=disable`,
    redis: (e) => `redis://:${enc(e.password)}@${e.host}:${e.port}/0`,
    rabbitmq: (e) => `amqp://${enc(e.username)}:${enc(e.password)}@${e.host}:${e.port}/`,
    // The service user lives in the app's database, so it authenticates there.
    mongodb: (e) => `mongodb://${enc(e.username)}:${enc(e.password)}@${e.host}:${e.port}/${enc(e.database)}?authSource=${enc(e.database)}`,
};

function pick<S extends DataServiceName>(service: S, all: Record<string, string>): ConnectionValues<S> {
    return Object.fromEntries(CONNECTIONS[service].keys.map((k) => [k, all[k]])) as ConnectionValues<S>;
}

/** The connection Secret's values for a service running in the cluster. */
export function connectionValues<S extends DataServiceName>(service: S, e: InClusterEndpoint): ConnectionValues<S> {
    return pick(service, {
        [CONNECTIONS[service].keys[0]]: URLS[service](e),
        username: e.username, password: e.password, database: e.database, host: e.host, port: String(e.port),
    });
}

interface ParsedUrl {
    scheme: string;
    username: string;
    password: string;
    host: string;
    port: string;
    path: string;
}

// scheme://[userinfo@]hosts[/path][?query]: userinfo runs to the last '@' (passwords keep
// their own '@' only when encoded, but be lenient), hosts may be a list (MongoDB replica sets).
const URL_RE = /^([a-z][a-z0-9+.-]*):\/\/(?:(.*)@)?([^@/?#]+)(?:\/([^?#]*))?(?:\?[^#]*)?$/i;
const HOST_RE = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i;

function parseUrl(url: string): ParsedUrl | undefined {
    const m = URL_RE.exec(url);
    if (!m) return undefined;
    const h = HOST_RE.exec(m[3].split(",")[0]);
    if (!h) return undefined;
    const userinfo = m[2] ?? "";
    const colon = userinfo.indexOf(":");
    const dec = (s: string) => { try { return decodeURIComponent(s); } catch { return s; } };
    return {
        scheme: m[1].toLowerCase(),
        username: dec(colon >= 0 ? userinfo.slice(0, colon) : userinfo),
        password: dec(colon >= 0 ? userinfo.slice(colon + 1) : ""),
        host: h[1],
        port: h[2] ?? "",
        path: dec(m[4] ?? ""),
    };
}

/** The URL forms accepted for a service's external connection string, for messages. */
export function connectionStringForm(service: DataServiceName): string {
    return `a ${CONNECTIONS[service].schemes.map((s) => `${s}://`).join(" or ")} URL`;
}

/** True when `url` is a connection string of `service` that `externalConnectionValues` can read. */
export function isConnectionString(service: DataServiceName, url: string): boolean {
    const parsed = parseUrl(url);
    return !!parsed && (CONNECTIONS[service].schemes as readonly string[]).includes(parsed.scheme);
}

/**
 * The connection Secret's values read from a user's connection string (`external`): the
 * string itself under the first key, its parts under the others; `defaultDatabase` when
 * the string names no database (CosmosDB URIs do not).
 */
export function externalConnectionValues<S extends DataServiceName>(service: S, url: string, defaultDatabase = ""): ConnectionValues<S> {
    const p = parseUrl(url);
    if (!p || !isConnectionString(service, url)) throw new Error(`data.${service}: the external connection string must be ${connectionStringForm(service)}`);
    const port = p.port || String(p.scheme === "amqps" ? 5671 : CONNECTIONS[service].port);
    return pick(service, {
        [CONNECTIONS[service].keys[0]]: url,
        username: p.username, password: p.password, database: p.path || defaultDatabase, host: p.host, port,
    });
}
