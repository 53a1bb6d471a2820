package wire

import (
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pg-background/pg_background/gosrc/convert"
)

// Scratch DataRow reused across calls: its Values slice is re-sliced by
// Decode, and it references the previous body only until the next Decode.
var row pgproto3.DataRow

// dataRow: 'D'. One Span per field pointing into the body, or into Text
// for a value converted according to conv.
func dataRow(src int32, body []byte, conv []int32, out *Output) (Event, need, bool, error) {
	if err := row.Decode(body); err != nil {
		return Event{}, need{}, false, protoErr("invalid DataRow message: %v", err)
	}
	defer func() { clear(row.Values) }() // drop references to body
	vals := row.Values
	n := need{spans: len(vals)}
	for i := range vals {
		if i < len(conv) && conv[i] != convert.None && vals[i] != nil {
			n.text += convert.MaxLen
		}
	}
	if out.NSpans+n.spans > len(out.Spans) || out.NText+n.text > len(out.Text) {
		return Event{}, n, true, nil
	}
	ev := Event{Kind: EvDataRow, First: int32(out.NSpans), Count: int32(len(vals))}
	for i, v := range vals {
		sp := &out.Spans[out.NSpans]
		switch {
		case v == nil:
			*sp = Span{Src: src, Off: 0, Len: -1}
		case i < len(conv) && conv[i] != convert.None:
			var buf [convert.MaxLen]byte
			res, err := convert.Append(conv[i], v, buf[:0])
			if err != nil {
				return Event{}, n, false, protoErr("invalid DataRow message: column %d: %v", i+1, err)
			}
			start := out.NText
			out.NText += copy(out.Text[start:start+convert.MaxLen], res)
			*sp = Span{Src: TextSrc, Off: int32(start), Len: int32(len(res))}
		default:
			off, ok := offsetIn(body, v)
			if !ok {
				return Event{}, n, false, protoErr("invalid DataRow message: field %d out of bounds", i+1)
			}
			*sp = Span{Src: src, Off: off, Len: int32(len(v))}
		}
		out.NSpans++
	}
	return ev, n, false, nil
}
