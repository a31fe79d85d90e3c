// A Basic-auth front for a loopback registry (see registries.ts authFront):
//   node -r ts-node/register/transpile-only auth-front.ts BACKEND USER  (password on stdin)
// Prints its own host:port, then forwards authenticated requests to BACKEND.
import * as http from "http";
import * as net from "net";

const [backend, user] = process.argv.slice(2);
const [bhost, bport] = backend.split(":");
let password = "";
process.stdin.on("data", (d) => (password += d.toString())).on("end", () => {
    const expected = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    const server = http.createServer((req, res) => {
        if (req.headers.authorization !== expected) {
            res.writeHead(401, { "WWW-Authenticate": 'Basic realm="mirror"', "Content-Type": "application/json" });
            res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
            return;
        }
        const up = http.request({ host: bhost, port: Number(bport), method: req.method, path: req.url, headers: req.headers }, (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
        });
        up.on("error", (e) => { res.writeHead(502); res.end(String(e)); });
        req.pipe(up);
    });
    server.listen(0, "127.0.0.1", () => process.stdout.write(`127.0.0.1:${(server.address() as net.AddressInfo).port}\n`));
});
