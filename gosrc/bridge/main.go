// Command bridge is the c-shared library the C shim loads
// (libpg_background_go.so): the only package that uses cgo. It translates
// between the C structs of c/pgbg_bridge.h and package wire.
//
// Ownership: every array and buffer is C's. Go reads and writes them only
// during a call, through unsafe.Slice views, and keeps none of them; what
// it writes are offsets (wire.Span), which C turns into pointers. No panic
// leaves a call.
package main

/*
#include <stdint.h>
#include "../../c/pgbg_bridge.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/pg-background/pg_background/gosrc/wire"
)

func main() {}

//export pgbg_go_version
func pgbg_go_version() C.int32_t {
	if !layoutMatches() {
		return -1
	}
	return C.PGBG_BRIDGE_VERSION
}

// layoutMatches checks that the wire structs Go writes into C's arrays
// have the layout of the C structs they stand for.
func layoutMatches() bool {
	var sp C.PgbgSpan
	var ev C.PgbgEvent
	var col C.PgbgColumn
	return unsafe.Sizeof(wire.Span{}) == unsafe.Sizeof(sp) &&
		unsafe.Offsetof(wire.Span{}.Src) == unsafe.Offsetof(sp.src) &&
		unsafe.Offsetof(wire.Span{}.Off) == unsafe.Offsetof(sp.off) &&
		unsafe.Offsetof(wire.Span{}.Len) == unsafe.Offsetof(sp.len) &&
		unsafe.Sizeof(wire.Event{}) == unsafe.Sizeof(ev) &&
		unsafe.Offsetof(wire.Event{}.Kind) == unsafe.Offsetof(ev.kind) &&
		unsafe.Offsetof(wire.Event{}.First) == unsafe.Offsetof(ev.first) &&
		unsafe.Offsetof(wire.Event{}.Count) == unsafe.Offsetof(ev.count) &&
		unsafe.Sizeof(wire.Column{}) == unsafe.Sizeof(col) &&
		unsafe.Offsetof(wire.Column{}.Name) == unsafe.Offsetof(col.name) &&
		unsafe.Offsetof(wire.Column{}.TableOID) == unsafe.Offsetof(col.table_oid) &&
		unsafe.Offsetof(wire.Column{}.Attnum) == unsafe.Offsetof(col.attnum) &&
		unsafe.Offsetof(wire.Column{}.TypeOID) == unsafe.Offsetof(col.type_oid) &&
		unsafe.Offsetof(wire.Column{}.Typlen) == unsafe.Offsetof(col.typlen) &&
		unsafe.Offsetof(wire.Column{}.Typmod) == unsafe.Offsetof(col.typmod) &&
		unsafe.Offsetof(wire.Column{}.Format) == unsafe.Offsetof(col.format) &&
		wire.TextSrc == C.PGBG_SRC_TEXT && wire.MsgRows == C.PGBG_MSG_ROWS &&
		wire.FormatInternal == C.PGBG_FORMAT_INTERNAL
}

// Scratch state, reused across calls (calls come from one backend thread).
// Reset at the start of every call, so a recovered panic cannot poison
// the next one.
var (
	scratchMsgs []wire.RawMsg
	scratchOut  wire.Output
)

// view is a Go slice over n elements of a C array (nil for none).
func view[T any](p unsafe.Pointer, n C.int32_t) []T {
	if p == nil || n <= 0 {
		return nil
	}
	return unsafe.Slice((*T)(p), int(n))
}

//export pgbg_go_parse
func pgbg_go_parse(msgs *C.PgbgRawMsg, nmsgs C.int32_t, out *C.PgbgParseOut,
	errbuf *C.char, errlen C.int32_t) (rc C.int32_t) {
	o := &scratchOut
	defer func() {
		*o = wire.Output{} // drop the views of C memory
		clear(scratchMsgs)
		if r := recover(); r != nil {
			setErr(errbuf, errlen, fmt.Sprintf("panic: %v", r))
			rc = C.PGBG_ERR_INTERNAL
		}
	}()
	if out == nil || nmsgs < 0 || (nmsgs > 0 && msgs == nil) || !arraysValid(out) {
		setErr(errbuf, errlen, "invalid arguments")
		return C.PGBG_ERR_INTERNAL
	}

	raw := unsafe.Slice(msgs, int(nmsgs))
	scratchMsgs = scratchMsgs[:0]
	for i := range raw {
		var body []byte
		if raw[i].len > 0 {
			if raw[i].body == nil {
				setErr(errbuf, errlen, "message body is NULL")
				return C.PGBG_ERR_INTERNAL
			}
			body = unsafe.Slice((*byte)(unsafe.Pointer(raw[i].body)), int(raw[i].len))
		} else {
			body = []byte{}
		}
		scratchMsgs = append(scratchMsgs, wire.RawMsg{Type: byte(raw[i]._type), Body: body})
	}
	conv := view[int32](unsafe.Pointer(out.conv), out.nconv)

	// Go appends to C's arrays in place, from the counts C set.
	*o = wire.Output{
		Events:  view[wire.Event](unsafe.Pointer(out.events), out.events_cap),
		NEvents: int(out.nevents),
		Spans:   view[wire.Span](unsafe.Pointer(out.spans), out.spans_cap),
		Datums:  view[uint64](unsafe.Pointer(out.datums), out.spans_cap),
		NSpans:  int(out.nspans),
		Cols:    view[wire.Column](unsafe.Pointer(out.cols), out.cols_cap),
		NCols:   int(out.ncols),
		Text:    view[byte](unsafe.Pointer(out.text), out.text_cap),
		NText:   int(out.text_used),
	}
	status, err := wire.ParseBatch(scratchMsgs, conv, o)
	out.nevents = C.int32_t(o.NEvents)
	out.nspans = C.int32_t(o.NSpans)
	out.ncols = C.int32_t(o.NCols)
	out.text_used = C.int32_t(o.NText)
	out.consumed += C.int32_t(o.Consumed)
	if err != nil {
		setErr(errbuf, errlen, err.Error())
		return C.PGBG_ERR_PROTOCOL
	}
	if status == wire.Full && o.Consumed == 0 {
		out.events_need = C.int32_t(o.EventsNeed)
		out.spans_need = C.int32_t(o.SpansNeed)
		out.cols_need = C.int32_t(o.ColsNeed)
		out.text_need = C.int32_t(o.TextNeed)
	}
	return C.int32_t(status)
}

func arraysValid(out *C.PgbgParseOut) bool {
	ok := func(p unsafe.Pointer, n, cp C.int32_t) bool {
		return n >= 0 && cp >= n && (cp == 0 || p != nil)
	}
	return ok(unsafe.Pointer(out.events), out.nevents, out.events_cap) &&
		ok(unsafe.Pointer(out.spans), out.nspans, out.spans_cap) &&
		ok(unsafe.Pointer(out.datums), out.nspans, out.spans_cap) &&
		ok(unsafe.Pointer(out.cols), out.ncols, out.cols_cap) &&
		ok(unsafe.Pointer(out.text), out.text_used, out.text_cap) &&
		out.nconv >= 0 && (out.nconv == 0 || out.conv != nil)
}

// setErr writes msg into C's errbuf, NUL-terminated and truncated.
func setErr(errbuf *C.char, errlen C.int32_t, msg string) {
	if errbuf == nil || errlen <= 0 {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(errbuf)), int(errlen))
	n := copy(b[:len(b)-1], msg)
	b[n] = 0
}
