/* reuse: opening an old results file for `--reuse` (reuse.h) and the index of its done points. The file is opened
 * read-only, validated like a file to resume (the schema's strict check, bookkeeping values tms-sweep writes), and
 * its done points are indexed by a key of their /params values and seed, read PARAM_SLICE points at a time so the
 * root's memory is 16 bytes per done point whatever the file's size. reuse_copy.c matches and copies.
 * Invariants: nothing here opens a file for writing; every refusal is one message naming the old file's path. */
#define _POSIX_C_SOURCE 200809L /* stat, open */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/reuse.h"
#include "store_internal.h"

enum { PARAM_SLICE = 16384 };

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 29);
}

uint64_t store_reuse_key_of(const double *vals, int np, uint64_t seed) {
  uint64_t h = mix(0x7465726d73ULL, seed);
  for (int p = 0; p < np; p++) {
    uint64_t bits = 0x7ff8000000000000ULL; /* one NaN for every NaN */
    if (!isnan(vals[p])) memcpy(&bits, &vals[p], sizeof bits);
    h = mix(h, bits);
  }
  return h;
}

void store_reuse_values(const tms_spec *spec, double *vals, int np) {
  for (int p = 0; p < np; p++)
    vals[p] = strcmp(tms_param_at(p)->key, TMS_SCHEMA_NOT_STORED) == 0 ? NAN : tms_spec_number_at(spec, p);
}

int store_reuse_read_params(const tms_reuse_src *src, size_t a, size_t len, double *vals, double *col,
                            uint64_t *seed) {
  if (store_run_io(src->ds[TMS_DS_SEED], &src->ext, H5T_NATIVE_UINT64, a, len, seed, 0) < 0) return -1;
  for (int p = 0; p < src->np; p++) {
    if (src->pd[p] < 0) {
      for (size_t i = 0; i < len; i++) vals[i * (size_t)src->np + (size_t)p] = NAN;
      continue;
    }
    /* enum codes (int8 on disk) convert to double exactly */
    if (store_run_io(src->pd[p], &src->ext, H5T_NATIVE_DOUBLE, a, len, col, 0) < 0) return -1;
    for (size_t i = 0; i < len; i++) vals[i * (size_t)src->np + (size_t)p] = col[i];
  }
  return 0;
}

void tms_reuse_close(tms_reuse_src *src) {
  if (!src) return;
  for (int k = 0; k < TMS_DS_COUNT; k++)
    if (src->ds[k] >= 0) H5Dclose(src->ds[k]);
  for (int p = 0; src->pd && p < src->np; p++)
    if (src->pd[p] >= 0) H5Dclose(src->pd[p]);
  if (src->file >= 0) H5Fclose(src->file);
  free(src->pd);
  free(src->keys);
  free(src);
}

const char *tms_reuse_path(const tms_reuse_src *src) { return src->path; }
size_t tms_reuse_done(const tms_reuse_src *src) { return src->done; }

/* The checks that need no HDF5: the path exists, is a regular file and can be read by this user. */
static tms_status check_path(const char *path, tms_error *err) {
  struct stat sb;
  if (stat(path, &sb) != 0)
    return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot reuse: %s", strerror(errno));
  if (S_ISDIR(sb.st_mode))
    return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot reuse: is a directory, not a results file");
  int fd = open(path, O_RDONLY);
  if (fd < 0) return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot reuse: %s", strerror(errno));
  close(fd);
  htri_t is_h5 = -1;
  H5E_BEGIN_TRY { is_h5 = H5Fis_hdf5(path); }
  H5E_END_TRY;
  if (is_h5 <= 0)
    return tms_error_set(err, TMS_ERR_SCHEMA, path, 0, 0, NULL,
                         "cannot reuse: not an HDF5 file (empty, truncated or another format)");
  return TMS_OK;
}

/* The datasets of the old file's layout and its /params family, on the read-only handle. */
static tms_status open_objects(tms_reuse_src *src, tms_error *err) {
  for (int k = 0; k < TMS_DS_COUNT; k++) {
    const tms_schema_dataset *d = tms_schema_results_ds((tms_results_ds)k);
    if (!tms_schema_present(d, &src->ext)) continue;
    src->ds[k] = H5Dopen2(src->file, d->path, H5P_DEFAULT);
    if (src->ds[k] < 0) return tms_error_set(err, TMS_ERR_SCHEMA, src->path, 0, 0, NULL, "cannot open %s", d->path);
  }
  for (int p = 0; p < src->np; p++) {
    const tms_param_info *info = tms_param_at(p);
    if (strcmp(info->key, TMS_SCHEMA_NOT_STORED) == 0) continue;
    char name[128];
    snprintf(name, sizeof name, TMS_SCHEMA_PARAMS "/%s", info->key);
    src->pd[p] = H5Dopen2(src->file, name, H5P_DEFAULT);
    if (src->pd[p] < 0) return tms_error_set(err, TMS_ERR_SCHEMA, src->path, 0, 0, NULL, "cannot open %s", name);
  }
  return TMS_OK;
}

