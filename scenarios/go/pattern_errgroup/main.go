// The seed's errgroup example (getUserProfile) with simulated fetches, as
// in the C translation scenarios/patterns/pattern_errgroup.c: for user "1"
// all three succeed; for user "bad" fetchUser fails while the other two are
// slow (they wait for the context, as a request made with it would), so the
// first error cancels them.
package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

type UserProfile struct {
	Name    string
	Posts   []string
	Friends []string
}

var errNotFound = errors.New("not found")

// cancelled counts the slow fetches that saw the cancel.
var cancelled int32

func slow(ctx context.Context) error {
	<-ctx.Done()
	atomic.AddInt32(&cancelled, 1)
	return ctx.Err()
}

func fetchUser(ctx context.Context, id string) (string, error) {
	if id != "1" {
		return "", fmt.Errorf("fetch user: %w", errNotFound)
	}
	return "Alice", nil
}

func fetchPosts(ctx context.Context, id string) ([]string, error) {
	if id != "1" {
		return nil, slow(ctx)
	}
	return []string{"post1", "post2"}, nil
}

func fetchFriends(ctx context.Context, id string) ([]string, error) {
	if id != "1" {
		return nil, slow(ctx)
	}
	return []string{"Bob", "Charlie"}, nil
}

func getUserProfile(ctx context.Context, userID string) (*UserProfile, error) {
	g, ctx := errgroup.WithContext(ctx)
	profile := &UserProfile{}

	g.Go(func() error {
		name, err := fetchUser(ctx, userID)
		if err != nil {
			return err
		}
		profile.Name = name
		return nil
	})

	g.Go(func() error {
		posts, err := fetchPosts(ctx, userID)
		if err != nil {
			return err
		}
		profile.Posts = posts
		return nil
	})

	g.Go(func() error {
		friends, err := fetchFriends(ctx, userID)
		if err != nil {
			return err
		}
		profile.Friends = friends
		return nil
	})

	// Wait blocks until all goroutines complete or one returns an error.
	// On first error, the derived context is cancelled, signaling other
	// goroutines to abort.
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("get user profile: %w", err)
	}

	return profile, nil
}

func show(id string) {
	atomic.StoreInt32(&cancelled, 0)
	p, err := getUserProfile(context.Background(), id)
	if err != nil {
		fmt.Printf("user %s: %v (%d other fetches cancelled)\n", id, err, atomic.LoadInt32(&cancelled))
		return
	}
	fmt.Printf("user %s: %s, posts [%s], friends [%s]\n", id, p.Name,
		strings.Join(p.Posts, " "), strings.Join(p.Friends, " "))
}

func main() {
	show("1")
	show("bad")
}
// SPDX-License-Identifier: MIT
