package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRequiredPackages(t *testing.T) {
	dir := t.TempDir()
	nm := filepath.Join(dir, "node_modules")
	writeFile(t, filepath.Join(nm, "@pulumi/random/package.json"),
		`{"name":"@pulumi/random","version":"4.21.2","pulumi":{"resource":true,"name":"random","version":"4.21.2"}}`)
	writeFile(t, filepath.Join(nm, "@pulumi/pulumi/package.json"),
		`{"name":"@pulumi/pulumi","version":"3.248.0","pulumi":{"comment":"not a plugin"}}`)
	// nested node_modules, version from the package itself, scoped name kept
	writeFile(t, filepath.Join(nm, "lib/node_modules/@acme/thing/package.json"),
		`{"name":"@acme/thing","version":"1.2.3","pulumi":{"resource":true}}`)
	// pulumi-plugin.json wins over package.json
	writeFile(t, filepath.Join(nm, "@pulumi/kubernetes/package.json"),
		`{"name":"@pulumi/kubernetes","version":"4.25.0"}`)
	writeFile(t, filepath.Join(nm, "@pulumi/kubernetes/pulumi-plugin.json"),
		`{"resource":true,"name":"kubernetes","version":"4.25.0","server":"https://example.invalid"}`)
	writeFile(t, filepath.Join(nm, "plain/package.json"), `{"name":"plain","version":"1.0.0"}`)

	deps, err := requiredPackages(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*pulumirpc.PackageDependency{}
	for _, d := range deps {
		got[d.Name] = d
	}
	if len(got) != 3 {
		t.Fatalf("want 3 packages, got %v", deps)
	}
	if d := got["random"]; d == nil || d.Version != "v4.21.2" || d.Kind != "resource" {
		t.Errorf("random: %v", d)
	}
	if d := got["acme/thing"]; d == nil || d.Version != "v1.2.3" {
		t.Errorf("acme/thing: %v", d)
	}
	if d := got["kubernetes"]; d == nil || d.Version != "v4.25.0" || d.Server != "https://example.invalid" {
		t.Errorf("kubernetes: %v", d)
	}

	// From a subdirectory without node_modules, the parent's are used.
	sub := filepath.Join(dir, "src")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	deps2, err := requiredPackages(sub, dir)
	if err != nil || len(deps2) != 3 {
		t.Fatalf("from subdir: %v %v", deps2, err)
	}
}

func TestParseOptionsAndLocate(t *testing.T) {
	opts := parseOptions(nil)
	if !opts.typescript || opts.tsconfig != "" || len(opts.nodeargs) != 0 {
		t.Errorf("defaults: %+v", opts)
	}
	s, err := structpb.NewStruct(map[string]any{
		"typescript": false, "tsconfig": "tsconfig.build.json", "nodeargs": "--max-old-space-size=4096 --trace-warnings",
	})
	if err != nil {
		t.Fatal(err)
	}
	opts = parseOptions(&pulumirpc.ProgramInfo{Options: s})
	if opts.typescript || opts.tsconfig != "tsconfig.build.json" || len(opts.nodeargs) != 2 {
		t.Errorf("parsed: %+v", opts)
	}

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "node_modules/@pulumi/pulumi/cmd/run/index.js"), "")
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := locateSDKScript(sub, "cmd/run")
	if err != nil || p != filepath.Join(dir, "node_modules/@pulumi/pulumi/cmd/run/index.js") {
		t.Errorf("locate: %q %v", p, err)
	}
	if _, err := locateSDKScript(sub, "cmd/run-policy-pack"); err == nil {
		t.Error("expected an error for a missing script")
	}
}

// A config far over Linux's 128 KiB limit for one environment string reaches
// the program intact through the pipe, and never through the environment.
func TestConfigChannelCarriesLargeConfig(t *testing.T) {
	node, err := nodeBinary()
	if err != nil {
		t.Skip("node is not installed")
	}
	cfg := map[string]string{}
	for i := 0; i < 3000; i++ {
		cfg[fmt.Sprintf("mlplat:modelServing.models.m%04d.image", i)] = strings.Repeat("x", 100)
	}
	config, _ := json.Marshal(cfg)
	if len(config) < 256<<10 {
		t.Fatalf("test config too small: %d bytes", len(config))
	}
	// What the environment route did with this config: exec refuses it.
	direct := exec.Command(node, "-e", "")
	direct.Env = append(os.Environ(), "PULUMI_CONFIG="+string(config))
	if err := direct.Run(); err == nil || !strings.Contains(err.Error(), "argument list too long") {
		t.Fatalf("expected exec to refuse a %d-byte environment string, got %v", len(config), err)
	}

	channel, err := openConfigChannel(config, []byte(`["mlplat:secret"]`))
	if err != nil {
		t.Fatal(err)
	}
	defer channel.close()
	script := filepath.Join(t.TempDir(), "probe.js")
	writeFile(t, script, `const fs = require("fs");
const environ = fs.readFileSync("/proc/self/environ", "utf8");
console.log(JSON.stringify({
  keys: Object.keys(JSON.parse(process.env.PULUMI_CONFIG)).length,
  bytes: process.env.PULUMI_CONFIG.length,
  secret: process.env.PULUMI_CONFIG_SECRET_KEYS,
  fdVar: process.env.PULUMI_NODEJS_CONFIG_FD === undefined,
  inEnviron: environ.includes("PULUMI_CONFIG="),
}));`)
	args, env, extra := channel.attach([]string{script}, os.Environ())
	cmd := exec.Command(node, args...)
	cmd.Env, cmd.ExtraFiles = env, extra
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	channel.afterStart()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node: %v\n%s", err, out.String())
	}
	var got struct {
		Keys, Bytes      int
		Secret           string
		FdVar, InEnviron bool
	}
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if got.Keys != 3000 || got.Bytes != len(config) || got.Secret != `["mlplat:secret"]` || !got.FdVar || got.InEnviron {
		t.Errorf("program saw %+v (config %d bytes)", got, len(config))
	}
}
