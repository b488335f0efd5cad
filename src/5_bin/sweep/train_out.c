/* train_out: `tms-sweep train --out FILE.h5` as an ordinary results file (schema tms-results/1): the one trained
 * model as a sweep of one point (every parameter fixed, one replicate), written by the same store as `tms-sweep run`,
 * so tms-post, tmsio.py and the analysis scripts read it like any sweep. Without MPI initialised the store opens the
 * file with HDF5's serial driver (train never starts MPI).
 * Invariant: the file says what was trained. A sweep derives each point's seed from its master seed; train uses
 * --seed directly, so /points/seed (and the root attribute seed) hold that seed, written as raw data after the
 * store has closed the file. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "config/config.h"
#include "kernels/kernels.h"
#include "store/store.h"
#include "train_out.h"

char *openblas_get_config(void);
int openblas_get_num_threads(void);

/* The one-point sweep file of spec: every stored parameter fixed at the value trained. */
static size_t sweep_text(const tms_spec *spec, char *buf, size_t size) {
  int len = snprintf(buf, size, "schema: tms-sweep/1\nname: train\nseed: %llu\nfixed: {",
                     (unsigned long long)spec->seed);
  int first = 1;
  for (int i = 0; i < tms_param_count() && len > 0 && (size_t)len < size; i++) {
    const tms_param_info *p = tms_param_at(i);
    tms_value v;
    if (strcmp(p->key, TMS_SCHEMA_NOT_STORED) == 0 || tms_spec_get(spec, p->key, &v) != TMS_OK) continue;
    if (!v.is_string && isnan(v.num)) continue; /* an unset optional parameter */
    if (v.is_string) len += snprintf(buf + len, size - (size_t)len, "%s%s: %s", first ? "" : ", ", p->key, v.str);
    else len += snprintf(buf + len, size - (size_t)len, "%s%s: %.17g", first ? "" : ", ", p->key, v.num);
    first = 0;
  }
  if (len > 0 && (size_t)len < size) len += snprintf(buf + len, size - (size_t)len, "}\nreplicates: 1\n");
  return len > 0 ? (size_t)len : size;
}

/* /points/seed := the seed trained with (raw data of an existing dataset; the file is complete before and after). */
static tms_status write_seed(const char *path, uint64_t seed, tms_error *err) {
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  if (f < 0) return tms_error_set(err, TMS_ERR_HDF5, path, 0, 0, NULL, "cannot reopen to record the seed");
  hid_t d = H5Dopen2(f, tms_schema_results_ds(TMS_DS_SEED)->path, H5P_DEFAULT);
  int ok = d >= 0 && H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &seed) >= 0;
  if (d >= 0) H5Dclose(d);
  ok = H5Fclose(f) >= 0 && ok;
  return ok ? TMS_OK : tms_error_set(err, TMS_ERR_HDF5, path, 0, 0, NULL, "cannot write /points/seed");
}

tms_status tms_train_write_results(const char *path, const tms_train_output *o, tms_error *err) {
  char text[8192];
  if (sweep_text(o->spec, text, sizeof text) >= sizeof text)
    return tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, "the parameters do not fit the sweep text");
  tms_sweep sweep;
  memset(&sweep, 0, sizeof sweep);
  tms_status s = tms_sweep_parse(&sweep, text, strlen(text), "tms-sweep train", err);
  if (s != TMS_OK) return s;
  const char *cfg = openblas_get_config();
  tms_store_provenance prov = {tms_version(), tms_git_commit(), "none (tms-sweep train, no MPI)",
                               cfg ? cfg : "unknown", openblas_get_num_threads(), 1,
                               tms_kernels_isa(), tms_kernels_blas_core()};
  tms_store *st = NULL;
  s = tms_store_create(&st, path, &sweep, &prov, 1, err);
  if (s == TMS_OK) {
    const tms_train_result *r = o->res;
    tms_point_record rec = {
        .index = 0, .status = o->status, .wall_s = r->wall_s, .loss = r->final_loss, .loss_se = r->loss_se,
        .dstar = o->dstar,
        .loss_curve = r->loss_curve, .W = r->W, .W2 = o->spec->variant == TMS_ABS ? r->W2 : NULL, .b = r->b,
        .norm = o->norm, .interference = o->interference, .dimensionality = o->dimensionality,
        .W_history = r->W_history, .eval_curve = r->eval_curve, .eval_s = r->eval_s,
    };
    s = tms_store_commit(st, &rec, 1, err);
    tms_error cerr;
    tms_status cs = tms_store_close(st, &cerr);
    if (s == TMS_OK && cs != TMS_OK) {
      s = cs;
      if (err) *err = cerr;
    }
  }
  if (s == TMS_OK) s = write_seed(path, o->spec->seed, err);
  tms_sweep_free(&sweep);
  return s;
}
