package agentctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/pkg/sftp"

	"github.com/mhago/mhago/buildinfo"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/remote"
)

// Agent is the agent deployed on one host for one run.
type Agent struct {
	client *remote.Client
	dir    string // private run directory under remote_workdir
	bin    string // the agent, in remote_workdir's cache
	cached bool   // found in the cache, not pushed by this deploy
	sess   *session
}

// Error is a call the agent answered with a failure; Code is one of the
// proto.Code* values.
type Error struct {
	Host, Cmd, Code, Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("agent %s on %s: %s: %s", e.Cmd, e.Host, e.Code, e.Message)
}

// Sentinels for errors.Is: an agent of another mhago version; an earlier
// apply (its manager may have died) still at work on the same server.
var (
	ErrVersionMismatch = errors.New("agent version mismatch")
	ErrApplyRunning    = errors.New("another apply is running")
)

// Is matches ErrVersionMismatch and ErrApplyRunning by code.
func (e *Error) Is(target error) bool {
	return target == ErrVersionMismatch && e.Code == proto.CodeVersionMismatch ||
		target == ErrApplyRunning && e.Code == proto.CodeApplyRunning
}

// ErrNoExec: remote_workdir is on a filesystem that does not let programs
// run (mounted noexec), so the agent cannot work there.
var ErrNoExec = errors.New("agent cannot run in remote_workdir")

// deployHeadroom is room beyond the agent binary for a run's small files
// (client option file, pid file, merged diff headers).
const deployHeadroom = 1 << 20

// Deploy creates workdir/mhago-<runID> (mode 0700) for the run's files,
// finds the agent in workdir's cache or pushes it there, and starts it:
// one SSH command checks the agent's SHA-256 on the host and, only if it
// matches, runs it as a session that answers the run's calls. A cached
// copy that fails the check is pushed again. A remote_workdir without
// room for the agent fails with ErrNoSpace, one that does not let it run
// with ErrNoExec; what this deploy created is then removed (not the run
// directory when it was there before: another server on the same host).
func Deploy(ctx context.Context, c *remote.Client, workdir, runID string, bin Binary) (a *Agent, err error) {
	dir := path.Join(workdir, "mhago-"+runID)
	_, statErr := c.Stat(dir)
	created := errors.Is(statErr, fs.ErrNotExist)
	if err := c.MkdirAll(dir, 0o700); err != nil {
		return nil, spaceError(c, workdir, uint64(len(bin.Data))+deployHeadroom, fmt.Errorf("create agent dir %s on %s: %w", dir, c.Target(), err))
	}
	defer func() {
		if err != nil && created {
			c.RemoveAll(dir)
		}
	}()
	uid, err := c.OwnerUID(dir)
	if err != nil {
		return nil, fmt.Errorf("check agent dir %s on %s: %w", dir, c.Target(), err)
	}
	if err := checkPrivateDir(c, dir, uid); err != nil {
		return nil, err
	}
	cache := newAgentCache(c, workdir, uid, bin)
	a = &Agent{client: c, dir: dir}
	if a.bin, a.cached, err = cache.place(ctx); err != nil {
		cache.undo()
		return nil, err
	}
	if err = a.start(ctx, bin.SHA256); errors.Is(err, errAgentHash) && a.cached {
		// The cached copy was changed since it was pushed: push it again.
		if a.bin, a.cached, err = cache.push(ctx); err == nil {
			err = a.start(ctx, bin.SHA256)
		}
	}
	if err != nil {
		cache.undo()
		return nil, runError(noExecError(err, workdir, c.Target().String()), bin, c.Target().String())
	}
	cache.prune()
	return a, nil
}

// errAgentHash: the agent file on the host is not the one mhago carries.
var errAgentHash = errors.New("agent SHA-256 mismatch")

// hashMismatchExit is the verifying shell's exit status for a mismatch.
const hashMismatchExit = 124

