// Package convert rewrites binary-format values from the worker's column
// type into the binary format of the type the caller declared, for the
// pairs where that is exact and cheap (PGBG_CONV_* in c/pgbg_bridge.h).
// Values are decoded and encoded with pgx's pgtype codecs.
package convert

import (
	"fmt"
	"math/big"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5/pgtype"
)

// Conversion codes, mirroring PGBG_CONV_*.
const (
	None           = 0
	Int2ToInt4     = 1
	Int2ToInt8     = 2
	Int4ToInt8     = 3
	Int2ToNumeric  = 4
	Int4ToNumeric  = 5
	Int8ToNumeric  = 6
	Float4ToFloat8 = 7
	Int2ToText     = 8
	Int4ToText     = 9
	Int8ToText     = 10
	maxConversion  = Int8ToText
)

// MaxLen bounds the output of any conversion: numeric of an int8 is
// 8 header bytes + 5 base-10000 digits of 2 bytes; text of an int8 is 20.
const MaxLen = 32

// typeMap is built on first use: pgtype.NewMap registers every type pgx
// knows, which takes milliseconds, and a session whose results need no
// conversion should not pay for it when the library loads.
var typeMap = sync.OnceValue(pgtype.NewMap)

// source type of each conversion
func sourceOID(conv int32) uint32 {
	switch conv {
	case Int2ToInt4, Int2ToInt8, Int2ToNumeric, Int2ToText:
		return pgtype.Int2OID
	case Int4ToInt8, Int4ToNumeric, Int4ToText:
		return pgtype.Int4OID
	case Int8ToNumeric, Int8ToText:
		return pgtype.Int8OID
	}
	return 0
}

// Append converts src (binary, of the conversion's source type) and appends
// the result to dst.
func Append(conv int32, src []byte, dst []byte) ([]byte, error) {
	if conv == Float4ToFloat8 {
		var f pgtype.Float4
		if len(src) != 4 {
			return nil, fmt.Errorf("float4 value has %d bytes, want 4", len(src))
		}
		if err := typeMap().Scan(pgtype.Float4OID, pgtype.BinaryFormatCode, src, &f); err != nil {
			return nil, err
		}
		return encode(pgtype.Float8OID, pgtype.Float8{Float64: float64(f.Float32), Valid: true}, dst)
	}
	oid := sourceOID(conv)
	if oid == 0 {
		return nil, fmt.Errorf("unknown conversion %d", conv)
	}
	want := map[uint32]int{pgtype.Int2OID: 2, pgtype.Int4OID: 4, pgtype.Int8OID: 8}[oid]
	if len(src) != want {
		return nil, fmt.Errorf("integer value has %d bytes, want %d", len(src), want)
	}
	var v pgtype.Int8
	if err := typeMap().Scan(oid, pgtype.BinaryFormatCode, src, &v); err != nil {
		return nil, err
	}
	switch conv {
	case Int2ToInt4:
		return encode(pgtype.Int4OID, pgtype.Int4{Int32: int32(v.Int64), Valid: true}, dst)
	case Int2ToInt8, Int4ToInt8:
		return encode(pgtype.Int8OID, v, dst)
	case Int2ToNumeric, Int4ToNumeric, Int8ToNumeric:
		if v.Int64 == 0 {
			// PostgreSQL's own zero (pgtype writes weight -1, also valid)
			return append(dst, 0, 0, 0, 0, 0, 0, 0, 0), nil
		}
		n := pgtype.Numeric{Int: big.NewInt(v.Int64), Exp: 0, Valid: true}
		return encode(pgtype.NumericOID, n, dst)
	default: // *ToText: the text type's binary format is the bytes themselves
		return strconv.AppendInt(dst, v.Int64, 10), nil
	}
}

func encode(oid uint32, v any, dst []byte) ([]byte, error) {
	return typeMap().Encode(oid, pgtype.BinaryFormatCode, v, dst)
}
