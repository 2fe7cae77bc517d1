// The seed's pipeline (generate -> square -> filter), as the seed has it;
// the C translation is scenarios/patterns/pattern_pipeline.c.
package main

import "fmt"

// Stage 1: Generate numbers
func generate(nums ...int) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		for _, n := range nums {
			out <- n
		}
	}()
	return out
}

// Stage 2: Square each number
func square(in <-chan int) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		for n := range in {
			out <- n * n
		}
	}()
	return out
}

// Stage 3: Filter — keep only values above threshold
func filter(in <-chan int, threshold int) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		for n := range in {
			if n > threshold {
				out <- n
			}
		}
	}()
	return out
}

func main() {
	// Compose the pipeline: generate -> square -> filter
	ch := filter(square(generate(1, 2, 3, 4, 5)), 10)

	for v := range ch {
		fmt.Println(v) // 16, 25
	}
}
// SPDX-License-Identifier: MIT
