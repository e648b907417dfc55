package loop

import "testing"

// TestTable: slots keep their address as the table grows past a page,
// a slot given back is taken again first, with what its last user left,
// and growing allocates only the new pages.
func TestTable(t *testing.T) {
	var tb Table[slot]
	i0, s0 := tb.Alloc()
	s0.gen = 7
	for range 3 * tablePage {
		tb.Alloc()
	}
	if tb.At(i0) != s0 || s0.gen != 7 {
		t.Fatalf("slot %d moved or changed as the table grew", i0)
	}
	if tb.Len() != 3*tablePage+1 {
		t.Fatalf("Len %d, want %d", tb.Len(), 3*tablePage+1)
	}
	tb.Free(i0)
	if i, s := tb.Alloc(); i != i0 || s.gen != 7 {
		t.Fatalf("Alloc after Free(%d): slot %d, gen %d; want the freed slot, gen 7", i0, i, s.gen)
	}
	if raceEnabled {
		return
	}
	var big Table[slot]
	allocs := testing.AllocsPerRun(1, func() {
		big = Table[slot]{}
		for range 64 * tablePage {
			big.Alloc()
		}
	})
	// 64 pages, and the page list's growth (7 appends up to 64).
	if allocs > 64+8 {
		t.Errorf("%d slots in %v allocations, want a page at a time", 64*tablePage, allocs)
	}
}
