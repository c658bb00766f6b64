package phases

import (
	"testing"
	"time"

	"github.com/mhago/mhago/instance"
)

func TestProgressRateAndETA(t *testing.T) {
	p := Progress{Bytes: 3 << 20, TotalBytes: 9 << 20, Elapsed: 2 * time.Second}
	if r := p.Rate(); r != 1.5*(1<<20) {
		t.Errorf("rate %v, want 1.5 MiB/s", r)
	}
	if eta := p.ETA(); eta != 4*time.Second {
		t.Errorf("ETA %s, want 4s", eta)
	}
	if p.Done() {
		t.Error("a third is done")
	}
	for _, q := range []Progress{{Bytes: 0, TotalBytes: 10}, {Bytes: 10, TotalBytes: 10, Elapsed: time.Second}} {
		if q.ETA() != 0 {
			t.Errorf("%+v: ETA %s, want none", q, q.ETA())
		}
	}
	if !(Progress{Bytes: 10, TotalBytes: 10}).Done() {
		t.Error("all bytes through is not done")
	}
}

func TestOwnProgress(t *testing.T) {
	before := &instance.ReplicaStatus{RelayMasterLogFile: "b.000003", ExecMasterLogPos: 1000, MasterLogFile: "b.000003", ReadMasterLogPos: 9000}
	now := &instance.ReplicaStatus{RelayMasterLogFile: "b.000003", ExecMasterLogPos: 5000, MasterLogFile: "b.000003", ReadMasterLogPos: 9000}
	p, ok := ownProgress("server2", before, now, time.Second)
	if !ok || p.Bytes != 4000 || p.TotalBytes != 8000 || p.Transactions != -1 {
		t.Fatalf("%+v %v", p, ok)
	}
	now.RelayMasterLogFile = "b.000004"
	if _, ok := ownProgress("server2", before, now, time.Second); ok {
		t.Error("progress across binlog files was told")
	}
}
