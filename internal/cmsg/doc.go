// Package cmsg walks the control messages of a sendmsg(2) or recvmsg(2)
// buffer (cmsg(3)), for the descriptor passing and UDP offload of every
// model, without allocating. It is Linux's layout; elsewhere it is empty.
package cmsg
