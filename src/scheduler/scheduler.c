/* scheduler: the root/worker protocol of `tms-sweep run` (design.md sections 2 and 5).
 * Root (rank 0): orders the pending points longest first (steps*n*m), groups points of one shape into units
 * (bundles), hands a unit to each idle worker, receives each unit's records, commits them to the store, re-queues
 * failed points (as single-point units) until run.max_attempts, and reports progress. Alone it trains itself.
 * Workers: receive a unit, train it (tms_train / tms_train_bundle), compute metrics, send records back.
 * Not here: file layout (store), training, printing. Invariants: a point's record depends only on its spec and
 * seed; the root is the only writer; the protocol ends with one broadcast of the root's status, so every rank
 * returns the same status (except when workers had to be abandoned: then the caller must MPI_Abort).
 * Messages: root->worker TAG_WORK (int64 point indices) and TAG_STOP (empty); worker->root TAG_RESULT (packed
 * records) and TAG_NOTE (empty: "I received a stop signal while idle"). */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include "tms/scheduler.h"

#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tms/grid.h"
#include "tms/metrics.h"
#include "tms/spec.h"
#include "tms/trainer.h"

enum { TAG_WORK = 101, TAG_RESULT = 102, TAG_STOP = 103, TAG_NOTE = 104 };
enum { FLAG_SIGNALED = 1 };
enum { MAX_AUTO_BUNDLE = 16, MAX_FAILED_LISTED = 1000, COMMIT_MAX_RECORDS = 1024 };
#define COMMIT_EVERY_S 0.5

/* ---- packed records: header, doubles (norm, interference, dimensionality), floats (curve, W, W2, b) ---- */

typedef struct {
  int64_t index;
  int32_t status;
  int32_t flags;
  double wall_s, loss, dstar;
} rec_header;

typedef struct {
  int n_max, m_max, has_w2;
  size_t curve_max;
  size_t off_norm, off_interf, off_dim, off_curve, off_W, off_W2, off_b, bytes;
} rec_layout;

static void layout_init(rec_layout *L, const tms_sweep *sweep) {
  tms_grid_extent(sweep, &L->n_max, &L->m_max, &L->curve_max, &L->has_w2);
  if (L->curve_max < 1) L->curve_max = 1;
  size_t N = (size_t)L->n_max, NM = (size_t)L->n_max * (size_t)L->m_max;
  L->off_norm = sizeof(rec_header);
  L->off_interf = L->off_norm + N * sizeof(double);
  L->off_dim = L->off_interf + N * sizeof(double);
  L->off_curve = L->off_dim + N * sizeof(double);
  L->off_W = L->off_curve + L->curve_max * sizeof(float);
  L->off_W2 = L->off_W + NM * sizeof(float);
  L->off_b = L->off_W2 + (L->has_w2 ? NM * sizeof(float) : 0);
  L->bytes = L->off_b + N * sizeof(float);
  L->bytes = (L->bytes + 7) / 8 * 8; /* keep every record's doubles aligned */
}

static rec_header *rec_at(const rec_layout *L, unsigned char *buf, int j) {
  return (rec_header *)(void *)(buf + (size_t)j * L->bytes);
}

static tms_point_record rec_view(const rec_layout *L, unsigned char *base) {
  const rec_header *h = (const rec_header *)(void *)base;
  tms_point_record r;
  r.index = (size_t)h->index;
  r.status = (tms_status)h->status;
  r.wall_s = h->wall_s;
  r.loss = h->loss;
  r.dstar = h->dstar;
  r.norm = (const double *)(void *)(base + L->off_norm);
  r.interference = (const double *)(void *)(base + L->off_interf);
  r.dimensionality = (const double *)(void *)(base + L->off_dim);
  r.loss_curve = (const float *)(void *)(base + L->off_curve);
  r.W = (const float *)(void *)(base + L->off_W);
  r.W2 = L->has_w2 ? (const float *)(void *)(base + L->off_W2) : NULL;
  r.b = (const float *)(void *)(base + L->off_b);
  return r;
}

