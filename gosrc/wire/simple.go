package wire

import "github.com/jackc/pgx/v5/pgproto3"

// commandComplete: 'C'. The tag points into the body.
func commandComplete(src int32, body []byte, out *Output) (Event, need, bool, error) {
	var cc pgproto3.CommandComplete
	if err := cc.Decode(body); err != nil {
		return Event{}, need{}, false, protoErr("invalid CommandComplete message: %v", err)
	}
	n := need{spans: 1, text: textNeed(cc.CommandTag)}
	if out.NSpans+n.spans > len(out.Spans) || out.NText+n.text > len(out.Text) {
		return Event{}, n, true, nil
	}
	ev := Event{Kind: EvCommand, First: int32(out.NSpans), Count: 1}
	out.Spans[out.NSpans] = stringSpan(src, body, cc.CommandTag, out)
	out.NSpans++
	return ev, n, false, nil
}

func readyForQuery(body []byte) (Event, error) {
	var rq pgproto3.ReadyForQuery
	if err := rq.Decode(body); err != nil {
		return Event{}, protoErr("invalid ReadyForQuery message: %v", err)
	}
	return Event{Kind: EvReady}, nil
}

func emptyQuery(body []byte) (Event, error) {
	var eq pgproto3.EmptyQueryResponse
	if err := eq.Decode(body); err != nil {
		return Event{}, protoErr("invalid EmptyQueryResponse message: %v", err)
	}
	return Event{Kind: EvEmpty}, nil
}

// ignored: ParameterStatus, NotificationResponse, BackendKeyData. Decoded
// only to check them.
func ignored(typ byte, body []byte) (Event, error) {
	var m pgproto3.BackendMessage
	switch typ {
	case 'S':
		m = &pgproto3.ParameterStatus{}
	case 'A':
		m = &pgproto3.NotificationResponse{}
	default:
		m = &pgproto3.BackendKeyData{}
	}
	if err := m.Decode(body); err != nil {
		return Event{}, protoErr("invalid '%c' message: %v", typ, err)
	}
	return Event{Kind: EvIgnored}, nil
}

func copyResponse(typ byte, body []byte) (Event, error) {
	var m pgproto3.BackendMessage
	switch typ {
	case 'G':
		m = &pgproto3.CopyInResponse{}
	case 'H':
		m = &pgproto3.CopyOutResponse{}
	default:
		m = &pgproto3.CopyBothResponse{}
	}
	if err := m.Decode(body); err != nil {
		return Event{}, protoErr("invalid '%c' message: %v", typ, err)
	}
	return Event{Kind: EvCopy}, nil
}
