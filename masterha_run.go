package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/buildinfo"
	"github.com/mhago/mhago/checks"
)

// mhaIO is what an MHA command talks to: stdin and whether it is a
// terminal (for --interactive=1), stdout and stderr.
type mhaIO struct {
	in       io.Reader
	tty      bool
	out, err io.Writer
}

// runMasterha runs args as the MHA command they name (a symlink's name, or
// "mhago masterha <name>"); ok is false when they name none.
func runMasterha(args []string, stdout, stderr io.Writer) (code int, ok bool) {
	t, rest, ok := masterhaInvocation(args)
	if !ok {
		return 0, false
	}
	return t.run(rest, mhaIO{in: os.Stdin, tty: stdinIsTerminal(os.Stdin), out: stdout, err: stderr}), true
}

func (t *mhaTool) run(args []string, tio mhaIO) int {
	a, err := parseMHAArgs(t.opts(), args)
	if err != nil {
		fmt.Fprintf(tio.err, "%s: %v\n", t.name, err)
		return exitError
	}
	if a.flag("version") {
		fmt.Fprintf(tio.out, "%s version %s (mhago %s)\n", t.name, mhaVersion, buildinfo.Version)
		return exitOK
	}
	if a.flag("help") {
		fmt.Fprint(tio.out, t.help())
		return exitOK
	}
	p, err := t.plan(a)
	if err != nil {
		fmt.Fprintf(tio.err, "%s: %v\n", t.name, err)
		return exitError
	}
	for _, w := range p.warnings {
		fmt.Fprintf(tio.err, "%s: warning: %s\n", t.name, w)
	}
	if p.confirm {
		if code, goOn := t.confirm(p, tio); !goOn {
			return code
		}
	}
	return t.finish(p, runNative(p, tio), tio)
}

// confirm is MHA's --interactive=1: the plan (mhago's dry run), then
// "yes" typed on the terminal. goOn is false when the run must stop, with
// the exit code to stop with.
func (t *mhaTool) confirm(p mhaPlan, tio mhaIO) (code int, goOn bool) {
	if !tio.tty {
		fmt.Fprintf(tio.err, "%s: --interactive=1 (MHA's default) asks for confirmation on a terminal, and stdin is not one;"+
			" pass --interactive=0 to run without asking (as masterha_manager and scripts do)\n", t.name)
		return exitError, false
	}
	dry := mhaPlan{native: append(append([]string{}, p.native...), "--dry-run"), finish: p.finish}
	if c := runNative(dry, tio); c != exitOK {
		return t.finish(p, c, tio), false
	}
	if !askYes(tio.in, tio.out) {
		fmt.Fprintln(tio.out, "Not typed yes. Stopping.")
		return exitError, false
	}
	return exitOK, true
}

// askYes prints MHA's question and reads the answer: only "yes" goes on.
func askYes(in io.Reader, out io.Writer) bool {
	fmt.Fprint(out, "\nProceed? (yes/NO): ")
	line, _ := bufio.NewReader(in).ReadString('\n')
	return strings.EqualFold(strings.TrimSpace(line), "yes")
}

// runNative runs the mhago command of the plan in this process; check_ssh
// keeps check's JSON report for finish to read.
func runNative(p mhaPlan, tio mhaIO) int {
	args := append([]string{"mhago"}, p.native...)
	if p.finish != mhaEndSSH {
		return run(args, tio.out, tio.err)
	}
	var buf bytes.Buffer
	code := run(args, &buf, tio.err)
	return sshVerdict(buf.Bytes(), code, tio.out)
}

// finish turns mhago's exit code into the MHA command's, saying mhago's
// own on stderr when it is folded into MHA's 1.
func (t *mhaTool) finish(p mhaPlan, code int, tio mhaIO) int {
	switch p.finish {
	case mhaEndNative, mhaEndSSH:
		return code
	case mhaEndHealth:
		if code == exitOK {
			fmt.Fprint(tio.out, "\nMySQL Replication Health is OK.\n")
			return exitOK
		}
		fmt.Fprint(tio.out, "\nMySQL Replication Health is NOT OK!\n")
	}
	mha := mhaExitCode(code)
	if mha != code {
		fmt.Fprintf(tio.err, "%s: mhago exit %d (%s); exit %d as MHA\n", t.name, code, exitMeaning(code), mha)
	}
	return mha
}

