// Package remote is the SSH layer mhago uses to reach every database host:
// commands (Run, RunStream) and files over SFTP (Upload, Download, Copy
// between two hosts through this process).
//
// Connections are pooled, one per user@host:port, and shared by concurrent
// callers. Authentication is by public key only (key files and ssh-agent).
// Host keys are checked against a known_hosts file: an unknown host is
// refused unless AcceptUnknownHosts (then recorded), a changed key is
// always refused with a *HostKeyError explaining the fix.
//
// Errors name the target ("ssh root@10.0.0.1:22 (server1): ...") and match
// ErrUnreachable, ErrAuth, ErrHostKey or ErrCommandTimeout with errors.Is.
//
// Commands run through the remote login shell, which must be POSIX-like:
// each command is prefixed with "MHAGO_CMD=<token>; export MHAGO_CMD; " so
// that a timed-out or cancelled command can be killed with every process
// it started (see Client.RunStream). Build command lines with Command or
// ShellQuote.
package remote
