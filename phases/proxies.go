package phases

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/proxy"
)

// undoProxies sends traffic back to the old master on every proxy.
const undoProxies journal.Action = "proxies_to_old_master"

// proxies are the [proxyN] drivers; hook proxies run through runHook, so
// they are recorded in the report like every other hook.
func (st *State) proxies() ([]proxy.Proxy, error) {
	return proxy.FromConfig(st.cfg, func(ctx context.Context, name, command string, args []string) hooks.Result {
		return st.runHook(ctx, name, command, args, hooks.Secrets{})
	})
}

// stopProxies (phase 2) stops traffic to the old master on every proxy and
// returns once all acknowledged; one that does not answer within its
// timeout fails the phase, and the undo reopens every proxy to the old
// master.
func stopProxies(ctx context.Context, st *State) error {
	ps, err := st.proxies()
	if err != nil || len(ps) == 0 {
		return err
	}
	if err := st.run.WillChange(ctx, journal.Undo{Host: st.Orig.Name(), Action: undoProxies}); err != nil {
		return err
	}
	ch, err := proxy.NewChange(st.cfg, st.Orig.Name(), st.NewMaster.Name())
	if err != nil {
		return err
	}
	return st.eachProxy(ctx, ps, "stopped traffic to "+st.Orig.Name(), func(ctx context.Context, p proxy.Proxy) error { return p.Stop(ctx, ch) })
}

// openProxies sends traffic to the new master on every proxy, once it
// takes writes. A proxy that fails leaves the others open; the step is
// Deferred, so the run goes on and ends failed, saying which proxy.
func openProxies(ctx context.Context, st *State) error {
	from := st.Orig
	if from == nil {
		from = st.Dead
	}
	return st.openProxiesTo(ctx, from.Name(), st.NewMaster.Name())
}

// openProxiesTo sends every proxy's traffic to block to, away from from
// and every other server.
func (st *State) openProxiesTo(ctx context.Context, from, to string) error {
	ps, err := st.proxies()
	if err != nil || len(ps) == 0 {
		return err
	}
	ch, err := proxy.NewChange(st.cfg, from, to)
	if err != nil {
		return err
	}
	return st.eachProxy(ctx, ps, "traffic to "+to, func(ctx context.Context, p proxy.Proxy) error { return p.Open(ctx, ch) })
}

// eachProxy calls fn on every proxy at once (each call bounded by its own
// block's timeout) and notes each acknowledgement.
func (st *State) eachProxy(ctx context.Context, ps []proxy.Proxy, what string, fn func(context.Context, proxy.Proxy) error) error {
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() {
			t0 := time.Now()
			if errs[i] = fn(ctx, p); errs[i] == nil {
				st.Report.Note(fmt.Sprintf("[%s] %s (acknowledged in %s)", p.Name(), what, time.Since(t0).Round(100*time.Microsecond)))
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func planProxies(st *State) {
	ps, err := st.proxies()
	if err != nil {
		st.Report.Note("proxies: " + err.Error())
		return
	}
	var names []string
	for _, p := range ps {
		names = append(names, "["+p.Name()+"]")
	}
	if len(names) > 0 {
		st.Report.Note(fmt.Sprintf("would stop traffic to %s on %s, and open it to %s only once all acknowledged and %s takes writes",
			st.Orig.Name(), strings.Join(names, ", "), st.NewMaster.Name(), st.NewMaster.Name()))
	}
}

// redirectProxies (failover, after the new master takes writes) sends
// every proxy's traffic to the new master.
func redirectProxies(ctx context.Context, st *State) error {
	return st.openProxiesTo(ctx, st.Dead.Name(), st.NewMaster.Name())
}
