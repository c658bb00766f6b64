// Command mhago-agent is the node agent mhago pushes to a database host:
// `mhago-agent COMMAND` reads one JSON request on stdin and writes one JSON
// response on stdout. See package nodeagent.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mhago/mhago/buildinfo"
	"github.com/mhago/mhago/nodeagent"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mhago-agent version|status|save|find|diff|apply|login|hash|vip < request.json, or mhago-agent session")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	os.Exit(nodeagent.Serve(ctx, os.Args[1], os.Stdin, os.Stdout, buildinfo.Version))
}
