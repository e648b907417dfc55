package iomodel_test

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/iomodel/iomodel"
)

func TestAppendGSO(t *testing.T) {
	rights := unix.UnixRights(7)
	oob := iomodel.AppendGSO(append([]byte(nil), rights...), 1200)
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("%d control messages, want the rights and UDP_SEGMENT", len(msgs))
	}
	m := msgs[1]
	if m.Header.Level != unix.IPPROTO_UDP || m.Header.Type != unix.UDP_SEGMENT || len(m.Data) != 2 {
		t.Fatalf("level %d type %d, %d bytes; want IPPROTO_UDP, UDP_SEGMENT, 2", m.Header.Level, m.Header.Type, len(m.Data))
	}
	if got := *(*uint16)(unsafe.Pointer(&m.Data[0])); got != 1200 {
		t.Errorf("the segment size reads %d, want 1200", got)
	}
}

func TestGROSegment(t *testing.T) {
	if iomodel.GROSpace < unix.CmsgSpace(4) {
		t.Fatalf("GROSpace is %d, the UDP_GRO message needs %d", iomodel.GROSpace, unix.CmsgSpace(4))
	}
	gro := func(seg int32) []byte {
		b := make([]byte, unix.CmsgSpace(4))
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		h.Level, h.Type = unix.IPPROTO_UDP, unix.UDP_GRO
		h.SetLen(unix.CmsgLen(4))
		binary.NativeEndian.PutUint32(b[unix.CmsgLen(0):], uint32(seg))
		return b
	}
	for _, c := range []struct {
		name string
		oob  []byte
		seg  int
		ok   bool
	}{
		{"none", nil, 0, false},
		{"only GRO", gro(1472), 1472, true},
		{"after rights", append(unix.UnixRights(3), gro(64)...), 64, true},
		{"rights only", unix.UnixRights(3), 0, false},
		{"truncated", gro(64)[:unix.SizeofCmsghdr], 0, false},
	} {
		seg, ok := iomodel.GROSegment(c.oob)
		if seg != c.seg || ok != c.ok {
			t.Errorf("%s: GROSegment = %d, %v; want %d, %v", c.name, seg, ok, c.seg, c.ok)
		}
	}
}
