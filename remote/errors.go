package remote

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors let the CLI map failures to exit codes with errors.Is.
var (
	// ErrUnreachable: the TCP dial failed or timed out, or the connection was lost.
	ErrUnreachable = errors.New("host unreachable")
	// ErrAuth: the server rejected every public key we offered.
	ErrAuth = errors.New("authentication failed")
	// ErrHostKey: the server's host key is unknown, changed or revoked. *HostKeyError matches it.
	ErrHostKey = errors.New("host key verification failed")
	// ErrCommandTimeout: Options.CommandTimeout elapsed and the remote command was killed.
	ErrCommandTimeout = errors.New("command timed out")
)

// targetErr names the target and the operation, and wraps both the sentinel
// kind (may be nil) and the cause so errors.Is works for either.
func targetErr(t Target, op string, kind, cause error) error {
	switch {
	case kind == nil:
		return fmt.Errorf("ssh %s: %s: %w", t, op, cause)
	case cause == nil:
		return fmt.Errorf("ssh %s: %s: %w", t, op, kind)
	default:
		return fmt.Errorf("ssh %s: %s: %w: %w", t, op, kind, cause)
	}
}

// HostKeyError is returned when the server's host key cannot be trusted:
// unknown (Changed=false) or different from the known_hosts entry (Changed=true).
type HostKeyError struct {
	Target         Target
	Addr           string // as written in known_hosts: "[host]:port" or "host"
	KeyType        string // e.g. ssh-ed25519
	Fingerprint    string // SHA256:... of the key the server presented
	KnownHostsFile string
	Line           int  // line of the conflicting entry (0 when unknown)
	Changed        bool // true: a different key is on record (possible MITM)
	Revoked        bool // the key is marked @revoked
}

// Is makes errors.Is(err, ErrHostKey) true for *HostKeyError.
func (e *HostKeyError) Is(target error) bool { return target == ErrHostKey }

func (e *HostKeyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ssh %s: %v: ", e.Target, ErrHostKey)
	switch {
	case e.Revoked:
		fmt.Fprintf(&b, "host key %s %s of %s is marked @revoked in %s line %d; refusing to connect",
			e.KeyType, e.Fingerprint, e.Addr, e.KnownHostsFile, e.Line)
	case e.Changed:
		fmt.Fprintf(&b, "REMOTE HOST KEY HAS CHANGED: %s now presents %s %s, which differs from the key in %s line %d. "+
			"This may be a man-in-the-middle attack, or the host was reinstalled / got new host keys. "+
			"Verify the new fingerprint out of band, then remove the old entry with "+
			"`ssh-keygen -R %s -f %s` and reconnect once with ssh_accept_unknown_host_keys=1 (config) or --accept-new-host-keys",
			e.Addr, e.KeyType, e.Fingerprint, e.KnownHostsFile, e.Line, ShellQuote(e.Addr), ShellQuote(e.KnownHostsFile))
	default:
		fmt.Fprintf(&b, "host %s is not in %s (it presents %s %s). "+
			"Verify the fingerprint, then connect once with ssh_accept_unknown_host_keys=1 (config) or --accept-new-host-keys "+
			"to record it",
			e.Addr, e.KnownHostsFile, e.KeyType, e.Fingerprint)
	}
	return b.String()
}
