// Preloaded into the program's Node process (NODE_OPTIONS="--require bench/marks.js") by
// bench/noop.sh: where the program's time goes, in milliseconds since the process started.
//   - every Module._load is timed; its exclusive time is charged to the package of the
//     loaded file (node_modules/<pkg>), or to "program .ts" / "program .js" for our own
//     files (for .ts files that includes ts-node's transpile or type check);
//   - marks: typescript loaded, program entry required (start, end), process exit.
// The result is appended as one JSON line to $BENCH_MARKS_FILE at exit.
"use strict";
const Module = require("module");
const fs = require("fs");
const { performance } = require("perf_hooks");

const out = process.env.BENCH_MARKS_FILE;
const isProgram = process.argv.some((a) => a.endsWith("cmd/run") || a.includes("cmd/run/index") || a.endsWith("cmd/run/"));
if (out && isProgram) {
    // A CPU profile of the whole program run (--cpu-prof is refused in NODE_OPTIONS).
    let session;
    if (process.env.BENCH_CPU_PROF_DIR) {
        const inspector = require("inspector");
        session = new inspector.Session();
        session.connect();
        session.post("Profiler.enable");
        session.post("Profiler.setSamplingInterval", { interval: 1000 });
        session.post("Profiler.start");
    }
    const ms = () => performance.now();
    const self = new Map();
    const marks = { nodeStart: 0 };
    let modules = 0;
    const stack = [];
    const bucketOf = (file) => {
        if (!file) return "builtin";
        const i = file.lastIndexOf("node_modules/");
        if (i >= 0) {
            const rest = file.slice(i + "node_modules/".length).split("/");
            return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
        }
        if (file.endsWith(".ts")) return "program .ts";
        return "program .js";
    };
    const origLoad = Module._load;
    Module._load = function (request, parent, isMain) {
        let file;
        try { file = Module._resolveFilename(request, parent, isMain); } catch { /* let the real load fail */ }
        const cached = file && Module._cache[file];
        if (cached || !file || !file.includes("/")) return origLoad.apply(this, arguments);
        const frame = { bucket: bucketOf(file), start: ms(), child: 0 };
        // The program's entry: the first of our own files (outside node_modules) the run loads.
        const entry = marks.programStart === undefined && !file.includes("node_modules/") && file !== __filename && file.startsWith(process.cwd());
        if (entry && marks.programStart === undefined) { marks.programStart = frame.start; marks.program = file; }
        stack.push(frame);
        try {
            return origLoad.apply(this, arguments);
        } finally {
            stack.pop();
            modules++;
            const total = ms() - frame.start;
            self.set(frame.bucket, (self.get(frame.bucket) ?? 0) + total - frame.child);
            if (stack.length) stack[stack.length - 1].child += total;
            if (file.endsWith("/typescript/lib/typescript.js")) marks.typescriptLoaded = ms();
            if (entry) marks.programEnd = ms();
        }
    };
    process.on("exit", (code) => {
        marks.exit = ms();
        const mem = process.memoryUsage();
        const line = {
            pid: process.pid, code, marks, modules,
            timeOrigin: performance.timeOrigin,
            loadSelfMs: Object.fromEntries([...self.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v)])),
            cpu: process.cpuUsage(), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), heapUsedMiB: Math.round(mem.heapUsed / 1048576),
            transpileOnly: process.env.PULUMI_NODEJS_TRANSPILE_ONLY,
        };
        fs.appendFileSync(out, JSON.stringify(line) + "\n");
        if (session) {
            // The in-process session answers synchronously, so this works in an exit handler.
            session.post("Profiler.stop", (err, res) => {
                if (err) return;
                fs.mkdirSync(process.env.BENCH_CPU_PROF_DIR, { recursive: true });
                fs.writeFileSync(`${process.env.BENCH_CPU_PROF_DIR}/program-${process.pid}.cpuprofile`, JSON.stringify(res.profile));
            });
        }
    });
}
