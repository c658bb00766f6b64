package agentctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/remote"
)

// errSessionEnded: the agent's session is gone (the agent exited, or the
// connection dropped) before it answered; the call can be made again as a
// process of its own.
var errSessionEnded = errors.New("agent session ended")

// sessionCloseGrace is how long a closed session may take to exit by
// itself before it is killed.
const sessionCloseGrace = 2 * time.Second

// session is one long-running agent on a host answering many calls.
type session struct {
	stream *remote.Stream
	host   string

	// wmu serializes writes to the agent's stdin; mu guards the rest.
	// Apart, so that a write waiting for the SSH window never keeps the
	// reader from handing out the answers that would free it.
	wmu     sync.Mutex
	enc     *json.Encoder
	mu      sync.Mutex
	next    uint64
	pending map[uint64]chan proto.Response
	ended   bool
}

// startSession runs cmd (which verifies the agent and execs it in session
// mode) and starts reading its answers.
func startSession(c *remote.Client, cmd string) (*session, error) {
	st, err := c.Start(cmd)
	if err != nil {
		return nil, err
	}
	s := &session{stream: st, host: c.Target().String(), enc: json.NewEncoder(st.Stdin), pending: map[uint64]chan proto.Response{}}
	go s.read()
	return s, nil
}

// read hands each answer to its caller; when the stream ends every
// caller still waiting gets errSessionEnded.
func (s *session) read() {
	dec := json.NewDecoder(s.stream.Stdout)
	for {
		var env proto.Envelope
		if err := dec.Decode(&env); err != nil || env.Response == nil {
			break
		}
		s.mu.Lock()
		ch := s.pending[env.ID]
		delete(s.pending, env.ID)
		s.mu.Unlock()
		if ch != nil {
			ch <- *env.Response
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	for id, ch := range s.pending {
		close(ch)
		delete(s.pending, id)
	}
}

// call sends one request and waits for its answer. A done ctx sends a
// cancellation and returns at once.
func (s *session) call(ctx context.Context, cmd string, req proto.Request) (proto.Response, error) {
	ch := make(chan proto.Response, 1)
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return proto.Response{}, errSessionEnded
	}
	s.next++
	id := s.next
	s.pending[id] = ch
	s.mu.Unlock()
	if err := s.send(proto.Envelope{ID: id, Cmd: cmd, Request: &req}); err != nil {
		s.forget(id)
		return proto.Response{}, fmt.Errorf("%w: send %s to %s: %v", errSessionEnded, cmd, s.host, err)
	}
	select {
	case resp, ok := <-ch:
		if !ok {
			return proto.Response{}, errSessionEnded
		}
		return resp, nil
	case <-ctx.Done():
		s.forget(id)
		s.send(proto.Envelope{ID: id, Cancel: true})
		return proto.Response{}, fmt.Errorf("agent %s on %s: %w", cmd, s.host, ctx.Err())
	}
}

// send writes one envelope to the agent's stdin.
func (s *session) send(env proto.Envelope) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.enc.Encode(env)
}

func (s *session) forget(id uint64) {
	s.mu.Lock()
	delete(s.pending, id)
	s.mu.Unlock()
}

// close ends the session: the agent sees stdin end and exits.
func (s *session) close() {
	s.stream.Close(sessionCloseGrace)
}
