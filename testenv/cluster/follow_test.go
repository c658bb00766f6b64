package cluster

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"read_only", &mysql.MySQLError{Number: 1290, Message: "--read-only"}, true},
		{"super_read_only", &mysql.MySQLError{Number: 1836}, true},
		{"killed by the tool", fmt.Errorf("INSERT: %w", &mysql.MySQLError{Number: 1927}), true},
		{"shutdown", &mysql.MySQLError{Number: 1053}, true},
		{"refused connection", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		{"bad conn", driver.ErrBadConn, true},
		{"invalid conn", mysql.ErrInvalidConn, true},
		{"out of sync", mysql.ErrPktSync, true},
		{"eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"hung server", context.DeadlineExceeded, true},
		{"no grant", &mysql.MySQLError{Number: 1142}, false},
		{"no table", &mysql.MySQLError{Number: 1146}, false},
		{"bad password", &mysql.MySQLError{Number: 1045}, false},
		{"other", errors.New("boom"), false},
	} {
		if got := refused(tc.err); got != tc.want {
			t.Errorf("%s: refused(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestRetryPause(t *testing.T) {
	for _, tc := range []struct {
		max  time.Duration
		want []time.Duration // ms, from round 0
	}{
		{10 * time.Millisecond, []time.Duration{1, 2, 4, 8, 10, 10, 10}},
		{time.Millisecond, []time.Duration{1, 1, 1}},
		{time.Second, []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000}},
	} {
		for round, w := range tc.want {
			if got := retryPause(round, tc.max); got != w*time.Millisecond {
				t.Errorf("retryPause(%d, %s) = %s, want %s", round, tc.max, got, w*time.Millisecond)
			}
		}
		if got := retryPause(1000, tc.max); got != tc.max {
			t.Errorf("retryPause(1000, %s) = %s", tc.max, got)
		}
	}
}

func TestScanOrder(t *testing.T) {
	for _, tc := range []struct {
		cur, n int
		want   []int
	}{
		{0, 1, []int{0}},
		{0, 4, []int{1, 2, 3, 0}},
		{2, 4, []int{3, 0, 1, 2}},
		{3, 4, []int{0, 1, 2, 3}},
	} {
		if got := scanOrder(tc.cur, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("scanOrder(%d, %d) = %v, want %v", tc.cur, tc.n, got, tc.want)
		}
	}
}

func TestBlockedSpans(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	win := func(a, b int) Window { return Window{Start: ms(a), End: ms(b)} }
	for _, tc := range []struct {
		name          string
		ws            []Window
		union, single time.Duration
	}{
		{"none", nil, 0, 0},
		{"one", []Window{win(10, 40)}, 30 * time.Millisecond, 30 * time.Millisecond},
		{"overlapping, unsorted", []Window{win(12, 50), win(10, 40), win(11, 45)}, 40 * time.Millisecond, 38 * time.Millisecond},
		{"nested", []Window{win(10, 100), win(20, 30)}, 90 * time.Millisecond, 90 * time.Millisecond},
		{"two switches: the longer union wins", []Window{win(0, 20), win(5, 30), win(500, 540), win(510, 560)},
			60 * time.Millisecond, 50 * time.Millisecond},
		{"touching windows merge", []Window{win(0, 10), win(10, 25)}, 25 * time.Millisecond, 15 * time.Millisecond},
	} {
		u, s := blockedSpans(tc.ws)
		if u != tc.union || s != tc.single {
			t.Errorf("%s: blockedSpans = %s, %s; want %s, %s", tc.name, u, s, tc.union, tc.single)
		}
	}
}

// TestFollowLoad moves the writable master from host 1 to host 2 under a
// follow load, by hand: host 1 goes read_only, and only 150 ms later host
// 2 (its replication stopped) goes writable. Host 3 stays read_only.
func TestFollowLoad(t *testing.T) {
	t.Parallel()
	c := Start(t, Options{Base: 62, Hosts: 3})
	ctx := testCtx(t)
	l, err := c.StartLoad(ctx, LoadOptions{Follow: true, Rows: 1_000_000, Workers: 4, Duration: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := c.Exec(ctx, 1, "SET GLOBAL read_only = 1"); err != nil {
		l.Stop()
		t.Fatal(err)
	}
	tRO := time.Now()
	if err := c.Sync(ctx, 1, 2); err != nil {
		l.Stop()
		t.Fatal(err)
	}
	time.Sleep(150*time.Millisecond - time.Since(tRO))
	for _, q := range []string{"STOP SLAVE", "SET GLOBAL read_only = 0"} {
		if err := c.Exec(ctx, 2, q); err != nil {
			l.Stop()
			t.Fatal(err)
		}
	}
	tRW := time.Now()
	time.Sleep(300 * time.Millisecond)
	res := l.Stop()

	t.Logf("acked %d (host 1: %d, host 2: %d), refused %d, %d windows, blocked %s (worker max %s); host 2 writable %s after host 1 read_only",
		len(res.Acked), len(res.AckedBy[c.MySQLAddr(1)]), len(res.AckedBy[c.MySQLAddr(2)]), res.Refused, len(res.Windows),
		res.Blocked, res.BlockedWorkerMax, tRW.Sub(tRO))
	if res.Errors != res.Refused {
		t.Errorf("%d errors but %d refusals: the load hit a fault of its own: %v", res.Errors, res.Refused, res.LastErr)
	}
	if len(res.AckedBy[c.MySQLAddr(1)]) == 0 || len(res.AckedBy[c.MySQLAddr(2)]) == 0 || len(res.AckedBy[c.MySQLAddr(3)]) != 0 {
		t.Fatalf("acks by address %v: want some on host 1 and host 2, none on read_only host 3", countByAddr(res.AckedBy))
	}
	if res.Refused == 0 || len(res.Windows) != 4 {
		t.Fatalf("refused %d, windows %+v: want refusals and one window per worker", res.Refused, res.Windows)
	}
	for _, w := range res.Windows {
		if w.Open || w.From != c.MySQLAddr(1) || w.To != c.MySQLAddr(2) || w.Refused == 0 {
			t.Errorf("window %+v: want a closed one from host 1 to host 2 with refusals", w)
		}
		// A worker is refused no earlier than read_only was set (minus an
		// INSERT in flight) and accepted no earlier than host 2 was writable.
		if w.Start.Before(tRO.Add(-time.Second)) || w.End.Before(tRW) {
			t.Errorf("window %s..%s outside read_only at %s, writable at %s", w.Start, w.End, tRO, tRW)
		}
	}
	gap := tRW.Sub(tRO)
	if res.Blocked < gap-20*time.Millisecond || res.Blocked > gap+time.Second {
		t.Errorf("blocked %s; host 2 became writable %s after host 1 went read_only", res.Blocked, gap)
	}
	if res.BlockedWorkerMax > res.Blocked {
		t.Errorf("worker max %s exceeds the union %s", res.BlockedWorkerMax, res.Blocked)
	}
	checkAckedOn(t, c, 2, append(slices.Clone(res.AckedBy[c.MySQLAddr(1)]), res.AckedBy[c.MySQLAddr(2)]...))
}

func countByAddr(m map[string][]int64) map[string]int {
	out := map[string]int{}
	for a, ids := range m {
		out[a] = len(ids)
	}
	return out
}

// checkAckedOn fails unless every id is in host i's load table.
func checkAckedOn(t *testing.T, c *Cluster, i int, ids []int64) {
	t.Helper()
	have, err := c.RowIDs(testCtx(t), i, "mhago_test.load")
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, id := range ids {
		if _, ok := slices.BinarySearch(have, id); !ok {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged ids missing on host %d", missing, len(ids), i)
	}
}
