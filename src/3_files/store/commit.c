/* commit: writing a batch of finished points into the results file, coalesced. The records of a batch are sorted
 * by point index and cut into runs of consecutive indices; each dataset is then written once per run (one
 * hyperslab selection of at most 2 x grid-rank blocks, one H5Dwrite from a gathered buffer), instead of once per
 * point: a 1e5-record batch is a few hundred writes, not 1.4 million (bench/README.md, "Committing").
 * Not here: when to commit (the scheduler's root buffers records and calls this), the layout (schema).
 * Invariants (kill-safety, unchanged): results and bookkeeping of every record first, flush, then the statuses,
 * flush; the in-memory status/attempts/errors change only after their writes succeeded. A point may appear more
 * than once in a batch (a failed attempt and its retry): each record counts as an attempt, the last decides the
 * status, error and wall and evaluation times, and the results are those of its successful record. */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* One point of the batch after merging its records. */
typedef struct {
  size_t index;
  const tms_point_record *ok;   /* its successful record, or NULL */
  const tms_point_record *last; /* its last record */
  int32_t tries;                /* records of it in the batch */
} entry;

typedef struct {
  size_t index;
  int order;
} key;

static int cmp_key(const void *a, const void *b) {
  const key *x = a, *y = b;
  if (x->index != y->index) return x->index < y->index ? -1 : 1;
  return x->order - y->order; /* keeps the batch's order among records of one point */
}

/* Source of dataset k's row in a record, or NULL when the record does not carry it. */
static const void *rec_row(const tms_point_record *p, int k) {
  switch (k) {
  case TMS_DS_LOSS: return &p->loss;
  case TMS_DS_LOSS_SE: return &p->loss_se;
  case TMS_DS_CURVE: return p->loss_curve;
  case TMS_DS_W: return p->W;
  case TMS_DS_W2: return p->W2;
  case TMS_DS_W_HISTORY: return p->W_history;
  case TMS_DS_EVAL_CURVE: return p->eval_curve;
  case TMS_DS_B: return p->b;
  case TMS_DS_NORM: return p->norm;
  case TMS_DS_INTERFERENCE: return p->interference;
  case TMS_DS_DIMENSIONALITY: return p->dimensionality;
  case TMS_DS_DSTAR: return &p->dstar;
  case TMS_DS_WALL: return &p->wall_s;
  case TMS_DS_EVAL_S: return &p->eval_s;
  default: return NULL;
  }
}

/* Bytes of one point's row of dataset d. */
static size_t row_bytes(const tms_store *st, hid_t d, hid_t mtype) {
  hid_t fs = H5Dget_space(d);
  if (fs < 0) return 0;
  hsize_t dims[TMS_SCHEMA_MAX_RANK + TMS_SCHEMA_MAX_TRAIL];
  int rank = H5Sget_simple_extent_ndims(fs);
  size_t n = H5Tget_size(mtype);
  if (rank > TMS_SCHEMA_MAX_RANK + TMS_SCHEMA_MAX_TRAIL) n = 0;
  else H5Sget_simple_extent_dims(fs, dims, NULL);
  for (int k = st->ext.rank; k < rank && n; k++) n *= dims[k];
  H5Sclose(fs);
  return n;
}

/* The value a bookkeeping dataset gets for entry e (attempts, error, status), as the dataset's memory type. */
static void book_value(const tms_store *st, const entry *e, int k, void *out) {
  if (k == TMS_DS_ATTEMPTS) *(int32_t *)out = st->attempts[e->index] + e->tries;
  else if (k == TMS_DS_ERROR) *(int32_t *)out = (int32_t)e->last->status;
  else *(uint8_t *)out = e->last->status == TMS_OK ? TMS_POINT_DONE : TMS_POINT_FAILED;
}

/* Writes dataset k for the entries that have it, one H5Dwrite per run of consecutive indices. results: rows of
 * the successful records; else bookkeeping (wall time of the last record, attempts, error, status). */
