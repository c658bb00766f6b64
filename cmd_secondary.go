package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/endpoints"
	"github.com/mhago/mhago/remote"
	"github.com/mhago/mhago/secondary"
)

func secondaryCheckCommand() *cli.Command {
	return &cli.Command{
		Name:  "secondary-check",
		Usage: "is the master reachable from other hosts (MHA's masterha_secondary_check, built in)",
		Description: `From each secondary host, reached over mhago's own SSH (host keys verified),
the node agent tries a TCP connect to the master's MySQL port. The hosts are
asked at once; the first in the order given that could not be asked, or that
reached the master, decides. With --conf, SSH keys, known_hosts and each host's
remote_workdir come from the config; without, from ~/.ssh, and the agent runs
in /var/tmp. ping_type INSERT is checked as a TCP connect only.

A failover runs this check in-process when secondary_check_script names
masterha_secondary_check and no such program is on PATH.

Example:
   mhago secondary-check -s mon2 -s mon3 --user root --master-host db1 --master-ip 10.0.0.1 --master-port 3306

EXIT STATUS (masterha_secondary_check's):
   0    the master is unreachable from every secondary host: failover may go on
   1    error (bad arguments, the agent cannot be found)
   2    a secondary host could not be reached or asked: nothing can be concluded
   3    the master is reachable from a secondary host: do not fail over`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "secondary-host", Aliases: []string{"s"}, Usage: "a host to check from (repeat)"},
			&cli.StringFlag{Name: "user", Value: secondary.DefaultUser, Usage: "SSH user on the secondary hosts"},
			&cli.IntFlag{Name: "port", Value: secondary.DefaultPort, Usage: "SSH port of the secondary hosts"},
			&cli.StringFlag{Name: "options", Usage: "OpenSSH options as MHA passed them; -i, -p and -o IdentityFile/Port/ConnectTimeout apply"},
			&cli.StringFlag{Name: "master-host", Usage: "the master's hostname (connected to)"},
			&cli.StringFlag{Name: "master-ip", Usage: "the master's IP (used when --master-host is empty)"},
			&cli.IntFlag{Name: "master-port", Value: secondary.DefaultMasterPort, Usage: "the master's MySQL port"},
			&cli.StringFlag{Name: "master-user", Usage: "accepted for MHA's command line; unused"},
			&cli.DurationFlag{Name: "timeout", Value: secondary.DefaultTimeout, Usage: "bound of the connect to the master (and, unless ConnectTimeout, of the SSH connect)"},
			&cli.StringFlag{Name: "ping-type", Usage: "MHA's ping_type; INSERT is checked as a TCP connect"},
			&cli.StringFlag{Name: "conf", Usage: "take SSH keys, known_hosts and remote_workdir from this app.cnf (`FILE`)"},
			&cli.StringFlag{Name: "global-conf", Usage: "optional global defaults (`FILE`)"},
		},
		Action:       runSecondaryCheck,
		OnUsageError: mhaUsageError,
	}
}

func runSecondaryCheck(c *cli.Context) error {
	req, err := secondaryRequest(c)
	if err != nil {
		return mhaFail(1, err)
	}
	var cfg *config.Config
	if c.String("conf") != "" {
		if cfg, err = loadConfig(c); cfg == nil {
			return mhaFail(1, err)
		}
	}
	env, closeEnv, err := secondaryEnv(c, cfg)
	if err != nil {
		return mhaFail(1, err)
	}
	defer closeEnv()
	for _, ig := range req.Ignored {
		fmt.Fprintf(c.App.ErrWriter, "mhago: secondary-check: ignored: %s\n", ig)
	}
	code, results := secondary.Check(c.Context, req, env)
	for _, r := range results {
		fmt.Fprintln(c.App.Writer, r.Line(req.MasterAddr()))
	}
	if code == 0 {
		return nil
	}
	return mhaCode(code, fmt.Sprintf("secondary check: exit %d", code))
}

// secondaryRequest reads the flags into the check's request; --options is
// parsed as the MHA script's would be.
func secondaryRequest(c *cli.Context) (secondary.Request, error) {
	args := []string{"--user", c.String("user"), "--port", fmt.Sprint(c.Int("port")),
		"--master_host", c.String("master-host"), "--master_ip", c.String("master-ip"),
		"--master_port", fmt.Sprint(c.Int("master-port")), "--ping_type", c.String("ping-type")}
	for _, h := range c.StringSlice("secondary-host") {
		args = append(args, "--secondary_host", h)
	}
	if o := c.String("options"); o != "" {
		args = append(args, "--options", o)
	}
	req, err := secondary.ParseArgs(args)
	if err != nil {
		return req, fmt.Errorf("%w: %w", errUsage, err)
	}
	req.Timeout = c.Duration("timeout")
	return req, nil
}

// secondaryEnv is the SSH pool and agent: the config's settings, or
// OpenSSH's usual files in ~/.ssh.
func secondaryEnv(c *cli.Context, cfg *config.Config) (secondary.Env, func(), error) {
	var opts remote.Options
	if cfg != nil {
		opts = endpoints.SSHOptions(cfg, false, nil)
	} else {
		home, err := os.UserHomeDir()
		if err != nil {
			return secondary.Env{}, nil, fmt.Errorf("find ~/.ssh: %w (fix: set HOME, or give --conf)", err)
		}
		ssh := filepath.Join(home, ".ssh")
		opts = remote.Options{KeyFiles: []string{filepath.Join(ssh, "id_ed25519"), filepath.Join(ssh, "id_ecdsa"), filepath.Join(ssh, "id_rsa")},
			UseAgent: os.Getenv("SSH_AUTH_SOCK") != "", KnownHostsFile: filepath.Join(ssh, "known_hosts")}
	}
	agentPath := ""
	if cfg != nil {
		agentPath = cfg.AgentPath
	}
	bin, err := agentctl.Locate(c.Context, agentPath)
	if err != nil {
		return secondary.Env{}, nil, err
	}
	pool := remote.NewPool(opts)
	env := secondary.Env{Pool: pool, Agent: bin, RunID: fmt.Sprintf("secondary-%d-%d", os.Getpid(), time.Now().Unix()),
		Workdir: func(host string) string { return secondary.WorkdirFor(cfg, host) }}
	return env, func() { pool.Close() }, nil
}
