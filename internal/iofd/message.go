package iofd

import "github.com/iomodel/iomodel"

// Message is one datagram of a batch (FD.ReadBatch, FD.WriteBatch): the
// public iomodel.Message, which is golang.org/x/net/ipv4.Message, so that
// every model's PacketConn hands its callers' batches through.
type Message = iomodel.Message
