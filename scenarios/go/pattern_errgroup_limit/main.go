// The seed's processAllItems (errgroup with SetLimit(10)) over 100 items,
// as in the C translation scenarios/patterns/pattern_errgroup_limit.c.
package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

type Item struct{ Value int }

var sum, running, peak int64

func processItem(ctx context.Context, item Item) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := atomic.AddInt64(&running, 1)
	for {
		p := atomic.LoadInt64(&peak)
		if now <= p || atomic.CompareAndSwapInt64(&peak, p, now) {
			break
		}
	}
	atomic.AddInt64(&sum, int64(item.Value*item.Value))
	atomic.AddInt64(&running, -1)
	return nil
}

func processAllItems(ctx context.Context, items []Item) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(10) // At most 10 goroutines concurrently

	for _, item := range items {
		item := item // capture loop variable (unnecessary in Go 1.22+)
		g.Go(func() error {
			return processItem(ctx, item)
		})
	}

	return g.Wait()
}

func main() {
	items := make([]Item, 100)
	for i := range items {
		items[i] = Item{i + 1}
	}
	err := processAllItems(context.Background(), items)
	fmt.Printf("processed %d items: err=%v\n", len(items), err)
	fmt.Printf("sum of squares: %d\n", sum)
	ok := "no"
	if peak <= 10 {
		ok = "yes"
	}
	fmt.Printf("at most %d at once: %s\n", 10, ok)
}
// SPDX-License-Identifier: MIT