// start verifies the agent's SHA-256 on the host and runs it as a session
// in the same SSH command, so nothing unverified is ever executed, then
// asks it for its version.
func (a *Agent) start(ctx context.Context, sha string) error {
	q := remote.ShellQuote(a.bin)
	cmd := "h=$(sha256sum " + q + ") || exit 125; h=${h%% *}; " +
		"if [ \"$h\" != " + remote.ShellQuote(sha) + " ]; then echo \"sha256 $h\" >&2; exit " + fmt.Sprint(hashMismatchExit) + "; fi; " +
		"exec " + q + " " + proto.CmdSession
	sess, err := startSession(a.client, cmd)
	if err != nil {
		return fmt.Errorf("start agent on %s: %w", a.client.Target(), err)
	}
	a.sess = sess
	if _, err := a.Call(ctx, proto.CmdVersion, proto.Request{}); err != nil {
		a.Close()
		return a.startError(err, sha)
	}
	return nil
}

// startError explains a session that ended before the agent answered.
func (a *Agent) startError(err error, sha string) error {
	if !errors.Is(err, errSessionEnded) {
		return err
	}
	host := a.client.Target().String()
	status, stderr, runErr := a.sess.stream.Result()
	switch {
	case runErr != nil:
		return fmt.Errorf("start agent on %s: %w", host, runErr)
	case status == hashMismatchExit:
		got := strings.TrimPrefix(strings.TrimSpace(stderr), "sha256 ")
		return fmt.Errorf("verify agent %s on %s: %w: sha256 %q, want %s", a.bin, host, errAgentHash, got, sha)
	}
	return &badResponse{cmd: proto.CmdSession, host: host, exit: status, stderr: strings.TrimSpace(stderr), err: err}
}

// ErrNotPrivate: the agent's directory could be changed by someone other
// than the SSH user, who could then swap the agent after its check.
var ErrNotPrivate = errors.New("agent directory is not private")

// checkPrivateDir makes sure nobody but the SSH user (uid) can change what
// is in dir between the agent's SHA-256 check and its runs: dir is a real
// directory (not a symlink), with no group or other permissions, owned by
// uid. A directory of that name made beforehand by another user of the
// host fails here.
func checkPrivateDir(c *remote.Client, dir string, uid uint32) error {
	di, err := c.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check agent dir %s on %s: %w", dir, c.Target(), err)
	}
	owner, ok := ownerOf(di)
	switch {
	case !di.IsDir() || di.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("%w: %s on %s is not a plain directory; remove it", ErrNotPrivate, dir, c.Target())
	case di.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%w: %s on %s has mode %04o, want 0700; remove it (another user may have made it)", ErrNotPrivate, dir, c.Target(), di.Mode().Perm())
	case ok && owner != uid:
		return fmt.Errorf("%w: %s on %s belongs to uid %d, not to the SSH user (uid %d); remove it (another user may have made it)", ErrNotPrivate, dir, c.Target(), owner, uid)
	}
	return nil
}

// ownerOf is the owner uid SFTP reported for a file.
func ownerOf(fi os.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*sftp.FileStat)
	if !ok {
		return 0, false
	}
	return st.UID, true
}

// upload writes data to dst with mode 0700. SFTP reports a full disk as a
// bare SSH_FX_FAILURE, so a failure is checked against the free space.
func upload(ctx context.Context, c *remote.Client, data []byte, dst string, need uint64) error {
	if _, err := c.Upload(ctx, bytes.NewReader(data), dst, 0o700); err != nil {
		return spaceError(c, path.Dir(dst), need, fmt.Errorf("upload agent to %s:%s: %w", c.Target(), dst, err))
	}
	return nil
}

// noExecError turns the shell's "Permission denied" (exit 126) on running
// a freshly uploaded 0700 file into ErrNoExec.
func noExecError(err error, workdir, host string) error {
	var br *badResponse
	if errors.As(err, &br) && br.exit == 126 && strings.Contains(br.stderr, "Permission denied") {
		return fmt.Errorf("remote_workdir %s on %s does not allow executing programs (mounted noexec?): "+
			"the agent cannot run there; set remote_workdir to a directory on an exec mount (%w: %s)", workdir, host, ErrNoExec, br.stderr)
	}
	return err
}

