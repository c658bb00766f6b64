package main

import (
	"fmt"
	"strings"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/buildinfo"
)

// versionInfo is what `mhago version` prints: how the binary was built,
// and where a run takes the node agent from when agent_path is not set.
type versionInfo struct {
	ExitCode int    `json:"exit_code"` // --json's every document has them
	Status   string `json:"status"`
	buildinfo.Info
	Agent     agentctl.Origin `json:"agent"`
	AgentFile string          `json:"agent_file,omitempty"`
}

func describeVersion() versionInfo {
	origin, file := agentctl.Which("")
	v := versionInfo{ExitCode: exitOK, Status: statusOK, Info: buildinfo.Read(), Agent: origin}
	if origin == agentctl.OriginBeside {
		v.AgentFile = file
	}
	return v
}

// agentWords explain each origin to a person.
var agentWords = map[agentctl.Origin]string{
	agentctl.OriginEmbedded: "embedded (built into this binary)",
	agentctl.OriginBeside:   "beside",
	agentctl.OriginSelf:     "self (this binary, pushed to each host as mhago-agent)",
}

func (v versionInfo) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mhago %s\n", v.Version)
	commit := v.Commit
	switch {
	case commit == "":
		commit = "unknown (not recorded in this build)"
	case v.Modified:
		commit += " (modified)"
	}
	fmt.Fprintf(&b, "commit: %s\ngo:     %s\n", commit, v.GoVersion)
	agent := agentWords[v.Agent]
	if v.AgentFile != "" {
		agent += " " + v.AgentFile
	}
	if agent == "" {
		agent = "none"
	}
	fmt.Fprintf(&b, "agent:  %s (agent_path in a config takes precedence)\n", agent)
	return b.String()
}