/* A record that carries no result: NaN everywhere. */
static void rec_blank(const rec_layout *L, unsigned char *base, int64_t index, tms_status status) {
  memset(base, 0, L->bytes);
  rec_header *h = (rec_header *)(void *)base;
  h->index = index;
  h->status = (int32_t)status;
  h->wall_s = 0;
  h->loss = NAN;
  h->dstar = NAN;
  size_t N = (size_t)L->n_max;
  double *d = (double *)(void *)(base + L->off_norm);
  for (size_t i = 0; i < 3 * N; i++) d[i] = NAN;
  float *c = (float *)(void *)(base + L->off_curve);
  for (size_t i = 0; i < L->curve_max; i++) c[i] = NAN;
}

/* Fills a record from a trained model (compact arrays of its own n, m). */
static tms_status rec_fill(const rec_layout *L, unsigned char *base, const tms_spec *spec,
                           const tms_train_result *res, size_t curve_len) {
  rec_header *h = (rec_header *)(void *)base;
  int n = spec->n_features, m = spec->n_hidden;
  h->loss = res->final_loss;
  float *c = (float *)(void *)(base + L->off_curve);
  for (size_t k = 0; k < curve_len && k < L->curve_max; k++) c[k] = res->loss_curve[k];
  float *W = (float *)(void *)(base + L->off_W), *b = (float *)(void *)(base + L->off_b);
  float *W2 = L->has_w2 ? (float *)(void *)(base + L->off_W2) : NULL;
  /* zero padding beyond (n, m), as the layout promises */
  memset(W, 0, (size_t)L->n_max * (size_t)L->m_max * sizeof *W);
  if (W2) { /* zero padded for abs points; NaN for points of other variants, which have no W2 */
    size_t nm = (size_t)L->n_max * (size_t)L->m_max;
    if (spec->variant == TMS_ABS) memset(W2, 0, nm * sizeof *W2);
    else
      for (size_t k = 0; k < nm; k++) W2[k] = NAN;
  }
  memset(b, 0, (size_t)L->n_max * sizeof *b);
  for (int i = 0; i < n; i++) {
    memcpy(W + (size_t)i * (size_t)L->m_max, res->W + (size_t)i * (size_t)m, (size_t)m * sizeof *W);
    if (W2 && res->W2 && spec->variant == TMS_ABS)
      memcpy(W2 + (size_t)i * (size_t)L->m_max, res->W2 + (size_t)i * (size_t)m, (size_t)m * sizeof *W2);
    b[i] = res->b[i];
  }
  double *norm = (double *)(void *)(base + L->off_norm);
  double *interf = (double *)(void *)(base + L->off_interf);
  double *dim = (double *)(void *)(base + L->off_dim);
  return tms_metric_point(norm, interf, dim, &h->dstar, res->W, n, m);
}

/* ---- training one unit (workers, and the root when alone) ---- */

static double now_s(void) { return MPI_Wtime(); }

/* Trains points idx[0..k) into k records at out. Every outcome, including running out of memory, is a record's
 * status, so the root always gets k records back. */
