export * from "./connection";
export * from "./services";
export * from "./service";
