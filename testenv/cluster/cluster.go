package cluster

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const stateFile = "state.json"

// HostState holds the processes of one host.
type HostState struct {
	MySQL Proc `json:"mysql"`
	SSHD  Proc `json:"sshd"`
}

// state is persisted to <dir>/state.json so another process (the CLI's
// `down` or `status`) finds the pids.
type state struct {
	Options Options     `json:"options"`
	Redis   Proc        `json:"redis"`
	Hosts   []HostState `json:"hosts"`
	// Network is what netns mode created, nil in loopback mode.
	Network *Network `json:"network,omitempty"`
	// HAProxies are the haproxies StartHAProxy started.
	HAProxies []HAProxyState `json:"haproxies,omitempty"`
}

// Cluster is a running (or partly running) test environment.
type Cluster struct {
	opts Options
	log  *slog.Logger

	mu  sync.Mutex
	st  state
	dbs map[int]*sql.DB
}

// Up creates opts.Dir, starts redis, every sshd and every mariadbd, sets up
// users and replication, and writes app.cnf. On failure it stops what it
// started and keeps the dir (logs, state.json) for inspection; Down removes it.
func Up(ctx context.Context, opts Options) (*Cluster, error) {
	opts = opts.withDefaults()
	abs, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("testenv: dir %s: %w", opts.Dir, err)
	}
	opts.Dir = abs
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(opts.Dir, stateFile)); err == nil {
		return nil, fmt.Errorf("testenv: %s already holds a cluster; run down first", opts.Dir)
	}
	if entries, err := os.ReadDir(opts.Dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("testenv: %s exists and is not empty; remove it first", opts.Dir)
	}
	c := &Cluster{opts: opts, log: opts.Logger, dbs: map[int]*sql.DB{}}
	c.st = state{Options: opts, Hosts: make([]HostState, opts.Hosts)}
	t0 := time.Now()
	if err := c.up(ctx); err != nil {
		if serr := c.stopAll(); serr != nil {
			err = errors.Join(err, serr)
		}
		return nil, fmt.Errorf("testenv up in %s: %w", opts.Dir, err)
	}
	c.log.Info("testenv up", "dir", opts.Dir, "hosts", opts.Hosts, "gtid", opts.GTID, "elapsed", time.Since(t0))
	return c, nil
}

func (c *Cluster) up(ctx context.Context) error {
	if err := os.MkdirAll(c.opts.Dir, 0o700); err != nil {
		return fmt.Errorf("create dir: %w", err)
	}
	tmpl, err := ensureTemplate(ctx, c.log)
	if err != nil {
		return err
	}
	if err := c.prepareFiles(ctx, tmpl); err != nil {
		return err
	}
	if c.opts.Netns {
		// Recorded before anything exists, so that Open finds even a
		// network that failed half-way.
		if err := c.saveState(); err != nil {
			return err
		}
		if err := c.createNetwork(ctx); err != nil {
			return err
		}
	}
	if err := c.startProcesses(); err != nil {
		return err
	}
	if err := c.bootstrapMaster(ctx); err != nil {
		return err
	}
	if err := c.startReplication(ctx); err != nil {
		return err
	}
	return c.writeAppConfig()
}

// prepareFiles writes keys, passwords, per-host dirs, datadirs and configs.
func (c *Cluster) prepareFiles(ctx context.Context, tmpl string) error {
	if err := c.writeSecrets(); err != nil {
		return err
	}
	if err := genKey(ctx, c.ClientKeyFile()); err != nil {
		return err
	}
	err := parallel(c.opts.Hosts, func(i int) error {
		if err := c.prepareMySQL(ctx, i, tmpl); err != nil {
			return err
		}
		return c.prepareSSHD(ctx, i)
	})
	if err != nil {
		return err
	}
	return c.writeSSHTrust()
}

