//go:build !embedagent

package agentctl

// embedded is empty in plain `go build` binaries; Locate then looks beside
// the executable or builds the agent from source.
var embedded []byte
