/* pattern_errgroup.c: the seed's errgroup (errgroup.WithContext): three
 * concurrent fetches fill one profile; Wait returns the first error, and
 * that first error cancels the group's context so the other fetches stop
 * waiting instead of running on. The seed fetches a web API; here the
 * fetches are simulated: for user "1" all three succeed at once, for user
 * "bad" the user fetch fails while the other two are slow (they wait until
 * the context is cancelled, as an HTTP request made with the context
 * would), so it is the first error that ends them. Every function has
 * returned when Wait does: nothing outlives the group. */
#include <stdio.h>
#include <string.h>

#include <weft/weft.h>

#define ENOTFOUND (-1000) /* our own error code: no such user */

struct profile {
    const char *name;
    const char *posts[2];
    const char *friends[2];
};

struct request {
    const char *user_id;
    struct profile *profile;
    int cancelled; /* how many slow fetches saw the cancel */
};

/* A slow fetch: only a cancelled context ends it (as a request made with
 * ctx would). */
static int slow(weft_ctx *ctx, struct request *r) {
    weft_chan_recv(weft_ctx_done(ctx), NULL);
    __atomic_fetch_add(&r->cancelled, 1, __ATOMIC_SEQ_CST);
    return weft_ctx_err(ctx);
}

static int fetch_user(weft_ctx *ctx, void *arg) {
    struct request *r = arg;
    (void)ctx;
    if (strcmp(r->user_id, "1") != 0)
        return ENOTFOUND; /* fmt.Errorf("fetch user: ...") */
    r->profile->name = "Alice";
    return 0;
}

static int fetch_posts(weft_ctx *ctx, void *arg) {
    struct request *r = arg;
    if (strcmp(r->user_id, "1") != 0)
        return slow(ctx, r);
    r->profile->posts[0] = "post1";
    r->profile->posts[1] = "post2";
    return 0;
}

static int fetch_friends(weft_ctx *ctx, void *arg) {
    struct request *r = arg;
    if (strcmp(r->user_id, "1") != 0)
        return slow(ctx, r);
    r->profile->friends[0] = "Bob";
    r->profile->friends[1] = "Charlie";
    return 0;
}

/* getUserProfile: 0 and *profile filled in, or the first error. */
static int get_user_profile(const char *user_id, struct profile *profile, int *cancelled) {
    weft_group *g = weft_group_new(NULL);
    struct request r = {.user_id = user_id, .profile = profile};
    weft_group_go(g, fetch_user, &r);
    weft_group_go(g, fetch_posts, &r);
    weft_group_go(g, fetch_friends, &r);
    /* Wait blocks until all functions return; on the first error the
     * group's context is cancelled, signalling the others to abort. */
    int err = weft_group_wait(g);
    weft_group_free(g);
    *cancelled = r.cancelled;
    return err;
}

static void show(const char *user_id) {
    struct profile p = {0};
    int cancelled = 0;
    int err = get_user_profile(user_id, &p, &cancelled);
    if (err == ENOTFOUND)
        printf("user %s: get user profile: fetch user: not found (%d other fetches cancelled)\n",
               user_id, cancelled);
    else if (err)
        printf("user %s: get user profile: %s\n", user_id, weft_strerror(err));
    else
        printf("user %s: %s, posts [%s %s], friends [%s %s]\n", user_id, p.name, p.posts[0],
               p.posts[1], p.friends[0], p.friends[1]);
}

int main(void) {
    show("1");
    show("bad");
    return 0;
}
/* SPDX-License-Identifier: MIT */
