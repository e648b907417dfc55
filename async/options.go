package async

// model is the model's name, in its errors.
const model = "async"

// Option configures New, Dial and Listen.
type Option func(*options)

type options struct {
	ring     *Ring
	ringOnly bool
}

// WithRing makes the Conn use r instead of the shared default ring. A
// Listener's Conns use its ring.
func WithRing(r *Ring) Option { return func(o *options) { o.ring = r } }

// WithRingOnly makes every Send and Recv of a socket Conn a request on the
// ring, even when the kernel could complete it at once: the model exactly as
// the textbook draws it, at the price of a hand-off to the ring's thread and
// back on every call. Without it, a call on a socket first tries the copy
// itself (see the package doc, "Speculation"). A Listener passes it on to
// the Conns it accepts.
func WithRingOnly() Option { return func(o *options) { o.ringOnly = true } }

// makeOptions applies opts; none of them can fail.
func makeOptions(opts []Option) (options, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o, nil
}
