package configsync

import (
	"errors"
	"strings"
	"testing"
)

// hostA and hostB are one cluster as two manager hosts write it: other
// file layouts, comments and host-local settings; hostB's blocks are in
// another order, its [server default] comes last and it uses CRLF.
const hostA = `# app1 on manager A
[server default]
cluster_id=app1
manager_workdir=/var/lib/mhago
user = mhago
password_file=/etc/mhago/a.pw

# the servers
[server1]
hostname=db1
# the candidate
candidate_master=1

[server2]
hostname=db2

[proxy1]
type=haproxy
`

const hostB = "; app1 on manager B\r\n" +
	"[server2]\r\n" +
	"hostname=db2\r\n" +
	"\r\n" +
	"[server1]\r\n" +
	"hostname=db1-old\r\n" +
	"\r\n" +
	"[server3]\r\n" +
	"hostname=db3\r\n" +
	"# defaults last\r\n" +
	"[server default]\r\n" +
	"manager_workdir=/srv/mha\r\n" +
	"user=root\r\n" +
	"log_level=debug\r\n" +
	"config_version=4\r\n"

func TestExtractCanonical(t *testing.T) {
	got, err := Extract(hostA)
	if err != nil {
		t.Fatal(err)
	}
	want := "[server default]\ncluster_id=app1\nuser = mhago\n\n" +
		"[server1]\nhostname=db1\n# the candidate\ncandidate_master=1\n\n" +
		"[server2]\nhostname=db2\n\n" +
		"[proxy1]\ntype=haproxy\n"
	if got != want {
		t.Fatalf("Extract:\n%q\nwant\n%q", got, want)
	}
	// The canonical text is its own cluster part.
	if again, _ := Extract(got); again != got {
		t.Fatalf("Extract is not stable:\n%q", again)
	}
}

func TestReplaceKeepsLocalBytes(t *testing.T) {
	cases := []struct {
		name, local, cluster, want string
	}{
		{
			name:  "B pulls A: blocks rewritten in place, removed, added; CRLF kept; local keys kept",
			local: hostB, cluster: mustExtract(t, hostA),
			want: "; app1 on manager B\r\n" +
				"[server2]\r\n" +
				"hostname=db2\r\n" +
				"\r\n" +
				"[server1]\r\n" +
				"hostname=db1\r\n" +
				"# the candidate\r\n" +
				"candidate_master=1\r\n" +
				"\r\n" +
				"\r\n" + // server3's place; its trailing comment stays
				"[proxy1]\r\n" +
				"type=haproxy\r\n" +
				"# defaults last\r\n" +
				"[server default]\r\n" +
				"cluster_id=app1\r\n" +
				"manager_workdir=/srv/mha\r\n" +
				"user = mhago\r\n" +
				"log_level=debug\r\n" +
				"config_version=4\r\n",
		},
		{
			name:  "same part: nothing changes, odd layout and all",
			local: hostB, cluster: mustExtract(t, hostB), want: hostB,
		},
		{
			name:  "byte order mark and no final newline",
			local: "\ufeff[server1]\nhostname=db1", cluster: "[server1]\nhostname=db9\n",
			want: "\ufeff[server1]\nhostname=db9",
		},
		{
			name:  "new block after a last line without newline",
			local: "[server default]\nuser=x\n[server1]\nhostname=db1", cluster: "[server default]\nuser=x\n[server1]\nhostname=db1\n[server2]\nhostname=db2\n",
			want: "[server default]\nuser=x\n[server1]\nhostname=db1\n\n[server2]\nhostname=db2\n",
		},
		{
			name:  "no [server default]: created after the preamble",
			local: "# top\n[server1]\nhostname=db1\n", cluster: "[server default]\ncluster_id=c1\n[server1]\nhostname=db1\n",
			want: "# top\n[server default]\ncluster_id=c1\n\n[server1]\nhostname=db1\n",
		},
		{
			name:  "cluster key no longer set is removed; local duplicate of a cluster key dropped",
			local: "[server default]\nvip=10.0.0.1/24\nlog_level=info\nport=3306\n[server1]\nhostname=db1\n", cluster: "[server default]\nport=3307\n[server1]\nhostname=db1\n",
			want: "[server default]\nlog_level=info\nport=3307\n[server1]\nhostname=db1\n",
		},
		{
			name:  "commented-out cluster key is a comment, left alone",
			local: "[server default]\n#port=3306\n[server1]\nhostname=db1\n", cluster: "[server1]\nhostname=db1\n",
			want: "[server default]\n#port=3306\n[server1]\nhostname=db1\n",
		},
		{
			name:  "every block removed keeps the file's other sections",
			local: "[server default]\nuser=u\n\n[server1]\nhostname=db1\n\n[binlog1]\nhostname=b1\n", cluster: "[server default]\nuser=u\n",
			want: "[server default]\nuser=u\n\n\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Replace(tc.local, tc.cluster)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Replace:\n%q\nwant\n%q", got, tc.want)
			}
			// The result holds exactly the cluster part given ...
			want, _ := Extract(tc.cluster)
			if part, _ := Extract(got); part != want {
				t.Errorf("cluster part after Replace:\n%q\nwant\n%q", part, want)
			}
			// ... and replacing it again changes nothing.
			if again, _ := Replace(got, tc.cluster); again != got {
				t.Errorf("Replace is not idempotent:\n%q", again)
			}
		})
	}
}

