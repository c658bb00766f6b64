//go:build !mhagofault

package faults

// At does nothing in a normal build.
func At(string) {}

// Enabled tells whether faults can be injected in this build.
const Enabled = false