static void train_unit(const tms_sweep *sweep, const rec_layout *L, const int64_t *idx, int k, unsigned char *out,
                       int signaled_flag) {
  tms_spec *specs = calloc((size_t)k, sizeof *specs);
  tms_train_result *res = calloc((size_t)k, sizeof *res);
  tms_status *sts = calloc((size_t)k, sizeof *sts);
  int *slot = calloc((size_t)k, sizeof *slot); /* record j of good model g: slot[g] = j */
  float *mem = NULL;
  int good = 0;
  for (int j = 0; j < k; j++) rec_blank(L, out + (size_t)j * L->bytes, idx[j], TMS_ERR_NOMEM);
  if (!specs || !res || !sts || !slot) goto done;
  for (int j = 0; j < k; j++) {
    tms_error e;
    memset(&e, 0, sizeof e);
    tms_status s = tms_grid_spec(sweep, (size_t)idx[j], &specs[good], &e);
    rec_at(L, out, j)->status = (int32_t)s;
    if (s == TMS_OK) slot[good++] = j;
  }
  if (good == 0) goto done;
  /* One scratch block for the good models (one shape per unit, but sized per model to be safe). */
  size_t total = 0;
  for (int g = 0; g < good; g++) {
    size_t nm = (size_t)specs[g].n_features * (size_t)specs[g].n_hidden;
    total += 2 * nm + (size_t)specs[g].n_features + tms_spec_curve_len(&specs[g]);
  }
  mem = malloc(total * sizeof *mem);
  if (!mem) {
    for (int g = 0; g < good; g++) rec_at(L, out, slot[g])->status = TMS_ERR_NOMEM;
    goto done;
  }
  float *p = mem;
  for (int g = 0; g < good; g++) {
    size_t nm = (size_t)specs[g].n_features * (size_t)specs[g].n_hidden;
    res[g].W = p;
    p += nm;
    res[g].W2 = p;
    p += nm;
    res[g].b = p;
    p += specs[g].n_features;
    res[g].loss_curve = p;
    p += tms_spec_curve_len(&specs[g]);
  }
  tms_train_control ctl;
  ctl.stop = tms_signals_abandon_flag();
  ctl.timeout_s = sweep->run.point_timeout_s > 0 ? sweep->run.point_timeout_s * good : 0;
  double t0 = now_s();
  tms_error e;
  memset(&e, 0, sizeof e);
  int same_shape = 1;
  for (int g = 1; g < good; g++)
    same_shape &= specs[g].variant == specs[0].variant && specs[g].n_features == specs[0].n_features &&
                  specs[g].n_hidden == specs[0].n_hidden;
  tms_status bs = TMS_ERR_USAGE;
  if (good > 1 && same_shape) bs = tms_train_bundle(specs, good, res, sts, &ctl, &e);
  if (bs != TMS_OK) {
    /* Alone (or the bundle could not run as one): each point by itself, same results by contract. */
    for (int g = 0; g < good; g++) {
      ctl.timeout_s = sweep->run.point_timeout_s;
      memset(&e, 0, sizeof e);
      sts[g] = tms_train(&specs[g], &res[g], &ctl, &e);
    }
  }
  double wall = (now_s() - t0) / good;
  for (int g = 0; g < good; g++) {
    unsigned char *base = out + (size_t)slot[g] * L->bytes;
    rec_header *h = (rec_header *)(void *)base;
    tms_status s = sts[g];
    if (s == TMS_OK) s = rec_fill(L, base, &specs[g], &res[g], tms_spec_curve_len(&specs[g]));
    if (s == TMS_OK && !isfinite(res[g].final_loss)) s = TMS_ERR_DIVERGED;
    if (s != TMS_OK) rec_blank(L, base, idx[slot[g]], s);
    h->status = (int32_t)s;
    h->wall_s = res[g].wall_s > 0 ? res[g].wall_s : wall;
  }
done:
  for (int j = 0; j < k; j++) rec_at(L, out, j)->flags = signaled_flag;
  free(mem);
  free(slot);
  free(sts);
  free(res);
  free(specs);
}

/* ---- root: queue of units ---- */

typedef struct {
  size_t start; /* into pool */
  int k;
} unit;

typedef struct {
  int64_t *pool;
  size_t pool_len, pool_cap;
  unit *units;
  size_t head, tail, cap;
} work_queue;

