package wire

import (
	"encoding/binary"

	"github.com/pg-background/pg_background/gosrc/convert"
)

// MsgRows is the worker's batch of rows (PGBG_MSG_ROWS): DataRow messages
// framed as on the wire, one after the other.
const MsgRows = '#'

// align is where by-reference values start in Text (MAXALIGN).
const align = 8

// A DataRow body is an int16 field count, then per field an int32 length
// (-1 for NULL) and that many bytes. pgproto3.DataRow decodes it into a
// slice of sub-slices; on this path, run for every row, the fields are
// walked to offsets directly instead (no slice headers, no GC write
// barriers): fillRow checks and fills in one pass, and rowNeed sizes a
// row exactly when the output may be too small for it.

// rowNeed checks a DataRow body and returns its field count and what it
// asks of Output.
func rowNeed(body []byte, conv []int32) (int, need, error) {
	if len(body) < 2 {
		return 0, need{}, protoErr("invalid DataRow message: %d bytes, want at least 2", len(body))
	}
	nf := int(binary.BigEndian.Uint16(body))
	n := need{events: 1, spans: nf}
	p := 2
	for i := 0; i < nf; i++ {
		if len(body)-p < 4 {
			return 0, need{}, protoErr("invalid DataRow message: field %d: length word missing", i+1)
		}
		l := int32(binary.BigEndian.Uint32(body[p:]))
		p += 4
		if l == -1 {
			continue
		}
		if l < 0 || int(l) > len(body)-p {
			return 0, need{}, protoErr("invalid DataRow message: field %d: length %d with %d bytes left", i+1, l, len(body)-p)
		}
		if i < len(conv) {
			switch c := conv[i]; {
			case convert.IsDecode(c):
				if convert.IsByRef(c) {
					n.text += align - 1 + convert.ByRefLen(c, body[p:p+int(l)])
				}
			case c != convert.None:
				n.text += convert.MaxLen
			}
		}
		p += int(l)
	}
	if p != len(body) {
		return 0, need{}, protoErr("invalid DataRow message: %d bytes after the last field", len(body)-p)
	}
	return nf, n, nil
}

// dataRow: 'D', whose body lies inside whole, the body of input message
// src (the same slice for a plain DataRow; the batch for one inside a
// MsgRows). One Span per field: into whole, or into Text for a value
// converted or decoded by reference; Datums[k] for one decoded by value.
func dataRow(src int32, whole, body []byte, conv []int32, out *Output) (Event, need, bool, error) {
	if len(body) < 2 {
		return Event{}, need{}, false, protoErr("invalid DataRow message: %d bytes, want at least 2", len(body))
	}
	nf := int(binary.BigEndian.Uint16(body))
	// What the row can ask of Text at most, from its size alone (a value
	// never grows by more than a header, padding, or a conversion's
	// MaxLen): when that fits, one pass both checks and fills.
	bound := len(body) + nf*(align-1+convert.MaxLen)
	n := need{events: 1, spans: nf, text: bound}
	if out.NSpans+nf > len(out.Spans) || out.NText+bound > len(out.Text) {
		var err error
		if _, n, err = rowNeed(body, conv); err != nil {
			return Event{}, need{}, false, err
		}
		if out.NSpans+n.spans > len(out.Spans) || out.NText+n.text > len(out.Text) {
			return Event{}, n, true, nil
		}
	}
	base, ok := offsetIn(whole, body)
	if !ok {
		return Event{}, n, false, protoErr("invalid DataRow message: body outside its message")
	}
	ev := Event{Kind: EvDataRow, First: int32(out.NSpans), Count: int32(nf)}
	startSpans, startText := out.NSpans, out.NText
	if err := fillRow(src, base, body, nf, conv, out); err != nil {
		out.NSpans, out.NText = startSpans, startText
		return Event{}, n, false, err
	}
	// what it took, and what it may take elsewhere (padding differs)
	n.text = out.NText - startText + nf*(align-1)
	return ev, n, false, nil
}

