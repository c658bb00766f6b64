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

// track updates the transaction state with ev and marks it.
func (r *Reader) track(ev *Event, body []byte) {
	if ev.Type == FormatDescriptionEvent && ev.Offset == int64(len(Magic)) {
		r.tx = txIdle
		if r.fde.Relay() {
			r.tx = txUnknown
		}
	}
	if ev.Type.IsHeader() {
		if r.tx == txIdle {
			r.lastBoundary = ev.End
		}
		return
	}
	if r.firstData < 0 {
		r.firstData = ev.Offset
	}
	before := r.tx
	r.step(ev, body)
	if ev.TxStart && (before == txUnknown || before == txIdle) && ev.Offset > r.lastBoundary {
		r.lastBoundary = ev.Offset
	}
	if r.tx == txIdle {
		r.lastBoundary = ev.End
	}
}

func (r *Reader) step(ev *Event, body []byte) {
	switch ev.Type {
	case GTIDEvent, AnonymousGTIDEvent, GTIDTaggedEvent:
		ev.TxStart = true
		r.tx = txPending
	case MariadbGTIDEvent:
		ev.TxStart = true
		r.tx = txOpen
		if len(body) >= 13 && body[12]&mariaFlStandalone != 0 {
			r.tx = txPending
		}
	case XIDEvent, XAPrepareEvent, TransactionPayload:
		r.end(ev)
	case QueryEvent:
		r.query(ev, body)
	case MariadbQueryCompressed:
		// The text is compressed; COMMIT/BEGIN are never compressed, so
		// outside BEGIN this is a standalone statement.
		if r.tx != txOpen {
			r.end(ev)
		}
	default:
		if r.tx == txUnknown || r.tx == txIdle {
			r.tx = txOpen // data of a transaction begun in an earlier file
		}
	}
}

func (r *Reader) query(ev *Event, body []byte) {
	text, ok := queryText(body, r.cur.postHeaderLen(QueryEvent, 13))
	kind := qUnreadable
	if ok {
		kind = classifyQuery(text)
	}
	switch kind {
	case qBegin:
		ev.TxStart = true
		r.tx = txOpen
	case qEnd:
		r.end(ev)
	case qInside:
		if r.tx != txPending {
			r.tx = txOpen
		}
	default:
		if r.tx == txOpen || r.tx == txUnknown {
			// a statement inside BEGIN ... COMMIT (statement format)
			r.tx = txOpen
			return
		}
		r.end(ev) // DDL or other standalone statement
	}
}

func (r *Reader) end(ev *Event) {
	ev.TxBoundary = true
	r.tx = txIdle
}
