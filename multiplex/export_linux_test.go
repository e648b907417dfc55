package multiplex

// PollerThreads are the ids of p's OS threads, one per shard (0 for one
// that has not started yet, -1 for one that is not locked to a thread).
func PollerThreads(p *Poller) []int {
	var tids []int
	for _, sh := range p.shards {
		if !sh.locked {
			tids = append(tids, -1)
			continue
		}
		tids = append(tids, int(sh.tid.Load()))
	}
	return tids
}
