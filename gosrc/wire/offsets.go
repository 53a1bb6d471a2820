package wire

import "unsafe"

// offsetIn returns where sub starts inside body. pgproto3's Decode methods
// return sub-slices of their input; this turns them back into offsets and
// checks that they really lie inside body.
func offsetIn(body, sub []byte) (int32, bool) {
	if len(sub) == 0 {
		return 0, true // an empty value: any in-bounds offset will do
	}
	b := uintptr(unsafe.Pointer(unsafe.SliceData(body)))
	s := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	if s < b || s+uintptr(len(sub)) > b+uintptr(len(body)) {
		return 0, false
	}
	return int32(s - b), true
}

// cstringSpan is the span of a non-empty sub, which must be followed by a
// NUL in body, so that C may read it as a C string in place.
func cstringSpan(src int32, body, sub []byte) (Span, bool) {
	off, ok := offsetIn(body, sub)
	if !ok || len(sub) == 0 || int(off)+len(sub) >= len(body) || body[int(off)+len(sub)] != 0 {
		return Span{}, false
	}
	return Span{Src: src, Off: off, Len: int32(len(sub))}, true
}

// appendCString copies s and a NUL into out.Text and returns its span. The
// caller has checked that len(s)+1 bytes fit.
func appendCString(out *Output, s []byte) Span {
	sp := Span{Src: TextSrc, Off: int32(out.NText), Len: int32(len(s))}
	out.NText += copy(out.Text[out.NText:], s)
	out.Text[out.NText] = 0
	out.NText++
	return sp
}

// stringSpan places a C string: in place when it can, else (an empty
// string, whose NUL pgproto3 does not locate) as a copy in out.Text.
func stringSpan(src int32, body, sub []byte, out *Output) Span {
	if sp, ok := cstringSpan(src, body, sub); ok {
		return sp
	}
	return appendCString(out, sub)
}

// textNeed is the text bytes stringSpan may need for sub.
func textNeed(sub []byte) int {
	if len(sub) == 0 {
		return 1
	}
	return 0
}
