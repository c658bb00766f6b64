package nodeagent

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/nodeagent/proto"
)

// sessionPipe runs a session on pipes and returns its request encoder,
// its answers, and a func that ends it and returns its exit status.
func sessionPipe(t *testing.T) (*json.Encoder, <-chan proto.Envelope, func() int) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- Serve(context.Background(), proto.CmdSession, inR, outW, testVersion)
		outW.Close()
	}()
	answers := make(chan proto.Envelope, 16)
	go func() {
		dec := json.NewDecoder(outR)
		for {
			var env proto.Envelope
			if dec.Decode(&env) != nil {
				close(answers)
				return
			}
			answers <- env
		}
	}()
	end := func() int {
		inW.Close()
		select {
		case c := <-code:
			return c
		case <-time.After(5 * time.Second):
			t.Fatal("the session did not end after stdin closed")
			return -1
		}
	}
	return json.NewEncoder(inW), answers, end
}

func request() *proto.Request {
	return &proto.Request{Protocol: proto.Version, Manager: testVersion}
}

func next(t *testing.T, answers <-chan proto.Envelope) proto.Envelope {
	t.Helper()
	select {
	case env, ok := <-answers:
		if !ok || env.Response == nil {
			t.Fatalf("no answer (stream ended: %v)", !ok)
		}
		if env.Response.Agent != testVersion || env.Response.Protocol != proto.Version {
			t.Fatalf("answer %d does not identify the agent: %+v", env.ID, env.Response)
		}
		return env
	case <-time.After(10 * time.Second):
		t.Fatal("no answer within 10 s")
	}
	return proto.Envelope{}
}

// TestSessionAnswersEachRequest: many requests on one stream, each answered
// once under its own id; apply and a request without a body are refused
// without ending the session; stdin's end ends it with status 0.
func TestSessionAnswersEachRequest(t *testing.T) {
	enc, answers, end := sessionPipe(t)
	status := request()
	status.Status = &proto.StatusRequest{BinlogDirs: []string{fixtures}, Prefix: "master-bin", Workdir: t.TempDir()}
	apply := request()
	apply.Apply = &proto.ApplyRequest{}
	sent := map[uint64]string{1: proto.CmdVersion, 2: proto.CmdStatus, 3: proto.CmdApply, 4: proto.CmdFind, 5: proto.CmdVersion}
	for _, env := range []proto.Envelope{
		{ID: 1, Cmd: proto.CmdVersion, Request: request()},
		{ID: 2, Cmd: proto.CmdStatus, Request: status},
		{ID: 3, Cmd: proto.CmdApply, Request: apply},
		{ID: 4, Cmd: proto.CmdFind},
		{ID: 5, Cmd: proto.CmdVersion, Request: &proto.Request{Protocol: proto.Version, Manager: "other"}},
	} {
		if err := enc.Encode(env); err != nil {
			t.Fatal(err)
		}
	}
	got := map[uint64]*proto.Response{}
	for range sent {
		env := next(t, answers)
		if got[env.ID] != nil {
			t.Fatalf("request %d answered twice", env.ID)
		}
		got[env.ID] = env.Response
	}
	if r := got[1]; !r.OK || r.Version == nil {
		t.Errorf("version: %+v", r)
	}
	if r := got[2]; !r.OK || r.Status == nil || len(r.Status.Dirs) != 1 || len(r.Status.Dirs[0].Files) < 2 {
		t.Errorf("status: %+v", r)
	}
	if r := got[3]; r.OK || r.Error.Code != proto.CodeBadRequest || !strings.Contains(r.Error.Message, "own process") {
		t.Errorf("apply in a session: %+v", r)
	}
	if r := got[4]; r.OK || r.Error.Code != proto.CodeBadRequest {
		t.Errorf("request without a body: %+v", r)
	}
	if r := got[5]; r.OK || r.Error.Code != proto.CodeVersionMismatch {
		t.Errorf("other manager version: %+v", r)
	}
	if code := end(); code != 0 {
		t.Errorf("session ended with status %d after stdin closed", code)
	}
}

// TestSessionCancel: a cancellation stops a request that would otherwise
// wait (a login to a server that never greets), and the session goes on
// answering others.
func TestSessionCancel(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // silent: no handshake
		}
	}()
	addr := l.Addr().(*net.TCPAddr)
	enc, answers, end := sessionPipe(t)
	login := request()
	login.Login = &proto.LoginRequest{Host: "127.0.0.1", Port: addr.Port, User: "u", Password: "p", Workdir: t.TempDir()}
	enc.Encode(proto.Envelope{ID: 7, Cmd: proto.CmdLogin, Request: login})
	time.Sleep(300 * time.Millisecond)
	enc.Encode(proto.Envelope{ID: 8, Cmd: proto.CmdVersion, Request: request()})
	if env := next(t, answers); env.ID != 8 || !env.Response.OK {
		t.Fatalf("while a login hangs, version got %+v", env)
	}
	start := time.Now()
	enc.Encode(proto.Envelope{ID: 7, Cancel: true})
	env := next(t, answers)
	if env.ID != 7 || (env.Response.Login != nil && env.Response.Login.OK) {
		t.Fatalf("cancelled login answered %+v", env)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the cancelled login took %s to end", d)
	}
	end()
}
