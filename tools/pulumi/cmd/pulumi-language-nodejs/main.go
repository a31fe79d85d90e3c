// pulumi-language-nodejs is mlplat's own Node.js language host for the Pulumi
// CLI. The upstream host lives in its own Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), which is
// untagged and whose pseudo-versions are not served by the module proxy these
// machines can reach, so it cannot be built from a module. This program speaks
// the same LanguageRuntime gRPC protocol (pulumirpc, from the sdk/v3 module the
// CLI itself is built from) and drives the JavaScript entry points that ship in
// the @pulumi/pulumi npm package of the program being run:
//
//	@pulumi/pulumi/cmd/run              programs (Run)
//	@pulumi/pulumi/cmd/run-policy-pack  policy packs (RunPlugin, kind analyzer)
//	@pulumi/pulumi/cmd/run-plugin       Node.js plugins (RunPlugin, other kinds)
//
// It supports what mlplat uses: TypeScript/JavaScript programs (runtime options
// typescript, tsconfig, nodeargs), required-package discovery from
// node_modules, policy packs, dependency installation with npm, and `pulumi
// about`. Code generation RPCs (GenerateProject/Program/Package, Pack, Link,
// Template) are not implemented.
//
// The CLI finds this binary next to the `pulumi` binary (language plugins are
// never downloaded).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	sdkversion "github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is the CLI's: the build stamps the sdk's version variable into both
// binaries (-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v...).
var version = strings.TrimPrefix(sdkversion.Version, "v")

// exitCodeUserActionable is the exit code @pulumi/pulumi's cmd/run uses after it
// has already printed an actionable message: the engine should bail quietly.
const exitCodeUserActionable = 32

func main() {
	// The CLI passes the engine address as the last positional argument. Older
	// CLIs also passed flags (-tracing, -root, -typescript, ...); runtime options
	// now arrive in ProgramInfo.Options, so flags are accepted and ignored.
	var engineAddress, tracing string
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			name := strings.TrimLeft(a, "-")
			if k, v, ok := strings.Cut(name, "="); ok {
				if k == "tracing" {
					tracing = v
				}
			} else if name == "tracing" && i+1 < len(args) {
				tracing = args[i+1]
				i++
			}
			continue
		}
		engineAddress = a
	}

	host := &nodeHost{engineAddress: engineAddress, tracing: tracing}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.ExitError(fmt.Sprintf("could not start language host RPC server: %v", err))
	}
	// The spawner reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.ExitError(fmt.Sprintf("language host RPC stopped serving: %v", err))
	}
}

type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	engineAddress string
	tracing       string
}

// ---------------------------------------------------------------------------
// Options and paths

type runtimeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func parseOptions(info *pulumirpc.ProgramInfo) runtimeOptions {
	opts := runtimeOptions{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return opts
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"]; ok {
		switch t := v.(type) {
		case bool:
			opts.typescript = t
		case string:
			opts.typescript = t != "false"
		}
	}
	if v, ok := m["tsconfig"].(string); ok {
		opts.tsconfig = v
	}
	if v, ok := m["nodeargs"].(string); ok {
		opts.nodeargs = strings.Fields(v)
	}
	return opts
}

// programDir returns the directory of the program described by info, falling
// back to the deprecated per-request fields.
func programDir(info *pulumirpc.ProgramInfo, fallback string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	if fallback != "" {
		return fallback
	}
	wd, _ := os.Getwd()
	return wd
}

func nodeBinary() (string, error) {
	p, err := exec.LookPath("node")
	if err != nil {
		return "", errors.New("could not find node on the $PATH: install Node.js")
	}
	return p, nil
}

// locateSDKScript finds @pulumi/pulumi/<rel>/index.js the way Node would from
// dir: in node_modules of dir or any parent directory.
func locateSDKScript(dir, rel string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "node_modules", "@pulumi", "pulumi", filepath.FromSlash(rel), "index.js")
		if _, err := os.Stat(cand); err == nil {
			return cand, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("it looks like the Pulumi SDK has not been installed: no "+
		"node_modules/@pulumi/pulumi/%s in %s or its parents; have you run `npm install`?", rel, abs)
}

// ---------------------------------------------------------------------------
// Handshake, info

func (h *nodeHost) Handshake(ctx context.Context,
	req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeHost) GetPluginInfo(ctx context.Context, _ *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *nodeHost) Cancel(ctx context.Context, _ *pbempty.Empty) (*pbempty.Empty, error) {
	return &pbempty.Empty{}, nil
}

func (h *nodeHost) RuntimeOptionsPrompts(ctx context.Context,
	req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *nodeHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := nodeBinary()
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

// ---------------------------------------------------------------------------
// Required packages: every package under node_modules whose package.json has a
// "pulumi": {"resource": true, ...} block (or that ships pulumi-plugin.json).

type pulumiPackageInfo struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Server   string `json:"server"`
}

