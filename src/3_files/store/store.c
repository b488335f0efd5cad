/* store: create, resume, commit and close a results file (schema tms-results/1; the layout is the schema's table,
 * schema/schema.h, documented in sweeps/results-layout.md). layout.c writes the metadata, h5.c the HDF5 details.
 * Not here: what to train or when (scheduler), provenance gathering (cmd_run), reading for analysis (post).
 * Invariants: all metadata (groups, datasets at full size with early allocation and fill values, attributes,
 * dimension scales) is written in tms_store_create and flushed before the file gets its final name; after that
 * only raw data of existing contiguous datasets is written, so a SIGKILL never leaves dirty metadata behind.
 * The file is opened with the MPI-IO driver on MPI_COMM_SELF: only the root writes, and its flushes are its own. */
#define _POSIX_C_SOURCE 200809L /* link */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/grid.h"
#include "store_internal.h"

static void store_free(tms_store *st) {
  if (!st) return;
  for (int k = 0; k < TMS_DS_COUNT; k++)
    if (st->ds[k] >= 0) H5Dclose(st->ds[k]);
  if (st->file >= 0) H5Fclose(st->file);
  free(st->status);
  free(st->attempts);
  free(st->errors);
  free(st);
}

/* The extent a sweep's file has (grid, padding). */
static void sweep_extent(const tms_sweep *sweep, tms_schema_extent *e) {
  memset(e, 0, sizeof *e);
  e->rank = tms_grid_rank(sweep);
  tms_grid_shape(sweep, e->dims);
  int n_max, m_max;
  tms_grid_extent(sweep, &n_max, &m_max, &e->curve_len, &e->has_w2);
  e->n_max = (size_t)n_max;
  e->m_max = (size_t)m_max;
  if (e->curve_len < 1) e->curve_len = 1;
  e->snapshot_len = tms_grid_snapshot_max(sweep);
  e->eval_len = tms_grid_eval_max(sweep);
  e->has_eval_s = 1; /* a new file records evaluation times; a resumed one keeps what it has (open_resume) */
}

static tms_store *store_alloc(const char *path, const tms_sweep *sweep) {
  tms_store *st = calloc(1, sizeof *st);
  if (!st) return NULL;
  st->file = -1;
  for (int k = 0; k < TMS_DS_COUNT; k++) st->ds[k] = -1;
  snprintf(st->path, sizeof st->path, "%s", path);
  sweep_extent(sweep, &st->ext);
  st->count = tms_grid_count(sweep);
  st->status = calloc(st->count, sizeof *st->status);
  st->attempts = calloc(st->count, sizeof *st->attempts);
  st->errors = calloc(st->count, sizeof *st->errors);
  if (!st->status || !st->attempts || !st->errors) {
    store_free(st);
    return NULL;
  }
  return st;
}

/* Every per-point dataset of the schema's table present for this sweep, at full size; fill: NaN for floats, 0 for the
 * rest. The new datasets are appended to attach (for the dimension scales). */
static tms_status create_datasets(tms_store *st, const char *tmp, hid_t *attach, int *n_attach, tms_error *err) {
  const double dnan = NAN;
  const float fnan = NAN;
  for (int k = 0; k < TMS_DS_COUNT; k++) {
    const tms_schema_dataset *d = tms_schema_results_ds((tms_results_ds)k);
    if (!tms_schema_present(d, &st->ext)) continue;
    size_t sz[TMS_SCHEMA_MAX_RANK + TMS_SCHEMA_MAX_TRAIL];
    hsize_t dims[TMS_SCHEMA_MAX_RANK + TMS_SCHEMA_MAX_TRAIL];
    int rank = tms_schema_shape(d, &st->ext, sz);
    for (int i = 0; i < rank; i++) dims[i] = sz[i];
    const void *fill = d->type == TMS_SCHEMA_F64 ? (const void *)&dnan
                       : d->type == TMS_SCHEMA_F32 ? (const void *)&fnan
                                                   : NULL;
    st->ds[k] = store_dataset_create(st->file, d->path, tms_schema_h5_file_type(d->type), rank, dims,
                                     tms_schema_h5_mem_type(d->type), fill);
    if (st->ds[k] < 0) return store_h5fail(err, tmp, d->path);
    attach[(*n_attach)++] = st->ds[k];
  }
  return TMS_OK;
}

/* Moves the finished "<path>.creating" to path: link() refuses to replace an existing file, rename() replaces
 * (--force). */
