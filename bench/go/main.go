// SPDX-License-Identifier: MIT
// Command weftbench is the Go peer of weft's benchmarks: the same shapes as
// bench/bench_shapes.h and bench/bench_weft.c, written the way a Go
// programmer would, so that bench/run.sh can print libweft's speed as a
// ratio to Go's, measured in the same run on the same machine.
//
//	weftbench BENCH [N [RUNS]]
//	-> "buffered go ns_per_op=21.7 ops=5000000 runs=5 min=20.9 max=23.0"
//
// ns_per_op is the median over RUNS runs (default 5) of elapsed/N, as in
// the C program. run.sh runs it with GOMAXPROCS=2. Only the standard library
// is used, because the benchmark machines have no module proxy.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "weftbench:", msg)
	os.Exit(1)
}

func expect(ok bool, msg string) {
	if !ok {
		fail(msg)
	}
}

func triangle(n int) int64 { return int64(n) * int64(n-1) / 2 }

// produce sends 0..n-1 on ch; with left set, the last producer to finish
// closes ch (fan-in), otherwise each closes its own channel.
func produce(ch chan int, n int, left *int32) {
	for i := 0; i < n; i++ {
		ch <- i
	}
	if left == nil || atomic.AddInt32(left, -1) == 0 {
		close(ch)
	}
}

// buffered: one producer, one consumer (main), capacity 1024.
func benchBuffered(n int) time.Duration {
	ch := make(chan int, 1024)
	t0 := time.Now()
	go produce(ch, n, nil)
	var sum int64
	got := 0
	for v := range ch {
		sum += int64(v)
		got++
	}
	elapsed := time.Since(t0)
	expect(got == n && sum == triangle(n), "buffered: items lost or duplicated")
	return elapsed
}

// pingpong: main sends i on the unbuffered ping, a goroutine echoes it on
// the unbuffered pong; one op is one round trip.
func benchPingpong(n int) time.Duration {
	ping, pong := make(chan int), make(chan int)
	done := make(chan struct{})
	t0 := time.Now()
	go func() {
		for v := range ping {
			pong <- v
		}
		close(done)
	}()
	for i := 0; i < n; i++ {
		ping <- i
		expect(<-pong == i, "pingpong: wrong value echoed")
	}
	close(ping)
	<-done // the C side joins its worker thread
	return time.Since(t0)
}

// pipeline: the three-stage pipeline over unbuffered channels: a generator
// sends 0..n-1 on nums, a squarer sends each squared modulo a prime on sqs,
// main sums. One op is one item through both channels.
func benchPipeline(n int) time.Duration {
	nums, sqs := make(chan int), make(chan int)
	t0 := time.Now()
	go func() {
		for i := 0; i < n; i++ {
			nums <- i
		}
		close(nums)
	}()
	go func() {
		for v := range nums {
			sqs <- v * v % 1000003
		}
		close(sqs)
	}()
	var sum int64
	got := 0
	for v := range sqs {
		sum += int64(v)
		got++
	}
	elapsed := time.Since(t0)
	var want int64
	for i := 0; i < n; i++ {
		want += int64(i * i % 1000003)
	}
	expect(got == n && sum == want, "pipeline: items lost or duplicated")
	return elapsed
}

// fanin: 4 producers of n/4 items into one channel of capacity 128, the
// last one closes it, main consumes.
func benchFanin(n int) time.Duration {
	ch := make(chan int, 128)
	left := int32(4)
	t0 := time.Now()
	for k := 0; k < 4; k++ {
		go produce(ch, n/4, &left)
	}
	var sum int64
	got := 0
	for v := range ch {
		sum += int64(v)
		got++
	}
	elapsed := time.Since(t0)
	expect(got == n && sum == 4*triangle(n/4), "fanin: items lost or duplicated")
	return elapsed
}

// select4: 4 producers each with its own channel of capacity 128, closed
// when done; main selects over the 4 receives, setting a closed channel to
// nil, until all are closed. One op is one received item.
func benchSelect4(n int) time.Duration {
	var c [4]chan int
	for k := range c {
		c[k] = make(chan int, 128)
	}
	t0 := time.Now()
	for k := range c {
		go produce(c[k], n/4, nil)
	}
	c0, c1, c2, c3 := c[0], c[1], c[2], c[3]
	var sum int64
	got := 0
	for open := 4; open > 0; {
		var v int
		var ok bool
		select {
		case v, ok = <-c0:
			if !ok {
				c0 = nil
			}
		case v, ok = <-c1:
			if !ok {
				c1 = nil
			}
		case v, ok = <-c2:
			if !ok {
				c2 = nil
			}
		case v, ok = <-c3:
			if !ok {
				c3 = nil
			}
		}
		if !ok {
			open--
			continue
		}
		sum += int64(v)
		got++
	}
	elapsed := time.Since(t0)
	expect(got == n && sum == 4*triangle(n/4), "select4: items lost or duplicated")
	return elapsed
}

