package loop

// tablePage is how many slots a Table page holds.
const tablePage = 256

// Table is an owner's slots, each named by an index that stays its own
// while it is in use (the index in a readiness Tag, or in a ring
// request's user_data). It grows a page of tablePage slots at a time and
// never moves one: growing allocates the page alone, where an appended
// slice would copy every slot and leave the old array as garbage (at
// 15000 connections, about four times the table's size in all), and a
// *T from At stays valid. Only its owner uses it.
type Table[T any] struct {
	pages []*[tablePage]T
	n     uint32   // slots made
	free  []uint32 // slots given back, taken again first
}

// Alloc takes a slot: one given back, as its last user left it (a
// generation counter in it goes on counting), or else a new one, zero.
func (t *Table[T]) Alloc() (uint32, *T) {
	if k := len(t.free); k > 0 {
		i := t.free[k-1]
		t.free = t.free[:k-1]
		return i, t.At(i)
	}
	if int(t.n) == len(t.pages)*tablePage {
		t.pages = append(t.pages, new([tablePage]T))
	}
	i := t.n
	t.n++
	return i, t.At(i)
}

// Free gives slot i back; the caller clears what it must first.
func (t *Table[T]) Free(i uint32) { t.free = append(t.free, i) }

// At is slot i, which must be below Len.
func (t *Table[T]) At(i uint32) *T { return &t.pages[i/tablePage][i%tablePage] }

// Len is how many slots have been made: every index below it names one,
// in use or free.
func (t *Table[T]) Len() int { return int(t.n) }
