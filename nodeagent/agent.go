// Package nodeagent is the small program mhago pushes to a database host for
// one run: it reads binlogs and relay logs where they lie, writes diff files
// and replays them into the local server. It never prints anything but its
// one JSON response, and it does not import the manager's packages.
package nodeagent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/mhago/mhago/binlog"
	"github.com/mhago/mhago/nodeagent/proto"
)

// Serve runs one command: it decodes the request from stdin, writes one
// response to stdout and returns the process exit status (0 ok, 1 failed).
func Serve(ctx context.Context, cmd string, stdin io.Reader, stdout io.Writer, version string) int {
	if cmd == proto.CmdSession {
		return session(ctx, stdin, stdout, version)
	}
	enc := json.NewEncoder(stdout)
	report := func(p proto.ApplyProgress) { enc.Encode(proto.ProgressLine{Progress: &p}) }
	resp := handle(ctx, cmd, stdin, version, report)
	resp.Protocol, resp.Agent = proto.Version, version
	if err := enc.Encode(resp); err != nil || !resp.OK {
		return 1
	}
	return 0
}

func handle(ctx context.Context, cmd string, stdin io.Reader, version string, report progressFunc) proto.Response {
	var req proto.Request
	if err := json.NewDecoder(stdin).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		return fail(proto.CodeBadRequest, fmt.Errorf("decode request: %w", err))
	}
	return handleRequest(ctx, cmd, req, version, report)
}

// handleRequest runs one command; an apply writes its progress to report.
func handleRequest(ctx context.Context, cmd string, req proto.Request, version string, report progressFunc) proto.Response {
	if req.Protocol != proto.Version || req.Manager != version {
		return fail(proto.CodeVersionMismatch, fmt.Errorf("agent %s (protocol %d) cannot serve mhago %s (protocol %d): push the agent built with this mhago",
			version, proto.Version, req.Manager, req.Protocol))
	}
	switch {
	case cmd == proto.CmdVersion:
		return proto.Response{OK: true, Version: &proto.VersionResult{GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}}
	case cmd == proto.CmdStatus && req.Status != nil:
		return result(status(ctx, *req.Status))
	case cmd == proto.CmdSave && req.Save != nil:
		return result(save(*req.Save))
	case (cmd == proto.CmdFind || cmd == proto.CmdDiff) && req.Find != nil:
		return result(find(*req.Find, cmd == proto.CmdDiff))
	case cmd == proto.CmdApply && req.Apply != nil:
		return result(apply(ctx, *req.Apply, report))
	case cmd == proto.CmdLogin && req.Login != nil:
		return result(login(ctx, *req.Login))
	case cmd == proto.CmdHash && req.Hash != nil:
		return result(hashFile(*req.Hash))
	case cmd == proto.CmdVIP && req.VIP != nil:
		return result(vipCall(ctx, *req.VIP))
	case cmd == proto.CmdProbe && req.Probe != nil:
		return result(probe(ctx, *req.Probe))
	}
	return fail(proto.CodeBadRequest, fmt.Errorf("unknown command %q or missing request body", cmd))
}

// result wraps a handler's outcome into a response. A failed call keeps
// what its handler had found: a failed apply still says which server
// settings it changed and put back.
func result(r proto.Response, err error) proto.Response {
	if err != nil {
		r.Error = fail(errorCode(err), err).Error
		return r
	}
	r.OK = true
	return r
}

func fail(code string, err error) proto.Response {
	return proto.Response{Error: &proto.Error{Code: code, Message: err.Error()}}
}

// applyError marks a failed replay, as opposed to failing to read inputs.
type applyError struct{ err error }

func (e *applyError) Error() string { return e.err.Error() }
func (e *applyError) Unwrap() error { return e.err }

func errorCode(err error) string {
	var ae *applyError
	var re *runningError
	switch {
	case errors.As(err, &re):
		return proto.CodeApplyRunning
	case errors.As(err, &ae):
		return proto.CodeApplyFailed
	case errors.Is(err, binlog.ErrPositionNotFound), errors.Is(err, binlog.ErrNotEventBoundary), errors.Is(err, binlog.ErrMidTransaction):
		return proto.CodeNotFound
	case errors.Is(err, binlog.ErrCorrupt):
		return proto.CodeCorrupt
	}
	return proto.CodeIO
}
