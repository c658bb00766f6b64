//go:build !linux

package main

import "os"

// stdinIsTerminal is false where mhago cannot tell: MHA's --interactive=1 is
// then refused with the advice to pass --interactive=0.
func stdinIsTerminal(*os.File) bool { return false }