static int queue_push(work_queue *q, const int64_t *idx, int k) {
  if (q->pool_len + (size_t)k > q->pool_cap) {
    size_t cap = (q->pool_cap + (size_t)k) * 2;
    int64_t *p = realloc(q->pool, cap * sizeof *p);
    if (!p) return -1;
    q->pool = p;
    q->pool_cap = cap;
  }
  if (q->tail == q->cap) {
    size_t cap = q->cap * 2 + 16;
    unit *u = realloc(q->units, cap * sizeof *u);
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

/* Per-point state on the root. */
enum { PS_QUEUED, PS_RUNNING, PS_DONE, PS_FAILED, PS_SKIPPED, PS_IDLE };

typedef struct {
  const tms_sweep *sweep;
  tms_store *store;
  const tms_sched_options *opt;
  rec_layout L;
  work_queue q;
  unsigned char *pstate;
  int *tries; /* attempts in this run */
  size_t n_done_run;
  unsigned char *pend; /* records taken but not yet committed */
  size_t pend_n, pend_cap;
  double t0, next_progress, last_commit;
  int stopping;
  tms_status fatal;
  tms_error fatal_err;
} root_state;

static void report(root_state *R, int final) {
  if (!R->opt || !R->opt->on_progress) return;
  tms_progress p;
  memset(&p, 0, sizeof p);
  size_t n = tms_store_point_count(R->store);
  for (size_t i = 0; i < n; i++) {
    switch (R->pstate[i]) {
    case PS_DONE: p.done++; break;
    case PS_FAILED: p.failed++; break;
    case PS_SKIPPED: p.skipped++; break;
    case PS_RUNNING: p.running++; break;
    default: p.pending++; break;
    }
  }
  p.total = n - p.skipped;
  p.done_this_run = R->n_done_run;
  p.elapsed_s = now_s() - R->t0;
  p.points_per_s = p.elapsed_s > 0 ? (double)R->n_done_run / p.elapsed_s : 0;
  p.eta_s = p.points_per_s > 0 ? (double)(p.pending + p.running) / p.points_per_s : -1;
  p.stopping = R->stopping;
  p.final = final;
  R->opt->on_progress(&p, R->opt->user);
}

static void maybe_report(root_state *R) {
  double t = now_s();
  if (t >= R->next_progress) {
    report(R, 0);
    double every = R->sweep->run.progress_every_s > 0 ? R->sweep->run.progress_every_s : 10;
    R->next_progress = t + every;
  }
}

/* Commits the buffered records (results, flush, statuses, flush: see store.h). Batching bounds the number of
 * flushes (each an fsync through MPI-IO) when many short points finish at once; a kill loses at most the last
 * COMMIT_EVERY_S of work, which a resume retrains. */
static void root_commit(root_state *R, int force) {
  if (R->pend_n == 0 || R->fatal != TMS_OK) return;
  if (!force && R->pend_n < COMMIT_MAX_RECORDS && now_s() - R->last_commit < COMMIT_EVERY_S) return;
  tms_point_record *recs = malloc(R->pend_n * sizeof *recs);
  tms_status s;
  if (!recs) {
    s = tms_error_set(&R->fatal_err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for results");
  } else {
    for (size_t r = 0; r < R->pend_n; r++) recs[r] = rec_view(&R->L, R->pend + r * R->L.bytes);
    s = tms_store_commit(R->store, recs, (int)R->pend_n, &R->fatal_err);
    free(recs);
  }
  if (s != TMS_OK) {
    R->fatal = s;
    R->stopping = 1;
  }
  R->pend_n = 0;
  R->last_commit = now_s();
}

/* Takes the records of one unit: buffers them for commit and decides what happens to failed points. */
static void root_take(root_state *R, unsigned char *buf, int k) {
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
    rec_header *h = rec_at(&R->L, buf, j);
    size_t i = (size_t)h->index;
    if (h->flags & FLAG_SIGNALED) R->stopping = 1;
    if (h->status == TMS_ERR_INTERRUPTED) {
      R->pstate[i] = PS_IDLE; /* stays as it was in the file; a resume trains it */
      continue;
    }
    memcpy(R->pend + R->pend_n * R->L.bytes, buf + (size_t)j * R->L.bytes, R->L.bytes);
    R->pend_n++;
    if (h->status == TMS_OK) {
      R->pstate[i] = PS_DONE;
      R->n_done_run++;
      continue;
    }
    R->tries[i]++;
    if (R->tries[i] < R->sweep->run.max_attempts && !R->stopping) {
      int64_t one = (int64_t)i;
      if (queue_push(&R->q, &one, 1) == 0) {
        R->pstate[i] = PS_QUEUED;
        continue;
      }
    }
    R->pstate[i] = PS_FAILED;
  }
  root_commit(R, R->stopping);
}

/* Builds the ordered, bundled queue of every point not done (pending and failed ones). */
static tms_status build_queue(root_state *R, int trainers, tms_error *err) {
  size_t n = tms_store_point_count(R->store);
  const uint8_t *status = tms_store_status(R->store);
  order_key *keys = malloc((n ? n : 1) * sizeof *keys);
  if (!keys) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for the work queue");
  size_t P = 0;
  for (size_t i = 0; i < n; i++) {
    if (status[i] == TMS_POINT_DONE) {
      R->pstate[i] = PS_DONE;
      continue;
    }
    if (status[i] == TMS_POINT_SKIPPED) {
      R->pstate[i] = PS_SKIPPED;
      continue;
    }
    tms_spec s;
    tms_status st = tms_grid_spec(R->sweep, i, &s, err);
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
    R->pstate[i] = PS_QUEUED;
  }
  qsort(keys, P, sizeof *keys, cmp_order);
  int B = R->sweep->run.bundle;
  if (B <= 0) { /* automatic: several units per trainer so the tail balances, bundles when there is plenty */
    size_t b = P / ((size_t)trainers * 4);
    B = b < 1 ? 1 : b > MAX_AUTO_BUNDLE ? MAX_AUTO_BUNDLE : (int)b;
  }
  int64_t *idx = malloc((size_t)B * sizeof *idx);
  tms_status s = TMS_OK;
  if (!idx) s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for the work queue");
  for (size_t a = 0; a < P && s == TMS_OK;) {
    int k = 0;
    size_t b = a;
    while (b < P && k < B && same_bundle(&keys[a], &keys[b])) idx[k++] = keys[b++].index;
    if (queue_push(&R->q, idx, k) < 0) s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory");
    a = b;
  }
  free(idx);
  free(keys);
  return s;
}

static void nap(void) {
  struct timespec ts = {0, 2000000}; /* 2 ms: idle waits must not steal cores from trainers */
  nanosleep(&ts, NULL);
}

static void fill_summary(root_state *R, tms_sched_summary *sum) {
  size_t n = tms_store_point_count(R->store);
  const uint8_t *status = tms_store_status(R->store);
  const int32_t *errs = tms_store_errors(R->store), *att = tms_store_attempts(R->store);
  for (size_t i = 0; i < n; i++) {
    switch (status[i]) {
    case TMS_POINT_DONE: sum->done++; break;
    case TMS_POINT_FAILED: sum->failed++; break;
    case TMS_POINT_SKIPPED: sum->skipped++; break;
    default: sum->pending++; break;
    }
  }
  size_t nf = sum->failed < MAX_FAILED_LISTED ? sum->failed : MAX_FAILED_LISTED;
  sum->failed_index = calloc(nf ? nf : 1, sizeof *sum->failed_index);
  sum->failed_error = calloc(nf ? nf : 1, sizeof *sum->failed_error);
  sum->failed_attempts = calloc(nf ? nf : 1, sizeof *sum->failed_attempts);
  if (!sum->failed_index || !sum->failed_error || !sum->failed_attempts) return;
  for (size_t i = 0; i < n && sum->n_failed < nf; i++) {
    if (status[i] != TMS_POINT_FAILED) continue;
    sum->failed_index[sum->n_failed] = i;
    sum->failed_error[sum->n_failed] = errs[i];
    sum->failed_attempts[sum->n_failed] = att[i];
    sum->n_failed++;
  }
}

void tms_sched_summary_free(tms_sched_summary *s) {
  if (!s) return;
  free(s->failed_index);
  free(s->failed_error);
  free(s->failed_attempts);
  memset(s, 0, sizeof *s);
}

/* The root's side. Returns the status to broadcast; *abandoned when busy workers never came back. */
static tms_status root_run(root_state *R, int size, int *abandoned, tms_error *err) {
  MPI_Comm comm = MPI_COMM_WORLD;
  int trainers = size > 1 ? size - 1 : 1;
  tms_status s = build_queue(R, trainers, err);
  int max_k = 1;
  for (size_t u = R->q.head; u < R->q.tail; u++)
    if (R->q.units[u].k > max_k) max_k = R->q.units[u].k;
  unsigned char *buf = s == TMS_OK ? malloc((size_t)max_k * R->L.bytes) : NULL;
  if (s == TMS_OK && !buf) s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for results");
  if (s != TMS_OK) { /* workers wait for their first message: release them before reporting */
    for (int w = 1; w < size; w++) MPI_Send(NULL, 0, MPI_BYTE, w, TAG_STOP, comm);
    return s;
  }
  R->t0 = now_s();
  R->last_commit = R->t0;
  R->next_progress = R->t0;
  maybe_report(R);

  if (size == 1) {
    /* Alone: the root trains, between units it checks for a stop and reports. */
    while (R->q.head < R->q.tail && !R->stopping) {
      unit u = R->q.units[R->q.head++];
      const int64_t *idx = R->q.pool + u.start;
      for (int j = 0; j < u.k; j++) R->pstate[idx[j]] = PS_RUNNING;
      train_unit(R->sweep, &R->L, idx, u.k, buf, 0);
      root_take(R, buf, u.k);
      if (tms_signals_stop_requested()) R->stopping = 1;
      root_commit(R, R->stopping || R->q.head == R->q.tail);
      maybe_report(R);
    }
  } else {
    size_t *busy = malloc((size_t)size * sizeof *busy); /* unit index + 1, 0 = idle */
    if (!busy) {
      free(buf);
      for (int w = 1; w < size; w++) MPI_Send(NULL, 0, MPI_BYTE, w, TAG_STOP, comm);
      return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory");
    }
    for (int w = 0; w < size; w++) busy[w] = 0;
    int n_busy = 0;
    double stop_t = 0;
    double grace = R->sweep->run.stop_grace_s > 0 ? R->sweep->run.stop_grace_s : 0;
    for (;;) {
      if (!R->stopping && tms_signals_stop_requested()) R->stopping = 1;
      if (R->stopping && stop_t == 0) stop_t = now_s();
      for (int w = 1; w < size && !R->stopping && R->q.head < R->q.tail; w++) {
        if (busy[w]) continue;
        size_t ui = R->q.head++;
        unit u = R->q.units[ui];
        if (u.k > max_k) { /* a retry queue never grows units, but stay safe */
          unsigned char *nb = realloc(buf, (size_t)u.k * R->L.bytes);
          if (!nb) { /* keep the unit queued; try again on the next turn */
            R->q.head--;
            break;
          }
          buf = nb;
          max_k = u.k;
        }
        for (int j = 0; j < u.k; j++) R->pstate[R->q.pool[u.start + (size_t)j]] = PS_RUNNING;
        MPI_Send(R->q.pool + u.start, u.k, MPI_INT64_T, w, TAG_WORK, comm);
        busy[w] = ui + 1;
        n_busy++;
      }
      if (n_busy == 0 && (R->stopping || R->q.head == R->q.tail)) break;
      int flag = 0;
      MPI_Status ms;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &ms);
      if (flag) {
        int w = ms.MPI_SOURCE;
        if (ms.MPI_TAG == TAG_NOTE) {
          MPI_Recv(NULL, 0, MPI_BYTE, w, TAG_NOTE, comm, MPI_STATUS_IGNORE);
          R->stopping = 1;
        } else if (ms.MPI_TAG == TAG_RESULT) {
          int bytes = 0;
          MPI_Get_count(&ms, MPI_BYTE, &bytes);
          MPI_Recv(buf, bytes, MPI_BYTE, w, TAG_RESULT, comm, MPI_STATUS_IGNORE);
          if (busy[w]) {
            busy[w] = 0;
            n_busy--;
          }
          root_take(R, buf, (int)((size_t)bytes / R->L.bytes));
        } else { /* unexpected: consume it so it cannot block the end */
          MPI_Recv(NULL, 0, MPI_BYTE, w, ms.MPI_TAG, comm, MPI_STATUS_IGNORE);
        }
      } else {
        nap();
      }
      if (R->stopping && n_busy > 0 && now_s() > stop_t + grace + 5.0) {
        /* Workers that never saw the signal are still training: commit what we have and give up on them. */
        *abandoned = 1;
        break;
      }
      root_commit(R, 0);
      maybe_report(R);
    }
    if (!*abandoned) {
      /* Drain notes that crossed our last messages, then release every worker. */
      for (;;) {
        int flag = 0;
        MPI_Status ms;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_NOTE, comm, &flag, &ms);
        if (!flag) break;
        MPI_Recv(NULL, 0, MPI_BYTE, ms.MPI_SOURCE, TAG_NOTE, comm, MPI_STATUS_IGNORE);
      }
      for (int w = 1; w < size; w++) MPI_Send(NULL, 0, MPI_BYTE, w, TAG_STOP, comm);
    }
    free(busy);
  }
  root_commit(R, 1);
  /* Points still queued or running are pending in the file. */
  size_t n = tms_store_point_count(R->store);
  for (size_t i = 0; i < n; i++)
    if (R->pstate[i] == PS_QUEUED || R->pstate[i] == PS_RUNNING) R->pstate[i] = PS_IDLE;
  report(R, 1);
  free(buf);
  if (R->fatal != TMS_OK) {
    *err = R->fatal_err;
    return R->fatal;
  }
  return TMS_OK;
}