/* /points/status (values tms-sweep writes only) and the number of done points. */
static tms_status read_status(tms_reuse_src *src, uint8_t *status, tms_error *err) {
  if (H5Dread(src->ds[TMS_DS_STATUS], H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, status) < 0)
    return tms_error_set(err, TMS_ERR_SCHEMA, src->path, 0, 0, NULL, "cannot read /points/status (damaged file)");
  for (size_t i = 0; i < src->count; i++) {
    if (status[i] > TMS_POINT_SKIPPED)
      return tms_error_set(err, TMS_ERR_SCHEMA, src->path, 0, 0, NULL,
                           "point %zu has status %u: not a value tms-sweep writes (damaged file)", i,
                           (unsigned)status[i]);
    src->done += status[i] == TMS_POINT_DONE;
  }
  return TMS_OK;
}

static int cmp_key(const void *a, const void *b) {
  const store_reuse_key *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->old < y->old ? -1 : x->old > y->old;
}

/* The key of every done point, PARAM_SLICE points at a time, sorted. */
static tms_status build_index(tms_reuse_src *src, const uint8_t *status, tms_error *err) {
  size_t slice = src->count < PARAM_SLICE ? src->count : PARAM_SLICE;
  double *vals = malloc(slice * (size_t)src->np * sizeof *vals), *col = malloc(slice * sizeof *col);
  uint64_t *seed = malloc(slice * sizeof *seed);
  src->keys = malloc((src->done ? src->done : 1) * sizeof *src->keys);
  tms_status s = TMS_OK;
  if (!vals || !col || !seed || !src->keys)
    s = tms_error_set(err, TMS_ERR_NOMEM, src->path, 0, 0, NULL, "no memory to index %zu points", src->count);
  size_t n = 0;
  for (size_t a = 0; a < src->count && s == TMS_OK; a += slice) {
    size_t len = src->count - a < slice ? src->count - a : slice, i;
    for (i = 0; i < len && status[a + i] != TMS_POINT_DONE; i++) {
    }
    if (i == len) continue; /* nothing done in this slice */
    if (store_reuse_read_params(src, a, len, vals, col, seed) < 0) {
      s = tms_error_set(err, TMS_ERR_SCHEMA, src->path, 0, 0, NULL, "cannot read /params or /points/seed");
      break;
    }
    for (i = 0; i < len; i++)
      if (status[a + i] == TMS_POINT_DONE)
        src->keys[n++] = (store_reuse_key){store_reuse_key_of(vals + i * (size_t)src->np, src->np, seed[i]), a + i};
  }
  if (s == TMS_OK) qsort(src->keys, n, sizeof *src->keys, cmp_key);
  free(vals);
  free(col);
  free(seed);
  return s;
}

static tms_status open_checked(tms_reuse_src *src, tms_error *err) {
  hid_t fapl = store_open_fapl();
  if (fapl >= 0) {
    H5E_BEGIN_TRY { src->file = H5Fopen(src->path, H5F_ACC_RDONLY, fapl); }
    H5E_END_TRY;
    H5Pclose(fapl);
  }
  if (src->file < 0)
    return tms_error_set(err, TMS_ERR_SCHEMA, src->path, 0, 0, NULL,
                         "cannot reuse: cannot open as HDF5 (damaged, or killed while being created?)");
  tms_status s = tms_schema_check_h5(src->file, src->path, TMS_FILE_RESULTS, 1, &src->ext, err);
  if (s != TMS_OK) return s;
  src->count = tms_schema_points(&src->ext);
  store_attr_read_str(src->file, TMS_A_GIT_COMMIT, src->git_commit, sizeof src->git_commit);
  store_attr_read_str(src->file, TMS_A_KERNELS_ISA, src->kernels_isa, sizeof src->kernels_isa);
  if ((s = open_objects(src, err)) != TMS_OK) return s;
  uint8_t *status = malloc(src->count ? src->count : 1);
  if (!status) return tms_error_set(err, TMS_ERR_NOMEM, src->path, 0, 0, NULL, "no memory for the statuses");
  s = read_status(src, status, err);
  if (s == TMS_OK) s = build_index(src, status, err);
  free(status);
  return s;
}

tms_status tms_reuse_open(tms_reuse_src **out, const char *path, tms_error *err) {
  *out = NULL;
  if (!getenv("TMS_HDF5_DEBUG")) H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  tms_status s = check_path(path, err);
  if (s != TMS_OK) return s;
  tms_reuse_src *src = calloc(1, sizeof *src);
  if (!src) return tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, "no memory");
  src->file = -1;
  for (int k = 0; k < TMS_DS_COUNT; k++) src->ds[k] = -1;
  snprintf(src->path, sizeof src->path, "%s", path);
  src->np = tms_param_count();
  src->pd = malloc((size_t)src->np * sizeof *src->pd);
  if (!src->pd) {
    free(src);
    return tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, "no memory");
  }
  for (int p = 0; p < src->np; p++) src->pd[p] = -1;
  s = open_checked(src, err);
  if (s != TMS_OK) {
    tms_reuse_close(src);
    if (err && strncmp(err->msg, "cannot reuse", 12) != 0) { /* the schema's words, said of a --reuse file */
      static const char pre[] = "cannot reuse: ";
      size_t room = sizeof err->msg - sizeof pre; /* the tail of a long message gives way */
      memmove(err->msg + sizeof pre - 1, err->msg, room);
      err->msg[sizeof err->msg - 1] = 0;
      memcpy(err->msg, pre, sizeof pre - 1);
    }
    return s;
  }
  *out = src;
  return TMS_OK;
}