// Dir is the agent's private directory on the host; diff files go there.
func (a *Agent) Dir() string { return a.dir }

// Client is the SSH connection the agent runs over.
func (a *Agent) Client() *remote.Client { return a.client }

// Cached says the agent was found in remote_workdir's cache, not pushed.
func (a *Agent) Cached() bool { return a.cached }

// Close ends the agent's session; later calls run the agent as a process
// of its own. The run directory is kept.
func (a *Agent) Close() {
	if a.sess != nil {
		a.sess.close()
	}
}

// Remove ends the session and deletes the private run directory and every
// file in it; the cached agent stays for the next run.
func (a *Agent) Remove() error {
	a.Close()
	if err := a.client.RemoveAll(a.dir); err != nil {
		return fmt.Errorf("remove %s on %s: %w", a.dir, a.client.Target(), err)
	}
	return nil
}

// Call runs one agent command: through the agent's session when it has
// one (apply always runs as its own process, which its pid file names),
// else as a process of its own. A response with ok=false becomes *Error.
func (a *Agent) Call(ctx context.Context, cmd string, req proto.Request) (proto.Response, error) {
	req.Protocol, req.Manager = proto.Version, buildinfo.Version
	host := a.client.Target().String()
	if a.sess != nil && cmd != proto.CmdApply {
		resp, err := a.sess.call(ctx, cmd, req)
		if err == nil {
			return checkResponse(host, cmd, resp, "")
		}
		if !errors.Is(err, errSessionEnded) || cmd == proto.CmdVersion {
			return resp, err
		}
	}
	return a.callProcess(ctx, host, cmd, req, nil)
}

// callProcess runs `agent CMD` with the request on stdin. Progress lines
// ahead of the response go to onProgress as they come.
func (a *Agent) callProcess(ctx context.Context, host, cmd string, req proto.Request, onProgress func(proto.ApplyProgress)) (proto.Response, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return proto.Response{}, err
	}
	out := &progressSplitter{onProgress: onProgress}
	var stderr bytes.Buffer
	status, err := a.client.RunStream(ctx, remote.Command(a.bin, cmd), bytes.NewReader(body), out, &stderr)
	if err != nil {
		return proto.Response{}, fmt.Errorf("agent %s on %s: %w", cmd, host, err)
	}
	var resp proto.Response
	if err := json.Unmarshal(out.rest(), &resp); err != nil {
		return resp, &badResponse{cmd: cmd, host: host, exit: status, stderr: tail(stderr.Bytes()), err: err}
	}
	return checkResponse(host, cmd, resp, tail(stderr.Bytes()))
}

// progressSplitter passes the agent's progress lines to onProgress and
// keeps everything else (the response) for the caller.
type progressSplitter struct {
	onProgress func(proto.ApplyProgress)
	partial    []byte
	kept       bytes.Buffer
}

func (s *progressSplitter) Write(p []byte) (int, error) {
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		s.line(s.partial[:i+1])
		s.partial = s.partial[i+1:]
	}
}

func (s *progressSplitter) line(l []byte) {
	var pl proto.ProgressLine
	if bytes.HasPrefix(l, []byte(`{"progress":`)) && json.Unmarshal(l, &pl) == nil && pl.Progress != nil {
		if s.onProgress != nil {
			s.onProgress(*pl.Progress)
		}
		return
	}
	s.kept.Write(l)
}

func (s *progressSplitter) rest() []byte {
	s.kept.Write(s.partial)
	s.partial = nil
	return s.kept.Bytes()
}

// checkResponse turns a failed answer into *Error and refuses an agent of
// another version.
func checkResponse(host, cmd string, resp proto.Response, stderr string) (proto.Response, error) {
	if !resp.OK {
		e := &Error{Host: host, Cmd: cmd, Code: proto.CodeInternal, Message: stderr}
		if resp.Error != nil {
			e.Code, e.Message = resp.Error.Code, resp.Error.Message
		}
		return resp, e
	}
	if resp.Agent != buildinfo.Version || resp.Protocol != proto.Version {
		return resp, &Error{Host: host, Cmd: cmd, Code: proto.CodeVersionMismatch,
			Message: fmt.Sprintf("agent is %s (protocol %d), mhago is %s (protocol %d)", resp.Agent, resp.Protocol, buildinfo.Version, proto.Version)}
	}
	return resp, nil
}

