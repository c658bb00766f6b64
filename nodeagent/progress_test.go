package nodeagent

import (
	"testing"

	"github.com/mhago/mhago/nodeagent/proto"
)

func TestReplayedAt(t *testing.T) {
	r := replayed{total: 1000, header: 100, ends: []int64{100, 400, 900}}
	for _, tc := range []struct {
		pos  int64
		want proto.ApplyProgress
	}{
		{0, proto.ApplyProgress{Bytes: 0, TotalBytes: 1000, Transactions: 0, TotalTransactions: 3}},
		{199, proto.ApplyProgress{Bytes: 199, TotalBytes: 1000, Transactions: 0, TotalTransactions: 3}},
		{200, proto.ApplyProgress{Bytes: 200, TotalBytes: 1000, Transactions: 1, TotalTransactions: 3}},
		{600, proto.ApplyProgress{Bytes: 600, TotalBytes: 1000, Transactions: 2, TotalTransactions: 3}},
		{1000, proto.ApplyProgress{Bytes: 1000, TotalBytes: 1000, Transactions: 3, TotalTransactions: 3}},
		{5000, proto.ApplyProgress{Bytes: 1000, TotalBytes: 1000, Transactions: 3, TotalTransactions: 3}},
	} {
		if got := r.at(tc.pos); got != tc.want {
			t.Errorf("at(%d) = %+v, want %+v", tc.pos, got, tc.want)
		}
	}
}
