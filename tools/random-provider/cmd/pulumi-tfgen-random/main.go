// pulumi-tfgen-random generates the package schema and bridge metadata that
// pulumi-resource-random embeds: `pulumi-tfgen-random schema --out DIR`.
package main

import (
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"mlplat/tools/random-provider/internal/randomprov"
)

func main() {
	pftfgen.Main("random", randomprov.Provider(nil))
}