// wg: per op, main does wg.Add(1), hands the item to a worker over a
// channel of capacity 1, and wg.Wait()s; the worker calls wg.Done(). One
// channel wake-up and one Done-wakes-Wait wake-up per op.
func benchWg(n int) time.Duration {
	var wg sync.WaitGroup
	work := make(chan int, 1)
	done := make(chan struct{})
	t0 := time.Now()
	go func() {
		for range work {
			wg.Done()
		}
		close(done)
	}()
	for i := 0; i < n; i++ {
		wg.Add(1)
		work <- i
		wg.Wait()
	}
	close(work)
	<-done
	return time.Since(t0)
}

// wg_fast: Add(1), Done, Wait on one goroutine: the uncontended fast path.
func benchWgFast(n int) time.Duration {
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		wg.Done()
		wg.Wait()
	}
	return time.Since(t0)
}

// Group is golang.org/x/sync/errgroup's Group (WithContext, Go, Wait) in
// the same shape, written with the standard library only because x/sync
// cannot be fetched here: a WaitGroup, a sync.Once that keeps the first
// error and cancels the derived context, and a cancel when Wait returns.
type Group struct {
	cancel  func()
	wg      sync.WaitGroup
	errOnce sync.Once
	err     error
}

func WithContext(ctx context.Context) (*Group, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	return &Group{cancel: cancel}, ctx
}

func (g *Group) Go(f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			g.errOnce.Do(func() {
				g.err = err
				if g.cancel != nil {
					g.cancel()
				}
			})
		}
	}()
}

func (g *Group) Wait() error {
	g.wg.Wait()
	if g.cancel != nil {
		g.cancel()
	}
	return g.err
}

// errgroup: per op, a group with its context, 4 functions returning nil at
// once, Wait. Goroutines here, threads in C: the comparison is meant to show
// what each costs a program.
func benchErrgroup(n int) time.Duration {
	nop := func() error { return nil }
	t0 := time.Now()
	for i := 0; i < n; i++ {
		g, _ := WithContext(context.Background())
		for k := 0; k < 4; k++ {
			g.Go(nop)
		}
		if g.Wait() != nil {
			fail("errgroup failed")
		}
	}
	return time.Since(t0)
}

type bench struct {
	n  int // default size: keep equal to bench_weft.c's
	fn func(n int) time.Duration
}

var benches = map[string]bench{
	"buffered": {2000000, benchBuffered},
	"pingpong": {50000, benchPingpong},
	"pipeline": {200000, benchPipeline},
	"fanin":    {1000000, benchFanin},
	"select4":  {1000000, benchSelect4},
	"wg":       {50000, benchWg},
	"wg_fast":  {5000000, benchWgFast},
	"errgroup": {2000, benchErrgroup},
}

func usage() {
	names := make([]string, 0, len(benches))
	for name := range benches {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintln(os.Stderr, "usage: weftbench BENCH [N [RUNS]]\nBENCH:", names)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 || len(os.Args) > 4 {
		usage()
	}
	name := os.Args[1]
	b, ok := benches[name]
	if !ok {
		usage()
	}
	n, runs := b.n, 5
	var err error
	if len(os.Args) > 2 {
		if n, err = strconv.Atoi(os.Args[2]); err != nil || n < 1 || n > 100000000 {
			usage()
		}
	}
	if len(os.Args) > 3 {
		if runs, err = strconv.Atoi(os.Args[3]); err != nil || runs < 1 || runs > 100 {
			usage()
		}
	}
	if name == "fanin" || name == "select4" {
		if n < 4 {
			n = 4
		}
		n = n / 4 * 4
	}
	perOp := make([]float64, runs)
	for r := range perOp {
		perOp[r] = float64(b.fn(n).Nanoseconds()) / float64(n)
	}
	sort.Float64s(perOp)
	median := perOp[runs/2]
	if runs%2 == 0 {
		median = (perOp[runs/2-1] + perOp[runs/2]) / 2
	}
	fmt.Printf("%s go ns_per_op=%.1f ops=%d runs=%d min=%.1f max=%.1f\n",
		name, median, n, runs, perOp[0], perOp[runs-1])
}
