package binlog

// txState follows transaction groups so that events can be marked as
// starting or ending a transaction.
type txState uint8

const (
	txUnknown txState = iota // relay log start: may continue a transaction from the previous file
	txIdle                   // between transactions
	txPending                // after a GTID that is not followed by BEGIN yet (MySQL) or a standalone MariaDB GTID
	txOpen                   // inside BEGIN ... COMMIT/XID (or a MariaDB non-standalone GTID group)
)

// plainData marks the event types that only continue a transaction (table
// maps, rows, annotations...): for them step takes its default branch.
var plainData = func() (t [256]bool) {
	for i := range t {
		t[i] = !EventType(i).IsHeader()
	}
	for _, e := range []EventType{GTIDEvent, AnonymousGTIDEvent, GTIDTaggedEvent, MariadbGTIDEvent,
		XIDEvent, XAPrepareEvent, TransactionPayload, QueryEvent, MariadbQueryCompressed} {
		t[e] = false
	}
	return t
}()

// txStarts marks the events that set the transaction state whatever it
// was before (see seekHint).
var txStarts = func() (t [256]bool) {
	for _, e := range []EventType{GTIDEvent, AnonymousGTIDEvent, GTIDTaggedEvent, MariadbGTIDEvent} {
		t[e] = true
	}
	return t
}()

// track updates the transaction state with the event [off, end) of type t
// and returns its marks: it starts a transaction, it ends one.
func (r *Reader) track(t EventType, off, end int64, body []byte) (start, boundary bool) {
	if t == FormatDescriptionEvent && off == int64(len(Magic)) && !r.continued {
		r.tx = txIdle
		if r.fde.Relay() {
			r.tx = txUnknown
		}
	}
	if t.IsHeader() {
		if r.tx == txIdle {
			r.lastBoundary = end
		}
		return false, false
	}
	if r.firstData < 0 {
		r.firstData = off
	}
	before := r.tx
	start, boundary = r.step(t, body)
	if start && (before == txUnknown || before == txIdle) && off > r.lastBoundary {
		r.lastBoundary = off
	}
	if r.tx == txIdle {
		r.lastBoundary = end
	}
	return start, boundary
}

func (r *Reader) step(t EventType, body []byte) (start, boundary bool) {
	switch t {
	case GTIDEvent, AnonymousGTIDEvent, GTIDTaggedEvent:
		r.tx = txPending
		return true, false
	case MariadbGTIDEvent:
		r.tx = txOpen
		if len(body) >= 13 && body[12]&mariaFlStandalone != 0 {
			r.tx = txPending
		}
		return true, false
	case XIDEvent, XAPrepareEvent, TransactionPayload:
		return r.end()
	case QueryEvent:
		return r.query(body)
	case MariadbQueryCompressed:
		// The text is compressed; COMMIT/BEGIN are never compressed, so
		// outside BEGIN this is a standalone statement.
		if r.tx != txOpen {
			return r.end()
		}
	default:
		if r.tx == txUnknown || r.tx == txIdle {
			r.tx = txOpen // data of a transaction begun in an earlier file
		}
	}
	return false, false
}

func (r *Reader) query(body []byte) (start, boundary bool) {
	text, ok := queryText(body, r.cur.postHeaderLen(QueryEvent, 13))
	kind := qUnreadable
	if ok {
		kind = classifyQuery(text)
	}
	switch kind {
	case qBegin:
		r.tx = txOpen
		return true, false
	case qEnd:
		return r.end()
	case qInside:
		if r.tx != txPending {
			r.tx = txOpen
		}
	default:
		if r.tx == txOpen || r.tx == txUnknown {
			// a statement inside BEGIN ... COMMIT (statement format)
			r.tx = txOpen
			return false, false
		}
		return r.end() // DDL or other standalone statement
	}
	return false, false
}

func (r *Reader) end() (start, boundary bool) {
	r.tx = txIdle
	return false, true
}
