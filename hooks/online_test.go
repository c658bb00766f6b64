package hooks

import (
	"slices"
	"testing"
)

// TestOnlineChangeArgs: MHA 0.58's order (MasterRotate.pm), as its logs
// show it: command, orig triple and user, new triple and user, both SSH
// users, the SSH extras, --orig_master_is_new_slave; passwords after.
func TestOnlineChangeArgs(t *testing.T) {
	orig := Host{Hostname: "db1", IP: "10.0.0.1", Port: 3306, SSHUser: "root"}
	nw := Host{Hostname: "db2", IP: "10.0.0.2", Port: 3307, SSHUser: "mha", SSHPort: 2222}
	got := OnlineChangeArgs("stop", orig, nw, "admin", "admin2", true)
	want := []string{"--command=stop", "--orig_master_host=db1", "--orig_master_ip=10.0.0.1", "--orig_master_port=3306", "--orig_master_user=admin",
		"--new_master_host=db2", "--new_master_ip=10.0.0.2", "--new_master_port=3307", "--new_master_user=admin2",
		"--orig_master_ssh_user=root", "--new_master_ssh_user=mha", "--new_master_ssh_port=2222", "--orig_master_is_new_slave"}
	if !slices.Equal(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	pw := PasswordArgs(OnlineChangeScript, got, Secrets{OrigMaster: "p1", NewMaster: "p2"})
	if !slices.Equal(pw, []string{"--orig_master_password=p1", "--new_master_password=p2"}) {
		t.Fatalf("password args %q", pw)
	}
	if start := OnlineChangeArgs("start", orig, nw, "admin", "admin2", false); start[0] != "--command=start" || slices.Contains(start, "--orig_master_is_new_slave") {
		t.Fatalf("start args %q", start)
	}
}
