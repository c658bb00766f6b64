package binlog

import "strconv"

// HeaderLen is the size of a v4 event header: timestamp u32, type u8,
// server_id u32, event_size u32, log_pos u32, flags u16 (little endian).
const HeaderLen = 19

// Magic starts every binlog and relay-log file.
const Magic = "\xfebin"

// Header flags that matter here.
const (
	FlagInUse    uint16 = 0x1  // LOG_EVENT_BINLOG_IN_USE_F, set in the FDE of an open binlog
	FlagRelayLog uint16 = 0x40 // LOG_EVENT_RELAY_LOG_F, set on events the replica writes itself
)

// Checksum algorithms from the FDE.
const (
	ChecksumOff       uint8 = 0
	ChecksumCRC32     uint8 = 1
	ChecksumUndefined uint8 = 255 // server older than 5.6.1: no algorithm byte
)

// EventType is the event type code of the header.
type EventType uint8

// Event type codes (MySQL 5.x/8.x and MariaDB 10.x).
const (
	UnknownEvent           EventType = 0
	StartEventV3           EventType = 1
	QueryEvent             EventType = 2
	StopEvent              EventType = 3
	RotateEvent            EventType = 4
	IntvarEvent            EventType = 5
	RandEvent              EventType = 13
	UserVarEvent           EventType = 14
	FormatDescriptionEvent EventType = 15
	XIDEvent               EventType = 16
	TableMapEvent          EventType = 19
	WriteRowsEventV1       EventType = 23
	UpdateRowsEventV1      EventType = 24
	DeleteRowsEventV1      EventType = 25
	IncidentEvent          EventType = 26
	HeartbeatEvent         EventType = 27
	IgnorableEvent         EventType = 28
	RowsQueryEvent         EventType = 29
	WriteRowsEventV2       EventType = 30
	UpdateRowsEventV2      EventType = 31
	DeleteRowsEventV2      EventType = 32
	GTIDEvent              EventType = 33
	AnonymousGTIDEvent     EventType = 34
	PreviousGTIDsEvent     EventType = 35
	TransactionContext     EventType = 36
	ViewChangeEvent        EventType = 37
	XAPrepareEvent         EventType = 38
	PartialUpdateRows      EventType = 39
	TransactionPayload     EventType = 40
	HeartbeatEventV2       EventType = 41
	GTIDTaggedEvent        EventType = 42

	MariadbAnnotateRows     EventType = 160
	MariadbBinlogCheckpoint EventType = 161
	MariadbGTIDEvent        EventType = 162
	MariadbGTIDListEvent    EventType = 163
	MariadbStartEncryption  EventType = 164
	MariadbQueryCompressed  EventType = 165
	mariadbLastType         EventType = 171 // DELETE_ROWS_COMPRESSED_EVENT
)

var typeNames = map[EventType]string{
	StartEventV3: "Start_v3", QueryEvent: "Query", StopEvent: "Stop", RotateEvent: "Rotate",
	IntvarEvent: "Intvar", RandEvent: "Rand", UserVarEvent: "User_var",
	FormatDescriptionEvent: "Format_desc", XIDEvent: "Xid", TableMapEvent: "Table_map",
	WriteRowsEventV1: "Write_rows_v1", UpdateRowsEventV1: "Update_rows_v1",
	DeleteRowsEventV1: "Delete_rows_v1", IncidentEvent: "Incident", HeartbeatEvent: "Heartbeat",
	IgnorableEvent: "Ignorable", RowsQueryEvent: "Rows_query", WriteRowsEventV2: "Write_rows",
	UpdateRowsEventV2: "Update_rows", DeleteRowsEventV2: "Delete_rows", GTIDEvent: "Gtid",
	AnonymousGTIDEvent: "Anonymous_Gtid", PreviousGTIDsEvent: "Previous_gtids",
	TransactionContext: "Transaction_context", ViewChangeEvent: "View_change",
	XAPrepareEvent: "XA_prepare", PartialUpdateRows: "Update_rows_partial",
	TransactionPayload: "Transaction_payload", HeartbeatEventV2: "Heartbeat_v2",
	GTIDTaggedEvent: "Gtid_tagged", MariadbAnnotateRows: "Annotate_rows",
	MariadbBinlogCheckpoint: "Binlog_checkpoint", MariadbGTIDEvent: "MariaDB_GTID",
	MariadbGTIDListEvent: "Gtid_list", MariadbStartEncryption: "Start_encryption",
	MariadbQueryCompressed: "Query_compressed",
}

