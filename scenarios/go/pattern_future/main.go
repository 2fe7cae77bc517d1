// The seed's Future[T], with the usage of the C translation
// scenarios/patterns/pattern_future.c: two fetches collected with Get and
// GetWithTimeout, and a slow future that times out and is collected later.
package main

import (
	"fmt"
	"time"
)

type Future[T any] struct {
	result T
	err    error
	done   chan struct{}
}

func NewFuture[T any](fn func() (T, error)) *Future[T] {
	f := &Future[T]{done: make(chan struct{})}
	go func() {
		f.result, f.err = fn()
		close(f.done)
	}()
	return f
}

func (f *Future[T]) Get() (T, error) {
	<-f.done
	return f.result, f.err
}

func (f *Future[T]) GetWithTimeout(timeout time.Duration) (T, error) {
	select {
	case <-f.done:
		return f.result, f.err
	case <-time.After(timeout):
		var zero T
		return zero, fmt.Errorf("future timed out after %v", timeout)
	}
}

func fetchUserFromDB(id string) (string, error)     { return "Alice", nil }
func fetchOrdersFromDB(id string) ([]string, error) { return []string{"order1", "order2"}, nil }

// Usage: fire off concurrent work, collect results later
func main() {
	userFuture := NewFuture(func() (string, error) {
		return fetchUserFromDB("123")
	})
	ordersFuture := NewFuture(func() ([]string, error) {
		return fetchOrdersFromDB("123")
	})

	if user, err := userFuture.Get(); err == nil {
		fmt.Printf("user: %s\n", user)
	}
	if orders, err := ordersFuture.GetWithTimeout(time.Second); err == nil {
		fmt.Printf("orders: %v\n", orders)
	}

	// A future slower than the caller's patience.
	release := make(chan struct{})
	reportFuture := NewFuture(func() (int, error) {
		<-release // slow: until main lets it finish
		return 42, nil
	})
	if _, err := reportFuture.GetWithTimeout(100 * time.Millisecond); err != nil {
		fmt.Printf("report: %v\n", err)
	}
	close(release)
	if report, err := reportFuture.Get(); err == nil {
		fmt.Printf("report, collected later: %d\n", report)
	}
}
// SPDX-License-Identifier: MIT