static tms_status publish(const char *tmp, const char *path, int force, tms_error *err) {
  int rc;
  if (force) {
    rc = rename(tmp, path);
  } else {
    rc = link(tmp, path);
    if (rc == 0) unlink(tmp);
  }
  if (rc == 0) return TMS_OK;
  if (errno == EEXIST)
    return tms_error_set(err, TMS_ERR_EXISTS, path, 0, 0, NULL,
                         "output file appeared while creating; use --force to overwrite");
  return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot move %s to its name: %s", tmp, strerror(errno));
}

/* Everything of a new file below its root: datasets, statuses, /params, /axes, then one flush. */
static tms_status build(tms_store *st, const tms_sweep *sweep, const char *tmp, tms_error *err) {
  hid_t attach[TMS_DS_COUNT + 64];
  int n_attach = 0;
  tms_status s = create_datasets(st, tmp, attach, &n_attach, err);
  /* Excluded points are marked skipped from the start. */
  for (size_t i = 0; i < st->count; i++)
    st->status[i] = tms_grid_excluded(sweep, i) ? TMS_POINT_SKIPPED : TMS_POINT_PENDING;
  if (s == TMS_OK && store_write_all(st->ds[TMS_DS_STATUS], H5T_NATIVE_UINT8, st->status) < 0)
    s = store_h5fail(err, tmp, "write /points/status");
  int first_param = n_attach;
  if (s == TMS_OK) s = store_write_params(st, sweep, 1, attach, &n_attach, err);
  if (s == TMS_OK) s = store_write_axes(st, sweep, attach, n_attach, err);
  for (int i = first_param; i < n_attach; i++) H5Dclose(attach[i]);
  if (s == TMS_OK) { /* the netCDF-4 view: trailing dims' scales, links for xarray and ncdump */
    const char *names[TMS_SCHEMA_MAX_RANK];
    for (int k = 0; k < st->ext.rank; k++) names[k] = k < sweep->n_axes ? sweep->axes[k].name : TMS_SCHEMA_REPLICATE;
    s = tms_schema_h5_netcdf(st->file, tmp, TMS_FILE_RESULTS, &st->ext, names, err);
  }
  /* Every piece of metadata goes to disk now; afterwards only raw data changes. */
  if (s == TMS_OK && H5Fflush(st->file, H5F_SCOPE_GLOBAL) < 0) s = store_h5fail(err, tmp, "flush the new file");
  return s;
}

tms_status tms_store_create(tms_store **out, const char *path, const tms_sweep *sweep,
                            const tms_store_provenance *prov, int force, tms_error *err) {
  *out = NULL;
  /* Library code never prints: HDF5's error stack is silenced, failures come back as statuses. Set
   * TMS_HDF5_DEBUG=1 in the environment to see HDF5's own trace when chasing a TMS_ERR_HDF5. */
  if (!getenv("TMS_HDF5_DEBUG")) H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (!force && access(path, F_OK) == 0)
    return tms_error_set(err, TMS_ERR_EXISTS, path, 0, 0, NULL,
                         "output file exists; use --force to overwrite it or --resume to continue it");
  if (tms_grid_rank(sweep) > TMS_SCHEMA_MAX_RANK) /* the sweep definition refuses these already */
    return tms_error_set(err, TMS_ERR_CONFIG, sweep->path, 0, 0, NULL, "%d grid dimensions; at most %d are supported",
                         tms_grid_rank(sweep), TMS_SCHEMA_MAX_RANK);
  tms_store *st = store_alloc(path, sweep);
  if (!st) return tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, "no memory for the store");
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.creating", path);
  hid_t fapl = store_open_fapl();
  if (fapl >= 0) st->file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  if (fapl >= 0) H5Pclose(fapl);
  if (st->file < 0) {
    tms_status s = tms_error_set(err, TMS_ERR_IO, tmp, 0, 0, NULL,
                                 "cannot create the results file (directory missing or not writable?)");
    store_free(st);
    return s;
  }
  tms_status s = store_write_root_attrs(st, sweep, prov, err);
  if (s == TMS_OK) s = build(st, sweep, tmp, err);
  if (s == TMS_OK) s = publish(tmp, path, force, err);
  if (s != TMS_OK) {
    /* Empty the half-made file first: if creation ran out of space, closing it must not (a failed H5Fclose
     * leaves HDF5 with a dangling file that crashes it at MPI_Finalize). */
    if (truncate(tmp, 0) != 0) { /* nothing more to do: it is removed below */
    }
    store_free(st);
    unlink(tmp);
    return s;
  }
  *out = st;
  return TMS_OK;
}

