// The seed's graceful shutdown, made self-checking as the C translation
// scenarios/patterns/pattern_graceful_shutdown.c is: the server listens on
// 127.0.0.1 at an ephemeral port, the background worker ticks every 20 ms
// (ticks to stderr: their count depends on timing), and the program is its
// own client over plain sockets: it raises SIGTERM while a slow request is
// in flight; the slow handler answers once Shutdown has closed the
// listener (RegisterOnShutdown runs right after that).
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

type Server struct {
	httpServer  *http.Server
	workers     sync.WaitGroup
	stopped     chan struct{} // closed once the server stopped accepting
	slowStarted chan struct{}
}

func NewServer() *Server {
	s := &Server{stopped: make(chan struct{}), slowStarted: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "OK")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		s.slowStarted <- struct{}{}
		<-s.stopped
		fmt.Fprintln(w, "slow OK")
	})
	s.httpServer = &http.Server{Handler: mux}
	s.httpServer.RegisterOnShutdown(func() { close(s.stopped) })
	return s
}

func (s *Server) StartBackgroundWorker(ctx context.Context) {
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		ticker := time.NewTicker(20 * time.Millisecond)
		defer ticker.Stop()

		for {
			select {
			case <-ticker.C:
				fmt.Fprintln(os.Stderr, "Background work tick")
			case <-ctx.Done():
				fmt.Println("Worker shutting down...")
				return
			}
		}
	}()
}

type clientResult struct {
	slow string
	late string
}

func get(addr, path string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path)
	return c, nil
}

// response reads the whole answer: "CODE BODY", the body's newline dropped.
func response(c net.Conn) string {
	defer c.Close()
	all, _ := io.ReadAll(bufio.NewReader(c))
	text := string(all)
	code := ""
	if f := strings.Fields(text); len(f) > 1 {
		code = f[1]
	}
	body := ""
	if i := strings.Index(text, "\r\n\r\n"); i >= 0 {
		body = strings.SplitN(text[i+4:], "\n", 2)[0]
	}
	return code + " " + body
}

func client(addr string, s *Server, res *clientResult) {
	c, _ := get(addr, "/")
	fmt.Printf("GET / -> %s\n", response(c))

	// A slow request, then SIGTERM while it is in flight.
	c, _ = get(addr, "/slow")
	<-s.slowStarted
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	res.slow = response(c)

	// The server stopped accepting before it answered the slow request.
	res.late = "accepted"
	if c, err := net.Dial("tcp", addr); err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			res.late = "refused"
		}
	} else {
		c.Close()
	}
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Wait for interrupt signal (registered before anything can send it)
	sigCh := make(chan os.Signal, 1)
	signal.Notify(sigCh, syscall.SIGINT, syscall.SIGTERM)

	server := NewServer()
	server.StartBackgroundWorker(ctx)

	// Start HTTP server
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Printf("HTTP server error: %v\n", err)
		return
	}
	go func() {
		if err := server.httpServer.Serve(ln); err != http.ErrServerClosed {
			fmt.Printf("HTTP server error: %v\n", err)
		}
	}()

	var res clientResult
	clientDone := make(chan struct{})
	go func() {
		client(ln.Addr().String(), server, &res)
		close(clientDone)
	}()

	<-sigCh
	fmt.Println("Shutdown signal received...")

	// Phase 1: Stop accepting new requests
	shutdownCtx, shutdownCancel := context.WithTimeout(
		context.Background(), 30*time.Second)
	defer shutdownCancel()
	server.httpServer.Shutdown(shutdownCtx)

	// Phase 2: Cancel background work
	cancel()

	// Phase 3: Wait for in-flight work to complete
	done := make(chan struct{})
	go func() {
		server.workers.Wait()
		close(done)
	}()

	select {
	case <-done:
		fmt.Println("Graceful shutdown complete")
	case <-shutdownCtx.Done():
		fmt.Println("Shutdown timed out, forcing exit")
	}

	<-clientDone
	fmt.Printf("in-flight GET /slow -> %s\n", res.slow)
	fmt.Printf("new connection after shutdown: %s\n", res.late)
}
// SPDX-License-Identifier: MIT