// mhaExitCode folds mhago's exit codes into MHA's: 0, 10 (failover done,
// some replica not recovered) or 1.
func mhaExitCode(code int) int {
	switch code {
	case exitOK, exitPartial:
		return code
	}
	return exitError
}

var exitHelpLine = regexp.MustCompile(`(?m)^   (\d+)\s+(.+)$`)

// exitMeaning is the first line of code's entry in exitStatusHelp.
func exitMeaning(code int) string {
	for _, m := range exitHelpLine.FindAllStringSubmatch(exitStatusHelp, -1) {
		if m[1] == strconv.Itoa(code) {
			return strings.TrimSpace(m[2])
		}
	}
	return "see mhago help"
}

// sshVerdict is masterha_check_ssh's answer from check's JSON report: each
// host's SSH state, the SSH findings, MHA's last line; 0 when no SSH
// finding failed. A report that cannot be read is a failure.
func sshVerdict(report []byte, checkCode int, out io.Writer) int {
	var rep checks.Report
	if err := json.Unmarshal(report, &rep); err != nil {
		out.Write(report)
		fmt.Fprintf(out, "\nSSH Configuration Check Failed! (mhago check exit %d: %s)\n", checkCode, exitMeaning(checkCode))
		return exitError
	}
	for _, h := range rep.Hosts {
		fmt.Fprintf(out, "%s (%s): ssh %s\n", h.Name, h.Hostname, h.SSH)
	}
	failed := false
	for _, f := range rep.Findings {
		if f.Category != checks.CatSSH {
			continue
		}
		fmt.Fprintf(out, "[%s] %s: %s\n", f.Severity, f.Host, f.Message)
		if f.Fix != "" {
			fmt.Fprintf(out, "  fix: %s\n", f.Fix)
		}
		failed = failed || f.Severity == checks.SevFail
	}
	if failed || len(rep.Hosts) == 0 {
		fmt.Fprint(out, "\nSSH Configuration Check Failed!\n")
		return exitError
	}
	fmt.Fprint(out, "\nAll SSH connection tests passed successfully.\n")
	return exitOK
}

// help is MHA's usage line and what each option becomes in mhago.
func (t *mhaTool) help() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s %s\n\nmhago runs it as: %s\n", t.name, t.synopsis, t.command)
	sections := t.sections
	if sections == nil {
		sections = []helpSection{{"Options", t.flags}}
	}
	for _, s := range sections {
		fmt.Fprintf(&b, "\n%s:\n", s.title)
		for _, f := range s.flags {
			fmt.Fprintf(&b, "  --%-28s %s\n", f.name+valueHint(f.kind), f.to)
		}
	}
	fmt.Fprint(&b, "\nOptions not listed are accepted and ignored, with a warning each")
	if t.name == "masterha_master_switch" {
		fmt.Fprint(&b, " (--master_state=alive refuses them, as MHA does)")
	}
	fmt.Fprintf(&b, ".\nExit codes: %s\n", t.exits)
	return b.String()
}

func valueHint(k optKind) string {
	switch k {
	case optInt:
		return "=N"
	case optString, optStrings:
		return "=S"
	}
	return ""
}

// masterhaCommand lists MHA's commands in mhago's help. A known name never
// reaches it (run hands those to runMasterha first), so its action answers
// only a missing or unknown name.
func masterhaCommand() *cli.Command {
	names := slices.Sorted(maps.Keys(mhaTools))
	return &cli.Command{
		Name:      "masterha",
		Usage:     "run one of MHA's commands with MHA's options and exit codes (or symlink its name to mhago)",
		ArgsUsage: "NAME [MHA OPTIONS]",
		Description: "NAME is one of " + strings.Join(names, ", ") + ".\n\nExample:\n" +
			"   mhago masterha masterha_check_repl --conf=/etc/mha/app1.cnf\n" +
			"   mhago masterha masterha_master_switch --help",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			if !c.Args().Present() {
				return cli.ShowSubcommandHelp(c)
			}
			return fmt.Errorf("%w: %q is not one of MHA's commands (fix: use one of %s)", errUsage, c.Args().First(), strings.Join(names, ", "))
		},
	}
}
