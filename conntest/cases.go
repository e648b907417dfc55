package conntest

// cases is the suite, in the order it runs: every behaviour of the
// contract that Run checks, each with the traits that make it skip.
var cases = []testCase{
	// Bytes and messages (data.go).
	{"RandomStream", nil, testRandomStream},
	{"PingPong", skipOneWay, testPingPong},
	{"LargeTransfer", nil, testLargeTransfer},
	{"ConcurrentSends", nil, testConcurrentSends},
	{"ConcurrentRecvs", nil, testConcurrentRecvs},
	{"ZeroLength", nil, testZeroLength},
	{"MessageBoundaries", skipStream, testMessageBoundaries},

	// Deadlines (deadline.go).
	{"DeadlinePast", skipNoDL, testDeadlinePast},
	{"DeadlineFuture", skipNoDL, testDeadlineFuture},
	{"DeadlineMovedWhilePending", anyOf(skipNoDL, skipDLStart), testDeadlineMoved},
	{"DeadlineCleared", skipNoDL, testDeadlineCleared},
	{"WriteDeadline", anyOf(skipNoDL, skipLossy), testWriteDeadline},
	{"DeadlineUnderSignals", skipNoDL, testDeadlineUnderSignals},
	{"DeadlineAfterClose", nil, testDeadlineAfterClose},

	// The end of a connection (lifecycle.go).
	{"CloseUnblocksRecv", skipNoClose, testCloseUnblocksRecv},
	{"CloseUnblocksSend", anyOf(skipNoClose, skipLossy), testCloseUnblocksSend},
	{"DoubleClose", nil, testDoubleClose},
	{"UseAfterClose", nil, testUseAfterClose},
	{"EOFAfterPeerClose", skipNoConn, testEOF},
	{"SendToClosedPeer", skipNoConn, testSendToClosedPeer},
	{"ResetByPeer", anyOf(skipNoConn, skipOneWay, skipMessage), testResetByPeer},
	{"CloseWrite", anyOf(skipNoConn, skipOneWay), testCloseWrite},
	{"CloseRead", anyOf(skipNoConn, skipOneWay), testCloseRead},
	{"NoDescriptorLeft", nil, testNoDescriptorLeft},

	// Addresses (addr.go).
	{"AddrsAfterClose", nil, testAddrsAfterClose},
	{"AddrsAfterPeerReset", anyOf(skipNoConn, skipOneWay, skipMessage), testAddrsAfterPeerReset},
}
