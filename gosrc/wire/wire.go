// Package wire turns a batch of protocol messages, as a pg_background worker
// sends them through its shm_mq (type byte + body, no length word), into
// events that the C shim acts on: row descriptions, rows, command tags,
// errors and notices.
//
// It works on offsets only, so that the cgo bridge can translate them into
// pointers into the C-owned message bodies without copying: a Span names a
// message (Src >= 0) or the text buffer (Src == TextSrc). Nothing here keeps
// a reference to an input after ParseBatch returns.
package wire

import "fmt"

// Status codes, mirroring PGBG_OK / PGBG_PAUSED / PGBG_FULL.
const (
	OK     = 0
	Paused = 1
	Full   = 2
)

// Event kinds, mirroring PGBG_EV_*.
const (
	EvRowDesc = 1
	EvDataRow = 2
	EvCommand = 3
	EvError   = 4
	EvNotice  = 5
	EvReady   = 6
	EvEmpty   = 7
	EvIgnored = 8
	EvCopy    = 9
)

// TextSrc marks a Span that lies in Output.Text.
const TextSrc = -1

// RawMsg is one message: its type byte and its body.
type RawMsg struct {
	Type byte
	Body []byte
}

// Span is a byte range: Len == -1 is SQL NULL.
type Span struct {
	Src int32
	Off int32
	Len int32
}

// Event is what one message became.
type Event struct {
	Kind  int32
	First int32
	Count int32
}

// Column is one field of a RowDescription.
type Column struct {
	Name     Span
	TableOID uint32
	Attnum   int16
	TypeOID  uint32
	Typlen   int16
	Typmod   int32
	Format   int16
}

// Output receives the events of a batch. The caller sizes the slices (their
// len is the capacity) and sets the counts; ParseBatch appends.
type Output struct {
	Events  []Event
	NEvents int
	Spans   []Span
	Datums  []uint64 // as long as Spans: by-value decoded fields
	NSpans  int
	Cols    []Column
	NCols   int
	Text    []byte
	NText   int

	// Set with Full when the first message alone does not fit: the
	// capacities it needs, counted from the start of each array.
	EventsNeed, SpansNeed, ColsNeed, TextNeed int

	Consumed int
}

// ProtocolError is a malformed message; the batch stops at it.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return e.Msg }

func protoErr(format string, args ...any) error {
	return &ProtocolError{Msg: fmt.Sprintf(format, args...)}
}

// need is what one message asks of the output arrays.
type need struct{ events, spans, cols, text int }

func (n *need) add(o need) {
	n.events += o.events
	n.spans += o.spans
	n.cols += o.cols
	n.text += o.text
}

// ParseBatch parses msgs in order into out. conv is the conversion plan for
// DataRow fields (PGBG_CONV_* per column; may be nil). It stops with Paused
// right after a RowDescription and with Full before a message that does not
// fit. A malformed message gives a *ProtocolError; out.Consumed then counts
// the messages before it, whose events are valid.
func ParseBatch(msgs []RawMsg, conv []int32, out *Output) (int, error) {
	for i := range msgs {
		m := &msgs[i]
		if out.NEvents >= len(out.Events) {
			if out.Consumed == 0 {
				out.EventsNeed = out.NEvents + 1
			}
			return Full, nil
		}
		var (
			ev   Event
			full bool
			n    need
			err  error
		)
		switch m.Type {
		case 'T':
			ev, n, full, err = rowDescription(int32(i), m.Body, out)
		case 'D':
			ev, n, full, err = dataRow(int32(i), m.Body, m.Body, conv, out)
		case MsgRows:
			n, full, err = rowBatch(int32(i), m.Body, conv, out)
		case 'C':
			ev, n, full, err = commandComplete(int32(i), m.Body, out)
		case 'E', 'N':
			ev, n, full, err = errorOrNotice(m.Type, m.Body, out)
		case 'Z':
			ev, err = readyForQuery(m.Body)
		case 'I':
			ev, err = emptyQuery(m.Body)
		case 'S', 'A', 'K':
			ev, err = ignored(m.Type, m.Body)
		case 'G', 'H', 'W':
			ev, err = copyResponse(m.Type, m.Body)
		default:
			err = protoErr("unexpected message type '%c' (0x%02x)", printable(m.Type), m.Type)
		}
		if err != nil {
			return 0, err
		}
		if n.events == 0 && m.Type != MsgRows {
			n.events = 1
		}
		if full {
			if out.Consumed == 0 {
				out.EventsNeed = out.NEvents + n.events
				out.SpansNeed = out.NSpans + n.spans
				out.ColsNeed = out.NCols + n.cols
				out.TextNeed = out.NText + n.text
			}
			return Full, nil
		}
		if m.Type != MsgRows { // a batch appended its own events
			out.Events[out.NEvents] = ev
			out.NEvents++
		}
		out.Consumed++
		if m.Type == 'T' {
			return Paused, nil
		}
	}
	return OK, nil
}

func printable(b byte) byte {
	if b < 0x20 || b > 0x7e {
		return '?'
	}
	return b
}
