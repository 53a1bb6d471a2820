package convert

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func signExt(v int64) uint64 { return uint64(v) }

func TestDecodeByValue(t *testing.T) {
	f4 := binary.BigEndian.AppendUint32(nil, math.Float32bits(-1.5))
	f8 := binary.BigEndian.AppendUint64(nil, math.Float64bits(math.Inf(-1)))
	for _, tc := range []struct {
		name string
		code int32
		in   []byte
		want uint64
	}{
		{"true", DecBool, []byte{1}, 1},
		{"any nonzero byte is true, as boolrecv", DecBool, []byte{7}, 1},
		{"false", DecBool, []byte{0}, 0},
		{"int2 sign-extends", DecInt2, be16(-2), uint64(math.MaxUint64 - 1)},
		{"int4 max", DecInt4, be32(math.MaxInt32), math.MaxInt32},
		{"oid max stays as int4 bits", DecInt4, []byte{0xff, 0xff, 0xff, 0xff}, math.MaxUint64},
		{"int8 min", DecInt8, be64(math.MinInt64), 1 << 63},
		{"float4 bits, sign-extended like Int32GetDatum", DecFloat4, f4, uint64(int64(int32(math.Float32bits(-1.5))))},
		{"float8 bits", DecFloat8, f8, math.Float64bits(math.Inf(-1))},
		{"date -infinity", DecDate, be32(math.MinInt32), signExt(math.MinInt32)},
		{"date first day", DecDate, be32(dateMin), signExt(dateMin)},
		{"date last day", DecDate, be32(dateEnd - 1), uint64(dateEnd - 1)},
		{"time 24:00", DecTime, be64(usecsPerDay), usecsPerDay},
		{"timestamp infinity", DecTimestamp, be64(math.MaxInt64), math.MaxInt64},
		{"timestamp first", DecTimestamp, be64(tsMin), signExt(tsMin)},
		{"timestamp last", DecTimestamp, be64(tsEnd - 1), uint64(tsEnd - 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeByValue(tc.code, tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestDecodeRejectsWhatRecvWould(t *testing.T) {
	for _, tc := range []struct {
		name string
		code int32
		in   []byte
		want string
	}{
		{"short int4", DecInt4, []byte{1, 2}, "has 2 bytes, want 4"},
		{"long bool", DecBool, []byte{1, 0}, "want 1"},
		{"date before the first day", DecDate, be32(dateMin - 1), "date out of range"},
		{"date after the last", DecDate, be32(dateEnd), "date out of range"},
		{"negative time", DecTime, be64(-1), "time out of range"},
		{"time past 24:00", DecTime, be64(usecsPerDay + 1), "time out of range"},
		{"timestamp before the first", DecTimestamp, be64(tsMin - 1), "timestamp out of range"},
		{"timestamp after the last", DecTimestamp, be64(tsEnd), "timestamp out of range"},
		{"by-ref code", DecVarlena, []byte("x"), "unknown by-value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeByValue(tc.code, tc.in)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestAppendByRef(t *testing.T) {
	dst := make([]byte, 64)
	n, err := AppendByRef(DecVarlena, []byte("abc"), dst)
	require.NoError(t, err)
	require.Equal(t, 7, n)
	require.Equal(t, ByRefLen(DecVarlena, []byte("abc")), n)
	hdr := binary.NativeEndian.Uint32(dst)
	if littleEndian {
		require.Equal(t, uint32(7<<2), hdr)
	} else {
		require.Equal(t, uint32(7), hdr)
	}
	require.Equal(t, "abc", string(dst[4:7]))

	u := []byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
	n, err = AppendByRef(DecUUID, u, dst)
	require.NoError(t, err)
	require.Equal(t, u, dst[:n])
	_, err = AppendByRef(DecUUID, u[:15], dst)
	require.ErrorContains(t, err, "want 16")
	_, err = AppendByRef(DecInt4, be32(1), dst)
	require.ErrorContains(t, err, "unknown by-reference")
}
