// The component package: `import { Minio, Registry, ... } from "mlplat"` in another
// Pulumi TypeScript program. Every component is exported with its Args type.
export * from "./components/core/context";
export * from "./components/core/labels";
export * from "./components/core/images";
export * from "./components/core/workload";
export * from "./components/core/secrets";
export * from "./components/core/chart";
export * from "./components/core/namespace";
export * from "./components/cluster";
export * from "./components/registry";
export * from "./components/storage";
export * from "./components/data";
export * from "./components/platforms/inference-pipeline";
export * from "./components/platforms/ai-app-store";
export * from "./components/platforms/model-serving";
export * from "./components/registry/ecr";
export * from "./components/ingress";
export { parseConfig, loadConfig, ConfigError, StackConfig, ConfigProblem } from "./stacks/config";
export { composeStack, StackOutputs } from "./stacks/compose";
export { SETTINGS } from "./stacks/settings";
export { createDataService, dataServiceArgs } from "./stacks/foundation";
export { inferencePipelineArgs } from "./stacks/platforms/inference-pipeline";
export { aiAppStoreArgs } from "./stacks/platforms/ai-app-store";
export { modelServerArgs } from "./stacks/platforms/model-serving";
export { eksClusterArgs } from "./stacks/eks";
