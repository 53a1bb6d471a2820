package wire

import "github.com/jackc/pgx/v5/pgproto3"

// FormatInternal is PGBG_FORMAT_INTERNAL: a varlena's bytes as the server
// holds them, which Go decodes as convert.DecVarlena.
const FormatInternal = 2

// rowDescription: 'T'. One Column per field; names point into the body.
func rowDescription(src int32, body []byte, out *Output) (Event, need, bool, error) {
	var rd pgproto3.RowDescription
	if err := rd.Decode(body); err != nil {
		return Event{}, need{}, false, protoErr("invalid RowDescription message: %v", err)
	}
	n := need{cols: len(rd.Fields)}
	for i := range rd.Fields {
		n.text += textNeed(rd.Fields[i].Name)
	}
	if out.NCols+n.cols > len(out.Cols) || out.NText+n.text > len(out.Text) {
		return Event{}, n, true, nil
	}
	ev := Event{Kind: EvRowDesc, First: int32(out.NCols), Count: int32(len(rd.Fields))}
	for i := range rd.Fields {
		f := &rd.Fields[i]
		if f.Format != 0 && f.Format != 1 && f.Format != FormatInternal {
			return Event{}, n, false, protoErr("invalid RowDescription message: field %d has format code %d", i+1, f.Format)
		}
		out.Cols[out.NCols] = Column{
			Name:     stringSpan(src, body, f.Name, out),
			TableOID: f.TableOID,
			Attnum:   int16(f.TableAttributeNumber),
			TypeOID:  f.DataTypeOID,
			Typlen:   f.DataTypeSize,
			Typmod:   f.TypeModifier,
			Format:   f.Format,
		}
		out.NCols++
	}
	return ev, n, false, nil
}