static int write_dataset(const tms_store *st, int k, const entry *es, size_t n, unsigned char *scratch,
                         size_t scratch_rows) {
  hid_t d = st->ds[k];
  if (d < 0) return 0; /* not in this file (W2 without abs points, ...) */
  hid_t mtype = tms_schema_h5_mem_type(tms_schema_results_ds((tms_results_ds)k)->type);
  size_t rb = row_bytes(st, d, mtype);
  if (rb == 0) return -1;
  int book = k == TMS_DS_ATTEMPTS || k == TMS_DS_ERROR || k == TMS_DS_STATUS;
  int results = !book && k != TMS_DS_WALL && k != TMS_DS_EVAL_S; /* times: of the last record, like the error */
  size_t at = 0;
  while (at < n) {
    const tms_point_record *src = results ? es[at].ok : es[at].last;
    if (!book && (!src || !rec_row(src, k))) {
      at++;
      continue;
    }
    size_t len = 0;
    while (at + len < n && len < scratch_rows && (len == 0 || es[at + len].index == es[at].index + len)) {
      const entry *e = &es[at + len];
      src = results ? e->ok : e->last;
      if (book) book_value(st, e, k, scratch + len * rb);
      else if (src && rec_row(src, k)) memcpy(scratch + len * rb, rec_row(src, k), rb);
      else break;
      len++;
    }
    if (store_run_io(d, &st->ext, mtype, es[at].index, len, scratch, 1) < 0) return -1;
    at += len;
  }
  return 0;
}

/* Sorts and merges the batch into entries (n_out of them). */
static entry *merge_batch(const tms_point_record *recs, int count, size_t *n_out) {
  key *keys = malloc((size_t)count * sizeof *keys);
  entry *es = malloc((size_t)count * sizeof *es);
  if (!keys || !es) {
    free(keys);
    free(es);
    return NULL;
  }
  for (int r = 0; r < count; r++) keys[r] = (key){recs[r].index, r};
  qsort(keys, (size_t)count, sizeof *keys, cmp_key);
  size_t n = 0;
  for (int r = 0; r < count; r++) {
    const tms_point_record *p = &recs[keys[r].order];
    if (n == 0 || es[n - 1].index != p->index) es[n++] = (entry){p->index, NULL, p, 0};
    entry *e = &es[n - 1];
    e->last = p;
    e->tries++;
    if (p->status == TMS_OK) e->ok = p;
  }
  free(keys);
  *n_out = n;
  return es;
}

tms_status tms_store_commit(tms_store *st, const tms_point_record *recs, int count, tms_error *err) {
  if (count <= 0) return TMS_OK;
  for (int r = 0; r < count; r++)
    if (recs[r].index >= st->count)
      return tms_error_set(err, TMS_ERR_HDF5, st->path, 0, 0, NULL, "point %zu out of range", recs[r].index);
  size_t n = 0, max_row = 0;
  entry *es = merge_batch(recs, count, &n);
  for (int k = 0; k < TMS_DS_COUNT; k++)
    if (st->ds[k] >= 0) {
      size_t rb = row_bytes(st, st->ds[k], tms_schema_h5_mem_type(tms_schema_results_ds((tms_results_ds)k)->type));
      if (rb > max_row) max_row = rb;
    }
  /* Scratch for the rows of one run: at most 64 MiB, so a batch of large records is written in several pieces. */
  size_t rows = max_row ? ((size_t)64 << 20) / max_row : 1;
  rows = rows < 1 ? 1 : rows > n ? n : rows;
  unsigned char *scratch = es ? malloc(rows * (max_row ? max_row : 1)) : NULL;
  if (!es || !scratch) {
    free(es);
    return tms_error_set(err, TMS_ERR_NOMEM, st->path, 0, 0, NULL, "no memory to commit %d records", count);
  }
  tms_status s = TMS_OK;
  /* Phase 1: results and bookkeeping (everything but the status). */
  for (int k = 0; k < TMS_DS_COUNT && s == TMS_OK; k++)
    if (k != TMS_DS_STATUS && k != TMS_DS_SEED && write_dataset(st, k, es, n, scratch, rows) < 0)
      s = store_h5fail(err, st->path, "write the results of a batch of points");
  if (s == TMS_OK && H5Fflush(st->file, H5F_SCOPE_GLOBAL) < 0) s = store_h5fail(err, st->path, "flush results");
  if (s == TMS_OK)
    for (size_t e = 0; e < n; e++) {
      st->attempts[es[e].index] += es[e].tries;
      st->errors[es[e].index] = (int32_t)es[e].last->status;
    }
  /* Phase 2: statuses, only after the results are on disk. */
  if (s == TMS_OK && write_dataset(st, TMS_DS_STATUS, es, n, scratch, rows) < 0)
    s = store_h5fail(err, st->path, "write the statuses of a batch of points");
  if (s == TMS_OK && H5Fflush(st->file, H5F_SCOPE_GLOBAL) < 0) s = store_h5fail(err, st->path, "flush statuses");
  if (s == TMS_OK)
    for (size_t e = 0; e < n; e++)
      st->status[es[e].index] = es[e].last->status == TMS_OK ? TMS_POINT_DONE : TMS_POINT_FAILED;
  free(scratch);
  free(es);
  return s;
}
