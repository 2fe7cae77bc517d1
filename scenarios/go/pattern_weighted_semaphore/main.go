// The seed's weighted semaphore example, with the wait the seed leaves out
// (acquire the full weight: both goroutines have released theirs); the C
// translation is scenarios/patterns/pattern_weighted_semaphore.c.
package main

import (
	"context"
	"fmt"

	"golang.org/x/sync/semaphore"
)

func main() {
	ctx := context.Background()
	sem := semaphore.NewWeighted(10) // total weight capacity: 10
	var heavyDone, lightDone bool

	// Heavy operation costs 5
	sem.Acquire(ctx, 5)
	go func() {
		defer sem.Release(5)
		heavyDone = true // ... heavy work ...
	}()

	// Light operation costs 1
	sem.Acquire(ctx, 1)
	go func() {
		defer sem.Release(1)
		lightDone = true // ... light work ...
	}()

	// Wait for both: the whole weight is free only once both released.
	sem.Acquire(ctx, 10)
	fmt.Printf("heavy work done: %s\n", yes(heavyDone))
	fmt.Printf("light work done: %s\n", yes(lightDone))
	sem.Release(10)
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
// SPDX-License-Identifier: MIT
