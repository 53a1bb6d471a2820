package wire

import (
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"

	"github.com/pg-background/pg_background/gosrc/convert"
)

// split turns fuzz input into messages: type byte, 2-byte length, body.
func split(data []byte) []RawMsg {
	var msgs []RawMsg
	for len(data) >= 3 {
		typ, n := data[0], int(data[1])<<8|int(data[2])
		data = data[3:]
		if n > len(data) {
			n = len(data)
		}
		msgs = append(msgs, RawMsg{Type: typ, Body: data[:n:n]})
		data = data[n:]
	}
	return msgs
}

func join(t testing.TB, ms ...pgproto3.BackendMessage) []byte {
	var out []byte
	for _, m := range ms {
		r := enc(t, m)
		out = append(out, r.Type, byte(len(r.Body)>>8), byte(len(r.Body)))
		out = append(out, r.Body...)
	}
	return out
}

// FuzzParseBatch: any input gives events or an error, never a panic, and
// every span lies inside its message body or the text buffer.
func FuzzParseBatch(f *testing.F) {
	f.Add(join(f, rowDesc(), &pgproto3.DataRow{Values: [][]byte{{0, 0, 0, 1}, nil}},
		&pgproto3.CommandComplete{CommandTag: []byte("SELECT 1")}, &pgproto3.ReadyForQuery{TxStatus: 'I'}))
	f.Add(join(f, divisionByZero(), &pgproto3.ReadyForQuery{TxStatus: 'I'}))
	f.Add(join(f, &pgproto3.NoticeResponse{Severity: "INFO", SeverityUnlocalized: "INFO", Code: "00000",
		Message: "vacuuming \"postgres.public.t\"", Detail: "pages: 0 removed"},
		&pgproto3.CommandComplete{CommandTag: []byte("VACUUM")}))
	f.Add(join(f, &pgproto3.DataRow{Values: [][]byte{{}, []byte("x")}}))
	b := batch(f, &pgproto3.DataRow{Values: [][]byte{{0, 0, 0, 1}, []byte("ab"), nil, {0, 0, 0, 0, 0, 0, 0, 9}}},
		&pgproto3.DataRow{Values: [][]byte{{0, 0, 0, 2}, nil, []byte("c"), nil}})
	f.Add(append([]byte{b.Type, byte(len(b.Body) >> 8), byte(len(b.Body))}, b.Body...))
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs := split(data)
		conv := []int32{convert.Int4ToInt8, convert.DecVarlena, convert.Int8ToNumeric, convert.DecTimestamp}
		for len(msgs) > 0 {
			out := newOut(8, 64, 16, 512)
			st, err := ParseBatch(msgs, conv, out)
			require.LessOrEqual(t, out.Consumed, len(msgs))
			for _, sp := range out.Spans[:out.NSpans] {
				if sp.Len < 0 {
					continue
				}
				if sp.Src == TextSrc {
					require.LessOrEqual(t, int(sp.Off+sp.Len), out.NText)
				} else {
					require.Less(t, int(sp.Src), len(msgs))
					require.LessOrEqual(t, int(sp.Off)+int(sp.Len), len(msgs[sp.Src].Body))
				}
			}
			if err != nil || (st == Full && out.Consumed == 0) {
				return
			}
			msgs = msgs[out.Consumed:]
		}
	})
}