func (c *Cluster) writeSecrets() error {
	secrets := map[string]string{c.PasswordFile(): c.opts.Password, c.ReplPasswordFile(): c.opts.ReplPassword,
		c.AppPasswordFile(): c.opts.AppPassword}
	for path, v := range secrets {
		if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}

// startProcesses launches all servers at once, then waits for each.
func (c *Cluster) startProcesses() error {
	if err := c.spawnRedis(); err != nil {
		return err
	}
	for i := 1; i <= c.opts.Hosts; i++ {
		if err := c.spawnSSHD(i); err != nil {
			return err
		}
		if err := c.spawnMySQL(i); err != nil {
			return err
		}
	}
	err := parallel(c.opts.Hosts, func(i int) error {
		return errors.Join(c.waitSSHD(i), c.waitMySQL(i))
	})
	return errors.Join(err, c.waitRedis())
}

// Open loads a cluster started earlier (possibly by another process) from
// dir's state.json.
func Open(dir string, logger *slog.Logger) (*Cluster, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, fmt.Errorf("testenv: open %s: %w", dir, err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("testenv: parse %s/%s: %w", dir, stateFile, err)
	}
	c := &Cluster{st: st, dbs: map[int]*sql.DB{}}
	c.opts = st.Options
	c.opts.Logger = logger
	c.opts = c.opts.withDefaults()
	c.log = c.opts.Logger
	if c.opts.Password, err = readSecret(c.PasswordFile()); err != nil {
		return nil, err
	}
	if c.opts.ReplPassword, err = readSecret(c.ReplPasswordFile()); err != nil {
		return nil, err
	}
	// A cluster started before the application user existed has no file;
	// only a follow load needs it.
	if pw, err := readSecret(c.AppPasswordFile()); err == nil {
		c.opts.AppPassword = pw
	}
	return c, nil
}

func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("testenv: read %s: %w", path, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// saveState persists the pids; called after every process change.
func (c *Cluster) saveState() error {
	c.mu.Lock()
	b, err := json.MarshalIndent(c.st, "", "  ")
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	path := filepath.Join(c.opts.Dir, stateFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func (c *Cluster) setProc(set func(st *state)) error {
	c.mu.Lock()
	set(&c.st)
	c.mu.Unlock()
	return c.saveState()
}

// Procs lists every process the cluster knows of (redis first, then the
// hosts', then the haproxies).
func (c *Cluster) Procs() []Proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	procs := []Proc{c.st.Redis}
	for _, h := range c.st.Hosts {
		procs = append(procs, h.MySQL, h.SSHD)
	}
	for _, h := range c.st.HAProxies {
		procs = append(procs, h.Proc)
	}
	return procs
}

// Host returns the processes of host i (1-based).
func (c *Cluster) Host(i int) HostState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Hosts[i-1]
}

// Down stops every process of the cluster (SIGTERM, then SIGKILL) and
// removes its dir. It is safe to call more than once.
func (c *Cluster) Down() error {
	t0 := time.Now()
	if err := c.stopAll(); err != nil {
		return fmt.Errorf("testenv down %s: %w", c.opts.Dir, err)
	}
	if err := os.RemoveAll(c.opts.Dir); err != nil {
		return fmt.Errorf("testenv down: remove %s: %w", c.opts.Dir, err)
	}
	c.log.Info("testenv down", "dir", c.opts.Dir, "elapsed", time.Since(t0))
	return nil
}

func (c *Cluster) stopAll() error {
	c.closeDBs()
	var live []Proc
	for _, p := range c.Procs() {
		if p.Pid > 0 {
			live = append(live, p)
		}
	}
	// The namespaces go once nothing runs in them.
	return errors.Join(stopProcs(15*time.Second, live...), c.removeNetwork())
}

func (c *Cluster) checkHost(i int) error {
	if i < 1 || i > c.opts.Hosts {
		return fmt.Errorf("testenv: host %d out of range 1..%d", i, c.opts.Hosts)
	}
	return nil
}

// Options returns the effective options (defaults filled in).
func (c *Cluster) Options() Options { return c.opts }

// Dir is the environment's root directory.
func (c *Cluster) Dir() string { return c.opts.Dir }

// N is the number of hosts.
func (c *Cluster) N() int { return c.opts.Hosts }

// IP of host i (1-based): 127.0.Net.(Base+i), or 10.Net.Base.(10+i) in
// netns mode.
func (c *Cluster) IP(i int) string {
	if c.opts.Netns {
		return fmt.Sprintf("%s.%d", c.subnet(), netnsHost0+i)
	}
	return fmt.Sprintf("127.0.%d.%d", c.opts.Net, c.opts.Base+i)
}

// clientHosts is the MySQL account host pattern that covers the manager
// and every host.
func (c *Cluster) clientHosts() string {
	if c.opts.Netns {
		return c.subnet() + ".%"
	}
	return "127.%"
}

// MySQLAddr is host i's ip:port.
func (c *Cluster) MySQLAddr(i int) string { return fmt.Sprintf("%s:%d", c.IP(i), c.opts.MySQLPort) }

// SSHAddr is host i's sshd ip:port.
func (c *Cluster) SSHAddr(i int) string { return fmt.Sprintf("%s:%d", c.IP(i), c.opts.SSHPort) }

// RedisAddr is redis's ip:port (127.0.Net.Base).
func (c *Cluster) RedisAddr() string {
	return fmt.Sprintf("127.0.%d.%d:%d", c.opts.Net, c.opts.Base, c.opts.RedisPort)
}

// HostDir is <dir>/hostI.
func (c *Cluster) HostDir(i int) string { return filepath.Join(c.opts.Dir, fmt.Sprintf("host%d", i)) }

// BinlogDir holds host i's binary logs (mysql-bin.*).
func (c *Cluster) BinlogDir(i int) string { return filepath.Join(c.HostDir(i), "binlog") }

// RelayDir holds host i's relay logs (relay-bin.*).
func (c *Cluster) RelayDir(i int) string { return filepath.Join(c.HostDir(i), "relay") }

// WorkDir is host i's remote_workdir.
func (c *Cluster) WorkDir(i int) string { return filepath.Join(c.HostDir(i), "work") }

// MySQLLog is host i's mariadbd error log.
func (c *Cluster) MySQLLog(i int) string { return filepath.Join(c.HostDir(i), "mysqld.err") }

// SSHDLog is host i's sshd log.
func (c *Cluster) SSHDLog(i int) string { return filepath.Join(c.HostDir(i), "sshd.log") }

// Socket is host i's mariadbd unix socket (root logs in only here).
func (c *Cluster) Socket(i int) string { return filepath.Join(c.HostDir(i), "mysql.sock") }

// ConfigPath is the generated MHA-style app.cnf.
func (c *Cluster) ConfigPath() string { return filepath.Join(c.opts.Dir, "app.cnf") }

// ManagerDir is manager_workdir.
func (c *Cluster) ManagerDir() string { return filepath.Join(c.opts.Dir, "manager") }

// ClientKeyFile is the private key that logs in as root on every sshd.
func (c *Cluster) ClientKeyFile() string { return filepath.Join(c.opts.Dir, "id_ed25519") }

// KnownHostsFile lists every sshd's host key as written by Up.
func (c *Cluster) KnownHostsFile() string { return filepath.Join(c.opts.Dir, "known_hosts") }

// PasswordFile holds the admin (mhago) password.
func (c *Cluster) PasswordFile() string { return filepath.Join(c.opts.Dir, "mysql.password") }

// ReplPasswordFile holds the replication user's password.
func (c *Cluster) ReplPasswordFile() string { return filepath.Join(c.opts.Dir, "repl.password") }

// AppPasswordFile holds the password of AppUser.
func (c *Cluster) AppPasswordFile() string { return filepath.Join(c.opts.Dir, "app.password") }

// Password is the admin (mhago) password.
func (c *Cluster) Password() string { return c.opts.Password }

// ReplPassword is the repl user's password.
func (c *Cluster) ReplPassword() string { return c.opts.ReplPassword }
