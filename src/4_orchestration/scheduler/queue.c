/* queue: the root's work queue: which points are trained, in which order, in runs of one class.
 * Policy: classes (points that train alike: variant, shape, steps, batch, logging) longest first (cost
 * steps*n*m, doubled for abs), so the longest points never start last and leave the other ranks idle at the
 * end; within a class, points in index order, so a unit is a run of contiguous points in most sweeps (an axis
 * that sets the shape is usually outer), which the store commits in few writes. Retried points go to the back
 * as runs of one. How many points a unit takes is the dispatcher's choice (root.c, from measured costs).
 * Not here: sending units (dispatch.c). Invariants: the order is a total order (classes by cost then fields,
 * points by index), so the queue does not depend on the rank count; unit boundaries do (and timing), which
 * never changes a result. Memory: one int64 per queued point, one tms_class per class, one small array of
 * class ids per point while building. */
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"
#include "config/grid.h"

enum { TMS_AUTO_BUNDLE = 16 };

int tms_sched_bundle_size(const tms_sweep *sweep) {
  return sweep->run.bundle > 0 ? sweep->run.bundle : TMS_AUTO_BUNDLE;
}

void tms_work_queue_free(tms_work_queue *q) {
  if (!q) return;
  free(q->pool);
  free(q->runs);
  free(q->cls);
  memset(q, 0, sizeof *q);
}

static int push_run(tms_work_queue *q, size_t start, size_t len, int cls) {
  if (q->run_tail == q->run_cap) {
    size_t cap = q->run_cap * 2 + 16;
    tms_run *r = realloc(q->runs, cap * sizeof *r);
    if (!r) return -1;
    q->runs = r;
    q->run_cap = cap;
  }
  q->runs[q->run_tail++] = (tms_run){start, len, cls};
  q->queued += len;
  return 0;
}

int tms_work_queue_push(tms_work_queue *q, int64_t index, int cls) {
  if (q->pool_len == q->pool_cap) {
    size_t cap = q->pool_cap * 2 + 16;
    int64_t *p = realloc(q->pool, cap * sizeof *p);
    if (!p) return -1;
    q->pool = p;
    q->pool_cap = cap;
  }
  if (push_run(q, q->pool_len, 1, cls) < 0) return -1;
  q->pool[q->pool_len++] = index;
  return 0;
}

int tms_work_queue_peek(tms_work_queue *q) {
  while (q->run_head < q->run_tail && q->head_off == q->runs[q->run_head].len) {
    q->run_head++;
    q->head_off = 0;
  }
  return q->run_head == q->run_tail ? -1 : q->runs[q->run_head].cls;
}

int tms_work_queue_next(tms_work_queue *q, int max_k, tms_unit *u) {
  if (tms_work_queue_peek(q) < 0) return 0;
  const tms_run *r = &q->runs[q->run_head];
  size_t left = r->len - q->head_off;
  u->k = max_k < 1 ? 1 : (size_t)max_k < left ? max_k : (int)left;
  u->start = r->start + q->head_off;
  u->cls = r->cls;
  q->head_off += (size_t)u->k;
  q->queued -= (size_t)u->k;
  return 1;
}

/* ---- building ---- */

static int same_class(const tms_class *c, const tms_spec *s) {
  return c->variant == (int)s->variant && c->n == s->n_features && c->m == s->n_hidden && c->steps == s->steps &&
         c->batch == s->batch_size && c->log_every == s->log_every && c->eval_batch == s->eval_batch;
}

/* Open addressing over class ids; grows with the class list (classes are few in most sweeps). */
typedef struct {
  int *slot; /* class id + 1, 0 = empty */
  size_t cap;
} class_table;

static size_t class_hash(const tms_spec *s) {
  size_t h = 1469598103934665603ULL;
  const long f[] = {(long)s->variant, s->n_features, s->n_hidden, s->steps, s->batch_size, s->log_every,
                    s->eval_batch};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) h = (h ^ (size_t)f[i]) * 1099511628211ULL;
  return h;
}

static int table_grow(class_table *t, const tms_work_queue *q, size_t cap) {
  int *slot = calloc(cap, sizeof *slot);
  if (!slot) return -1;
  for (int c = 0; c < q->n_cls; c++) { /* re-insert every class by its fields */
    tms_spec s;
    memset(&s, 0, sizeof s);
    s.variant = (tms_variant)q->cls[c].variant;
    s.n_features = q->cls[c].n, s.n_hidden = q->cls[c].m, s.steps = q->cls[c].steps;
    s.batch_size = q->cls[c].batch, s.log_every = q->cls[c].log_every, s.eval_batch = q->cls[c].eval_batch;
    size_t h = class_hash(&s) & (cap - 1);
    while (slot[h]) h = (h + 1) & (cap - 1);
    slot[h] = c + 1;
  }
  free(t->slot);
  t->slot = slot;
  t->cap = cap;
  return 0;
}

