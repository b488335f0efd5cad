/* root: the root's bookkeeping while a sweep runs: taking the records of finished units (and deciding on retries),
 * the measured cost of each class of points and the unit sizes it gives, batching commits to the store (records
 * handed over in index order, so runs of contiguous points reach the store as runs), and progress reports. Not here: who trains what (dispatch.c, queue.c), the file
 * layout (store). Invariants: the root is the store's only writer; a point is done in the file only after its
 * results are (store.h's commit order); a point interrupted by a stop stays as it was in the file. */
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"

enum { COMMIT_MAX_RECORDS = 1 << 17 }; /* a commit is two fsyncs: batch by time (bench/README.md, "Committing") */
#define COMMIT_EVERY_S 0.5

/* Counts come from the root's per-point states. The rate counts the training done on running points too (known
 * only when the root trains alone, R->inflight), so a run of a few long points has a rate and an ETA before the
 * first one finishes. */
void tms_root_report(tms_root_state *R, int final) {
  if (!R->opt || !R->opt->on_progress) return;
  tms_progress p;
  memset(&p, 0, sizeof p);
  size_t n = tms_store_point_count(R->store);
  for (size_t i = 0; i < n; i++) {
    switch (R->pstate[i]) {
    case TMS_PS_DONE: p.done++; break;
    case TMS_PS_FAILED: p.failed++; break;
    case TMS_PS_SKIPPED: p.skipped++; break;
    case TMS_PS_RUNNING: p.running++; break;
    default: p.pending++; break;
    }
  }
  p.total = n - p.skipped;
  p.done_this_run = R->n_done_run;
  p.elapsed_s = tms_sched_now() - R->t0;
  p.inflight = R->inflight < (double)p.running ? R->inflight : (double)p.running;
  p.points_per_s = p.elapsed_s > 0 ? ((double)R->n_done_run + p.inflight) / p.elapsed_s : 0;
  double left = (double)(p.pending + p.running) - p.inflight;
  p.eta_s = p.points_per_s > 0 ? (left > 0 ? left : 0) / p.points_per_s : -1;
  p.stopping = R->stopping;
  p.final = final;
  R->opt->on_progress(&p, R->opt->user);
}

void tms_root_maybe_report(tms_root_state *R) {
  double t = tms_sched_now();
  if (t >= R->next_progress) {
    tms_root_report(R, 0);
    double every = R->sweep->run.progress_every_s > 0 ? R->sweep->run.progress_every_s : 10;
    R->next_progress = t + every;
  }
}

static int cmp_index(const void *a, const void *b) {
  const tms_point_record *x = a, *y = b;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* Commits the buffered records (results, flush, statuses, flush: see store.h). Batching bounds the number of
 * flushes (each an fsync through MPI-IO) when many short points finish at once; a kill loses at most the last
 * COMMIT_EVERY_S of work, which a resume retrains. */
void tms_root_commit(tms_root_state *R, int force) {
  if (R->pend_n == 0 || R->store_failed) return; /* after an MPI failure the store still takes what came */
  if (!force && R->pend_n < COMMIT_MAX_RECORDS && R->pend_n * R->L.bytes < TMS_UNIT_MAX_BYTES &&
      tms_sched_now() - R->last_commit < COMMIT_EVERY_S)
    return;
  tms_point_record *recs = malloc(R->pend_n * sizeof *recs);
  tms_status s;
  tms_error e;
  memset(&e, 0, sizeof e);
  if (!recs) {
    s = tms_error_set(&e, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for results");
  } else {
    int sorted = 1;
    for (size_t r = 0; r < R->pend_n; r++) {
      recs[r] = tms_rec_view(&R->L, R->pend + r * R->L.bytes);
      sorted &= r == 0 || recs[r - 1].index < recs[r].index;
    }
    if (!sorted) qsort(recs, R->pend_n, sizeof *recs, cmp_index);
    s = tms_store_commit(R->store, recs, (int)R->pend_n, &e);
    free(recs);
  }
  if (s != TMS_OK) {
    if (R->fatal == TMS_OK) R->fatal = s, R->fatal_err = e; /* the first failure is the one reported */
    R->store_failed = 1;
    R->stopping = 1;
  }
  R->pend_n = 0;
  R->last_commit = tms_sched_now();
}

/* Takes the records of one unit: buffers them for commit and decides what happens to failed points. */
void tms_root_measure(tms_root_state *R, int cls, int k, double wall_s) {
  if (cls < 0 || cls >= R->q.n_cls || k < 1 || !(wall_s > 0)) return;
  tms_class *c = &R->q.cls[cls];
  double per = wall_s / k;
  c->s_point = c->s_point > 0 ? 0.5 * c->s_point + 0.5 * per : per; /* follows drift, damps noise */
}

int tms_root_unit_size(const tms_root_state *R, int cls, int trainers) {
  const tms_class *c = &R->q.cls[cls];
  /* at least one whole bundle (a bundle trains faster than its points one by one), and at least
   * TMS_UNIT_TARGET_S of measured work; one bundle while the class is unmeasured */
  double want = (double)R->q.bundle;
  if (c->s_point > 0 && TMS_UNIT_TARGET_S / c->s_point > want) want = TMS_UNIT_TARGET_S / c->s_point;
  /* the end: every trainer should get about DEPTH units of what is left, so they finish together */
  double share = (double)R->q.queued / ((double)trainers * TMS_DEPTH);
  if (want > share) want = share;
  double cap = (double)(TMS_UNIT_MAX_BYTES / 16) / (double)R->L.bytes; /* messages of at most 16 MB */
  if (want > cap) want = cap;
  if (want > 1 << 20) want = 1 << 20;
  /* whole bundles when there are several */
  int k = want < 1 ? 1 : (int)want;
  if (k > R->q.bundle) k -= k % R->q.bundle;
  return k;
}

void tms_root_take(tms_root_state *R, unsigned char *buf, int k, int cls) {
  R->inflight = 0; /* the unit's training is now counted by its records */
  if (R->pend_n + (size_t)k > R->pend_cap) {
    size_t cap = (R->pend_n + (size_t)k) * 2;
    unsigned char *p = realloc(R->pend, cap * R->L.bytes);
    if (!p) {
      R->fatal = tms_error_set(&R->fatal_err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for results");
      R->stopping = 1;
      return;
    }
    R->pend = p;
    R->pend_cap = cap;
  }
  for (int j = 0; j < k; j++) {
    tms_rec_header *h = tms_rec_at(&R->L, buf, j);
    size_t i = (size_t)h->index;
    if (h->flags & TMS_REC_SIGNALED) R->stopping = 1;
    if (h->status == TMS_ERR_INTERRUPTED) {
      R->pstate[i] = TMS_PS_IDLE; /* stays as it was in the file; a resume trains it */
      continue;
    }
    memcpy(R->pend + R->pend_n * R->L.bytes, buf + (size_t)j * R->L.bytes, R->L.bytes);
    R->pend_n++;
    if (h->status == TMS_OK) {
      R->pstate[i] = TMS_PS_DONE;
      R->n_done_run++;
      continue;
    }
    R->tries[i]++;
    if (R->tries[i] < R->sweep->run.max_attempts && !R->stopping) {
      if (tms_work_queue_push(&R->q, (int64_t)i, cls) == 0) {
        R->pstate[i] = TMS_PS_QUEUED;
        continue;
      }
    }
    R->pstate[i] = TMS_PS_FAILED;
  }
  tms_root_commit(R, R->stopping);
}
