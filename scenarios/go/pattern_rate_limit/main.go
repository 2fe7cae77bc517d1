// The seed's processWithRateLimit (errgroup SetLimit(10) and a 50/s token
// bucket) over 60 items, as in scenarios/patterns/pattern_rate_limit.c.
package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"
)

var processed int64

func process(ctx context.Context, item string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	atomic.AddInt64(&processed, 1)
	return nil
}

func processWithRateLimit(ctx context.Context, items []string) error {
	const (
		maxConcurrency = 10
		ratePerSecond  = 50
	)

	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(maxConcurrency)

	limiter := rate.NewLimiter(rate.Limit(ratePerSecond), ratePerSecond)

	for _, item := range items {
		item := item
		if err := limiter.Wait(ctx); err != nil {
			return err
		}
		g.Go(func() error {
			return process(ctx, item)
		})
	}

	return g.Wait()
}

func main() {
	items := make([]string, 60)
	for i := range items {
		items[i] = fmt.Sprintf("item-%d", i)
	}
	err := processWithRateLimit(context.Background(), items)
	fmt.Printf("processed %d of %d items: err=%v\n", atomic.LoadInt64(&processed), len(items), err)
}
// SPDX-License-Identifier: MIT
