package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mhago/mhago/agentctl"
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
