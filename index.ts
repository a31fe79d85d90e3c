// The mlplat program: load and validate config, compose the stack, export outputs.
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./stacks/config";
import { composeStack } from "./stacks/compose";

const stack = composeStack(loadConfig(), (transform) =>
    pulumi.runtime.registerResourceTransform((args) => {
        const props = transform(args);
        return props ? { props, opts: args.opts } : undefined;
    }));

export const images = stack.images;
export const cluster = stack.cluster;
export const namespaces = stack.namespaces;
export const storage = stack.storage;
export const inferencePipeline = stack.inferencePipeline;
export const aiAppStore = stack.aiAppStore;
export const modelServing = stack.modelServing;
export const azureml = stack.azureml;
export const redpointAml = stack.redpointAml;
