package main

import (
	"io"
	"path/filepath"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/buildinfo"
	"github.com/mhago/mhago/nodeagent"
)

// startedAsAgent: agentctl pushes mhago itself, under the agent's name,
// when it has no separate agent (a `go install` or plain `go build`
// binary), and runs it there as `mhago-agent COMMAND`.
func startedAsAgent(argv0 string) bool {
	return filepath.Base(argv0) == agentctl.AgentName
}

// serveAgent is the node agent's process inside mhago.
func serveAgent(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return nodeagent.Main(args, stdin, stdout, stderr, buildinfo.Version)
}
