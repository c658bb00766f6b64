package remote

import (
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "''"},
		{"abc", "abc"},
		{"/var/lib/mysql/mysql-bin.000012", "/var/lib/mysql/mysql-bin.000012"},
		{"user@host:3306", "user@host:3306"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"'", `''\'''`},
		{"$HOME", "'$HOME'"},
		{"`id`", "'`id`'"},
		{"a;b", "'a;b'"},
		{"*", "'*'"},
		{"~root", "'~root'"},
		{"FOO=bar", "'FOO=bar'"}, // would be an assignment as first word
		{"line\nbreak", "'line\nbreak'"},
		{"-n", "-n"},
	}
	for _, tt := range tests {
		if got := ShellQuote(tt.in); got != tt.want {
			t.Errorf("ShellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		argv []string
		want string
	}{
		{nil, ""},
		{[]string{"ls"}, "ls"},
		{[]string{"mysqlbinlog", "--start-position=4", "/var/lib/my sql/bin.01"}, "mysqlbinlog '--start-position=4' '/var/lib/my sql/bin.01'"},
		{[]string{"echo", "", "x'y"}, `echo '' 'x'\''y'`},
		{[]string{"rm", "-f", "$(reboot)"}, "rm -f '$(reboot)'"},
	}
	for _, tt := range tests {
		if got := Command(tt.argv...); got != tt.want {
			t.Errorf("Command(%q) = %s, want %s", tt.argv, got, tt.want)
		}
	}
}

func TestTargetString(t *testing.T) {
	tests := []struct {
		t    Target
		want string
	}{
		{Target{Name: "server1", Host: "127.0.0.11", Port: 2222, User: "root"}, "root@127.0.0.11:2222 (server1)"},
		{Target{Host: "db1", User: "mha"}, "mha@db1:22"},
		{Target{Name: "db1", Host: "db1", User: "mha"}, "mha@db1:22"},
		{Target{Host: "::1", Port: 22, User: "root"}, "root@[::1]:22"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("%+v.String() = %s, want %s", tt.t, got, tt.want)
		}
	}
}

func TestAlgorithmsFor(t *testing.T) {
	rsa := fakeKey{"ssh-rsa"}
	ed := fakeKey{"ssh-ed25519"}
	tests := []struct {
		keys []knownhosts.KnownKey
		want []string
	}{
		{nil, nil},
		{[]knownhosts.KnownKey{{Key: ed}}, []string{"ssh-ed25519"}},
		{[]knownhosts.KnownKey{{Key: rsa}, {Key: ed}}, []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-ed25519"}},
		{[]knownhosts.KnownKey{{Key: ed}, {Key: ed}}, []string{"ssh-ed25519"}},
	}
	for _, tt := range tests {
		got := algorithmsFor(tt.keys)
		if len(got) != len(tt.want) {
			t.Errorf("algorithmsFor = %v, want %v", got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("algorithmsFor = %v, want %v", got, tt.want)
			}
		}
	}
}

type fakeKey struct{ typ string }

func (k fakeKey) Type() string                        { return k.typ }
func (k fakeKey) Marshal() []byte                     { return []byte(k.typ) }
func (k fakeKey) Verify([]byte, *ssh.Signature) error { return nil }
