/* reuse_copy: matching the points of a new sweep against an old file's index (reuse.c) and copying the matches.
 * A match is a point pending or failed in the new file whose key is in the index; before it is copied its /params
 * values and seed are compared one by one with the old row's (a key collision only means the point is trained).
 * Matches are copied in groups of consecutive old indices: each old dataset is read once per group (one
 * hyperslab of at most 2 x rank blocks), every row is re-padded to the new file's extents, and the group is
 * committed through tms_store_commit (results, flush, statuses, flush: kill-safe as any commit).
 * Invariant (bitwise equality with training): the new row holds the point's own values and the padding a
 * training run writes (src/4_orchestration/scheduler/record.c): zero for W, b, W2 of abs points and each
 * W-history entry of the point's own length; NaN for W2 of other variants, loss-curve, W-history and
 * evaluation-curve entries beyond the point's own length, and metrics beyond n. The times (wall_s, eval_s) are the
 * old file's; eval_s is NaN for a point of a file made before it was recorded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/grid.h"
#include "store/reuse.h"
#include "store_internal.h"

enum { MAX_GROUP = 65536 };
#define GROUP_BYTES ((size_t)16 << 20) /* buffers of one group: ~16 MB whatever the sweep's size */

typedef struct {
  size_t old, now; /* index in the old file, index in the new one */
} pair;

static int cmp_pair(const void *a, const void *b) {
  const pair *x = a, *y = b;
  if (x->old != y->old) return x->old < y->old ? -1 : 1;
  return x->now < y->now ? -1 : x->now > y->now;
}

/* The results datasets a reused row carries (the bookkeeping is the commit's). */
static int carried(int k) {
  return k != TMS_DS_STATUS && k != TMS_DS_ATTEMPTS && k != TMS_DS_ERROR && k != TMS_DS_SEED;
}

/* Bytes of one point's row of dataset k in a file of extent e (0 when the file has no such dataset). */
static size_t row_bytes(int k, const tms_schema_extent *e) {
  const tms_schema_dataset *d = tms_schema_results_ds((tms_results_ds)k);
  if (!tms_schema_present(d, e)) return 0;
  size_t dims[TMS_SCHEMA_MAX_RANK + TMS_SCHEMA_MAX_TRAIL];
  int rank = tms_schema_shape(d, e, dims);
  size_t n = tms_schema_type_size(d->type);
  for (int i = e->rank; i < rank; i++) n *= dims[i];
  return n;
}

/* Every point of sweep pending or failed in dst whose key is in src's index, sorted by old index. */
static tms_status match(const tms_reuse_src *src, const tms_store *dst, const tms_sweep *sweep, pair **out,
                        size_t *n_out, tms_error *err) {
  const uint8_t *status = tms_store_status(dst);
  size_t count = tms_store_point_count(dst), n = 0, cap = 0;
  for (size_t i = 0; i < count; i++) cap += status[i] == TMS_POINT_PENDING || status[i] == TMS_POINT_FAILED;
  pair *ps = malloc((cap ? cap : 1) * sizeof *ps);
  double *vals = malloc((size_t)src->np * sizeof *vals);
  tms_status s = TMS_OK;
  if (!ps || !vals) s = tms_error_set(err, TMS_ERR_NOMEM, src->path, 0, 0, NULL, "no memory to match %zu points", cap);
  for (size_t i = 0; i < count && s == TMS_OK && src->done > 0; i++) {
    if (status[i] != TMS_POINT_PENDING && status[i] != TMS_POINT_FAILED) continue;
    tms_spec sp;
    if ((s = tms_grid_spec(sweep, i, &sp, err)) != TMS_OK) break;
    store_reuse_values(&sp, vals, src->np);
    uint64_t key = store_reuse_key_of(vals, src->np, sp.seed);
    size_t lo = 0, hi = src->done; /* the first entry with a key >= key */
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (src->keys[mid].key < key) lo = mid + 1;
      else hi = mid;
    }
    if (lo < src->done && src->keys[lo].key == key) ps[n++] = (pair){src->keys[lo].old, i};
  }
  free(vals);
  if (s != TMS_OK) {
    free(ps);
    return s;
  }
  qsort(ps, n, sizeof *ps, cmp_pair);
  *out = ps;
  *n_out = n;
  return TMS_OK;
}

/* The n x m block of a W-like matrix from row stride om to row stride nm (nn rows), zero elsewhere. */
static void put_matrix(float *dst, const float *src, int n, int m, size_t nn, size_t nm, size_t om) {
  memset(dst, 0, nn * nm * sizeof *dst);
  for (int i = 0; i < n; i++) memcpy(dst + (size_t)i * nm, src + (size_t)i * om, (size_t)m * sizeof *dst);
}

static void put_vector(float *dst, const float *src, size_t len, size_t size) {
  for (size_t q = 0; q < size; q++) dst[q] = q < len ? src[q] : NAN;
}

/* Row of dataset k (not a scalar) for point spec sp, from the old row src (NULL when the old file has no such
 * dataset) of extent o into dst of extent e. -1 when the old row cannot hold the point (a damaged file). */
