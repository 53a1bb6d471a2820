// Command bridge is the c-shared library the C shim loads
// (libpg_background_go.so): the only package that uses cgo. It translates
// between the C structs of c/pgbg_bridge.h and package wire.
//
// Ownership: every array and buffer is C's. Go reads and writes them only
// during a call, through unsafe.Slice views, and keeps none of them; the
// spans it writes point into C memory only. No panic leaves a call.
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
func pgbg_go_version() C.int32_t { return C.PGBG_BRIDGE_VERSION }

// Scratch state, reused across calls (calls come from one backend thread).
// Reset at the start of every call, so a recovered panic cannot poison
// the next one.
var (
	scratchMsgs []wire.RawMsg
	scratchOut  wire.Output
	scratchConv []int32
)

//export pgbg_go_parse
func pgbg_go_parse(msgs *C.PgbgRawMsg, nmsgs C.int32_t, out *C.PgbgParseOut,
	errbuf *C.char, errlen C.int32_t) (rc C.int32_t) {
	defer func() {
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
	scratchConv = scratchConv[:0]
	if out.nconv > 0 && out.conv != nil {
		for _, c := range unsafe.Slice(out.conv, int(out.nconv)) {
			scratchConv = append(scratchConv, int32(c))
		}
	}

	o := &scratchOut
	o.Events = grow(o.Events, int(out.events_cap-out.nevents))
	o.Spans = grow(o.Spans, int(out.spans_cap-out.nspans))
	o.Cols = grow(o.Cols, int(out.cols_cap-out.ncols))
	o.NEvents, o.NSpans, o.NCols = 0, 0, 0
	o.SpansNeed, o.ColsNeed, o.TextNeed, o.Consumed = 0, 0, 0, 0
	// Text is written in place: converted values and error fields go
	// straight into C's buffer.
	o.Text = nil
	if out.text_cap > out.text_used {
		o.Text = unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(out.text), int(out.text_used))),
			int(out.text_cap-out.text_used))
	}
	o.NText = 0

	status, err := wire.ParseBatch(scratchMsgs, scratchConv, o)
	publish(raw, out, o)
	clear(scratchMsgs) // drop the views of C memory
	o.Text = nil
	if err != nil {
		setErr(errbuf, errlen, err.Error())
		return C.PGBG_ERR_PROTOCOL
	}
	if status == wire.Full && o.Consumed == 0 {
		out.spans_need = C.int32_t(int(out.nspans) + o.SpansNeed)
		out.cols_need = C.int32_t(int(out.ncols) + o.ColsNeed)
		out.text_need = C.int32_t(int(out.text_used) + o.TextNeed)
	}
	return C.int32_t(status)
}

func arraysValid(out *C.PgbgParseOut) bool {
	ok := func(p unsafe.Pointer, n, cp C.int32_t) bool {
		return n >= 0 && cp >= n && (cp == 0 || p != nil)
	}
	return ok(unsafe.Pointer(out.events), out.nevents, out.events_cap) &&
		ok(unsafe.Pointer(out.spans), out.nspans, out.spans_cap) &&
		ok(unsafe.Pointer(out.cols), out.ncols, out.cols_cap) &&
		ok(unsafe.Pointer(out.text), out.text_used, out.text_cap) &&
		out.nconv >= 0
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// publish appends what wire produced to C's arrays, turning offsets into
// pointers into the message bodies or C's text buffer.
func publish(raw []C.PgbgRawMsg, out *C.PgbgParseOut, o *wire.Output) {
	textBase := unsafe.Add(unsafe.Pointer(out.text), int(out.text_used))
	toC := func(sp wire.Span) C.PgbgSpan {
		if sp.Len < 0 {
			return C.PgbgSpan{ptr: nil, len: -1}
		}
		var base unsafe.Pointer
		if sp.Src == wire.TextSrc {
			base = textBase
		} else {
			base = unsafe.Pointer(raw[sp.Src].body)
		}
		return C.PgbgSpan{ptr: (*C.uint8_t)(unsafe.Add(base, int(sp.Off))), len: C.int32_t(sp.Len)}
	}

	events := unsafe.Slice(out.events, int(out.events_cap))
	for _, ev := range o.Events[:o.NEvents] {
		first := ev.First
		switch ev.Kind {
		case wire.EvRowDesc:
			first += int32(out.ncols)
		case wire.EvDataRow, wire.EvCommand, wire.EvError, wire.EvNotice:
			first += int32(out.nspans)
		}
		events[out.nevents] = C.PgbgEvent{kind: C.int32_t(ev.Kind), first: C.int32_t(first), count: C.int32_t(ev.Count)}
		out.nevents++
	}
	spans := unsafe.Slice(out.spans, int(out.spans_cap))
	for _, sp := range o.Spans[:o.NSpans] {
		spans[out.nspans] = toC(sp)
		out.nspans++
	}
	cols := unsafe.Slice(out.cols, int(out.cols_cap))
	for _, c := range o.Cols[:o.NCols] {
		cols[out.ncols] = C.PgbgColumn{
			name: toC(c.Name), table_oid: C.uint32_t(c.TableOID), attnum: C.int16_t(c.Attnum),
			type_oid: C.uint32_t(c.TypeOID), typlen: C.int16_t(c.Typlen),
			typmod: C.int32_t(c.Typmod), format: C.int16_t(c.Format),
		}
		out.ncols++
	}
	out.text_used += C.int32_t(o.NText)
	out.consumed += C.int32_t(o.Consumed)
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
