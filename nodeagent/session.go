package nodeagent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/mhago/mhago/nodeagent/proto"
)

// session answers requests until stdin ends. Each request runs in its own
// goroutine, so a slow one (a find over large relay logs) does not hold
// up the others; answers go out whole, one per line, in any order.
func session(ctx context.Context, stdin io.Reader, stdout io.Writer, version string) int {
	ctx, cancelAll := context.WithCancel(ctx)
	defer cancelAll()
	s := &sessionState{enc: json.NewEncoder(stdout), cancels: map[uint64]context.CancelFunc{}}
	dec := json.NewDecoder(stdin)
	for {
		var env proto.Envelope
		if err := dec.Decode(&env); err != nil {
			if errors.Is(err, io.EOF) {
				return 0 // the manager closed the session
			}
			return 1 // the stream is unreadable: nothing more can be paired
		}
		if env.Cancel {
			s.cancel(env.ID)
			continue
		}
		s.start(ctx, env, version)
	}
}

// sessionState: wmu serializes answers on stdout; mu guards cancels, so
// that reading the next request never waits for an answer being written.
type sessionState struct {
	wmu     sync.Mutex
	enc     *json.Encoder
	mu      sync.Mutex
	cancels map[uint64]context.CancelFunc
}

func (s *sessionState) start(ctx context.Context, env proto.Envelope, version string) {
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.cancels[env.ID] = cancel
	s.mu.Unlock()
	go func() {
		resp := sessionCall(ctx, env, version)
		resp.Protocol, resp.Agent = proto.Version, version
		s.mu.Lock()
		delete(s.cancels, env.ID)
		s.mu.Unlock()
		cancel()
		s.wmu.Lock()
		defer s.wmu.Unlock()
		s.enc.Encode(proto.Envelope{ID: env.ID, Response: &resp})
	}()
}

func (s *sessionState) cancel(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cancels[id]; c != nil {
		c()
	}
}

// sessionCall runs one request; apply and nested sessions are refused.
func sessionCall(ctx context.Context, env proto.Envelope, version string) (resp proto.Response) {
	// A panic in one request must not end the others' session.
	defer func() {
		if r := recover(); r != nil {
			resp = fail(proto.CodeInternal, fmt.Errorf("%s panicked: %v", env.Cmd, r))
		}
	}()
	switch {
	case env.Request == nil:
		return fail(proto.CodeBadRequest, fmt.Errorf("request %d has no body", env.ID))
	case env.Cmd == proto.CmdApply || env.Cmd == proto.CmdSession:
		return fail(proto.CodeBadRequest, fmt.Errorf("%s is not served in a session: run it as its own process", env.Cmd))
	}
	return handleRequest(ctx, env.Cmd, *env.Request, version, nil)
}