func mustExtract(t *testing.T, text string) string {
	t.Helper()
	p, err := Extract(text)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExtractRefusesAmbiguousLayouts(t *testing.T) {
	for _, text := range []string{
		"[server1]\nhostname=a\n[server1]\nhostname=b\n",
		"[server default]\nport=1\n[server default]\nuser=x\n",
		"[server default]\nport=1\nport=2\n",
	} {
		if _, err := Extract(text); !errors.Is(err, ErrLayout) {
			t.Errorf("Extract(%q): %v, want ErrLayout", text, err)
		}
		if _, err := Replace(text, "[server1]\nhostname=a\n"); !errors.Is(err, ErrLayout) {
			t.Errorf("Replace(%q): %v, want ErrLayout", text, err)
		}
	}
}

func TestBlockOrder(t *testing.T) {
	got, _ := Extract("[proxy1]\nt=1\n[server10]\nh=1\n[binlog1]\nh=1\n[server9]\nh=1\n[serverx]\nh=1\n")
	var headers []string
	for _, l := range strings.Split(got, "\n") {
		if strings.HasPrefix(l, "[") {
			headers = append(headers, l)
		}
	}
	if strings.Join(headers, " ") != "[serverx] [server9] [server10] [binlog1] [proxy1]" {
		t.Fatalf("order %v", headers)
	}
}

func TestReadAndSetVersion(t *testing.T) {
	cases := []struct {
		text    string
		version int64
		set     string // after setDefaultKey(text, config_version, 7)
		bad     bool
	}{
		{text: "[server1]\nhostname=a\n", version: 0,
			set: "[server default]\nconfig_version=7\n\n[server1]\nhostname=a\n"},
		{text: "[server default]\r\nuser=u\r\n", version: 0,
			set: "[server default]\r\nconfig_version=7\r\nuser=u\r\n"},
		{text: "[server default]\nconfig_version = 12\nuser=u\n", version: 12,
			set: "[server default]\nconfig_version=7\nuser=u\n"},
		{text: "[server default]\nconfig_version=\"3\"", version: 3,
			set: "[server default]\nconfig_version=7"},
		{text: "[server default]\nconfig_version=7\n", version: 7,
			set: "[server default]\nconfig_version=7\n"},
		{text: "[server default]\nconfig_version=x\n", bad: true},
		{text: "[server default]\nconfig_version=-1\n", bad: true},
		{text: "# only a comment", version: 0, set: "# only a comment\n[server default]\nconfig_version=7\n\n"},
	}
	for _, tc := range cases {
		v, err := readVersion(tc.text)
		if tc.bad {
			if err == nil {
				t.Errorf("readVersion(%q) = %d, want an error", tc.text, v)
			}
			continue
		}
		if err != nil || v != tc.version {
			t.Errorf("readVersion(%q) = %d, %v; want %d", tc.text, v, err, tc.version)
		}
		if got := setDefaultKey(tc.text, versionKey, "7"); got != tc.set {
			t.Errorf("setDefaultKey(%q) =\n%q\nwant\n%q", tc.text, got, tc.set)
		}
	}
}

func TestCheckSecrets(t *testing.T) {
	cases := []struct {
		text string
		ok   bool
	}{
		{"[server default]\npassword=topsecret\n[server1]\nhostname=a\n", true}, // [server default] stays local
		{"[server1]\nhostname=a\npassword_file=/etc/pw\n", true},
		{"[server1]\nhostname=a\npassword=${DB_PW}\n", true},
		{"[server1]\nhostname=a\nrepl_password=\n", true},
		{"[server1]\nhostname=a\npassword=topsecret\n", false},
		{"[server2]\nhostname=a\nrepl_password = 'x${A}'\n", false},
	}
	for _, tc := range cases {
		p, err := parsePart(tc.text)
		if err != nil {
			t.Fatal(err)
		}
		err = checkSecrets(p)
		if (err == nil) != tc.ok {
			t.Errorf("checkSecrets(%q) = %v, want ok=%v", tc.text, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, ErrSecret) || strings.Contains(err.Error(), "topsecret")) {
			t.Errorf("error %q: not ErrSecret, or it shows the value", err)
		}
	}
}