/* The class id of spec s, added when new; -1 when out of memory. */
static int class_of(tms_work_queue *q, class_table *t, int *cls_cap, const tms_spec *s) {
  if ((size_t)(q->n_cls + 1) * 2 > t->cap && table_grow(t, q, t->cap ? t->cap * 2 : 64) < 0) return -1;
  size_t h = class_hash(s) & (t->cap - 1);
  for (; t->slot[h]; h = (h + 1) & (t->cap - 1))
    if (same_class(&q->cls[t->slot[h] - 1], s)) return t->slot[h] - 1;
  if (q->n_cls == *cls_cap) {
    int cap = *cls_cap * 2 + 8;
    tms_class *c = realloc(q->cls, (size_t)cap * sizeof *c);
    if (!c) return -1;
    q->cls = c;
    *cls_cap = cap;
  }
  tms_class *c = &q->cls[q->n_cls];
  *c = (tms_class){(int)s->variant, s->n_features, s->n_hidden, s->batch_size, s->log_every, s->eval_batch,
                   s->steps, (double)s->steps * s->n_features * s->n_hidden * (s->variant == TMS_ABS ? 2 : 1), 0};
  t->slot[h] = q->n_cls + 1;
  return q->n_cls++;
}

static const tms_class *g_sort_cls; /* qsort has no user pointer; the build is single-threaded */

static int cmp_class(const void *a, const void *b) {
  const tms_class *x = &g_sort_cls[*(const int *)a], *y = &g_sort_cls[*(const int *)b];
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
#undef CMP_FIELD
  return 0;
}

/* Classes of every point to train (cid[i] = class, or -1), in one pass over the grid. */
static tms_status classify(tms_work_queue *q, int32_t *cid, unsigned char *pstate, const tms_sweep *sweep,
                           const tms_store *store, size_t *P, tms_error *err) {
  size_t n = tms_store_point_count(store);
  const uint8_t *status = tms_store_status(store);
  class_table t = {NULL, 0};
  int cls_cap = 0;
  tms_status s = TMS_OK;
  for (size_t i = 0; i < n && s == TMS_OK; i++) {
    cid[i] = -1;
    if (status[i] == TMS_POINT_DONE || status[i] == TMS_POINT_SKIPPED) {
      pstate[i] = status[i] == TMS_POINT_DONE ? TMS_PS_DONE : TMS_PS_SKIPPED;
      continue;
    }
    tms_spec spec;
    if ((s = tms_grid_spec(sweep, i, &spec, err)) != TMS_OK) break;
    cid[i] = class_of(q, &t, &cls_cap, &spec);
    if (cid[i] < 0) s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for the work queue");
    pstate[i] = TMS_PS_QUEUED;
    (*P)++;
  }
  free(t.slot);
  return s;
}

/* Builds the queue: classes in order, each class one run of its points in index order (a counting sort). */
tms_status tms_work_queue_build(tms_work_queue *q, unsigned char *pstate, const tms_sweep *sweep,
                                const tms_store *store, tms_error *err) {
  size_t n = tms_store_point_count(store), P = 0;
  q->bundle = tms_sched_bundle_size(sweep);
  int32_t *cid = malloc((n ? n : 1) * sizeof *cid);
  if (!cid) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for the work queue");
  tms_status s = classify(q, cid, pstate, sweep, store, &P, err);
  int *order = s == TMS_OK ? malloc((size_t)(q->n_cls ? q->n_cls : 1) * sizeof *order) : NULL;
  size_t *at = order ? calloc((size_t)(q->n_cls ? q->n_cls : 1), sizeof *at) : NULL;
  q->pool = at ? malloc((P ? P : 1) * sizeof *q->pool) : NULL;
  if (s == TMS_OK && !q->pool) s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for the work queue");
  if (s == TMS_OK) {
    q->pool_cap = P ? P : 1;
    for (int c = 0; c < q->n_cls; c++) order[c] = c;
    g_sort_cls = q->cls;
    qsort(order, (size_t)q->n_cls, sizeof *order, cmp_class);
    size_t *count = calloc((size_t)(q->n_cls ? q->n_cls : 1), sizeof *count);
    if (!count) s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for the work queue");
    for (size_t i = 0; i < n && count; i++)
      if (cid[i] >= 0) count[cid[i]]++;
    size_t pos = 0;
    for (int r = 0; r < q->n_cls && s == TMS_OK; r++) { /* runs in class order */
      int c = order[r];
      at[c] = pos;
      if (push_run(q, pos, count[c], c) < 0) s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory");
      pos += count[c];
    }
    for (size_t i = 0; i < n && s == TMS_OK; i++)
      if (cid[i] >= 0) q->pool[at[cid[i]]++] = (int64_t)i;
    q->pool_len = P;
    free(count);
  }
  free(at);
  free(order);
  free(cid);
  return s;
}
