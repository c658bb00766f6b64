//go:build embedagent

package agentctl

import _ "embed"

// embedded is the agent built by `make build` just before mhago itself.
//
//go:embed embedded/mhago-agent
var embedded []byte
