package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSecretNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "repl.pw"), "repl-from-file\n", 0o600)
	text := "[server default]\npassword=${MHAGO_MYSQL_PASSWORD}\nrepl_password_file=repl.pw\n" +
		"redis_address=127.0.0.1:6379\nredis_password=${MHAGO_REDIS_PASSWORD}\n" + twoServers
	c, err := Parse(filepath.Join(dir, "app.cnf"), []byte(text), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"mysql-secret-pw", "repl-from-file", "redis-secret-pw"}
	eq(t, c.Servers[1].Password.Reveal(), secrets[0])

	outputs := map[string]string{
		"%v":  fmt.Sprintf("%v", c),
		"%+v": fmt.Sprintf("%+v", *c),
		"%#v": fmt.Sprintf("%#v", *c),
		"%s":  fmt.Sprintf("%s", c.Servers[0].Password),
		"%x":  fmt.Sprintf("%x", c.Servers[0].Password),
		"%q":  fmt.Sprintf("%q", c.Redis.Password),
		"%d":  fmt.Sprintf("%d", c.Redis.Password),
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(js)
	text2, _ := c.Servers[0].Password.MarshalText()
	outputs["text"] = string(text2)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "config", c, "server", c.Servers[0], "pw", c.Servers[0].Password)
	outputs["slog text"] = buf.String()
	buf.Reset()
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cfg", "config", c, "redis", c.Redis, "pw", c.Redis.Password)
	outputs["slog json"] = buf.String()

	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output leaks %q: %s", name, s, out)
			}
		}
		if !strings.Contains(out, "xxx") {
			t.Errorf("%s output has no xxx: %s", name, out)
		}
	}
	eq(t, fmt.Sprintf("%#v", c.Servers[0].Password), `"xxx"`)
	eq(t, slog.AnyValue(c.Redis.Password).Resolve().String(), "xxx")
}

func TestProblemsDoNotLeakSecrets(t *testing.T) {
	// A line without "=" may be a password the operator mistyped.
	ps := parseProblems(t, "[server default]\npassword topsecret\n"+twoServers, testOpts())
	if strings.Contains(dumpProblems(ps), "topsecret") {
		t.Errorf("problem text leaks the line: %s", dumpProblems(ps))
	}
	// Values differing per server are not echoed either.
	ps = parseProblems(t, "[server default]\nredis_password=a\n[server1]\nhostname=host1\nredis_password=topsecret\n[server2]\nhostname=host2\n", testOpts())
	if strings.Contains(dumpProblems(ps), "topsecret") {
		t.Errorf("problem text leaks the value: %s", dumpProblems(ps))
	}
}

// Secrets lists every password, wherever it comes from, once; Scrubber
// masks each of them.
func TestSecretsListsEveryPassword(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "repl.pw")
	writeFile(t, pw, "file-repl-pw\n", 0o600)
	text := "[server default]\npassword=${MHAGO_MYSQL_PASSWORD}\nrepl_password_file=" + pw +
		"\nredis_address=127.0.0.1:6379\nredis_password=${MHAGO_REDIS_PASSWORD}\n" +
		"[server1]\nhostname=host1\npassword=own-pw-1\n[server2]\nhostname=host2\n[server3]\nhostname=host3\nrepl_password=own-repl-3\n"
	c, err := Parse(filepath.Join(dir, "a.cnf"), []byte(text), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mysql-secret-pw", "file-repl-pw", "own-pw-1", "own-repl-3", "redis-secret-pw"}
	if got := c.Secrets(); !slices.Equal(got, want) {
		t.Fatalf("Secrets() = %q, want %q", got, want)
	}
	if got := c.Scrubber().String("own-pw-1 file-repl-pw redis-secret-pw"); got != "xxx xxx xxx" {
		t.Fatalf("Scrubber: %q", got)
	}
}

func TestShortSecretIsAWarning(t *testing.T) {
	c := mustParse(t, "[server default]\npassword=abc\nrepl_password=long-enough\n"+twoServers)
	if len(c.Warnings) != 1 || c.Warnings[0].Key != "password" || !strings.Contains(c.Warnings[0].Msg, "only 3 characters") ||
		!strings.Contains(c.Warnings[0].Fix, "at least 4") {
		t.Fatalf("warnings:%s", dumpProblems(c.Warnings))
	}
	if c := mustParse(t, "[server default]\npassword=abcd\n"+twoServers); len(c.Warnings) != 0 {
		t.Fatalf("a 4-character password warns:%s", dumpProblems(c.Warnings))
	}
}

func TestHookPasswordArgsKey(t *testing.T) {
	if c := mustParse(t, "[server default]\n"+twoServers); c.Scripts.PasswordArgs {
		t.Fatal("hook_password_args defaults to 1")
	}
	if c := mustParse(t, "[server default]\nhook_password_args=1\n"+twoServers); !c.Scripts.PasswordArgs {
		t.Fatal("hook_password_args=1 not read")
	}
}

// A problem that quotes a value never quotes a secret: an invalid file
// returns no Config that a caller could mask with.
func TestProblemsDoNotQuoteSecrets(t *testing.T) {
	_, err := Parse("/etc/mhago/app1.cnf", []byte("[server default]\npassword=Sup3rSecretPW\nping_type=Sup3rSecretPW\n"+twoServers), testOpts())
	if err == nil || !strings.Contains(err.Error(), "ping_type") {
		t.Fatalf("err = %v, want a ping_type problem", err)
	}
	if strings.Contains(err.Error(), "Sup3rSecretPW") {
		t.Fatalf("the problem quotes the password: %v", err)
	}
}
