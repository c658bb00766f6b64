package nodeagent

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Main is the agent's process: `mhago-agent COMMAND`, its request on stdin,
// its answer on stdout, the exit status returned. Both the standalone
// agent (cmd/mhago-agent) and mhago started as mhago-agent run it.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, version string) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: mhago-agent version|status|save|find|diff|apply|login|hash|vip < request.json, or mhago-agent session")
		return 2
	}
	// A manager that goes away hangs up the SSH session: the agent stops
	// what it was doing rather than run on unsupervised.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return Serve(ctx, args[1], stdin, stdout, version)
}
