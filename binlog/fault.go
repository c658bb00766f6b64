package binlog

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// A file shrunk while it is mapped (a binlog truncated by crash recovery
// under our feet) makes the next access to the lost pages a SIGBUS. With
// SetPanicOnFault it is a panic in this goroutine, which these helpers turn
// into an error instead of a crash.

// faultGuard starts guarding the current goroutine; pass the returned value
// to endFaultGuard in a defer.
func faultGuard() bool { return debug.SetPanicOnFault(true) }

// endFaultGuard, deferred directly (recover only works there), restores
// the previous setting and turns a memory fault into *err.
func endFaultGuard(old bool, what string, err *error) {
	debug.SetPanicOnFault(old)
	if e := faultErr(recover(), what, ""); e != nil {
		*err = e
	}
}

// faultErr converts a recovered fault in what+name (two parts, so that
// the common no-fault call does not build a string); other panics go on.
func faultErr(p any, what, name string) error {
	if p == nil {
		return nil
	}
	if f, ok := p.(interface{ Addr() uintptr }); ok {
		return fmt.Errorf("%s%s: mapped file changed while reading (fault at %#x): %w", what, name, f.Addr(), errShrunk)
	}
	panic(p)
}

var errShrunk = errors.New("binlog file shrank while it was mapped")