// badResponse is an agent run that gave no JSON answer: it crashed, or
// could not be executed at all (exit 126).
type badResponse struct {
	cmd, host, stderr string
	exit              int
	err               error
}

func (e *badResponse) Error() string {
	return fmt.Sprintf("agent %s on %s: exit %d, unreadable response (%v): %s", e.cmd, e.host, e.exit, e.err, e.stderr)
}

func (e *badResponse) Unwrap() error { return e.err }

// Status lists binlog directories and the work directory's free space.
func (a *Agent) Status(ctx context.Context, r proto.StatusRequest) (*proto.StatusResult, error) {
	resp, err := a.Call(ctx, proto.CmdStatus, proto.Request{Status: &r})
	return resp.Status, err
}

// Save saves binlogs from a position to the end, into r.Output.
func (a *Agent) Save(ctx context.Context, r proto.SaveRequest) (*proto.ExtractResult, error) {
	resp, err := a.Call(ctx, proto.CmdSave, proto.Request{Save: &r})
	return resp.Extract, err
}

// Find locates a master position in relay logs.
func (a *Agent) Find(ctx context.Context, r proto.FindRequest) (*proto.FindResult, error) {
	resp, err := a.Call(ctx, proto.CmdFind, proto.Request{Find: &r})
	return resp.Find, err
}

// Diff locates a master position in relay logs and extracts what follows.
func (a *Agent) Diff(ctx context.Context, r proto.FindRequest) (*proto.FindResult, error) {
	resp, err := a.Call(ctx, proto.CmdDiff, proto.Request{Find: &r})
	return resp.Find, err
}

// Apply replays diff files into the host's server in one session; it
// always runs as a process of its own, whose progress goes to onProgress
// (may be nil) every second.
func (a *Agent) Apply(ctx context.Context, r proto.ApplyRequest, onProgress func(proto.ApplyProgress)) (*proto.ApplyResult, error) {
	req := proto.Request{Protocol: proto.Version, Manager: buildinfo.Version, Apply: &r}
	resp, err := a.callProcess(ctx, a.client.Target().String(), proto.CmdApply, req, onProgress)
	return resp.Apply, err
}

// Hash is the SHA-256 of a file on the agent's host.
func (a *Agent) Hash(ctx context.Context, path string) (*proto.HashResult, error) {
	resp, err := a.Call(ctx, proto.CmdHash, proto.Request{Hash: &proto.HashRequest{Path: path}})
	return resp.Hash, err
}

// VIP adds, removes or looks for a virtual IP on an interface of the
// agent's host (proto.VIPAdd also sends gratuitous ARPs). The agent needs
// root or CAP_NET_ADMIN there to change addresses.
func (a *Agent) VIP(ctx context.Context, r proto.VIPRequest) (*proto.VIPResult, error) {
	resp, err := a.Call(ctx, proto.CmdVIP, proto.Request{VIP: &r})
	return resp.VIP, err
}

// Probe asks the agent's host whether it reaches a MySQL server (see
// proto.ProbeRequest).
func (a *Agent) Probe(ctx context.Context, r proto.ProbeRequest) (*proto.ProbeResult, error) {
	resp, err := a.Call(ctx, proto.CmdProbe, proto.Request{Probe: &r})
	return resp.Probe, err
}

// Login tries a MySQL login from the agent's host (the replication user
// against a candidate master, as that host's IO thread would). A refused
// login is a result with OK false, not an error.
func (a *Agent) Login(ctx context.Context, r proto.LoginRequest) (*proto.LoginResult, error) {
	resp, err := a.Call(ctx, proto.CmdLogin, proto.Request{Login: &r})
	return resp.Login, err
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 1000 {
		s = "..." + s[len(s)-1000:]
	}
	return s
}