func (t EventType) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return "Type_" + strconv.Itoa(int(t))
}

// known reports whether t is a type code some MySQL or MariaDB server writes.
func (t EventType) known() bool {
	return (t >= StartEventV3 && t <= GTIDTaggedEvent) || (t >= MariadbAnnotateRows && t <= mariadbLastType)
}

// IsHeader reports whether events of this type describe the log rather than
// carry data: they are dropped when files are concatenated by Extract.
func (t EventType) IsHeader() bool {
	switch t {
	case FormatDescriptionEvent, RotateEvent, StopEvent, PreviousGTIDsEvent,
		MariadbGTIDListEvent, MariadbBinlogCheckpoint, HeartbeatEvent, HeartbeatEventV2,
		MariadbStartEncryption, StartEventV3:
		return true
	}
	return false
}

// Event is one complete event of a binlog or relay-log file. It holds no
// reference to the reader's buffer; Reader.Raw gives the bytes.
type Event struct {
	File      string
	Offset    int64 // start of the event in File
	End       int64 // Offset + size: where the next event starts in File
	Type      EventType
	ServerID  uint32
	MasterEnd uint32 // header log_pos: end_log_pos in the server that wrote the event (the master's, in relay logs)
	Timestamp uint32
	Flags     uint16

	// GTID is set on GTID events: MariaDB "domain-server-seq", MySQL "uuid:gno".
	// Anonymous GTID events have TxStart but no GTID.
	GTID string
	// MasterFile is the master binlog the event came from: in relay logs it
	// follows the master's Rotate events; in binlogs it is the file's own name.
	MasterFile string
	// RotateName and RotatePos are set on Rotate events.
	RotateName string
	RotatePos  uint64

	TxStart    bool // GTID/anonymous GTID event, or BEGIN
	TxBoundary bool // the event ends a transaction (XID, COMMIT, DDL, standalone group, XA PREPARE...)
}

// FDE is a parsed Format_description event.
type FDE struct {
	Offset          int64
	ServerID        uint32
	Flags           uint16
	MasterEnd       uint32
	BinlogVersion   uint16
	ServerVersion   string
	CreateTimestamp uint32
	HeaderLength    uint8
	ChecksumAlg     uint8 // ChecksumOff, ChecksumCRC32 or ChecksumUndefined
	postHeader      []byte
	raw             []byte // the whole event, a private copy
}

// Checksum reports whether events governed by this FDE end in a CRC32.
func (f *FDE) Checksum() bool { return f.ChecksumAlg == ChecksumCRC32 }

// InUse reports whether the FDE carries LOG_EVENT_BINLOG_IN_USE_F: the file
// was open (or its server crashed) when it was read.
func (f *FDE) InUse() bool { return f.Flags&FlagInUse != 0 }

// Relay reports whether this FDE was written by a replica for its relay log.
func (f *FDE) Relay() bool { return f.Flags&FlagRelayLog != 0 }

// MariaDB reports whether the server version string names MariaDB.
func (f *FDE) MariaDB() bool { return containsFold(f.ServerVersion, "mariadb") }

// postHeaderLen returns the post-header length the FDE declares for t.
func (f *FDE) postHeaderLen(t EventType, def int) int {
	if int(t) >= 1 && int(t) <= len(f.postHeader) {
		return int(f.postHeader[t-1])
	}
	return def
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		ok := true
		for j := 0; j < len(sub); j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
