package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

func TestParseSeconds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"5", 5 * time.Second, true},
		{"0", 0, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"500ms", 500 * time.Millisecond, true},
		{"2m", 2 * time.Minute, true},
		{"-1", 0, false},
		{"5x", 0, false},
		{"", 0, false},
	} {
		got, err := parseSeconds(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSeconds(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// Every duration flag of every command takes bare seconds, read back
// through cli.Context.Duration as the commands do.
func TestDurationFlagsTakeSeconds(t *testing.T) {
	for _, tc := range []struct {
		cmd, flag, value string
		want             time.Duration
	}{
		{"check", "max-lag", "5", 5 * time.Second},
		{"check", "max-lag", "250ms", 250 * time.Millisecond},
		{"switchover", "running-updates-limit", "3", 3 * time.Second},
		{"failover", "confirm-wait", "7", 7 * time.Second},
	} {
		app := newApp(&bytes.Buffer{}, &bytes.Buffer{})
		var got time.Duration
		found := false
		for _, c := range app.Commands {
			if c.Name == tc.cmd {
				found = true
				c.Action = func(c *cli.Context) error { got = c.Duration(tc.flag); return nil }
			}
		}
		if !found {
			t.Fatalf("no command %s", tc.cmd)
		}
		if err := app.Run([]string{"mhago", tc.cmd, "--" + tc.flag, tc.value}); err != nil || got != tc.want {
			t.Errorf("%s --%s %s: got %v, %v; want %v", tc.cmd, tc.flag, tc.value, got, err, tc.want)
		}
	}
	// No duration flag is left that would refuse a bare number.
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			for _, f := range c.Flags {
				if _, ok := f.(*cli.DurationFlag); ok {
					t.Errorf("%s: --%s is a plain duration flag", c.Name, f.Names()[0])
				}
			}
			walk(c.Subcommands)
		}
	}
	walk(newApp(&bytes.Buffer{}, &bytes.Buffer{}).Commands)
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"fialover"},
		{"config", "bogus"},
		{"check", "--conf", "x", "--max-lag", "5x"},
		{"failover", "--bogus"},
		{"--bogus"},
	} {
		var out, errb bytes.Buffer
		if code := run(append([]string{"mhago"}, args...), &out, &errb); code != exitConfig {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitConfig, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"mhago"}, &out, &errb); code != exitOK || !bytes.Contains(out.Bytes(), []byte("USAGE")) {
		t.Errorf("bare mhago: exit %d, want help and 0", code)
	}
}
