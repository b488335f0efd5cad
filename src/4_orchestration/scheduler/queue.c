/* queue: the root's work queue: which points are trained, in which order, grouped into which units.
 * Policy: longest first (cost steps*n*m, doubled for abs), so the longest points never start last and leave the
 * other ranks idle at the end; points of one shape and schedule are bundled into units so a worker gets several
 * small points per message; retried points go to the back as single-point units. Not here: sending units
 * (dispatch.c). Invariants: the order is a total order (ties broken by shape, then point index), so the queue
 * does not depend on the rank count except for the automatic bundle size, which never changes any result. */
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"
#include "config/grid.h"

enum { MAX_AUTO_BUNDLE = 16 };

void tms_work_queue_free(tms_work_queue *q) {
  if (!q) return;
  free(q->pool);
  free(q->units);
  memset(q, 0, sizeof *q);
}

int tms_work_queue_push(tms_work_queue *q, const int64_t *idx, int k) {
  if (q->pool_len + (size_t)k > q->pool_cap) {
    size_t cap = (q->pool_cap + (size_t)k) * 2;
    int64_t *p = realloc(q->pool, cap * sizeof *p);
    if (!p) return -1;
    q->pool = p;
    q->pool_cap = cap;
  }
  if (q->tail == q->cap) {
    size_t cap = q->cap * 2 + 16;
    tms_unit *u = realloc(q->units, cap * sizeof *u);
    if (!u) return -1;
    q->units = u;
    q->cap = cap;
  }
  memcpy(q->pool + q->pool_len, idx, (size_t)k * sizeof *idx);
  q->units[q->tail].start = q->pool_len;
  q->units[q->tail].k = k;
  q->tail++;
  q->pool_len += (size_t)k;
  return 0;
}

typedef struct {
  int64_t index;
  double cost;
  int variant, n, m, batch, log_every, eval_batch;
  long steps;
} order_key;

static int cmp_order(const void *a, const void *b) {
  const order_key *x = a, *y = b;
  if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1; /* longest first */
#define CMP_FIELD(f) \
  if (x->f != y->f) return x->f < y->f ? -1 : 1;
  CMP_FIELD(variant)
  CMP_FIELD(n)
  CMP_FIELD(m)
  CMP_FIELD(steps)
  CMP_FIELD(batch)
  CMP_FIELD(log_every)
  CMP_FIELD(eval_batch)
  CMP_FIELD(index)
#undef CMP_FIELD
  return 0;
}

static int same_bundle(const order_key *x, const order_key *y) {
  return x->variant == y->variant && x->n == y->n && x->m == y->m && x->steps == y->steps && x->batch == y->batch &&
         x->log_every == y->log_every && x->eval_batch == y->eval_batch;
}

/* Builds the ordered, bundled queue of every point not done (pending and failed ones). */
tms_status tms_work_queue_build(tms_work_queue *q, unsigned char *pstate, const tms_sweep *sweep,
                                const tms_store *store, int trainers, tms_error *err) {
  size_t n = tms_store_point_count(store);
  const uint8_t *status = tms_store_status(store);
  order_key *keys = malloc((n ? n : 1) * sizeof *keys);
  if (!keys) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for the work queue");
  size_t P = 0;
  for (size_t i = 0; i < n; i++) {
    if (status[i] == TMS_POINT_DONE) {
      pstate[i] = TMS_PS_DONE;
      continue;
    }
    if (status[i] == TMS_POINT_SKIPPED) {
      pstate[i] = TMS_PS_SKIPPED;
      continue;
    }
    tms_spec s;
    tms_status st = tms_grid_spec(sweep, i, &s, err);
    if (st != TMS_OK) {
      free(keys);
      return st;
    }
    order_key *k = &keys[P++];
    k->index = (int64_t)i;
    k->cost = (double)s.steps * s.n_features * s.n_hidden * (s.variant == TMS_ABS ? 2 : 1);
    k->variant = (int)s.variant;
    k->n = s.n_features;
    k->m = s.n_hidden;
    k->steps = s.steps;
    k->batch = s.batch_size;
    k->log_every = s.log_every;
    k->eval_batch = s.eval_batch;
    pstate[i] = TMS_PS_QUEUED;
  }
  qsort(keys, P, sizeof *keys, cmp_order);
  int B = sweep->run.bundle;
  if (B <= 0) { /* automatic: several units per trainer so the tail balances, bundles when there is plenty */
    size_t b = P / ((size_t)trainers * 4);
    B = b < 1 ? 1 : b > MAX_AUTO_BUNDLE ? MAX_AUTO_BUNDLE : (int)b;
  }
  { /* a unit's records travel in one message (an int count of bytes) and wait together on the root: with large
     * records (W histories) keep a unit under TMS_UNIT_MAX_BYTES; bundling never changes a result */
    tms_rec_layout L;
    tms_rec_layout_init(&L, sweep);
    size_t cap = TMS_UNIT_MAX_BYTES / L.bytes;
    if (cap < 1) cap = 1;
    if ((size_t)B > cap) B = (int)cap;
  }
  int64_t *idx = malloc((size_t)B * sizeof *idx);
  tms_status s = TMS_OK;
  if (!idx) s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for the work queue");
  for (size_t a = 0; a < P && s == TMS_OK;) {
    int k = 0;
    size_t b = a;
    while (b < P && k < B && same_bundle(&keys[a], &keys[b])) idx[k++] = keys[b++].index;
    if (tms_work_queue_push(q, idx, k) < 0) s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory");
    a = b;
  }
  free(idx);
  free(keys);
  return s;
}
