package resp

import (
	"hash/maphash"
	"sync"
)

// shards is how many parts the Store's map is split into: enough that two
// loops rarely want the same lock.
const shards = 64

// Store holds the keys and values, shared by every connection. The zero
// value is not ready: use NewStore.
type Store struct {
	seed   maphash.Seed
	shards [shards]shard
}

type shard struct {
	mu sync.RWMutex
	m  map[string]*value
	_  [40]byte // a cache line each, so neighbours' locks do not share one
}

// NewStore returns an empty Store.
func NewStore() *Store {
	s := &Store{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].m = map[string]*value{}
	}
	return s
}

// value is a key's value, behind a pointer so that SET on an existing key
// overwrites it in place (no new map entry, no new key string).
type value struct{ b []byte }

func (s *Store) shard(key []byte) *shard {
	return &s.shards[maphash.Bytes(s.seed, key)%shards]
}

// Set stores a copy of val under key.
func (s *Store) Set(key, val []byte) {
	sh := s.shard(key)
	sh.mu.Lock()
	if v, ok := sh.m[string(key)]; ok {
		// Readers copy under the lock, so the old array can be reused.
		v.b = append(v.b[:0], val...)
	} else {
		sh.m[string(key)] = &value{append([]byte(nil), val...)}
	}
	sh.mu.Unlock()
}

// appendGet appends key's value as a bulk string to out, or the null bulk
// string when there is none.
func (s *Store) appendGet(out, key []byte) []byte {
	sh := s.shard(key)
	sh.mu.RLock()
	v, ok := sh.m[string(key)]
	if ok {
		out = appendBulk(out, v.b)
	}
	sh.mu.RUnlock()
	if !ok {
		out = append(out, "$-1\r\n"...)
	}
	return out
}

// Get returns a copy of key's value, and whether there is one.
func (s *Store) Get(key []byte) ([]byte, bool) {
	sh := s.shard(key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	v, ok := sh.m[string(key)]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), v.b...), true
}

// Del removes key and reports whether it was there.
func (s *Store) Del(key []byte) bool {
	sh := s.shard(key)
	sh.mu.Lock()
	_, ok := sh.m[string(key)]
	if ok {
		delete(sh.m, string(key))
	}
	sh.mu.Unlock()
	return ok
}

// Exists reports whether key has a value.
func (s *Store) Exists(key []byte) bool {
	sh := s.shard(key)
	sh.mu.RLock()
	_, ok := sh.m[string(key)]
	sh.mu.RUnlock()
	return ok
}
