export * from "./types";
export * from "./minio";
export * from "./s3";
