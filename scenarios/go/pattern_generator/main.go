// The seed's Fibonacci generator, as the seed has it (the C translation,
// scenarios/patterns/pattern_generator.c, also drains the channel so the
// generator has returned before main does).
package main

import (
	"context"
	"fmt"
)

// Fibonacci generator — produces values on demand
func fibonacci(ctx context.Context) <-chan int {
	ch := make(chan int)
	go func() {
		defer close(ch)
		a, b := 0, 1
		for {
			select {
			case ch <- a:
				a, b = b, a+b
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	for v := range fibonacci(ctx) {
		fmt.Println(v)
		if v > 1000 {
			cancel() // Stop the generator
			break
		}
	}
}
// SPDX-License-Identifier: MIT
