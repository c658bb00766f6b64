package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/monitor"
	"github.com/mhago/mhago/testenv/cluster"
)

// baseMHA is the loopback block of the tests of the monitor's MHA side
// (3 hosts: 141..143, redis on .140).
const baseMHA = 140

// monitorProc is `mhago monitor` run as a process of its own, as
// masterha_manager runs under a supervisor: status and stop find it by
// the pid in its status file.
type monitorProc struct {
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan struct{}
	code int
}

// startMonitorProc starts the built mhago's monitor with env added to
// this process's environment.
func startMonitorProc(t *testing.T, env []string, args ...string) *monitorProc {
	t.Helper()
	p := &monitorProc{done: make(chan struct{})}
	p.cmd = exec.Command(faultBinary(t), append([]string{"--log-level", "info", "monitor"}, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill() // only this test's own child
			<-p.done
		}
	})
	return p
}

// wait returns the monitor's exit code, failing the test after bound.
func (p *monitorProc) wait(t *testing.T, bound time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(bound):
		t.Fatalf("monitor did not exit within %s:\n%s", bound, tail(p.out.String(), 30))
		return -1
	}
}

// mhaConfig writes the cluster's config with ping_interval=1 and extra
// lines in [server default].
func mhaConfig(t *testing.T, c *cluster.Cluster, extra ...string) string {
	t.Helper()
	b, err := os.ReadFile(c.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`(?m)^ping_interval=.*$`).ReplaceAllString(string(b), "ping_interval=1\n"+strings.Join(extra, "\n"))
	conf := filepath.Join(c.Dir(), "app1.cnf")
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

// waitStatus polls `mhago status` until it exits with want, and returns
// its output.
func waitStatus(t *testing.T, conf string, want monitor.Health, bound time.Duration) string {
	t.Helper()
	var code int
	var out, errOut string
	for deadline := time.Now().Add(bound); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var o, e bytes.Buffer
		code = run([]string{"mhago", "status", "--conf", conf}, &o, &e)
		out, errOut = o.String(), e.String()
		if code == int(want) {
			return out
		}
	}
	t.Fatalf("mhago status: exit %d (%q %q), want %d within %s", code, out, errOut, want, bound)
	return ""
}

// TestMonitorStatusAndStop: a running monitor is PING_OK with its master
// in `mhago status`; `mhago stop` ends it with exit 0, it removes its
// status file, and status then says NOT_RUNNING (2).
func TestMonitorStatusAndStop(t *testing.T) {
	c := cluster.Start(t, cluster.Options{Base: baseMHA, Hosts: 3})
	conf := mhaConfig(t, c)
	p := startMonitorProc(t, nil, "--conf", conf)
	started := time.Now()
	out := waitStatus(t, conf, monitor.HealthPingOK, 60*time.Second)
	want := fmt.Sprintf("app1 (pid:%d) is running(0:PING_OK), master:%s\n", p.cmd.Process.Pid, c.IP(1))
	if out != want {
		t.Errorf("status printed %q, want %q", out, want)
	}
	t.Logf("PING_OK %s after start", time.Since(started).Round(time.Millisecond))

	// The file is touched at each ping: PING_OK stays fresh past the limit.
	time.Sleep(2500 * time.Millisecond)
	code, jsonOut, _ := runCLI(t, "status", "--conf", conf, "--json", "--ping-limit", "2s")
	if code != 0 || !strings.Contains(jsonOut, `"status": "ping_ok"`) || !strings.Contains(jsonOut, fmt.Sprintf(`"pid": %d`, p.cmd.Process.Pid)) {
		t.Errorf("status --json: exit %d, %s", code, jsonOut)
	}

	stopStart := time.Now()
	code, stopOut, _ := runCLI(t, "stop", "--conf", conf)
	if code != 0 || !strings.Contains(stopOut, "Stopped app1") {
		t.Errorf("stop: exit %d, %q", code, stopOut)
	}
	if got := p.wait(t, 10*time.Second); got != 0 {
		t.Errorf("monitor exited %d after SIGTERM, want 0:\n%s", got, tail(p.out.String(), 20))
	}
	t.Logf("stop took %s", time.Since(stopStart).Round(time.Millisecond))
	if _, err := os.Stat(monitor.HealthFilePath(c.ManagerDir(), "app1")); !os.IsNotExist(err) {
		t.Errorf("status file after a clean exit: %v", err)
	}
	code, out, _ = runCLI(t, "status", "--conf", conf)
	if code != int(monitor.HealthNotRunning) || !strings.Contains(out, "app1 is stopped(2:NOT_RUNNING)") {
		t.Errorf("status after stop: exit %d, %q", code, out)
	}
	if code, out, _ := runCLI(t, "stop", "--conf", conf); code != 0 {
		t.Errorf("stop of a stopped monitor: exit %d, %q", code, out)
	}
}

