package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/buildinfo"
	"github.com/mhago/mhago/nodeagent/proto"
)

// placeTestAgent puts mhago-agent beside the test binary, where Locate
// looks before it falls back to the running executable: a test binary
// cannot serve as the agent the way the mhago binary does.
func placeTestAgent() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	built, err := agentctl.BuildFromSource(context.Background(), "")
	if err != nil {
		return fmt.Errorf("build the agent for the tests: %w", err)
	}
	beside := filepath.Join(filepath.Dir(exe), agentctl.AgentName)
	os.Remove(beside)
	return os.Symlink(built, beside)
}

func TestStartedAsAgent(t *testing.T) {
	for argv0, want := range map[string]bool{
		"/w/mhago-agent-cache/0123456789abcdef/mhago-agent": true,
		"mhago-agent":          true,
		"/usr/bin/mhago":       false,
		"/tmp/mhago-agent.old": false,
	} {
		if got := startedAsAgent(argv0); got != want {
			t.Errorf("startedAsAgent(%q) = %v, want %v", argv0, got, want)
		}
	}
}

// TestServeAgent: mhago started as the agent answers a version request
// with its own version, as the separate agent does.
func TestServeAgent(t *testing.T) {
	req, _ := json.Marshal(proto.Request{Protocol: proto.Version, Manager: buildinfo.Version})
	var out, errb bytes.Buffer
	if code := serveAgent([]string{"mhago-agent", proto.CmdVersion}, bytes.NewReader(req), &out, &errb); code != 0 {
		t.Fatalf("serveAgent version: exit %d: %s", code, errb.String())
	}
	var resp proto.Response
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil || !resp.OK || resp.Agent != buildinfo.Version || resp.Protocol != proto.Version {
		t.Fatalf("serveAgent version answered %s (%v)", out.String(), err)
	}
	if code := serveAgent([]string{"mhago-agent"}, nil, &out, &errb); code != exitConfig || !strings.Contains(errb.String(), "usage: mhago-agent") {
		t.Errorf("serveAgent without a command: exit %d, %q", code, errb.String())
	}
}

// TestVersionCommand: the test binary embeds no agent and cannot serve as
// one, so `version` names the mhago-agent TestMain put beside it.
func TestVersionCommand(t *testing.T) {
	code, out, _ := runCLI(t, "version", "--json")
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != exitOK {
		t.Fatalf("version --json: exit %d, %v", code, err)
	}
	if v["version"] != buildinfo.Version || v["go_version"] == "" || v["agent"] != string(agentctl.OriginBeside) || !strings.HasSuffix(v["agent_file"].(string), "/mhago-agent") {
		t.Errorf("version --json = %v", v)
	}
	if _, ok := v["commit"]; !ok {
		t.Errorf("version --json has no commit key: %v", v)
	}
	code, out, _ = runCLI(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "mhago "+buildinfo.Version+"\n") || !strings.Contains(out, "\ngo:     go") || !strings.Contains(out, "agent:  beside ") {
		t.Errorf("version: exit %d\n%s", code, out)
	}
}
