package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/mhago/mhago/chaos"
	"github.com/mhago/mhago/testenv/cluster"
)

// TestSmokeInSync (MHAGO_BENCH=1 only, work in progress): one failover of
// an in-sync 4-host cluster by MHA 0.58 and one by mhago, each on a fresh
// cluster, with the time to a writable master and the wall time.
func TestSmokeInSync(t *testing.T) {
	if os.Getenv("MHAGO_BENCH") != "1" {
		t.Skip("benchmark smoke test: MHAGO_BENCH=1")
	}
	shim, _ := filepath.Abs("mha")
	ctx := context.Background()
	const probePW = "probe-pw-123"
	trial := func(name string, failover func(c *cluster.Cluster) (int, time.Duration)) {
		c, err := cluster.Up(ctx, cluster.Options{Dir: filepath.Join(t.TempDir(), "c"), Base: 239, Hosts: 4, SSHDEnv: ShimEnv(shim)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Down()
		if err := SetupProbe(ctx, c, probePW); err != nil {
			t.Fatal(err)
		}
		l, err := c.StartLoad(ctx, cluster.LoadOptions{Rows: 1_000_000, Workers: 4, Duration: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		if err := c.KillMySQL(1); err != nil {
			t.Fatal(err)
		}
		res := l.Wait()
		p, err := StartProbe(ctx, c, probePW)
		if err != nil {
			t.Fatal(err)
		}
		exit, wall := failover(c)
		writable, host := p.Wait()
		t.Logf("%s: exit %d, writable after %s (host %d), wall %s, %d acked", name, exit, writable, host, wall, len(res.Acked))
	}
	trial("MHA 0.58", func(c *cluster.Cluster) (int, time.Duration) {
		r, err := RunMHA(ctx, c, shim)
		if err != nil {
			t.Fatal(err)
		}
		if r.Exit != 0 {
			t.Log(r.Log)
		}
		return r.Exit, r.Wall
	})
	bin, err := chaos.BuildMhago(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	trial("mhago", func(c *cluster.Cluster) (int, time.Duration) {
		t0 := time.Now()
		cmd := exec.Command(bin, "failover", "--conf", c.ConfigPath())
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != 0 {
			t.Log(string(out))
		}
		return cmd.ProcessState.ExitCode(), time.Since(t0)
	})
}