// TestMonitorExitAfterFailover: with --exit-after-failover (masterha_manager's
// behaviour) the monitor fails the killed master over and exits 0. The
// config's secondary_check_script is MHA's masterha_secondary_check, which
// is not on the monitor's PATH: the failover runs the built-in one, from
// host 3, which finds the dead master's port closed.
func TestMonitorExitAfterFailover(t *testing.T) {
	c := cluster.Start(t, cluster.Options{Base: baseMHA, Hosts: 3})
	conf := mhaConfig(t, c, fmt.Sprintf("secondary_check_script=masterha_secondary_check -s %s --port=%d --user=root", c.IP(3), c.Options().SSHPort))
	// MHA's Debian package may be installed: leave /usr/bin and /bin out.
	p := startMonitorProc(t, []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin"}, "--conf", conf, "--exit-after-failover", "--skip-check-ssh")
	waitStatus(t, conf, monitor.HealthPingOK, 60*time.Second)

	seen := watchHealth(monitor.HealthFilePath(c.ManagerDir(), "app1"), p.done)
	killed := time.Now()
	if err := c.KillMySQL(1); err != nil {
		t.Fatal(err)
	}
	code := p.wait(t, 90*time.Second)
	out := p.out.String()
	statuses := <-seen
	t.Logf("statuses the file went through: %v", statuses)
	if len(statuses) < 2 || statuses[0] != monitor.HealthPingOK || statuses[len(statuses)-1] != monitor.HealthFailoverRunning {
		t.Errorf("the status file went %v, want PING_OK ... FAILOVER_RUNNING before its removal", statuses)
	}
	if code != 0 {
		t.Fatalf("monitor exited %d after the failover, want 0:\n%s", code, tail(out, 40))
	}
	t.Logf("kill to monitor exit: %s", time.Since(killed).Round(time.Millisecond))
	if !strings.Contains(out, "built-in masterha_secondary_check: exit 0") {
		t.Errorf("the failover did not run the built-in secondary check:\n%s", tail(out, 40))
	}
	db, err := c.DB(2)
	if err != nil {
		t.Fatal(err)
	}
	var ro int
	if err := db.QueryRow("SELECT @@global.read_only").Scan(&ro); err != nil || ro != 0 {
		t.Errorf("server2 (candidate) is not the writable new master: read_only=%d, %v", ro, err)
	}
	if _, err := os.Stat(monitor.HealthFilePath(c.ManagerDir(), "app1")); !os.IsNotExist(err) {
		t.Errorf("status file after exit: %v", err)
	}
	if code, _, _ := runCLI(t, "status", "--conf", conf); code != int(monitor.HealthNotRunning) {
		t.Errorf("status after the monitor exited: %d, want 2", code)
	}
}

// watchHealth reads the status file every 5 ms until done, and sends the
// distinct statuses it held, in order.
func watchHealth(path string, done <-chan struct{}) <-chan []monitor.Health {
	out := make(chan []monitor.Health, 1)
	go func() {
		var seen []monitor.Health
		for {
			if f, _, err := readHealth(path); err == nil && f != nil && (len(seen) == 0 || seen[len(seen)-1] != f.Health) {
				seen = append(seen, f.Health)
			}
			select {
			case <-done:
				out <- seen
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return out
}

// TestSecondaryCheck: from host 2, over SSH and the node agent, the live
// master's port answers (3); a port nothing listens on does not (0); a
// secondary host that cannot be reached gives 2.
func TestSecondaryCheck(t *testing.T) {
	c := cluster.Start(t, cluster.Options{Base: baseMHA, Hosts: 3})
	conf := mhaConfig(t, c)
	ssh := []string{"--conf", conf, "--user", "root", "--port", fmt.Sprint(c.Options().SSHPort), "--master-host", c.IP(1), "--timeout", "2s"}
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"live master", []string{"-s", c.IP(2), "--master-port", fmt.Sprint(c.Options().MySQLPort)}, 3},
		{"dead port", []string{"-s", c.IP(2), "-s", c.IP(3), "--master-port", "3399"}, 0},
		{"secondary host unreachable", []string{"-s", c.IP(2), "-s", cluster.LoopbackIP(baseMHA + 9), "--master-port", "3399"}, 2},
	}
	for _, tt := range tests {
		start := time.Now()
		code, out, _ := runCLI(t, append(append([]string{"secondary-check"}, ssh...), tt.args...)...)
		if code != tt.want {
			t.Errorf("%s: exit %d, want %d:\n%s", tt.name, code, tt.want, out)
		}
		t.Logf("%s: exit %d in %s", tt.name, code, time.Since(start).Round(time.Millisecond))
	}
}
