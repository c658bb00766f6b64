package phases

import (
	"context"

	"github.com/mhago/mhago/secondary"
)

// builtinSecondaryCheck runs mhago's own masterha_secondary_check when
// secondary_check_script names it and no such program is on PATH (an MHA
// config moved to a host without MHA), with the script's arguments and
// the ones MHA adds; ok is false when the script must run as usual.
func (st *State) builtinSecondaryCheck(ctx context.Context, script string, args []string) (code int, ok bool) {
	if !secondary.Builtin(script) {
		return 0, false
	}
	words, _ := secondary.ScriptArgs(script)
	req, err := secondary.ParseArgs(append(words, args...))
	if err != nil {
		st.Report.Note(err.Error() + ": the master's death is not confirmed by the secondary check")
		return 1, true
	}
	env := secondary.Env{Pool: st.pool, Agent: st.deps.Agent, RunID: st.opts.RunID,
		Workdir: func(host string) string { return secondary.WorkdirFor(st.cfg, host) }}
	code, results := secondary.Check(ctx, req, env)
	summary := secondary.Summary(code, results, req.MasterAddr())
	st.log.Info("secondary check", "phase", "1", "host", st.Dead.Name(), "exit", code, "detail", summary)
	st.Report.Note(summary)
	return code, true
}
