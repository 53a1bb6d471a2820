package convert

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Decoding codes, mirroring PGBG_DEC_* in c/pgbg_bridge.h: the binary value
// of a column whose declared type is the worker's own (no domain, no
// typmod) becomes a Datum here, without a receive function call in C.
const (
	DecBool      = 32
	DecInt2      = 33
	DecInt4      = 34 // also oid
	DecInt8      = 35
	DecFloat4    = 36
	DecFloat8    = 37
	DecDate      = 38
	DecTime      = 39
	DecTimestamp = 40 // also timestamptz
	DecVarlena   = 41 // text, varchar, bpchar, bytea
	DecUUID      = 42
)

// IsDecode reports whether code is one of the Dec* codes.
func IsDecode(code int32) bool { return code >= DecBool && code <= DecUUID }

// IsByRef reports whether a Dec* code yields bytes in the text buffer
// rather than a by-value Datum.
func IsByRef(code int32) bool { return code == DecVarlena || code == DecUUID }

// Range limits of the receive functions (utils/datetime.h, timestamp.h).
const (
	dateNoBegin  = math.MinInt32
	dateNoEnd    = math.MaxInt32
	dateMin      = -2451545             // DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE
	dateEnd      = 2147483494 - 2451545 // DATE_END_JULIAN - POSTGRES_EPOCH_JDATE
	tsNoBegin    = math.MinInt64
	tsNoEnd      = math.MaxInt64
	tsMin        = -211813488000000000 // MIN_TIMESTAMP
	tsEnd        = 9223371331200000000 // END_TIMESTAMP
	usecsPerDay  = 86400000000
	maxVarlena   = 0x3FFFFFFF // a varlena's largest total size
	varlenaHdrSz = 4
)

// fixedLen is the binary size of a fixed-size Dec* type, -1 for varlena.
func fixedLen(code int32) int {
	switch code {
	case DecBool:
		return 1
	case DecInt2:
		return 2
	case DecInt4, DecFloat4, DecDate:
		return 4
	case DecInt8, DecFloat8, DecTime, DecTimestamp:
		return 8
	case DecUUID:
		return 16
	}
	return -1
}

func checkLen(code int32, v []byte) error {
	if n := fixedLen(code); n >= 0 && len(v) != n {
		return fmt.Errorf("value has %d bytes, want %d", len(v), n)
	}
	return nil
}

// DecodeByValue returns the Datum a by-value Dec* code makes of v, as the
// type's receive function and XxxGetDatum would on a 64-bit server: signed
// integers sign-extended, floats as their bits.
func DecodeByValue(code int32, v []byte) (uint64, error) {
	if err := checkLen(code, v); err != nil {
		return 0, err
	}
	be := binary.BigEndian
	switch code {
	case DecBool:
		if v[0] != 0 {
			return 1, nil
		}
		return 0, nil
	case DecInt2:
		return uint64(int64(int16(be.Uint16(v)))), nil
	case DecInt4, DecFloat4:
		return uint64(int64(int32(be.Uint32(v)))), nil
	case DecInt8, DecFloat8:
		return be.Uint64(v), nil
	case DecDate:
		d := int32(be.Uint32(v))
		if d != dateNoBegin && d != dateNoEnd && (d < dateMin || d >= dateEnd) {
			return 0, fmt.Errorf("date out of range")
		}
		return uint64(int64(d)), nil
	case DecTime:
		t := int64(be.Uint64(v))
		if t < 0 || t > usecsPerDay {
			return 0, fmt.Errorf("time out of range")
		}
		return uint64(t), nil
	case DecTimestamp:
		t := int64(be.Uint64(v))
		if t != tsNoBegin && t != tsNoEnd && (t < tsMin || t >= tsEnd) {
			return 0, fmt.Errorf("timestamp out of range")
		}
		return uint64(t), nil
	}
	return 0, fmt.Errorf("unknown by-value decoding %d", code)
}

// ByRefLen is how many bytes AppendByRef writes for v.
func ByRefLen(code int32, v []byte) int {
	if code == DecVarlena {
		return varlenaHdrSz + len(v)
	}
	return len(v)
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// varlenaHeader is SET_VARSIZE's 4-byte header for a total size.
func varlenaHeader(total int) uint32 {
	if littleEndian {
		return uint32(total) << 2
	}
	return uint32(total) & 0x3FFFFFFF
}

// AppendByRef writes the by-reference value of v into dst, which has room
// for ByRefLen bytes: a varlena with a 4-byte header, or a uuid's 16 bytes.
func AppendByRef(code int32, v []byte, dst []byte) (int, error) {
	switch code {
	case DecVarlena:
		total := varlenaHdrSz + len(v)
		if total > maxVarlena {
			return 0, fmt.Errorf("value of %d bytes is too large", len(v))
		}
		binary.NativeEndian.PutUint32(dst, varlenaHeader(total))
		return varlenaHdrSz + copy(dst[varlenaHdrSz:total], v), nil
	case DecUUID:
		if err := checkLen(code, v); err != nil {
			return 0, err
		}
		return copy(dst[:16], v), nil
	}
	return 0, fmt.Errorf("unknown by-reference decoding %d", code)
}
