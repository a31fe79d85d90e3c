package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// The stack config reaches the program through a pipe, not the environment.
// @pulumi/pulumi reads it from PULUMI_CONFIG, but Linux refuses to exec a
// process with one environment string over 128 KiB (MAX_ARG_STRLEN), which a
// stack with a few hundred model settings reaches ("argument list too long").
// So the host writes the config to a pipe the program inherits as fd 3, and a
// preloaded script (--require) copies it into process.env before the SDK
// reads it. Inside Node, process.env has no such limit.
const configFDEnv = "PULUMI_NODEJS_CONFIG_FD"

const configPreload = `// Written by mlplat's pulumi-language-nodejs (config_pipe.go): the stack config
// arrives as JSON on the inherited fd named by PULUMI_NODEJS_CONFIG_FD.
"use strict";
const fd = Number(process.env.PULUMI_NODEJS_CONFIG_FD);
delete process.env.PULUMI_NODEJS_CONFIG_FD;
if (Number.isInteger(fd) && fd > 2) {
    const fs = require("fs");
    const doc = JSON.parse(fs.readFileSync(fd, "utf8"));
    fs.closeSync(fd);
    process.env.PULUMI_CONFIG = doc.config;
    process.env.PULUMI_CONFIG_SECRET_KEYS = doc.secretKeys;
}
`

// configChannel is what Run hands to node: the script to --require, the read
// end of the pipe (the child's fd 3) and the cleanup to call once node exits.
type configChannel struct {
	preload string
	reader  *os.File
	dir     string
}

// openConfigChannel writes the preload script to a private temporary
// directory and starts writing the config document into a new pipe. The write
// runs in its own goroutine: a pipe buffer is far smaller than a large config,
// so it completes as node reads.
func openConfigChannel(config, secretKeys []byte) (*configChannel, error) {
	dir, err := os.MkdirTemp("", "pulumi-language-nodejs-")
	if err != nil {
		return nil, fmt.Errorf("creating the config preload directory: %w", err)
	}
	preload := filepath.Join(dir, "config-fd.js")
	if err := os.WriteFile(preload, []byte(configPreload), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("writing the config preload: %w", err)
	}
	doc, err := json.Marshal(map[string]string{"config": string(config), "secretKeys": string(secretKeys)})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("creating the config pipe: %w", err)
	}
	go func() {
		// An error here means node exited without reading (it reports its own failure).
		_, _ = w.Write(doc)
		_ = w.Close()
	}()
	return &configChannel{preload: preload, reader: r, dir: dir}, nil
}

// attach makes the pipe the child's fd 3 (the first of ExtraFiles) and tells
// the preload where to read.
func (c *configChannel) attach(args, env []string) ([]string, []string, []*os.File) {
	return append([]string{"--require", c.preload}, args...), append(env, configFDEnv+"=3"), []*os.File{c.reader}
}

// afterStart closes the parent's copy of the read end; close removes the
// preload once node has exited.
func (c *configChannel) afterStart() { _ = c.reader.Close() }
func (c *configChannel) close() {
	_ = c.reader.Close() // unblocks the writer if node never started
	_ = os.RemoveAll(c.dir)
}
