// Writes Pulumi.yaml and docs/configuration.md from stacks/settings.ts.
import * as fs from "fs";
import * as path from "path";
import { configurationDoc, pulumiYaml } from "../stacks/generate";

const root = path.join(__dirname, "..");
fs.writeFileSync(path.join(root, "Pulumi.yaml"), pulumiYaml());
fs.writeFileSync(path.join(root, "docs", "configuration.md"), configurationDoc());
console.log("wrote Pulumi.yaml and docs/configuration.md");
