// A local module at a path inside terraform-provider-random's import path, so
// that Go's internal-package rule lets it import the provider implementation
// (.../internal/provider). Upstream pulumi-random keeps an equivalent ./shim
// module that is not part of any downloadable module zip.
module github.com/terraform-providers/terraform-provider-random/shim

go 1.25.8

require (
	github.com/hashicorp/terraform-plugin-framework v1.19.0
	github.com/terraform-providers/terraform-provider-random v1.3.2-0.20260824155315-e1092b0cfc07
)
