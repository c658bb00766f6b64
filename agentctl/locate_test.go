package agentctl

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var built struct {
	once sync.Once
	path string
	err  error
}

// builtAgent is the agent these tests push: a test binary cannot serve as
// one, so it is built from this source tree once per test run.
func builtAgent(ctx context.Context) (Binary, error) {
	built.once.Do(func() { built.path, built.err = BuildFromSource(ctx, "") })
	if built.err != nil {
		return Binary{}, built.err
	}
	return Locate(ctx, built.path)
}

// TestWhich walks Locate's order with a test binary, which embeds no agent:
// agent_path, then mhago-agent beside the executable, then the executable
// itself only where it serves as the agent.
func TestWhich(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if len(embedded) > 0 {
		t.Fatal("test binaries are built without -tags embedagent")
	}
	t.Cleanup(func() { SelfServes = false })
	SelfServes = false
	if o, p := Which("/opt/agent"); o != OriginAgentPath || p != "/opt/agent" {
		t.Errorf("Which(agent_path) = %s %s, want agent_path /opt/agent", o, p)
	}
	if o, _ := Which(""); o != "" {
		t.Errorf("Which in a program that cannot serve = %q, want none", o)
	}
	if _, err := Locate(context.Background(), ""); err == nil {
		t.Error("Locate without any agent succeeded")
	}
	SelfServes = true
	o, p := Which("")
	if o != OriginSelf || p != selfImage {
		t.Errorf("Which in mhago = %s %s, want self %s", o, p, selfImage)
	}
	bin, err := Locate(context.Background(), "")
	if err != nil || bin.Origin != OriginSelf || len(bin.Data) == 0 {
		t.Fatalf("Locate(self) = %s %d bytes, %v", bin.Origin, len(bin.Data), err)
	}
	if want, _ := os.ReadFile(exe); string(want) != string(bin.Data) {
		t.Error("the self agent is not the running executable's content")
	}
	beside := filepath.Join(filepath.Dir(exe), AgentName)
	if err := os.WriteFile(beside, []byte("agent"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(beside) })
	if bin, err := Locate(context.Background(), ""); err != nil || bin.Origin != OriginBeside || string(bin.Data) != "agent" || bin.Source != beside {
		t.Errorf("Locate with %s = %s %q from %s, %v; want beside", beside, bin.Origin, bin.Data, bin.Source, err)
	}
}
