package downstream

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
)

// TestGRPC serves grpc-go's health and reflection services on each
// model's Listener and calls them through a client that dials with the
// model's DialContext: unary calls, a 1 MiB request, a server stream, a
// bidirectional stream, a deadline that expires on a pending stream, and
// GracefulStop with a stream open.
func TestGRPC(t *testing.T) {
	forEachModel(t, func(t *testing.T, m model) {
		l, err := m.listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("%s: Listen: %v", m.name, err)
		}
		srv := grpc.NewServer()
		hs := health.NewServer()
		healthpb.RegisterHealthServer(srv, hs)
		reflection.Register(srv)
		served := serve(t, m, "Serve", func() error { return srv.Serve(l) }, func(err error) bool { return err == nil })
		defer served()
		defer srv.Stop()

		cc := grpcClient(t, m, l.Addr().String())
		defer cc.Close()
		hc := healthpb.NewHealthClient(cc)
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		defer cancel()

		step(t, m, "200 unary Check calls", func() error {
			for i := range 200 {
				r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{})
				if err != nil {
					return errorf("call %d: %v", i, err)
				}
				if r.Status != healthpb.HealthCheckResponse_SERVING {
					return errorf("call %d: %v, want SERVING", i, r.Status)
				}
			}
			return nil
		})
		step(t, m, "a 1 MiB request", func() error {
			_, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: strings.Repeat("s", 1<<20)})
			if status.Code(err) != codes.NotFound {
				return errorf("Check of a 1 MiB service name: %v, want NotFound", err)
			}
			return nil
		})
		step(t, m, "a server stream (Watch)", func() error {
			wctx, wcancel := context.WithCancel(ctx)
			defer wcancel()
			w, err := hc.Watch(wctx, &healthpb.HealthCheckRequest{Service: "svc"})
			if err != nil {
				return err
			}
			// Each status is set once the one before it has arrived
			// (the health server keeps only the latest for a slow
			// watcher).
			next := map[healthpb.HealthCheckResponse_ServingStatus]healthpb.HealthCheckResponse_ServingStatus{
				healthpb.HealthCheckResponse_SERVICE_UNKNOWN: healthpb.HealthCheckResponse_SERVING,
				healthpb.HealthCheckResponse_SERVING:         healthpb.HealthCheckResponse_NOT_SERVING,
			}
			want := healthpb.HealthCheckResponse_SERVICE_UNKNOWN
			for {
				r, err := w.Recv()
				if err != nil {
					return err
				}
				if r.Status != want {
					return errorf("Watch got %v, want %v", r.Status, want)
				}
				if want == healthpb.HealthCheckResponse_NOT_SERVING {
					return nil
				}
				want = next[want]
				hs.SetServingStatus("svc", want)
			}
		})
		step(t, m, "a bidirectional stream (reflection)", func() error {
			s, err := reflectionpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
			if err != nil {
				return err
			}
			for range 20 {
				if err := s.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
					return err
				}
				r, err := s.Recv()
				if err != nil {
					return err
				}
				if n := len(r.GetListServicesResponse().GetService()); n != 3 {
					return errorf("ListServices named %d services, want 3 (health, reflection v1 and v1alpha)", n)
				}
			}
			if err := s.CloseSend(); err != nil {
				return err
			}
			if _, err := s.Recv(); err != io.EOF {
				return errorf("Recv after CloseSend: %v, want io.EOF", err)
			}
			return nil
		})
		step(t, m, "a deadline that expires on a pending stream", func() error {
			dctx, dcancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer dcancel()
			w, err := hc.Watch(dctx, &healthpb.HealthCheckRequest{})
			if err != nil {
				return err
			}
			if _, err := w.Recv(); err != nil {
				return errorf("the first status: %v", err)
			}
			start := time.Now()
			_, err = w.Recv()
			if status.Code(err) != codes.DeadlineExceeded {
				return errorf("Recv past the deadline: %v, want DeadlineExceeded", err)
			}
			if time.Since(start) > 10*time.Second {
				return errorf("the 200 ms deadline took %v to end the stream", time.Since(start))
			}
			return nil
		})
		step(t, m, "GracefulStop with a stream open", func() error {
			wctx, wcancel := context.WithCancel(ctx)
			defer wcancel()
			w, err := hc.Watch(wctx, &healthpb.HealthCheckRequest{})
			if err != nil {
				return err
			}
			if _, err := w.Recv(); err != nil {
				return err
			}
			stopped := make(chan struct{})
			go func() { srv.GracefulStop(); close(stopped) }()
			// The open stream still works while the server drains: a
			// status change reaches it.
			hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
			r, err := w.Recv()
			if err != nil {
				return errorf("the open stream during GracefulStop: %v", err)
			}
			if r.Status != healthpb.HealthCheckResponse_NOT_SERVING {
				return errorf("the open stream during GracefulStop got %v, want NOT_SERVING", r.Status)
			}
			wcancel()
			select {
			case <-stopped:
			case <-time.After(stepTimeout / 2):
				return errors.New("GracefulStop did not return after the last stream ended")
			}
			if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(false)); err == nil {
				return errors.New("a call after GracefulStop succeeded")
			}
			return nil
		})
	})
}
