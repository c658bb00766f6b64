package remote

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownHosts verifies host keys against one known_hosts file and, when
// allowed, appends keys of hosts not seen before (trust on first use).
type knownHosts struct {
	file      string
	acceptNew bool
	mu        sync.Mutex // serialises reads against appends
}

// load re-reads the file on every dial so entries added by TOFU (or by the
// operator) are seen without restarting. A missing file is an empty database.
func (k *knownHosts) load() (ssh.HostKeyCallback, error) {
	if k.file == "" {
		return nil, errors.New("no known_hosts file configured")
	}
	cb, err := knownhosts.New(k.file)
	if errors.Is(err, os.ErrNotExist) {
		return knownhosts.New()
	}
	if err != nil {
		return nil, fmt.Errorf("read known_hosts %s: %w", k.file, err)
	}
	return cb, nil
}

// knownKeys lists the keys on record for addr (host:port). knownhosts has
// no lookup API, so we ask it to verify a key that cannot match: the
// resulting KeyError lists every key it holds for the host.
func knownKeys(cb ssh.HostKeyCallback, addr string) []knownhosts.KnownKey {
	err := cb(addr, &net.TCPAddr{}, probeKey)
	var ke *knownhosts.KeyError
	if errors.As(err, &ke) {
		return ke.Want
	}
	return nil
}

// algorithmsFor returns the host key algorithms to offer so the server
// presents a key type we already know (otherwise an ed25519 entry would be
// reported as "changed" when the server prefers ecdsa). Nil means defaults.
func algorithmsFor(keys []knownhosts.KnownKey) []string {
	var algos []string
	seen := map[string]bool{}
	for _, k := range keys {
		for _, a := range algosForKeyType(k.Key.Type()) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos
}

func algosForKeyType(t string) []string {
	if t == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{t}
}

// callback builds the HostKeyCallback for one dial plus the algorithms to
// offer. The returned callback converts knownhosts errors to *HostKeyError.
func (k *knownHosts) callback(t Target) (ssh.HostKeyCallback, []string, error) {
	k.mu.Lock()
	cb, err := k.load()
	k.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	algos := algorithmsFor(knownKeys(cb, t.addr()))
	verify := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		return k.verify(cb, t, hostname, remote, key)
	}
	return verify, algos, nil
}

func (k *knownHosts) verify(cb ssh.HostKeyCallback, t Target, hostname string, remote net.Addr, key ssh.PublicKey) error {
	err := cb(hostname, remote, key)
	if err == nil {
		return nil
	}
	hkErr := &HostKeyError{
		Target:         t,
		Addr:           knownhosts.Normalize(hostname),
		KeyType:        key.Type(),
		Fingerprint:    ssh.FingerprintSHA256(key),
		KnownHostsFile: k.file,
	}
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(err, &re):
		hkErr.Revoked, hkErr.Line = true, re.Revoked.Line
		return hkErr
	case errors.As(err, &ke) && len(ke.Want) > 0:
		// A changed key is never accepted, whatever AcceptUnknownHosts says.
		hkErr.Changed, hkErr.Line = true, conflictingLine(ke.Want, key)
		return hkErr
	case errors.As(err, &ke):
		if !k.acceptNew {
			return hkErr
		}
		if err := k.appendKey(hostname, key); err != nil {
			return fmt.Errorf("%w: record new host key: %w", ErrHostKey, err)
		}
		return nil
	default:
		return fmt.Errorf("verify host key: %w", err)
	}
}

// appendKey records a first-seen host key, creating the file 0600.
func (k *knownHosts) appendKey(hostname string, key ssh.PublicKey) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(k.file), 0o700); err != nil {
		return fmt.Errorf("create directory of known_hosts %s: %w", k.file, err)
	}
	f, err := os.OpenFile(k.file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open known_hosts %s: %w", k.file, err)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key) + "\n"
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("append to known_hosts %s: %w", k.file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close known_hosts %s: %w", k.file, err)
	}
	return nil
}

// conflictingLine prefers the entry of the same key type as the one presented.
func conflictingLine(want []knownhosts.KnownKey, key ssh.PublicKey) int {
	for _, w := range want {
		if w.Key.Type() == key.Type() {
			return w.Line
		}
	}
	return want[0].Line
}

// probeKey is a fixed key nobody uses, for knownKeys.
var probeKey = func() ssh.PublicKey {
	pub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public()
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		panic(err) // cannot happen for an ed25519 key
	}
	return k
}()
