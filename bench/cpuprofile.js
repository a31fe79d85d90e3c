// node bench/cpuprofile.js FILE.cpuprofile [N]: where a V8 CPU profile's time went: self time by
// package (node_modules/<pkg>, "program" for our own files, "(garbage collector)" etc.) and the
// N (default 25) functions with the most self time.
"use strict";
const fs = require("fs");
const [file, n = "25"] = process.argv.slice(2);
const prof = JSON.parse(fs.readFileSync(file, "utf8"));
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
const bucket = (url) => {
    if (!url) return null;
    const i = url.lastIndexOf("node_modules/");
    if (i >= 0) {
        const r = url.slice(i + 13).split("/");
        return r[0].startsWith("@") ? `${r[0]}/${r[1]}` : r[0];
    }
    if (url.startsWith("node:")) return "node internals";
    return "program";
};
const byPkg = new Map(), byFn = new Map();
let total = 0;
for (const [id, us] of self) {
    const node = byId.get(id);
    const cf = node.callFrame;
    const b = bucket(cf.url) ?? cf.functionName ?? "(unknown)";
    byPkg.set(b, (byPkg.get(b) ?? 0) + us);
    const key = `${cf.functionName || "(anonymous)"} ${cf.url.replace(/^.*node_modules\//, "")}:${cf.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    total += us;
}
const ms = (us) => (us / 1000).toFixed(0).padStart(7) + " ms";
console.log(`${file}: ${ms(total)} sampled`);
console.log("self time by package:");
for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${ms(v)}  ${k}`);
console.log(`top ${n} functions by self time:`);
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) console.log(`  ${ms(v)}  ${k}`);
