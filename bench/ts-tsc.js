// node bench/ts-tsc.js FILE.ts ARGS...: runs FILE.ts through ts-node transpiling with TypeScript
// itself, not swc (tsconfig.json's ts-node.swc), as the program ran before swc: bench/scale.sh's mode ts-tsc.
"use strict";
const path = require("path");
require("ts-node").register({ transpileOnly: true, swc: false });
process.argv.splice(1, 1);
require(path.resolve(process.argv[1]));
