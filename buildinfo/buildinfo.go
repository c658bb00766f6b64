// Package buildinfo holds the version shared by mhago and its node agent.
// Both are built with the same -ldflags "-X .../buildinfo.Version=...", and
// each refuses to talk to a peer of another version.
package buildinfo

// Version is overridden at build time.
var Version = "0.1.0-dev"