// fillRow writes the spans (and Text, Datums) of a DataRow's nf fields,
// checking the framing as it goes. The caller has made sure they fit.
func fillRow(src, base int32, body []byte, nf int, conv []int32, out *Output) error {
	p := 2
	for i := 0; i < nf; i++ {
		k := out.NSpans
		sp := &out.Spans[k]
		if len(body)-p < 4 {
			return protoErr("invalid DataRow message: field %d: length word missing", i+1)
		}
		l := int32(binary.BigEndian.Uint32(body[p:]))
		p += 4
		if l == -1 {
			*sp = Span{Src: src, Off: 0, Len: -1}
			out.NSpans++
			continue
		}
		if l < 0 || int(l) > len(body)-p {
			return protoErr("invalid DataRow message: field %d: length %d with %d bytes left", i+1, l, len(body)-p)
		}
		v := body[p : p+int(l)]
		c := int32(convert.None)
		if i < len(conv) {
			c = conv[i]
		}
		var err error
		switch {
		case c == convert.None:
			*sp = Span{Src: src, Off: base + int32(p), Len: l}
		case convert.IsDecode(c) && convert.IsByRef(c):
			start := (out.NText + align - 1) &^ (align - 1)
			var used int
			used, err = convert.AppendByRef(c, v, out.Text[start:])
			out.NText = start + used
			*sp = Span{Src: TextSrc, Off: int32(start), Len: int32(used)}
		case convert.IsDecode(c):
			out.Datums[k], err = convert.DecodeByValue(c, v)
			*sp = Span{Src: src, Off: base + int32(p), Len: l}
		default:
			var buf [convert.MaxLen]byte
			var res []byte
			res, err = convert.Append(c, v, buf[:0])
			start := out.NText
			out.NText += copy(out.Text[start:start+convert.MaxLen], res)
			*sp = Span{Src: TextSrc, Off: int32(start), Len: int32(len(res))}
		}
		if err != nil {
			return protoErr("invalid DataRow message: column %d: %v", i+1, err)
		}
		p += int(l)
		out.NSpans++
	}
	if p != len(body) {
		return protoErr("invalid DataRow message: %d bytes after the last field", len(body)-p)
	}
	return nil
}

// nextFrame splits the next wire-framed message off a MsgRows body.
func nextFrame(rest []byte) (typ byte, body, tail []byte, err error) {
	if len(rest) < 5 {
		return 0, nil, nil, protoErr("invalid row batch: %d bytes left, a message needs 5", len(rest))
	}
	l := binary.BigEndian.Uint32(rest[1:5])
	if l < 4 || uint64(l) > uint64(len(rest)-1) {
		return 0, nil, nil, protoErr("invalid row batch: message length %d with %d bytes left", l, len(rest)-1)
	}
	return rest[0], rest[5 : 1+l], rest[1+l:], nil
}

// rowBatch: MsgRows. One event per DataRow. All of it or none: if the
// rows do not all fit, Output is left as it was and the need returned is
// the whole batch's.
func rowBatch(src int32, whole []byte, conv []int32, out *Output) (need, bool, error) {
	saved := *out
	total, full, err := appendRows(src, whole, conv, out)
	if err != nil || full {
		*out = saved
	}
	if err != nil {
		return need{}, false, err
	}
	return total, full, nil
}

// appendRows appends the events of a MsgRows body's DataRows to out until
// one does not fit; from then on it only adds up what the rest need.
func appendRows(src int32, whole []byte, conv []int32, out *Output) (need, bool, error) {
	var total need
	full := false
	for rest := whole; len(rest) > 0; {
		typ, body, tail, err := nextFrame(rest)
		if err != nil {
			return need{}, false, err
		}
		if typ != 'D' {
			return need{}, false, protoErr("invalid row batch: message type '%c' (0x%02x), want 'D'", printable(typ), typ)
		}
		rest = tail
		if full {
			_, n, err := rowNeed(body, conv)
			if err != nil {
				return need{}, false, err
			}
			total.add(n)
			continue
		}
		ev, n, f, err := dataRow(src, whole, body, conv, out)
		if err != nil {
			return need{}, false, err
		}
		total.add(n)
		if f || out.NEvents >= len(out.Events) {
			full = true
			continue
		}
		out.Events[out.NEvents] = ev
		out.NEvents++
	}
	return total, full, nil
}
