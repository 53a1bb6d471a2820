package wire

import (
	"encoding/binary"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"

	"github.com/pg-background/pg_background/gosrc/convert"
)

// batch packs DataRows as the worker does (c/worker_dest.c): wire-framed,
// one after the other, in one MsgRows message.
func batch(t testing.TB, rows ...*pgproto3.DataRow) RawMsg {
	var body []byte
	for _, r := range rows {
		b, err := r.Encode(nil)
		require.NoError(t, err)
		body = append(body, b...)
	}
	return RawMsg{Type: MsgRows, Body: body}
}

func intRow(v int32, s string) *pgproto3.DataRow {
	return &pgproto3.DataRow{Values: [][]byte{binary.BigEndian.AppendUint32(nil, uint32(v)), []byte(s)}}
}

func TestBatchGivesOneEventPerRow(t *testing.T) {
	msgs := []RawMsg{batch(t, intRow(1, "a"), intRow(2, ""), &pgproto3.DataRow{Values: [][]byte{nil, nil}})}
	out := newOut(8, 16, 0, 64)
	st, err := ParseBatch(msgs, nil, out)
	require.NoError(t, err)
	require.Equal(t, OK, st)
	require.Equal(t, 1, out.Consumed)
	require.Equal(t, 3, out.NEvents)
	for i, ev := range out.Events[:3] {
		require.Equal(t, Event{Kind: EvDataRow, First: int32(2 * i), Count: 2}, ev)
	}
	require.Equal(t, []byte{0, 0, 0, 2}, bytesOf(msgs, out, out.Spans[2]))
	require.Equal(t, "a", string(bytesOf(msgs, out, out.Spans[1])))
	require.Equal(t, int32(0), out.Spans[3].Len)
	require.Equal(t, int32(-1), out.Spans[5].Len)
}

func TestBatchDecodesToDatums(t *testing.T) {
	msgs := []RawMsg{batch(t, intRow(-7, "héllo"), intRow(42, ""))}
	out := newOut(8, 16, 0, 64)
	conv := []int32{convert.DecInt4, convert.DecVarlena}
	_, err := ParseBatch(msgs, conv, out)
	require.NoError(t, err)
	require.Equal(t, uint64(0xfffffffffffffff9), out.Datums[0], "int4 -7 sign-extended, as Int32GetDatum")
	require.Equal(t, uint64(42), out.Datums[2])
	v := out.Spans[1]
	require.Equal(t, int32(TextSrc), v.Src)
	require.Zero(t, v.Off%8, "by-reference values are MAXALIGNed")
	require.Equal(t, uint32(4+len("héllo"))<<2, binary.LittleEndian.Uint32(out.Text[v.Off:]), "4-byte varlena header")
	require.Equal(t, "héllo", string(out.Text[v.Off+4:v.Off+v.Len]))
	e := out.Spans[3]
	require.Zero(t, e.Off%8)
	require.Equal(t, uint32(4)<<2, binary.LittleEndian.Uint32(out.Text[e.Off:]), "empty text is a bare header")
}

func TestBatchIsAllOrNothing(t *testing.T) {
	rows := make([]*pgproto3.DataRow, 10)
	for i := range rows {
		rows[i] = intRow(int32(i), "xyz")
	}
	msgs := []RawMsg{batch(t, rows...), batch(t, rows...)}
	conv := []int32{convert.DecInt4, convert.DecVarlena}

	// room for one batch's spans and events only: the second waits
	out := newOut(10, 20, 0, 1024)
	st, err := ParseBatch(msgs, conv, out)
	require.NoError(t, err)
	require.Equal(t, Full, st)
	require.Equal(t, 1, out.Consumed)
	require.Equal(t, 10, out.NEvents)
	require.Equal(t, 20, out.NSpans)

	// too small for the first: nothing is kept, and the need is the batch's
	for _, small := range []*Output{newOut(4, 64, 0, 1024), newOut(64, 8, 0, 1024), newOut(64, 64, 0, 16)} {
		st, err = ParseBatch(msgs[:1], conv, small)
		require.NoError(t, err)
		require.Equal(t, Full, st)
		require.Equal(t, 0, small.Consumed)
		require.Zero(t, small.NEvents)
		require.Zero(t, small.NSpans)
		require.Zero(t, small.NText)
		require.GreaterOrEqual(t, small.EventsNeed, 10)
		require.GreaterOrEqual(t, small.SpansNeed, 20)
		require.GreaterOrEqual(t, small.TextNeed, 10*(4+3))
		grown := newOut(small.EventsNeed, small.SpansNeed, 0, small.TextNeed)
		st, err = ParseBatch(msgs[:1], conv, grown)
		require.NoError(t, err)
		require.Equal(t, OK, st, "the need it reported is enough")
	}
}

func TestBatchMalformed(t *testing.T) {
	good := batch(t, intRow(1, "a")).Body
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"truncated frame", good[:3], "a message needs 5"},
		{"length past end", append([]byte{'D', 0, 0, 0, 200}, good[5:]...), "message length 200"},
		{"length too small", []byte{'D', 0, 0, 0, 3}, "message length 3"},
		{"not a DataRow", append([]byte{'C', 0, 0, 0, 6, 'x', 0}, good...), "want 'D'"},
		{"trailing bytes in row", []byte{'D', 0, 0, 0, 7, 0, 0, 9}, "after the last field"},
		{"bad field length", []byte{'D', 0, 0, 0, 10, 0, 1, 0, 0, 0, 9}, "length 9 with 0 bytes left"},
		{"bad value for its decoding", append(good, 'D', 0, 0, 0, 15, 0, 2, 0, 0, 0, 1, 7, 0xff, 0xff, 0xff, 0xff), "column 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := newOut(8, 8, 0, 64)
			_, err := ParseBatch([]RawMsg{{Type: MsgRows, Body: tc.body}}, []int32{convert.DecInt4, convert.DecVarlena}, out)
			require.ErrorContains(t, err, tc.want)
			require.Zero(t, out.NEvents, "a bad batch leaves no events")
			require.Zero(t, out.NSpans)
		})
	}
}

func TestEmptyBatch(t *testing.T) {
	out := newOut(1, 1, 0, 0)
	st, err := ParseBatch([]RawMsg{{Type: MsgRows, Body: []byte{}}}, nil, out)
	require.NoError(t, err)
	require.Equal(t, OK, st)
	require.Equal(t, 1, out.Consumed)
	require.Zero(t, out.NEvents)
}

func TestInternalFormatInRowDescription(t *testing.T) {
	rd := &pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{
		{Name: []byte("j"), DataTypeOID: 3802, DataTypeSize: -1, TypeModifier: -1, Format: FormatInternal},
	}}
	out := newOut(4, 4, 4, 64)
	st, err := ParseBatch([]RawMsg{enc(t, rd)}, nil, out)
	require.NoError(t, err)
	require.Equal(t, Paused, st)
	require.Equal(t, int16(FormatInternal), out.Cols[0].Format)

	rd.Fields[0].Format = 3
	_, err = ParseBatch([]RawMsg{enc(t, rd)}, nil, newOut(4, 4, 4, 64))
	require.ErrorContains(t, err, "format code 3")
}
