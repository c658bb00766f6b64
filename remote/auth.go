package remote

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"slices"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// loadSigners reads every existing key file. A missing file is skipped (the
// default list names keys a host may not have); a file that exists but
// cannot be used is an error naming it, since silently skipping it would
// turn into a puzzling "unable to authenticate" later.
func loadSigners(files []string) ([]ssh.Signer, error) {
	var signers []ssh.Signer
	for _, f := range files {
		s, err := loadSigner(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		signers = append(signers, s)
	}
	return signers, nil
}

func loadSigner(file string) (ssh.Signer, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read ssh private key %s: %w", file, err)
	}
	s, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("ssh private key %s is encrypted with a passphrase; "+
			"mhago never prompts: load it into ssh-agent (ssh_use_agent) or use an unencrypted key: %w", file, err)
	}
	if err != nil {
		return nil, fmt.Errorf("parse ssh private key %s: %w", file, err)
	}
	return s, nil
}

// agentSigners connects to SSH_AUTH_SOCK. The returned closer ends the
// agent connection; nil signers and a nil closer when no agent is set.
func agentSigners() (func() ([]ssh.Signer, error), func() error, error) {
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, nil, nil
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to ssh-agent %s: %w", sock, err)
	}
	return agent.NewClient(conn).Signers, conn.Close, nil
}

// authMethods returns a single publickey method (x/crypto tries each
// method name once, so files and agent must share one callback). Passwords
// are deliberately never offered.
func (p *Pool) authMethods(t Target) ([]ssh.AuthMethod, error) {
	files := append(slices.Clone(t.KeyFiles), p.opts.KeyFiles...)
	signers, err := loadSigners(files)
	if err != nil {
		return nil, err
	}
	fromAgent, err := p.agent()
	if err != nil {
		return nil, err
	}
	if len(signers) == 0 && fromAgent == nil {
		return nil, fmt.Errorf("no ssh key: none of the key files %v exists and no ssh-agent is used", files)
	}
	all := func() ([]ssh.Signer, error) {
		if fromAgent == nil {
			return signers, nil
		}
		more, err := fromAgent()
		if err != nil {
			return signers, nil // a broken agent must not hide working key files
		}
		return append(append([]ssh.Signer{}, signers...), more...), nil
	}
	return []ssh.AuthMethod{ssh.PublicKeysCallback(all)}, nil
}

// agent connects to the ssh-agent once per pool, when enabled.
func (p *Pool) agent() (func() ([]ssh.Signer, error), error) {
	if !p.opts.UseAgent {
		return nil, nil
	}
	p.agentOnce.Do(func() {
		p.agentSigners, p.agentClose, p.agentErr = agentSigners()
	})
	return p.agentSigners, p.agentErr
}
