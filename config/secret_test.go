package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
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
