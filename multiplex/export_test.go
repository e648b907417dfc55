package multiplex

// PollerThread is the id of p's OS thread, 0 before it has started.
func PollerThread(p *Poller) int { return int(p.tid.Load()) }
