package netprobe

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestProbe: a listener that greets, one that accepts and stays silent,
// and a closed port, each on a loopback port of its own.
func TestProbe(t *testing.T) {
	listen := func(greet bool) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				if greet {
					c.Write([]byte{0x4a})
				}
				t.Cleanup(func() { c.Close() })
			}
		}()
		return l.Addr().String()
	}
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}
	for name, tc := range map[string]struct {
		addr string
		want Reach
	}{
		"greets": {listen(true), Greeted},
		"silent": {listen(false), Silent},
		"closed": {closed(), Unreachable},
	} {
		got, err := Probe(context.Background(), tc.addr, 300*time.Millisecond)
		if got != tc.want || (got == Unreachable) != (err != nil) {
			t.Errorf("%s: %s (%v), want %s", name, got, err, tc.want)
		}
	}
}