static int repad(int k, const tms_spec *sp, const tms_schema_extent *o, const tms_schema_extent *e, const void *src,
                 void *dst) {
  const int n = sp->n_features, m = sp->n_hidden;
  const size_t NMe = e->n_max * e->m_max, NMo = o->n_max * o->m_max;
  float *f = dst;
  const float *g = src;
  if ((size_t)n > o->n_max || (size_t)m > o->m_max) return -1;
  switch (k) {
  case TMS_DS_CURVE: {
    size_t len = tms_spec_curve_len(sp);
    if (len > o->curve_len) return -1;
    put_vector(f, g, len, e->curve_len);
    return 0;
  }
  case TMS_DS_W: put_matrix(f, g, n, m, e->n_max, e->m_max, o->m_max); return 0;
  case TMS_DS_W2:
    if (sp->variant != TMS_ABS) {
      put_vector(f, NULL, 0, NMe);
      return 0;
    }
    if (!g) return -1;
    put_matrix(f, g, n, m, e->n_max, e->m_max, o->m_max);
    return 0;
  case TMS_DS_W_HISTORY: {
    size_t len = tms_spec_snapshot_len(sp);
    if (len > 0 && (!g || len > o->snapshot_len)) return -1;
    for (size_t q = 0; q < e->snapshot_len; q++)
      if (q < len) put_matrix(f + q * NMe, g + q * NMo, n, m, e->n_max, e->m_max, o->m_max);
      else put_vector(f + q * NMe, NULL, 0, NMe);
    return 0;
  }
  case TMS_DS_EVAL_CURVE: {
    size_t len = tms_spec_eval_len(sp);
    if (len > 0 && (!g || len > o->eval_len)) return -1;
    put_vector(f, g, len, e->eval_len);
    return 0;
  }
  case TMS_DS_B:
    memset(f, 0, e->n_max * sizeof *f);
    memcpy(f, g, (size_t)n * sizeof *f);
    return 0;
  default: { /* the per-feature metrics */
    double *d = dst;
    for (size_t q = 0; q < e->n_max; q++) d[q] = q < (size_t)n ? ((const double *)src)[q] : NAN;
    return 0;
  }
  }
}

/* Buffers of one group and what they are for. */
typedef struct {
  const tms_reuse_src *src;
  tms_store *dst;
  const tms_sweep *sweep;
  size_t old_row[TMS_DS_COUNT], new_row[TMS_DS_COUNT], span;
  unsigned char *old_buf[TMS_DS_COUNT], *new_buf[TMS_DS_COUNT];
  double *vals, *col, *now_vals;
  uint64_t *seed;
  tms_point_record *recs;
} copier;

static void copier_free(copier *c) {
  for (int k = 0; k < TMS_DS_COUNT; k++) {
    free(c->old_buf[k]);
    free(c->new_buf[k]);
  }
  free(c->vals);
  free(c->col);
  free(c->now_vals);
  free(c->seed);
  free(c->recs);
}

static int copier_init(copier *c, const tms_reuse_src *src, tms_store *dst, const tms_sweep *sweep) {
  memset(c, 0, sizeof *c);
  c->src = src;
  c->dst = dst;
  c->sweep = sweep;
  size_t per = (size_t)src->np * sizeof(double) + sizeof(double) + sizeof(uint64_t) + sizeof(tms_point_record);
  for (int k = 0; k < TMS_DS_COUNT; k++) {
    if (!carried(k)) continue;
    c->old_row[k] = row_bytes(k, &src->ext);
    c->new_row[k] = row_bytes(k, &dst->ext);
    per += c->old_row[k] + c->new_row[k];
  }
  c->span = GROUP_BYTES / per;
  c->span = c->span < 1 ? 1 : c->span > MAX_GROUP ? MAX_GROUP : c->span;
  int ok = 1;
  for (int k = 0; k < TMS_DS_COUNT; k++) {
    if (c->old_row[k]) ok &= (c->old_buf[k] = malloc(c->span * c->old_row[k])) != NULL;
    if (c->new_row[k]) ok &= (c->new_buf[k] = malloc(c->span * c->new_row[k])) != NULL;
  }
  c->vals = malloc(c->span * (size_t)src->np * sizeof *c->vals);
  c->col = malloc(c->span * sizeof *c->col);
  c->now_vals = malloc((size_t)src->np * sizeof *c->now_vals);
  c->seed = malloc(c->span * sizeof *c->seed);
  c->recs = malloc(c->span * sizeof *c->recs);
  return ok && c->vals && c->col && c->now_vals && c->seed && c->recs ? 0 : -1;
}

static int same_values(const double *a, const double *b, int np) {
  for (int p = 0; p < np; p++)
    if (!(a[p] == b[p] || (isnan(a[p]) && isnan(b[p])))) return 0;
  return 1;
}

/* The record of pair p (old row at offset r of the group) in slot j; 0 when it was built, 1 when the point does not
 * match after all or the old row cannot hold it. */
