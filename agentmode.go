package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

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

// serveAgent is the node agent's main (nodeagent/cmd/mhago-agent) inside
// mhago: one command, its request on stdin, its answer on stdout.
func serveAgent(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: mhago-agent version|status|save|find|diff|apply|login|hash|vip < request.json, or mhago-agent session")
		return exitConfig
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return nodeagent.Serve(ctx, args[1], stdin, stdout, buildinfo.Version)
}