static void worker_run(const tms_sweep *sweep) {
  MPI_Comm comm = MPI_COMM_WORLD;
  rec_layout L;
  layout_init(&L, sweep);
  int noted = 0;
  unsigned char *buf = NULL;
  int64_t *idx = NULL;
  int cap = 0;
  for (;;) {
    int flag = 0;
    MPI_Status ms;
    while (!flag) {
      MPI_Iprobe(0, MPI_ANY_TAG, comm, &flag, &ms);
      if (flag) break;
      if (tms_signals_stop_requested() && !noted) {
        MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_NOTE, comm);
        noted = 1;
      }
      nap();
    }
    if (ms.MPI_TAG != TAG_WORK) {
      MPI_Recv(NULL, 0, MPI_BYTE, 0, ms.MPI_TAG, comm, MPI_STATUS_IGNORE);
      if (ms.MPI_TAG == TAG_STOP) break;
      continue;
    }
    int k = 0;
    MPI_Get_count(&ms, MPI_INT64_T, &k);
    if (k > cap) {
      int64_t *ni = realloc(idx, (size_t)k * sizeof *ni);
      unsigned char *nb = realloc(buf, (size_t)k * L.bytes);
      if (ni) idx = ni;
      if (nb) buf = nb;
      if (!ni || !nb) MPI_Abort(comm, 3); /* cannot even report: the root would wait forever */
      cap = k;
    }
    MPI_Recv(idx, k, MPI_INT64_T, 0, TAG_WORK, comm, MPI_STATUS_IGNORE);
    if (tms_signals_stop_requested()) {
      for (int j = 0; j < k; j++) {
        rec_blank(&L, buf + (size_t)j * L.bytes, idx[j], TMS_ERR_INTERRUPTED);
        rec_at(&L, buf, j)->flags = FLAG_SIGNALED;
      }
    } else {
      train_unit(sweep, &L, idx, k, buf, 0);
      if (tms_signals_stop_requested())
        for (int j = 0; j < k; j++) rec_at(&L, buf, j)->flags = FLAG_SIGNALED;
    }
    MPI_Send(buf, (int)((size_t)k * L.bytes), MPI_BYTE, 0, TAG_RESULT, comm);
  }
  free(buf);
  free(idx);
}

