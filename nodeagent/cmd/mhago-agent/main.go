// Command mhago-agent is the node agent mhago pushes to a database host:
// `mhago-agent COMMAND` reads one JSON request on stdin and writes one JSON
// response on stdout. See package nodeagent.
package main

import (
	"os"

	"github.com/mhago/mhago/buildinfo"
	"github.com/mhago/mhago/nodeagent"
)

func main() {
	os.Exit(nodeagent.Main(os.Args, os.Stdin, os.Stdout, os.Stderr, buildinfo.Version))
}
