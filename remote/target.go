package remote

import (
	"log/slog"
	"net"
	"strconv"
	"time"
)

// Target is one SSH endpoint.
type Target struct {
	Name string // config block or hostname, for messages
	Host string
	Port int // 0 means 22
	User string
	// KeyFiles are this host's own keys (MHA's ssh_options -i), tried
	// before Options.KeyFiles.
	KeyFiles []string
	// ConnectTimeout overrides Options.ConnectTimeout when set.
	ConnectTimeout time.Duration
}

func (t Target) port() int {
	if t.Port == 0 {
		return 22
	}
	return t.Port
}

func (t Target) addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.port())) }

// String gives "user@host:port (name)", the prefix of every error message.
func (t Target) String() string {
	s := t.User + "@" + t.addr()
	if t.Name != "" && t.Name != t.Host {
		s += " (" + t.Name + ")"
	}
	return s
}

// Options configure how every host is reached.
type Options struct {
	KeyFiles           []string // private keys; missing files are skipped
	UseAgent           bool     // also use the agent at SSH_AUTH_SOCK when set
	KnownHostsFile     string
	AcceptUnknownHosts bool // trust on first use: record unknown host keys (never changed ones)
	ConnectTimeout     time.Duration
	CommandTimeout     time.Duration // 0: only the context bounds a command
	Logger             *slog.Logger  // nil: discard
}

const defaultConnectTimeout = 10 * time.Second

// connectTimeout is the target's own limit, else the pool's.
func (t Target) connectTimeout(o Options) time.Duration {
	if t.ConnectTimeout > 0 {
		return t.ConnectTimeout
	}
	return o.connectTimeout()
}

func (o Options) connectTimeout() time.Duration {
	if o.ConnectTimeout <= 0 {
		return defaultConnectTimeout
	}
	return o.ConnectTimeout
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}
