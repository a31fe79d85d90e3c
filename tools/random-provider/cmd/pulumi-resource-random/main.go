// pulumi-resource-random: the Pulumi random provider, bridged from
// terraform-provider-random with pulumi-terraform-bridge's Plugin Framework
// support. schema-embed.json and bridge-metadata.json are produced at build
// time by pulumi-tfgen-random (see tools/random-provider/build.sh); they are
// not committed.
package main

import (
	"context"
	_ "embed"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"mlplat/tools/random-provider/internal/randomprov"
)

//go:embed schema-embed.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	pftfbridge.Main(context.Background(), "random", randomprov.Provider(metadata),
		pftfbridge.ProviderMetadata{PackageSchema: schema})
}
