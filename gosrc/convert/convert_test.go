package convert

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
)

func be16(v int16) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func be32(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
func be64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

func TestIntegerWidening(t *testing.T) {
	for _, tc := range []struct {
		conv int32
		in   []byte
		want []byte
	}{
		{Int2ToInt4, be16(-32768), be32(-32768)},
		{Int2ToInt8, be16(32767), be64(32767)},
		{Int4ToInt8, be32(math.MinInt32), be64(math.MinInt32)},
		{Int4ToInt8, be32(-1), be64(-1)},
	} {
		got, err := Append(tc.conv, tc.in, nil)
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct {
		conv int32
		in   []byte
		want string
	}{
		{Int2ToText, be16(-32768), "-32768"},
		{Int4ToText, be32(0), "0"},
		{Int8ToText, be64(math.MaxInt64), "9223372036854775807"},
		{Int8ToText, be64(math.MinInt64), "-9223372036854775808"},
	} {
		got, err := Append(tc.conv, tc.in, nil)
		require.NoError(t, err)
		require.Equal(t, tc.want, string(got))
		require.LessOrEqual(t, len(got), MaxLen)
	}
}

// PostgreSQL's numeric binary format: ndigits, weight, sign, dscale, then
// base-10000 digits, all int16.
func numericBytes(ndigits, weight int16, sign uint16, digits ...int16) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(ndigits))
	b = binary.BigEndian.AppendUint16(b, uint16(weight))
	b = binary.BigEndian.AppendUint16(b, sign)
	b = binary.BigEndian.AppendUint16(b, 0)
	for _, d := range digits {
		b = binary.BigEndian.AppendUint16(b, uint16(d))
	}
	return b
}

func TestNumeric(t *testing.T) {
	for _, tc := range []struct {
		conv int32
		in   []byte
		want []byte
	}{
		{Int4ToNumeric, be32(0), numericBytes(0, 0, 0)},
		{Int4ToNumeric, be32(9999), numericBytes(1, 0, 0, 9999)},
		{Int2ToNumeric, be16(-5), numericBytes(1, 0, 0x4000, 5)},
		// trailing zero digits are kept; numeric_recv strips them
		{Int8ToNumeric, be64(1_000_000_000_000_000_000), numericBytes(5, 4, 0, 100, 0, 0, 0, 0)},
	} {
		got, err := Append(tc.conv, tc.in, nil)
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
	// and extremes decode back to the same value
	for _, v := range []int64{math.MinInt64, math.MaxInt64, 10000, -10001, 123456789} {
		got, err := Append(Int8ToNumeric, be64(v), nil)
		require.NoError(t, err)
		require.LessOrEqual(t, len(got), MaxLen)
		var n pgtype.Numeric
		require.NoError(t, pgtype.NewMap().Scan(pgtype.NumericOID, pgtype.BinaryFormatCode, got, &n))
		iv, err := n.Int64Value()
		require.NoError(t, err)
		require.Equal(t, v, iv.Int64)
	}
}

func TestFloat(t *testing.T) {
	for _, f := range []float32{1.5, -0.1, float32(math.Inf(1)), math.MaxFloat32, math.SmallestNonzeroFloat32} {
		got, err := Append(Float4ToFloat8, binary.BigEndian.AppendUint32(nil, math.Float32bits(f)), nil)
		require.NoError(t, err)
		require.Equal(t, binary.BigEndian.AppendUint64(nil, math.Float64bits(float64(f))), got)
	}
	got, err := Append(Float4ToFloat8, binary.BigEndian.AppendUint32(nil, math.Float32bits(float32(math.NaN()))), nil)
	require.NoError(t, err)
	require.True(t, math.IsNaN(math.Float64frombits(binary.BigEndian.Uint64(got))))
}

func TestBadInput(t *testing.T) {
	_, err := Append(Int4ToInt8, []byte{1, 2}, nil)
	require.ErrorContains(t, err, "want 4")
	_, err = Append(Float4ToFloat8, []byte{1}, nil)
	require.ErrorContains(t, err, "want 4")
	_, err = Append(99, be32(1), nil)
	require.ErrorContains(t, err, "unknown conversion")
}

func FuzzConvert(f *testing.F) {
	f.Add(int32(Int4ToNumeric), be32(123))
	f.Add(int32(Int8ToText), be64(-1))
	f.Add(int32(Float4ToFloat8), be32(0x7fc00000))
	f.Add(int32(DecTimestamp), be64(0))
	f.Add(int32(DecVarlena), []byte("text"))
	f.Fuzz(func(t *testing.T, conv int32, in []byte) {
		got, err := Append(conv, in, nil)
		if err == nil {
			require.LessOrEqual(t, len(got), MaxLen)
		}
		// the Go decodings: a Datum or an error, and by-reference values
		// take exactly ByRefLen bytes
		if IsDecode(conv) && !IsByRef(conv) {
			_, _ = DecodeByValue(conv, in)
		}
		if IsByRef(conv) {
			dst := make([]byte, ByRefLen(conv, in))
			if n, err := AppendByRef(conv, in, dst); err == nil {
				require.Equal(t, len(dst), n)
			}
		}
	})
}
