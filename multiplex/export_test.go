package multiplex

// PollerThreads are the ids of p's OS threads, one per shard (0 for one
// that has not started yet).
func PollerThreads(p *Poller) []int {
	var tids []int
	for _, sh := range p.shards {
		tids = append(tids, int(sh.tid.Load()))
	}
	return tids
}
