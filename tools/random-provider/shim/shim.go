// Package shim exposes terraform-provider-random's Plugin Framework provider
// to the Pulumi bridge.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"

	random "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns a new instance of the upstream random provider.
func NewProvider() provider.Provider { return random.New() }
