package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mhago/mhago/instance"
)

// checkFilters is MHA's check_repl_filter: every server that writes a
// binlog must filter it like the master, and every replica must apply the
// same Replicate_* filters as the others. Otherwise a promoted replica
// would log or apply a different set of databases than the old master, and
// the replicas would silently diverge after the failover.
func (e *evaluation) checkFilters(master *HostObs) {
	const fix = "make the filter options identical in every server's my.cnf, or set check_repl_filter=0 if the difference is intended"
	var binRef, replRef *HostObs
	if master != nil && master.Status != nil && master.Status.Binlog != nil {
		binRef = master
	}
	for i := range e.in.Hosts {
		h := &e.in.Hosts[i]
		if h.Status == nil {
			continue
		}
		if b := h.Status.Binlog; b != nil {
			if binRef == nil {
				binRef = h
			} else if !sameBinlogFilters(*b, *binRef.Status.Binlog) {
				e.fail(CatEnvironment, h.Name, "binlog_filter",
					fmt.Sprintf("binlog filters %s differ from %s's %s", describeBinlogFilters(*b), binRef.Name, describeBinlogFilters(*binRef.Status.Binlog)), fix)
			}
		}
		if h == master || !h.Status.IsReplica() {
			continue
		}
		if replRef == nil {
			replRef = h
		} else if f, ref := h.Status.Replica.Filters, replRef.Status.Replica.Filters; !sameReplFilters(f, ref) {
			e.fail(CatEnvironment, h.Name, "replication_filter",
				fmt.Sprintf("replication filters %s differ from %s's %s", describeReplFilters(f), replRef.Name, describeReplFilters(ref)), fix)
		}
	}
}

// normList makes "b,a, b" and "a,b" equal: servers print filters in the
// order they were configured.
func normList(s string) string {
	var items []string
	for _, it := range strings.Split(s, ",") {
		if it = strings.TrimSpace(it); it != "" && !slices.Contains(items, it) {
			items = append(items, it)
		}
	}
	slices.Sort(items)
	return strings.Join(items, ",")
}

func sameBinlogFilters(a, b instance.BinlogStatus) bool {
	return normList(a.DoDB) == normList(b.DoDB) && normList(a.IgnoreDB) == normList(b.IgnoreDB)
}

func sameReplFilters(a, b instance.ReplFilters) bool {
	return normReplFilters(a) == normReplFilters(b)
}

func normReplFilters(f instance.ReplFilters) instance.ReplFilters {
	return instance.ReplFilters{DoDB: normList(f.DoDB), IgnoreDB: normList(f.IgnoreDB), DoTable: normList(f.DoTable),
		IgnoreTable: normList(f.IgnoreTable), WildDoTable: normList(f.WildDoTable), WildIgnoreTable: normList(f.WildIgnoreTable)}
}

func describeBinlogFilters(b instance.BinlogStatus) string {
	return describe([][2]string{{"Binlog_Do_DB", b.DoDB}, {"Binlog_Ignore_DB", b.IgnoreDB}})
}

func describeReplFilters(f instance.ReplFilters) string {
	return describe([][2]string{{"Replicate_Do_DB", f.DoDB}, {"Replicate_Ignore_DB", f.IgnoreDB},
		{"Replicate_Do_Table", f.DoTable}, {"Replicate_Ignore_Table", f.IgnoreTable},
		{"Replicate_Wild_Do_Table", f.WildDoTable}, {"Replicate_Wild_Ignore_Table", f.WildIgnoreTable}})
}

// describe prints the set filters as "(Name=value ...)", or "(none)".
func describe(kv [][2]string) string {
	var parts []string
	for _, p := range kv {
		if v := normList(p[1]); v != "" {
			parts = append(parts, p[0]+"="+v)
		}
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return "(" + strings.Join(parts, " ") + ")"
}