static int build_record(copier *c, const pair *p, size_t r, size_t j, tms_error *err, tms_status *s) {
  tms_spec sp;
  if ((*s = tms_grid_spec(c->sweep, p->now, &sp, err)) != TMS_OK) return 1;
  store_reuse_values(&sp, c->now_vals, c->src->np);
  if (c->seed[r] != sp.seed || !same_values(c->now_vals, c->vals + r * (size_t)c->src->np, c->src->np)) return 1;
  tms_point_record *rec = &c->recs[j];
  memset(rec, 0, sizeof *rec);
  rec->index = p->now;
  rec->status = TMS_OK;
  const void *row[TMS_DS_COUNT] = {0};
  for (int k = 0; k < TMS_DS_COUNT; k++) {
    if (!c->new_row[k]) continue;
    const void *from = c->old_row[k] ? c->old_buf[k] + r * c->old_row[k] : NULL;
    void *to = c->new_buf[k] + j * c->new_row[k];
    int scalar = k == TMS_DS_WALL || k == TMS_DS_EVAL_S || k == TMS_DS_LOSS || k == TMS_DS_LOSS_SE ||
                 k == TMS_DS_DSTAR;
    const double unknown = NAN; /* eval_s of a point from a file made before it was recorded */
    if (scalar) memcpy(to, from ? from : &unknown, sizeof(double));
    else if (repad(k, &sp, &c->src->ext, &c->dst->ext, from, to) < 0) return 1;
    row[k] = to;
  }
  rec->wall_s = *(const double *)row[TMS_DS_WALL];
  rec->eval_s = row[TMS_DS_EVAL_S] ? *(const double *)row[TMS_DS_EVAL_S] : NAN;
  rec->loss = *(const double *)row[TMS_DS_LOSS];
  rec->loss_se = *(const double *)row[TMS_DS_LOSS_SE];
  rec->dstar = *(const double *)row[TMS_DS_DSTAR];
  rec->loss_curve = row[TMS_DS_CURVE];
  rec->W = row[TMS_DS_W];
  rec->W2 = row[TMS_DS_W2];
  rec->W_history = row[TMS_DS_W_HISTORY];
  rec->eval_curve = row[TMS_DS_EVAL_CURVE];
  rec->b = row[TMS_DS_B];
  rec->norm = row[TMS_DS_NORM];
  rec->interference = row[TMS_DS_INTERFERENCE];
  rec->dimensionality = row[TMS_DS_DIMENSIONALITY];
  return 0;
}

/* Reads the old rows [lo, lo + len) of every carried dataset and of /params and /points/seed. */
static tms_status read_group(copier *c, size_t lo, size_t len, tms_error *err) {
  const tms_reuse_src *src = c->src;
  for (int k = 0; k < TMS_DS_COUNT; k++) {
    if (!c->old_row[k] || !c->new_row[k]) continue;
    hid_t mtype = tms_schema_h5_mem_type(tms_schema_results_ds((tms_results_ds)k)->type);
    if (store_run_io(src->ds[k], &src->ext, mtype, lo, len, c->old_buf[k], 0) < 0)
      return tms_error_set(err, TMS_ERR_HDF5, src->path, 0, 0, NULL, "cannot read %s of points %zu..%zu",
                           tms_schema_results_ds((tms_results_ds)k)->path, lo, lo + len - 1);
  }
  if (store_reuse_read_params(src, lo, len, c->vals, c->col, c->seed) < 0)
    return tms_error_set(err, TMS_ERR_HDF5, src->path, 0, 0, NULL, "cannot read /params of points %zu..%zu", lo,
                         lo + len - 1);
  return TMS_OK;
}

tms_status tms_reuse_copy(tms_reuse_src *src, tms_store *dst, const tms_sweep *sweep, tms_reuse_counts *counts,
                          tms_error *err) {
  memset(counts, 0, sizeof *counts);
  counts->old_done = src->done;
  snprintf(counts->git_commit, sizeof counts->git_commit, "%s", src->git_commit);
  snprintf(counts->kernels_isa, sizeof counts->kernels_isa, "%s", src->kernels_isa);
  pair *ps = NULL;
  size_t n = 0;
  tms_status s = match(src, dst, sweep, &ps, &n, err);
  if (s != TMS_OK || n == 0) {
    free(ps);
    return s;
  }
  copier c;
  if (copier_init(&c, src, dst, sweep) < 0) s = tms_error_set(err, TMS_ERR_NOMEM, src->path, 0, 0, NULL, "no memory");
  for (size_t g = 0; g < n && s == TMS_OK;) {
    size_t lo = ps[g].old, end = g;
    while (end < n && end - g < c.span && ps[end].old < lo + c.span) end++;
    size_t len = ps[end - 1].old - lo + 1, built = 0;
    if ((s = read_group(&c, lo, len, err)) != TMS_OK) break;
    for (size_t j = g; j < end && s == TMS_OK; j++)
      if (build_record(&c, &ps[j], ps[j].old - lo, built, err, &s) == 0) built++;
    if (s == TMS_OK && built) s = tms_store_commit(dst, c.recs, (int)built, err);
    if (s == TMS_OK) counts->reused += built;
    g = end;
  }
  copier_free(&c);
  free(ps);
  return s;
}
