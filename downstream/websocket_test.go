package downstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestWebSocket serves gorilla/websocket on net/http over each model's
// Listener, and dials it with the model's DialContext: text and binary
// echoes, a ping answered by a pong, the close handshake, and Shutdown.
func TestWebSocket(t *testing.T) {
	forEachModel(t, func(t *testing.T, m model) {
		l, err := m.listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("%s: Listen: %v", m.name, err)
		}
		closed := make(chan error, 1)
		up := websocket.Upgrader{}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				closed <- err
				return
			}
			defer c.Close()
			for {
				kind, p, err := c.ReadMessage()
				if err != nil {
					// The client's close: gorilla has answered it.
					closed <- err
					return
				}
				if err := c.WriteMessage(kind, p); err != nil {
					closed <- err
					return
				}
			}
		})}
		served := serve(t, m, "http.Server.Serve", func() error { return srv.Serve(l) }, func(err error) bool { return err == http.ErrServerClosed })
		defer served()
		defer srv.Close()

		d := websocket.Dialer{NetDialContext: m.dialContext, HandshakeTimeout: stepTimeout / 2}
		var c *websocket.Conn
		step(t, m, "the WebSocket handshake", func() (err error) {
			var resp *http.Response
			c, resp, err = d.Dial("ws://"+l.Addr().String()+"/", nil)
			if err == nil && resp.StatusCode != http.StatusSwitchingProtocols {
				err = fmt.Errorf("the handshake's status is %s", resp.Status)
			}
			return err
		})
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(stepTimeout))
		step(t, m, "1000 echoes", func() error {
			for i := range 1000 {
				kind, p := websocket.TextMessage, fmt.Appendf(nil, "message %d", i)
				if i%2 == 1 {
					kind, p = websocket.BinaryMessage, bytes.Repeat([]byte{byte(i)}, i*64)
				}
				if err := c.WriteMessage(kind, p); err != nil {
					return err
				}
				gotKind, got, err := c.ReadMessage()
				if err != nil {
					return errorf("echo %d: %v", i, err)
				}
				if gotKind != kind || !bytes.Equal(got, p) {
					return errorf("echo %d: a %d-byte message of kind %d, want %d bytes of kind %d", i, len(got), gotKind, len(p), kind)
				}
			}
			return nil
		})
		step(t, m, "a ping answered by a pong", func() error {
			pong := make(chan string, 1)
			c.SetPongHandler(func(s string) error { pong <- s; return nil })
			if err := c.WriteControl(websocket.PingMessage, []byte("hi"), time.Now().Add(stepTimeout)); err != nil {
				return err
			}
			// The pong handler runs inside a read; an echo brings it.
			if err := c.WriteMessage(websocket.TextMessage, []byte("after the ping")); err != nil {
				return err
			}
			if _, _, err := c.ReadMessage(); err != nil {
				return err
			}
			select {
			case s := <-pong:
				if s != "hi" {
					return errorf("the pong carried %q, want \"hi\"", s)
				}
				return nil
			default:
				return errors.New("no pong came before the echo that followed the ping")
			}
		})
		step(t, m, "the close handshake", func() error {
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")
			if err := c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(stepTimeout)); err != nil {
				return err
			}
			_, _, err := c.ReadMessage()
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				return errorf("the client read %v after its close, want the server's close 1000", err)
			}
			if err := <-closed; !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				return errorf("the server read %v, want the client's close 1000", err)
			}
			return nil
		})
		step(t, m, "http.Server.Shutdown", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), stepTimeout/2)
			defer cancel()
			return srv.Shutdown(ctx)
		})
	})
}
