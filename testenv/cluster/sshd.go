package cluster

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// HostKeyFile is host i's ed25519 private host key.
func (c *Cluster) HostKeyFile(i int) string {
	return filepath.Join(c.HostDir(i), "ssh_host_ed25519_key")
}

func (c *Cluster) sshdConfigPath(i int) string { return filepath.Join(c.HostDir(i), "sshd_config") }

func (c *Cluster) authorizedKeysFile() string { return filepath.Join(c.opts.Dir, "authorized_keys") }

// genKey writes a fresh passwordless ed25519 key pair at path, path.pub.
func genKey(ctx context.Context, path string) error {
	for _, p := range []string{path, path + ".pub"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove old key %s: %w", p, err)
		}
	}
	bin, err := findBinary("ssh-keygen")
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, bin, "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ssh-keygen %s: %w: %s", path, err, out)
	}
	return nil
}

func (c *Cluster) prepareSSHD(ctx context.Context, i int) error {
	if err := genKey(ctx, c.HostKeyFile(i)); err != nil {
		return fmt.Errorf("host %d: %w", i, err)
	}
	if err := os.WriteFile(c.sshdConfigPath(i), []byte(c.sshdConfig(i)), 0o644); err != nil {
		return fmt.Errorf("host %d: write sshd_config: %w", i, err)
	}
	return nil
}

func (c *Cluster) sshdConfig(i int) string {
	lines := []string{
		"ListenAddress " + c.SSHAddr(i),
		"HostKey " + c.HostKeyFile(i),
		"PidFile " + filepath.Join(c.HostDir(i), "sshd.pid"),
		"AuthorizedKeysFile " + c.authorizedKeysFile(),
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PubkeyAuthentication yes",
		"PermitRootLogin prohibit-password",
		"StrictModes no",
		"UsePAM no",
		"UseDNS no",
		"PrintMotd no",
		"PrintLastLog no",
		"X11Forwarding no",
		// Tests open many sessions at once; the default 10:30:100 drops some.
		"MaxStartups 100:30:200",
		"MaxSessions 50",
		"Subsystem sftp internal-sftp",
	}
	if len(c.opts.SSHDEnv) > 0 {
		lines = append(lines, "SetEnv "+strings.Join(c.opts.SSHDEnv, " "))
	}
	return strings.Join(lines, "\n") + "\n"
}

// HostPublicKey returns host i's current public key ("ssh-ed25519 AAAA...").
func (c *Cluster) HostPublicKey(i int) (string, error) {
	b, err := os.ReadFile(c.HostKeyFile(i) + ".pub")
	if err != nil {
		return "", fmt.Errorf("host %d public key: %w", i, err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return "", fmt.Errorf("host %d public key %s.pub: malformed", i, c.HostKeyFile(i))
	}
	return f[0] + " " + f[1], nil
}

// knownHostsName is how ssh names host i in known_hosts.
func (c *Cluster) knownHostsName(i int) string {
	if c.opts.SSHPort == 22 {
		return c.IP(i)
	}
	return fmt.Sprintf("[%s]:%d", c.IP(i), c.opts.SSHPort)
}

// writeSSHTrust writes authorized_keys (the client key) and known_hosts
// (every host key).
func (c *Cluster) writeSSHTrust() error {
	pub, err := os.ReadFile(c.ClientKeyFile() + ".pub")
	if err != nil {
		return fmt.Errorf("read client key: %w", err)
	}
	if err := os.WriteFile(c.authorizedKeysFile(), pub, 0o600); err != nil {
		return fmt.Errorf("write authorized_keys: %w", err)
	}
	var kh strings.Builder
	for i := 1; i <= c.opts.Hosts; i++ {
		key, err := c.HostPublicKey(i)
		if err != nil {
			return err
		}
		fmt.Fprintf(&kh, "%s %s\n", c.knownHostsName(i), key)
	}
	if err := os.WriteFile(c.KnownHostsFile(), []byte(kh.String()), 0o644); err != nil {
		return fmt.Errorf("write known_hosts: %w", err)
	}
	return nil
}

func (c *Cluster) spawnSSHD(i int) error {
	// sshd re-executes itself, so it needs an absolute path.
	bin, err := findBinary("sshd")
	if err != nil {
		return err
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return fmt.Errorf("create sshd privsep dir /run/sshd: %w", err)
	}
	argv, err := c.inHost(i, []string{bin, "-D", "-e", "-f", c.sshdConfigPath(i)})
	if err != nil {
		return err
	}
	p, err := spawn(c.SSHDLog(i), argv)
	if err != nil {
		return fmt.Errorf("host %d sshd: %w", i, err)
	}
	return c.setProc(func(st *state) { st.Hosts[i-1].SSHD = p })
}

// waitSSHD waits until host i's sshd sends its SSH banner.
func (c *Cluster) waitSSHD(i int) error {
	p := c.Host(i).SSHD
	err := waitFor(p, c.opts.StartTimeout, func() error { return sshBanner(c.SSHAddr(i)) })
	if err != nil {
		return processError(fmt.Sprintf("host %d sshd (pid %d)", i, p.Pid), c.SSHDLog(i), err)
	}
	return nil
}

func sshBanner(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read banner from %s: %w", addr, err)
	}
	if !strings.HasPrefix(line, "SSH-") {
		return fmt.Errorf("unexpected banner from %s: %q", addr, line)
	}
	return nil
}

// StopSSHD stops host i's sshd (SIGTERM, then SIGKILL) so its port closes.
func (c *Cluster) StopSSHD(i int) error {
	if err := c.checkHost(i); err != nil {
		return err
	}
	if err := stopProcs(5*time.Second, c.Host(i).SSHD); err != nil {
		return fmt.Errorf("host %d stop sshd: %w", i, err)
	}
	return nil
}

// StartSSHD starts host i's sshd again and waits for its banner.
func (c *Cluster) StartSSHD(i int) error {
	if err := c.checkHost(i); err != nil {
		return err
	}
	if c.Host(i).SSHD.Alive() {
		return fmt.Errorf("host %d sshd already running (pid %d)", i, c.Host(i).SSHD.Pid)
	}
	if err := c.spawnSSHD(i); err != nil {
		return err
	}
	return c.waitSSHD(i)
}

// RotateHostKey gives host i's sshd a new host key and restarts it,
// leaving known_hosts stale so clients see a changed key.
func (c *Cluster) RotateHostKey(ctx context.Context, i int) error {
	if err := c.StopSSHD(i); err != nil {
		return err
	}
	if err := genKey(ctx, c.HostKeyFile(i)); err != nil {
		return fmt.Errorf("host %d: %w", i, err)
	}
	return c.StartSSHD(i)
}