/* The file's extent (validated by the schema) against the sweep's: any difference makes resuming impossible. */
static tms_status same_layout(const tms_store *st, const tms_schema_extent *got, int forced, tms_error *err) {
  const tms_schema_extent *w = &st->ext;
  int same = got->rank == w->rank && got->n_max == w->n_max && got->m_max == w->m_max &&
             got->curve_len == w->curve_len && got->snapshot_len == w->snapshot_len && got->eval_len == w->eval_len &&
             got->has_w2 == w->has_w2;
  for (int k = 0; same && k < w->rank; k++) same = got->dims[k] == w->dims[k];
  if (same) return TMS_OK;
  return tms_error_set(err, TMS_ERR_MISMATCH, st->path, 0, 0, NULL,
                       "the file's grid or padding extents differ from this sweep's: cannot resume%s",
                       forced ? " even with --force-resume" : "");
}

/* A forced resume: parameters and seeds describe what will be trained from now on (raw data only). The exclusion
 * mask is the new sweep's; done points whose parameters and seed are unchanged keep their results, the others are
 * pending again (store_write_params), with no attempts. */
static tms_status rewrite_for_sweep(tms_store *st, const tms_sweep *sweep, tms_error *err) {
  tms_status s = store_write_params(st, sweep, 0, NULL, NULL, err);
  for (size_t i = 0; i < st->count && s == TMS_OK; i++) {
    int ex = tms_grid_excluded(sweep, i);
    if (ex && st->status[i] != TMS_POINT_SKIPPED) st->status[i] = TMS_POINT_SKIPPED;
    else if (!ex && st->status[i] == TMS_POINT_SKIPPED) st->status[i] = TMS_POINT_PENDING;
  }
  if (s == TMS_OK && store_write_all(st->ds[TMS_DS_ATTEMPTS], H5T_NATIVE_INT32, st->attempts) < 0)
    s = store_h5fail(err, st->path, "write /points/attempts");
  if (s == TMS_OK && store_write_all(st->ds[TMS_DS_STATUS], H5T_NATIVE_UINT8, st->status) < 0)
    s = store_h5fail(err, st->path, "write /points/status");
  if (s == TMS_OK && H5Fflush(st->file, H5F_SCOPE_GLOBAL) < 0) s = store_h5fail(err, st->path, "flush");
  return s;
}

/* Opens the datasets of this sweep's layout on st->file. */
static tms_status open_handles(tms_store *st, tms_error *err) {
  for (int k = 0; k < TMS_DS_COUNT; k++) {
    const tms_schema_dataset *d = tms_schema_results_ds((tms_results_ds)k);
    if (!tms_schema_present(d, &st->ext)) continue;
    st->ds[k] = H5Dopen2(st->file, d->path, H5P_DEFAULT);
    if (st->ds[k] < 0) return store_h5fail(err, st->path, d->path);
  }
  return TMS_OK;
}

/* Opens the datasets and reads the bookkeeping into memory; refuses values tms-sweep never writes. */
static tms_status open_datasets(tms_store *st, tms_error *err) {
  tms_status s = open_handles(st, err);
  if (s != TMS_OK) return s;
  if (H5Dread(st->ds[TMS_DS_STATUS], H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, st->status) < 0 ||
      H5Dread(st->ds[TMS_DS_ATTEMPTS], H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, st->attempts) < 0 ||
      H5Dread(st->ds[TMS_DS_ERROR], H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, st->errors) < 0)
    return store_h5fail(err, st->path, "read /points/status, attempts and error");
  for (size_t i = 0; i < st->count; i++)
    if (st->status[i] > TMS_POINT_SKIPPED || st->attempts[i] < 0)
      return tms_error_set(err, TMS_ERR_SCHEMA, st->path, 0, 0, NULL,
                           "point %zu has status %u and %d attempts: not values tms-sweep writes (damaged file)", i,
                           (unsigned)st->status[i], (int)st->attempts[i]);
  return TMS_OK;
}

