// node bench/variant.js DIR VARIANT: turns the program copy in DIR into one way of running it.
//   ts-check      TypeScript through ts-node, type-checked at every run (ts-node's default)
//   ts-transpile  TypeScript through ts-node, transpile only, by TypeScript itself (tsconfig.json
//                 "ts-node": {"transpileOnly": true, "swc": false}): how it ran before swc
//   ts-swc        TypeScript through ts-node, transpile only, by swc (@swc/core; "ts-node": {"swc": true}):
//                 what the project does
//   ts-transpile-gc  ts-transpile, and Node's young generation enlarged (runtime.options.nodeargs
//                 --max-semi-space-size=32: fewer scavenges for the SDK's many short-lived objects)
//   js            compiled JavaScript: tsc -p tsconfig.build.json (index.ts included) into bin/,
//                 Pulumi.yaml runtime.options.typescript false, main bin/index.js
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const [dir, variant] = process.argv.slice(2);
const file = (f) => path.join(dir, f);
const tsconfig = JSON.parse(fs.readFileSync(file("tsconfig.json"), "utf8"));
let pulumiYaml = fs.readFileSync(file("Pulumi.yaml"), "utf8");
const setRuntime = (typescript, main) => {
    pulumiYaml = pulumiYaml
        .replace(/^(\s+typescript:\s*)\S+$/m, `$1${typescript}`)
        .replace(/^main:.*$/m, `main: ${main}`);
};
switch (variant) {
    case "ts-check":
        tsconfig["ts-node"] = { ...(tsconfig["ts-node"] ?? {}), transpileOnly: false, swc: false };
        setRuntime(true, "index.ts");
        break;
    case "ts-transpile":
        tsconfig["ts-node"] = { ...(tsconfig["ts-node"] ?? {}), transpileOnly: true, swc: false };
        setRuntime(true, "index.ts");
        break;
    case "ts-swc":
        tsconfig["ts-node"] = { ...(tsconfig["ts-node"] ?? {}), transpileOnly: true, swc: true };
        setRuntime(true, "index.ts");
        break;
    case "ts-transpile-gc":
        tsconfig["ts-node"] = { ...(tsconfig["ts-node"] ?? {}), transpileOnly: true, swc: false };
        setRuntime(true, "index.ts");
        pulumiYaml = pulumiYaml.replace(/^(\s+)typescript:(.*)$/m, `$1typescript:$2\n$1nodeargs: "--max-semi-space-size=32"`);
        break;
    case "js": {
        const build = JSON.parse(fs.readFileSync(file("tsconfig.build.json"), "utf8"));
        if (!build.include.includes("index.ts")) build.include.unshift("index.ts");
        fs.writeFileSync(file("tsconfig.build.json"), JSON.stringify(build, null, 2));
        execFileSync(path.join(dir, "node_modules/.bin/tsc"), ["-p", file("tsconfig.build.json")], { stdio: "inherit" });
        setRuntime(false, "bin/index.js");
        break;
    }
    default:
        throw new Error(`unknown variant ${variant} (ts-check, ts-transpile, ts-swc, ts-transpile-gc, js)`);
}
fs.writeFileSync(file("tsconfig.json"), JSON.stringify(tsconfig, null, 2));
fs.writeFileSync(file("Pulumi.yaml"), pulumiYaml);
