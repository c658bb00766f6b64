package config

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// runInitScript runs init_conf_load_script, as MHA does, and turns each
// "name=value" line of its standard output into an override of
// [server default]. It exists so that passwords can come from a secret store
// instead of the file. Like MHA's backticks, the value is run by /bin/sh, so
// it may carry arguments; mhago adds none. Unlike MHA it is bounded by
// LoadOptions.InitScriptTimeout and a failing script is an error.
func (l *loader) runInitScript(defaults layer) layer {
	v, ok := defaults["init_conf_load_script"]
	if !ok || v.raw == "" || l.opts.SkipInitScript {
		return layer{}
	}
	if !l.checkScript(v, "init_conf_load_script") {
		return layer{}
	}
	out, err := l.execScript(v.raw)
	if err != nil {
		l.ps.at(v.loc, "init_conf_load_script", err.Error(),
			"run the script by hand and make it exit 0 within "+l.opts.InitScriptTimeout.String())
		return layer{}
	}
	return l.scriptLayer(v.raw, out)
}

func (l *loader) execScript(command string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.InitScriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// The script's children (a sleeping curl, say) would keep the pipes
	// open past the timeout, so the whole process group is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("script did not finish within %s", l.opts.InitScriptTimeout)
	case err != nil:
		return nil, fmt.Errorf("script failed: %w: %s", err, lastLine(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// scriptLayer parses the script output; problems point at the output line.
func (l *loader) scriptLayer(script string, out []byte) layer {
	res := layer{}
	for i, line := range strings.Split(string(out), "\n") {
		loc := location{file: script + " (output)", line: i + 1, section: defaultSection}
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		def, known := keyDefs[key]
		switch {
		case !ok || key == "":
			l.ps.at(loc, "", "init_conf_load_script printed a line that is not name=value",
				"make the script print only name=value lines")
		case !known:
			l.unknownKey(loc, key)
		case def.scope == scopeBlock || key == "init_conf_load_script":
			l.ps.at(loc, key, "init_conf_load_script cannot set this key", "set it in the configuration file")
		default:
			res[key] = value{raw: stripQuotes(strings.TrimSpace(val)), loc: loc}
		}
	}
	return res
}

// lastLine keeps error output short; scripts sometimes dump a lot.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	last := lines[len(lines)-1]
	if len(last) > 200 {
		last = last[:200]
	}
	if last == "" {
		return "(no error output)"
	}
	return last
}