/* Closes the read-only handles the checks ran on and opens the checked file again for writing. */
static tms_status reopen_for_writing(tms_store *st, tms_error *err) {
  for (int k = 0; k < TMS_DS_COUNT; k++)
    if (st->ds[k] >= 0) H5Dclose(st->ds[k]), st->ds[k] = -1;
  H5Fclose(st->file);
  hid_t fapl = store_open_fapl();
  st->file = fapl >= 0 ? H5Fopen(st->path, H5F_ACC_RDWR, fapl) : -1;
  if (fapl >= 0) H5Pclose(fapl);
  if (st->file < 0)
    return tms_error_set(err, TMS_ERR_IO, st->path, 0, 0, NULL, "cannot open for writing (%s)",
                         access(st->path, W_OK) != 0 ? "the file is read-only" : "is another program writing it?");
  return open_handles(st, err);
}

tms_status tms_store_open_resume(tms_store **out, const char *path, const tms_sweep *sweep, int force_resume,
                                 tms_error *err) {
  *out = NULL;
  if (!getenv("TMS_HDF5_DEBUG")) H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (access(path, F_OK) != 0)
    return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot resume: no such file");
  /* Every check runs on a read-only handle: HDF5 writes into an empty or damaged file it opened for writing (found
   * by tests/fuzz), so only a file that passed is opened again for writing. */
  htri_t is_h5 = -1;
  H5E_BEGIN_TRY { is_h5 = H5Fis_hdf5(path); }
  H5E_END_TRY;
  if (is_h5 <= 0)
    return tms_error_set(err, TMS_ERR_SCHEMA, path, 0, 0, NULL,
                         "cannot resume: not an HDF5 file (empty, truncated or another format)");
  tms_store *st = store_alloc(path, sweep);
  if (!st) return tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, "no memory for the store");
  tms_status s = TMS_OK;
  hid_t fapl = store_open_fapl();
  if (fapl >= 0) st->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  if (fapl >= 0) H5Pclose(fapl);
  if (st->file < 0) {
    s = tms_error_set(err, TMS_ERR_SCHEMA, path, 0, 0, NULL,
                      "cannot open as HDF5 (damaged, or killed while being created?)");
    goto fail;
  }
  tms_schema_extent got;
  if ((s = tms_schema_check_h5(st->file, path, TMS_FILE_RESULTS, 1, &got, err)) != TMS_OK) goto fail;
  char hash[64], want[24];
  store_attr_read_str(st->file, TMS_A_CONFIG_HASH, hash, sizeof hash);
  snprintf(want, sizeof want, "%016llx", (unsigned long long)tms_grid_config_hash(sweep));
  int mismatch = strcmp(hash, want) != 0;
  if (mismatch && !force_resume) {
    s = tms_error_set(err, TMS_ERR_MISMATCH, path, 0, 0, NULL,
                      "config hash of the file is %s but the sweep's is %s: the sweep file changed since the run "
                      "started (use --force-resume to continue anyway, or a new -o file)",
                      hash, want);
    goto fail;
  }
  if ((s = same_layout(st, &got, mismatch, err)) != TMS_OK) goto fail;
  st->ext.has_eval_s = got.has_eval_s; /* a file made before eval_s was recorded is resumed without it */
  if ((s = open_datasets(st, err)) != TMS_OK) goto fail;
  if ((s = reopen_for_writing(st, err)) != TMS_OK) goto fail;
  if (mismatch && (s = rewrite_for_sweep(st, sweep, err)) != TMS_OK) goto fail;
  *out = st;
  return TMS_OK;
fail:
  store_free(st);
  return s;
}

/* tms_store_commit: commit.c (coalesced writes, same order of results, flush, statuses, flush). */

tms_status tms_store_close(tms_store *st, tms_error *err) {
  if (!st) return TMS_OK;
  tms_status s = TMS_OK;
  for (int k = 0; k < TMS_DS_COUNT; k++) {
    if (st->ds[k] >= 0 && H5Dclose(st->ds[k]) < 0 && s == TMS_OK) s = store_h5fail(err, st->path, "close a dataset");
    st->ds[k] = -1;
  }
  if (st->file >= 0 && H5Fclose(st->file) < 0 && s == TMS_OK) s = store_h5fail(err, st->path, "close the file");
  st->file = -1;
  store_free(st);
  return s;
}

const uint8_t *tms_store_status(const tms_store *st) { return st->status; }
const int32_t *tms_store_attempts(const tms_store *st) { return st->attempts; }
const int32_t *tms_store_errors(const tms_store *st) { return st->errors; }
size_t tms_store_point_count(const tms_store *st) { return st->count; }
size_t tms_store_forced_retrain(const tms_store *st) { return st->retrain; }