type packageJSON struct {
	Name            string             `json:"name"`
	Version         string             `json:"version"`
	Pulumi          *pulumiPackageInfo `json:"pulumi"`
	Dependencies    map[string]string  `json:"dependencies"`
	DevDependencies map[string]string  `json:"devDependencies"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return &p, nil
}

// pluginOf returns the plugin a package asks for, if any.
func pluginOf(pkgDir string) (*pulumirpc.PackageDependency, error) {
	info := &pulumiPackageInfo{}
	pj, err := readPackageJSON(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(pkgDir, "pulumi-plugin.json")); err == nil {
		if err := json.Unmarshal(b, info); err != nil {
			return nil, fmt.Errorf("parsing %s/pulumi-plugin.json: %w", pkgDir, err)
		}
	} else if pj.Pulumi != nil {
		info = pj.Pulumi
	}
	if !info.Resource {
		return nil, nil
	}
	name := info.Name
	if name == "" {
		// @pulumi/foo -> foo; @scope/foo -> scope/foo
		name = strings.TrimPrefix(strings.TrimPrefix(pj.Name, "@pulumi/"), "@")
	}
	ver := info.Version
	if ver == "" {
		ver = pj.Version
	}
	if name == "" || ver == "" {
		return nil, nil
	}
	if !strings.HasPrefix(ver, "v") {
		ver = "v" + ver
	}
	return &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: ver, Server: info.Server}, nil
}

// requiredPackages walks node_modules of dir (and of its parents up to root, as
// Node's resolution does), including nested node_modules, without descending
// into package sources.
func requiredPackages(dir, root string) ([]*pulumirpc.PackageDependency, error) {
	seen := map[string]bool{}
	found := map[string]*pulumirpc.PackageDependency{}

	var walk func(nm string) error
	walk = func(nm string) error {
		real, err := filepath.EvalSymlinks(nm)
		if err != nil || seen[real] {
			return nil
		}
		seen[real] = true
		entries, err := os.ReadDir(nm)
		if err != nil {
			return nil
		}
		var pkgDirs []string
		for _, e := range entries {
			n := e.Name()
			if strings.HasPrefix(n, ".") {
				continue
			}
			p := filepath.Join(nm, n)
			if strings.HasPrefix(n, "@") {
				scoped, err := os.ReadDir(p)
				if err != nil {
					continue
				}
				for _, s := range scoped {
					pkgDirs = append(pkgDirs, filepath.Join(p, s.Name()))
				}
				continue
			}
			pkgDirs = append(pkgDirs, p)
		}
		for _, pd := range pkgDirs {
			if st, err := os.Stat(pd); err != nil || !st.IsDir() {
				continue
			}
			dep, err := pluginOf(pd)
			if err != nil {
				return err
			}
			if dep != nil {
				found[dep.Name+"@"+dep.Version] = dep
			}
			if err := walk(filepath.Join(pd, "node_modules")); err != nil {
				return err
			}
		}
		return nil
	}

	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	stop := ""
	if root != "" {
		if r, err := filepath.Abs(root); err == nil {
			stop = filepath.Dir(r)
		}
	}
	for d := abs; ; d = filepath.Dir(d) {
		if err := walk(filepath.Join(d, "node_modules")); err != nil {
			return nil, err
		}
		if _, err := os.Stat(filepath.Join(d, "node_modules")); err == nil {
			break // Node would stop at the first node_modules that resolves @pulumi/*
		}
		if d == stop || filepath.Dir(d) == d {
			break
		}
	}

	keys := make([]string, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	deps := make([]*pulumirpc.PackageDependency, 0, len(keys))
	for _, k := range keys {
		deps = append(deps, found[k])
	}
	return deps, nil
}

func (h *nodeHost) GetRequiredPackages(ctx context.Context,
	req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, err := requiredPackages(programDir(req.GetInfo(), ""), req.GetInfo().GetRootDirectory())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

func (h *nodeHost) GetRequiredPlugins(ctx context.Context,
	req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	deps, err := requiredPackages(programDir(req.GetInfo(), req.GetPwd()), req.GetInfo().GetRootDirectory())
	if err != nil {
		return nil, err
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(deps))
	for _, d := range deps {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: d.Name, Kind: d.Kind, Version: d.Version, Server: d.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *nodeHost) GetProgramDependencies(ctx context.Context,
	req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd())
	pj, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for n := range pj.Dependencies {
		names[n] = true
	}
	if req.GetTransitiveDependencies() {
		for n := range pj.DevDependencies {
			names[n] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var out []*pulumirpc.DependencyInfo
	for _, n := range sorted {
		ver := ""
		if ip, err := readPackageJSON(filepath.Join(dir, "node_modules", n, "package.json")); err == nil {
			ver = ip.Version
		}
		out = append(out, &pulumirpc.DependencyInfo{Name: n, Version: ver})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: out}, nil
}

// ---------------------------------------------------------------------------
// Run

func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, err := nodeBinary()
	if err != nil {
		return nil, err
	}
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())
	runScript, err := locateSDKScript(dir, "cmd/run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	opts := parseOptions(info)

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runScript)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k+"="+v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("root-directory", info.GetRootDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		add("parallel", fmt.Sprint(req.GetParallel()))
	}
	add("tracing", h.tracing)
	program := info.GetEntryPoint()
	if program == "" {
		program = req.GetProgram()
	}
	if program == "" {
		program = "."
	}
	if !filepath.IsAbs(program) && info.GetProgramDirectory() != "" {
		program = filepath.Join(info.GetProgramDirectory(), program)
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(orEmpty(req.GetConfig()))
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretKeys, err := json.Marshal(orEmptySlice(req.GetConfigSecretKeys()))
	if err != nil {
		return nil, fmt.Errorf("serializing config secret keys: %w", err)
	}

	env := append(os.Environ(), fmt.Sprintf("PULUMI_NODEJS_TYPESCRIPT=%t", opts.typescript))
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}
	// The config goes through a pipe, not PULUMI_CONFIG in the environment (config_pipe.go).
	channel, err := openConfigChannel(config, secretKeys)
	if err != nil {
		return nil, err
	}
	defer channel.close()
	args, env, extra := channel.attach(args, env)

	cmd := exec.Command(node, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	cmd.ExtraFiles = extra
	// The engine reads our stdout/stderr and shows them as program output.
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("could not run node: %w", err)
	}
	channel.afterStart()
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Signal(syscall.SIGINT) })
	defer stop()
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code := exitErr.ExitCode()
			if code == exitCodeUserActionable {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Problem executing program: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func orEmptySlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ---------------------------------------------------------------------------
// RunPlugin: policy packs (kind "analyzer") and Node.js plugins.

func (h *nodeHost) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	node, err := nodeBinary()
	if err != nil {
		return err
	}
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())
	opts := parseOptions(info)

	var args []string
	args = append(args, opts.nodeargs...)
	if req.GetKind() == "analyzer" {
		script, err := locateSDKScript(dir, "cmd/run-policy-pack")
		if err != nil {
			return err
		}
		// run-policy-pack <engine-address> <program>
		args = append(args, script)
		args = append(args, req.GetArgs()...)
		args = append(args, dir)
	} else {
		script, err := locateSDKScript(dir, "cmd/run-plugin")
		if err != nil {
			return err
		}
		// run-plugin <program> [args...]
		args = append(args, script, dir)
		args = append(args, req.GetArgs()...)
	}

	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	cmd := exec.Command(node, args...)
	// Plugins run in their own directory: @pulumi/policy reads the pack's
	// version from ./package.json.
	cmd.Dir = dir
	env := req.GetEnv()
	if len(env) == 0 {
		env = os.Environ()
	}
	env = append(env, fmt.Sprintf("PULUMI_NODEJS_TYPESCRIPT=%t", opts.typescript))
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}
	cmd.Env = env
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not run node: %w", err)
	}
	stop := context.AfterFunc(server.Context(), func() { _ = cmd.Process.Kill() })
	defer stop()

	code := int32(0)
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return err
		}
		code = int32(exitErr.ExitCode())
	}
	return server.Send(&pulumirpc.RunPluginResponse{
		Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code},
	})
}

// ---------------------------------------------------------------------------
// InstallDependencies: npm (or yarn/pnpm when their lock file is present).

func (h *nodeHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	dir := programDir(req.GetInfo(), req.GetDirectory())
	tool, args := "npm", []string{"install"}
	switch {
	case fileExists(filepath.Join(dir, "yarn.lock")):
		tool, args = "yarn", []string{"install"}
	case fileExists(filepath.Join(dir, "pnpm-lock.yaml")):
		tool, args = "pnpm", []string{"install"}
	}
	if m := req.GetInfo().GetOptions().AsMap(); m != nil {
		if pm, ok := m["packagemanager"].(string); ok && pm != "" && pm != "auto" {
			tool = pm
		}
	}
	if _, err := exec.LookPath(tool); err != nil {
		return status.Errorf(codes.FailedPrecondition, "%s is not on $PATH", tool)
	}

	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	fmt.Fprintf(stdout, "Installing dependencies with %s %s in %s\n", tool, strings.Join(args, " "), dir)
	cmd := exec.Command(tool, args...)
	cmd.Dir = dir
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s install failed: %w", tool, err)
	}
	fmt.Fprintln(stdout, "Finished installing dependencies")
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
