package iomodel

// UDP segmentation offload (udp(7), Linux 4.18 and 5.0): with GSO one send
// of up to 64 KiB leaves as many datagrams of one segment size, cut by the
// kernel or the NIC, so the stack is walked once for all of them; with GRO
// the kernel hands the receiver several datagrams of one flow as one
// buffer. Both are per-socket options (the PacketConns' SetGSO and SetGRO)
// or, for GSO, per send: a control message built by AppendGSO and passed to
// WriteMsgUDP or in a Message's OOB. A receive with GRO on says in its
// control data how long each datagram in the buffer is: GROSegment.
//
// Off Linux there is no UDP offload: AppendGSO returns oob as it is and
// GROSegment finds nothing.

// GROSpace is room enough for the UDP_GRO control message
// (unix.CmsgSpace(4)) on every Linux port: the OOB a receive needs for
// GROSegment when GRO is on.
const GROSpace = 24
