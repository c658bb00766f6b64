package repl

import (
	"cmp"
	"strconv"
	"strings"
)

// mariaProtocolPrefix is what MariaDB puts before its real version in the
// protocol handshake, so that old clients believe they talk to MySQL 5.5.5.
const mariaProtocolPrefix = "5.5.5-"

// maxVersionPart bounds each version number; real ones are far smaller.
const maxVersionPart = 1_000_000

// Version is a server version as reported by VERSION() or the handshake.
// Raw keeps the text it was parsed from.
type Version struct {
	Major, Minor, Patch int
	MariaDB             bool
	Raw                 string
}

// ParseVersion reads the leading "major.minor[.patch]" of a version string
// and ignores the distribution suffix, e.g. "10.11.19-MariaDB-0+deb12u1-log",
// "8.0.36-0ubuntu0.22.04.1" or "5.7.22-ndb-7.6.6-log". MariaDB is recognised
// by "MariaDB" anywhere in the string; the "5.5.5-" prefix MariaDB sends in
// the protocol handshake is skipped. A missing patch number is 0.
func ParseVersion(s string) (Version, error) {
	sc := &scanner{in: s, kind: KindVersion}
	sc.skipSpace()
	v := Version{Raw: s, MariaDB: strings.Contains(strings.ToLower(s), "mariadb")}
	if v.MariaDB && hasProtocolPrefix(s[sc.i:]) {
		sc.i += len(mariaProtocolPrefix)
	}
	var err error
	if v.Major, err = sc.versionPart("major version"); err != nil {
		return Version{}, err
	}
	if !sc.accept('.') {
		return Version{}, sc.expected(`"." after the major version`)
	}
	if v.Minor, err = sc.versionPart("minor version"); err != nil {
		return Version{}, err
	}
	if sc.peek() == '.' && sc.i+1 < len(s) && isDigit(s[sc.i+1]) {
		sc.i++
		v.Patch, err = sc.versionPart("patch version")
	}
	return v, err
}

// hasProtocolPrefix reports whether s starts with "5.5.5-" followed by
// another version number.
func hasProtocolPrefix(s string) bool {
	rest, ok := strings.CutPrefix(s, mariaProtocolPrefix)
	return ok && rest != "" && isDigit(rest[0])
}

// versionPart reads one number of a version.
func (sc *scanner) versionPart(what string) (int, error) {
	n, err := sc.number(what, maxVersionPart)
	return int(n), err
}

// String formats v as "major.minor.patch", followed by "-MariaDB" for
// MariaDB, which ParseVersion reads back to an equal version.
func (v Version) String() string {
	s := strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) + "." + strconv.Itoa(v.Patch)
	if v.MariaDB {
		s += "-MariaDB"
	}
	return s
}

// MajorMinor returns "major.minor", e.g. "10.11"; MHA compared servers by
// this.
func (v Version) MajorMinor() string {
	return strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor)
}

// Compare orders versions by major, minor and patch number, returning -1,
// 0 or +1. The flavor is ignored: compare versions of one flavor only.
func (v Version) Compare(o Version) int {
	return cmp.Or(cmp.Compare(v.Major, o.Major), cmp.Compare(v.Minor, o.Minor), cmp.Compare(v.Patch, o.Patch))
}

// AtLeast reports whether v is major.minor.patch or newer.
func (v Version) AtLeast(major, minor, patch int) bool {
	return v.Compare(Version{Major: major, Minor: minor, Patch: patch}) >= 0
}

// Flavor returns FlavorMariaDB for MariaDB and FlavorMySQL otherwise.
func (v Version) Flavor() Flavor {
	if v.MariaDB {
		return FlavorMariaDB
	}
	return FlavorMySQL
}
