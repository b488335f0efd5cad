/* post_parallel: the post module's one way to run a loop over points or cells on threads (private to
 * src/3_files/post). Each thread takes the next chunk of indices from a shared counter and writes only the entries
 * of its own indices, so a product never depends on the number of threads or on which thread took which chunk;
 * sums across indices stay serial, in index order, in the callers. On an error the threads stop taking chunks and
 * the error of the lowest failing index is returned, as a serial loop would report it. */
#ifndef TMS_POST_PARALLEL_H
#define TMS_POST_PARALLEL_H
#include <stddef.h>

#include "core/status.h"
#include "post/timing.h"

typedef struct {
  void *ctx;
  /* Per-thread scratch (optional: NULL gives every range a NULL local); returning NULL means no memory. */
  void *(*local_init)(void *ctx);
  void (*local_free)(void *local);
  /* Indices [from, to): on an error sets *bad to the failing index and returns its status. */
  tms_status (*range)(void *ctx, void *local, size_t from, size_t to, size_t *bad, tms_error *err);
} post_loop;

/* Runs loop->range over [0, count) in chunks of chunk indices on up to threads threads (the caller's included;
 * <= 1: the caller's thread only); times the loop into the current stage of timing (may be NULL). */
tms_status post_parallel_for(const post_loop *loop, size_t count, size_t chunk, int threads, tms_post_timing *timing,
                             tms_error *err);

#endif
