// pulumi-resource-kubernetes, built from the pulumi-kubernetes provider module.
//
// Upstream's main embeds schema-embed.json and terraform-mapping-embed.json,
// which are generated at release time and not part of the Go module. This main
// embeds the same data, prepared by tools/kubernetes-provider/build.sh from the
// module's own cmd/pulumi-resource-kubernetes/schema.json (with the top-level
// "version" set to the plugin version) and terraform-mapping.json, and calls
// the provider library's public entry point, provider.Serve.
//
// The plugin version is set with
//
//	-ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=X.Y.Z"
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
