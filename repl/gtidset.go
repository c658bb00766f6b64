package repl

import (
	"fmt"
	"strconv"
)

// Flavor is the server family, which decides the GTID format.
type Flavor int

// Flavors. The zero Flavor is invalid.
const (
	FlavorMySQL Flavor = iota + 1
	FlavorMariaDB
)

// String returns "mysql", "mariadb" or "flavor(N)" for invalid values.
func (f Flavor) String() string {
	switch f {
	case FlavorMySQL:
		return "mysql"
	case FlavorMariaDB:
		return "mariadb"
	}
	return "flavor(" + strconv.Itoa(int(f)) + ")"
}

// GTIDSet is a flavor-neutral view of a replication position: a
// MySQLGTIDSet or a MariaGTIDPos.
type GTIDSet interface {
	// String returns the canonical text form, readable by ParseGTIDSet.
	String() string
	// Contains reports whether the receiver includes all of o. Sets of
	// different flavors never contain each other.
	Contains(o GTIDSet) bool
	// IsEmpty reports whether the set holds no GTID.
	IsEmpty() bool
	// Flavor returns the flavor of the set.
	Flavor() Flavor
}

// Compile-time checks that both flavors implement GTIDSet.
var (
	_ GTIDSet = MySQLGTIDSet{}
	_ GTIDSet = MariaGTIDPos{}
)

// ParseGTIDSet parses s as a MySQL GTID set or a MariaDB GTID position,
// according to flavor.
func ParseGTIDSet(flavor Flavor, s string) (GTIDSet, error) {
	var set GTIDSet
	var err error
	switch flavor {
	case FlavorMySQL:
		set, err = ParseMySQLGTIDSet(s)
	case FlavorMariaDB:
		set, err = ParseMariaGTIDPos(s)
	default:
		return nil, fmt.Errorf("repl: parse GTID set: unknown %v", flavor)
	}
	if err != nil {
		return nil, err
	}
	return set, nil
}
