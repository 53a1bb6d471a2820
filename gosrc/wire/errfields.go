package wire

import "github.com/jackc/pgx/v5/pgproto3"

// Error field slots, mirroring PGBG_EF_*.
const (
	EfSeverity = iota
	EfSeverityNL
	EfSQLState
	EfMessage
	EfDetail
	EfHint
	EfPosition
	EfInternalPos
	EfInternalQuery
	EfContext
	EfSchema
	EfTable
	EfColumn
	EfDatatype
	EfConstraint
	EfFile
	EfLine
	EfRoutine
	EfCount
)

// errorOrNotice: 'E' or 'N'. EfCount spans, the present ones copied into
// Text as C strings (errors are rare; copying keeps the layout simple).
func errorOrNotice(typ byte, body []byte, out *Output) (Event, need, bool, error) {
	var er pgproto3.ErrorResponse
	name := "ErrorResponse"
	if typ == 'N' {
		name = "NoticeResponse"
	}
	if err := er.Decode(body); err != nil {
		return Event{}, need{}, false, protoErr("invalid %s message: %v", name, err)
	}
	pos, ipos, line := "", "", ""
	if er.Position != 0 {
		pos = itoa(er.Position)
	}
	if er.InternalPosition != 0 {
		ipos = itoa(er.InternalPosition)
	}
	if er.Line != 0 {
		line = itoa(er.Line)
	}
	fields := [EfCount]string{
		EfSeverity: er.Severity, EfSeverityNL: er.SeverityUnlocalized,
		EfSQLState: er.Code, EfMessage: er.Message, EfDetail: er.Detail,
		EfHint: er.Hint, EfPosition: pos, EfInternalPos: ipos,
		EfInternalQuery: er.InternalQuery, EfContext: er.Where,
		EfSchema: er.SchemaName, EfTable: er.TableName, EfColumn: er.ColumnName,
		EfDatatype: er.DataTypeName, EfConstraint: er.ConstraintName,
		EfFile: er.File, EfLine: line, EfRoutine: er.Routine,
	}
	if err := validateErrorFields(name, body, &fields); err != nil {
		return Event{}, need{}, false, err
	}
	n := need{spans: EfCount}
	for _, f := range fields {
		if f != "" {
			n.text += len(f) + 1
		}
	}
	if out.NSpans+n.spans > len(out.Spans) || out.NText+n.text > len(out.Text) {
		return Event{}, n, true, nil
	}
	kind := int32(EvError)
	if typ == 'N' {
		kind = EvNotice
	}
	ev := Event{Kind: kind, First: int32(out.NSpans), Count: EfCount}
	for _, f := range fields {
		if f == "" {
			out.Spans[out.NSpans] = Span{Src: TextSrc, Len: -1}
		} else {
			out.Spans[out.NSpans] = appendCString(out, []byte(f))
		}
		out.NSpans++
	}
	return ev, n, false, nil
}

// validateErrorFields checks what C relies on. pgproto3 turns the numeric
// fields into integers (a non-number becomes 0), so check them in the raw
// body: 'P', 'p' and 'L' must be decimal when present.
func validateErrorFields(name string, body []byte, f *[EfCount]string) error {
	if f[EfMessage] == "" {
		return protoErr("invalid %s message: no message field", name)
	}
	if c := f[EfSQLState]; c != "" {
		if len(c) != 5 {
			return protoErr("invalid %s message: SQLSTATE %q is not 5 characters", name, c)
		}
		for i := 0; i < 5; i++ {
			if !(c[i] >= '0' && c[i] <= '9' || c[i] >= 'A' && c[i] <= 'Z') {
				return protoErr("invalid %s message: SQLSTATE %q has invalid characters", name, c)
			}
		}
	}
	for p := 0; p < len(body) && body[p] != 0; {
		code := body[p]
		end := p + 1
		for end < len(body) && body[end] != 0 {
			end++
		}
		if code == 'P' || code == 'p' || code == 'L' {
			v := body[p+1 : end]
			if len(v) == 0 || len(v) > 9 {
				return protoErr("invalid %s message: field '%c' is not a number", name, code)
			}
			for _, ch := range v {
				if ch < '0' || ch > '9' {
					return protoErr("invalid %s message: field '%c' is not a number", name, code)
				}
			}
		}
		p = end + 1
	}
	return nil
}

func itoa[T ~int32 | ~uint32](v T) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	var b [12]byte
	i := len(b)
	u := int64(v)
	if neg {
		u = -u
	}
	for u > 0 {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