tms_status tms_sched_run(const tms_sweep *sweep, tms_store *store, const tms_sched_options *opt,
                         tms_sched_summary *summary, tms_error *err) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  memset(summary, 0, sizeof *summary);
  int code = TMS_OK;
  if (rank == 0) {
    root_state R;
    memset(&R, 0, sizeof R);
    R.sweep = sweep;
    R.store = store;
    R.opt = opt;
    layout_init(&R.L, sweep);
    size_t n = tms_store_point_count(store);
    R.pstate = calloc(n ? n : 1, 1);
    R.tries = calloc(n ? n : 1, sizeof *R.tries);
    int abandoned = 0;
    tms_status s;
    if (!R.pstate || !R.tries) {
      s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for %zu points", n);
      /* Workers still wait for work: release them. */
      for (int w = 1; w < size; w++) MPI_Send(NULL, 0, MPI_BYTE, w, TAG_STOP, MPI_COMM_WORLD);
    } else {
      s = root_run(&R, size, &abandoned, err);
    }
    summary->interrupted = R.stopping || tms_signals_stop_requested();
    summary->workers_abandoned = abandoned;
    fill_summary(&R, summary);
    free(R.pstate);
    free(R.tries);
    free(R.q.pool);
    free(R.q.units);
    free(R.pend);
    if (abandoned) return s; /* no collective: the caller aborts the job */
    code = (int)s;
  } else {
    worker_run(sweep);
  }
  MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
  int interrupted = summary->interrupted;
  MPI_Bcast(&interrupted, 1, MPI_INT, 0, MPI_COMM_WORLD);
  summary->interrupted = interrupted;
  if (rank != 0 && code != TMS_OK)
    tms_error_set(err, (tms_status)code, NULL, 0, 0, NULL, "the root failed: %s", tms_status_message(code));
  return (tms_status)code;
}
