/* test_store: the results-file store on its own (no training): create, refuse to overwrite, commit, resume,
 * refuse a changed sweep, and the layout as a plain (serial) HDF5 reader sees it. Runs as an MPI singleton. */
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config/config.h"
#include "config/grid.h"
#include "store/store.h"

static const char *yaml_a =
    "schema: tms-sweep/1\n"
    "name: store-test\n"
    "seed: 5\n"
    "fixed: {n_features: 3, n_hidden: 2, density: 0.5, steps: 10, log_every: 4}\n"
    "axes:\n"
    "  variant: {values: [relu_out, abs]}\n"
    "replicates: 2\n";
/* Same layout, other seed: another config hash. */
static const char *yaml_b =
    "schema: tms-sweep/1\n"
    "name: store-test\n"
    "seed: 6\n"
    "fixed: {n_features: 3, n_hidden: 2, density: 0.5, steps: 10, log_every: 4}\n"
    "axes:\n"
    "  variant: {values: [relu_out, abs]}\n"
    "replicates: 2\n";
/* Another layout (three replicates). */
static const char *yaml_c =
    "schema: tms-sweep/1\n"
    "name: store-test\n"
    "seed: 5\n"
    "fixed: {n_features: 3, n_hidden: 2, density: 0.5, steps: 10, log_every: 4}\n"
    "axes:\n"
    "  variant: {values: [relu_out, abs]}\n"
    "replicates: 3\n";

static int parse(tms_sweep *s, const char *text) {
  tms_error e;
  memset(s, 0, sizeof *s);
  tms_status st = tms_sweep_parse(s, text, strlen(text), "inline.yaml", &e);
  if (st != TMS_OK) {
    char buf[800];
    tms_error_format(&e, buf, sizeof buf);
    fprintf(stderr, "parse failed: %s\n", buf);
  }
  return st == TMS_OK;
}

static void read_ds(hid_t f, const char *name, hid_t t, void *buf) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  CHECK(d >= 0, "%s exists", name);
  if (d >= 0) {
    CHECK(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0, "%s reads", name);
    H5Dclose(d);
  }
}

/* A grid larger than one slice of store_write_params (16,384 points), with slice boundaries inside rows of every
 * grid dim: every point's /params values and seed are those of its spec. */
static const char *yaml_big =
    "schema: tms-sweep/1\n"
    "name: store-slices\n"
    "seed: 9\n"
    "fixed: {n_features: 2, n_hidden: 1, steps: 2, log_every: 1}\n"
    "axes:\n"
    "  variant: {values: [relu_out, linear]}\n"
    "  density: {logspace: {start: 0, stop: -2, num: 37}}\n"
    "  lr: {logspace: {start: -3, stop: -2, num: 13}}\n"
    "replicates: 29\n";

static void sliced_params(const tms_store_provenance *prov) {
  const char *path = "test_store_slices.h5";
  remove(path);
  tms_sweep s;
  if (!parse(&s, yaml_big)) return;
  size_t n = tms_grid_count(&s);
  CHECK(n == 2 * 37 * 13 * 29 && n > 16384, "%zu points", n);
  tms_store *st = NULL;
  tms_error e;
  CHECK(tms_store_create(&st, path, &s, prov, 0, &e) == TMS_OK, "create the large file: %s", e.msg);
  tms_store_close(st, &e);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  double *dens = malloc(n * sizeof *dens), *lr = malloc(n * sizeof *lr), *nf = malloc(n * sizeof *nf);
  int8_t *var = malloc(n);
  uint64_t *seed = malloc(n * sizeof *seed);
  CHECK(f >= 0 && dens && lr && nf && var && seed, "open the large file");
  if (f >= 0 && dens && lr && nf && var && seed) {
    read_ds(f, "/params/density", H5T_NATIVE_DOUBLE, dens);
    read_ds(f, "/params/lr", H5T_NATIVE_DOUBLE, lr);
    read_ds(f, "/params/n_features", H5T_NATIVE_DOUBLE, nf);
    read_ds(f, "/params/variant", H5T_NATIVE_INT8, var);
    read_ds(f, "/points/seed", H5T_NATIVE_UINT64, seed);
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++) {
      tms_spec sp;
      tms_grid_spec(&s, i, &sp, &e);
      if (dens[i] != sp.density || lr[i] != sp.lr || nf[i] != sp.n_features || var[i] != (int8_t)sp.variant ||
          seed[i] != sp.seed) {
        if (!bad) first = i;
        bad++;
      }
    }
    CHECK(bad == 0, "%zu of %zu points have /params or seeds other than their spec's (first: point %zu)", bad, n,
          first);
  }
  if (f >= 0) H5Fclose(f);
  free(dens);
  free(lr);
  free(nf);
  free(var);
  free(seed);
  tms_sweep_free(&s);
  remove(path);
}

/* What a serial reader of the file at path sees after the test's commits and the forced resume with sweep b (curve
 * entries cl): the committed point's arrays, NaN fills, eval_s, statuses, codes, seeds, scales and provenance. */
static void check_serial_reader(const char *path, const tms_sweep *b, size_t cl, const float *W, const float *W2,
                                const float *bb) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  CHECK(f >= 0, "opens with the default (serial) driver");
  if (f < 0) return;
  tms_error e;
  float Wf[4 * 6], W2f[4 * 6], bf[4 * 3], cf[64];
  double loss[4], nrm[4 * 3], eval_s[4];
  uint8_t status[4];
  int8_t variant[4];
  uint64_t seeds[4];
  read_ds(f, "/results/W", H5T_NATIVE_FLOAT, Wf);
  read_ds(f, "/results/W2", H5T_NATIVE_FLOAT, W2f);
  read_ds(f, "/results/b", H5T_NATIVE_FLOAT, bf);
  read_ds(f, "/results/loss", H5T_NATIVE_DOUBLE, loss);
  read_ds(f, "/metrics/norm", H5T_NATIVE_DOUBLE, nrm);
  read_ds(f, "/points/status", H5T_NATIVE_UINT8, status);
  read_ds(f, "/params/variant", H5T_NATIVE_INT8, variant);
  read_ds(f, "/points/seed", H5T_NATIVE_UINT64, seeds);
  read_ds(f, "/points/eval_s", H5T_NATIVE_DOUBLE, eval_s);
  if (cl <= 16) read_ds(f, "/results/loss_curve", H5T_NATIVE_FLOAT, cf);
  CHECK_ARRAY_CLOSE("W of point 1", Wf + 6, W, 6, 0);
  CHECK_ARRAY_CLOSE("W2 of point 1", W2f + 6, W2, 6, 0);
  CHECK_ARRAY_CLOSE("b of point 1", bf + 3, bb, 3, 0);
  CHECK_CLOSE("loss of point 1", loss[1], 0.25, 0);
  CHECK_CLOSE("norm[2] of point 1", nrm[5], 3, 0);
  CHECK(isnan(loss[0]) && isnan(loss[2]) && isnan(Wf[0]), "never-done points hold the NaN fill value");
  CHECK(isnan(eval_s[0]) && eval_s[1] == 0.125 && eval_s[2] == 0,
        "/points/eval_s %g %g %g, want NaN (never run) 0.125 (done) 0 (failed before its evaluation)", eval_s[0],
        eval_s[1], eval_s[2]);
  CHECK(status[1] == 0 && status[2] == 0, "status on disk after the forced resume %d %d, want 0 0 (pending)",
        status[1], status[2]);
  CHECK(variant[0] == 1 && variant[2] == 3, "variant codes relu_out=1 abs=3, got %d %d", variant[0], variant[2]);
  CHECK(seeds[0] != seeds[1] && seeds[0] != 0, "seeds per point differ");
  tms_spec sp;
  tms_grid_spec(b, 3, &sp, &e); /* the forced resume with sweep b rewrote seeds and params */
  CHECK(seeds[3] == sp.seed, "seed of point 3 is the (forced) sweep's: %llu vs %llu",
        (unsigned long long)seeds[3], (unsigned long long)sp.seed);
  hid_t ax = H5Dopen2(f, "/axes/variant", H5P_DEFAULT);
  CHECK(ax >= 0 && H5Aexists(ax, "CLASS") > 0, "/axes/variant is a dimension scale");
  if (ax >= 0) H5Dclose(ax);
  CHECK(H5Lexists(f, "/axes/replicate", H5P_DEFAULT) > 0, "/axes/replicate exists");
  CHECK(H5Lexists(f, "/params/sparsity", H5P_DEFAULT) == 0, "no /params/sparsity");
  CHECK(H5Aexists(f, "config_hash") > 0 && H5Aexists(f, "grid_shape") > 0 && H5Aexists(f, "sweep_yaml") > 0,
        "provenance attributes present");
  H5Fclose(f);
}

int main(void) {
  MPI_Init(NULL, NULL);
  const char *path = "test_store_out.h5";
  remove(path);
  tms_sweep a, b, c;
  if (!parse(&a, yaml_a) || !parse(&b, yaml_b) || !parse(&c, yaml_c)) return 1;
  int n_max, m_max, has_w2;
  size_t curve;
  tms_grid_extent(&a, &n_max, &m_max, &curve, &has_w2);
  CHECK(n_max == 3 && m_max == 2 && has_w2 == 1, "extent of the test sweep (n_max %d m_max %d w2 %d)", n_max,
        m_max, has_w2);
  tms_store_provenance prov = {"t", "g", "mpi", "blas", 1, 1, "generic", "Haswell"};
  tms_error e;
  tms_store *st = NULL;
  tms_status cs = tms_store_create(&st, path, &a, &prov, 0, &e);
  CHECK(cs == TMS_OK, "create: %s: %s", tms_status_name(cs), e.msg);
  if (!st) return tms_check_finish("test_store");
  CHECK(access("test_store_out.h5.creating", F_OK) != 0, "no .creating file left behind");
  CHECK(tms_store_point_count(st) == 4, "4 points, got %zu", tms_store_point_count(st));

  /* A second create without force must refuse and leave the first alone. */
  tms_store *st2 = NULL;
  CHECK(tms_store_create(&st2, path, &a, &prov, 0, &e) == TMS_ERR_EXISTS, "create over an existing file refused");
  CHECK(st2 == NULL, "no store on refusal");

  /* Commit: point 1 (relu_out, replicate 1) done, point 2 (abs, replicate 0) failed. */
  size_t cl = curve;
  float *cv = malloc(cl * sizeof *cv), W[6] = {1, 2, 3, 4, 5, 6}, W2[6] = {-1, -2, -3, -4, -5, -6}, bb[3] = {7, 8, 9};
  for (size_t k = 0; k < cl; k++) cv[k] = (float)k;
  double norm[3] = {1, 2, 3}, inter[3] = {0.1, 0.2, 0.3}, dim[3] = {1, 0.5, 0};
  tms_point_record r[2];
  memset(r, 0, sizeof r);
  /* eval_s: the failed attempt never reached its evaluation, 0 */
  r[0] = (tms_point_record){1, TMS_OK, 0.5, 0.25, 0.01, 0.75, cv, W, W2, bb, norm, inter, dim, NULL, NULL, 0.125};
  r[1] = (tms_point_record){2, TMS_ERR_DIVERGED, 0.1, NAN, NAN, NAN, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                            0};
  CHECK(tms_store_commit(st, r, 2, &e) == TMS_OK, "commit two records");
  CHECK(tms_store_close(st, &e) == TMS_OK, "close");

  /* Resume: statuses, attempts and errors come back. */
  CHECK(tms_store_open_resume(&st, path, &a, 0, &e) == TMS_OK, "resume the same sweep");
  if (st) {
    const uint8_t *s = tms_store_status(st);
    const int32_t *att = tms_store_attempts(st), *er = tms_store_errors(st);
    CHECK(s[0] == 0 && s[1] == 1 && s[2] == 2 && s[3] == 0, "status after resume %d %d %d %d", s[0], s[1], s[2], s[3]);
    CHECK(att[1] == 1 && att[2] == 1, "attempts %d %d", att[1], att[2]);
    CHECK(er[1] == 0 && er[2] == TMS_ERR_DIVERGED, "errors %d %d", er[1], er[2]);
    CHECK(tms_store_commit(st, &r[1], 1, &e) == TMS_OK, "second failed attempt");
    CHECK(att[2] == 2, "attempts count up across runs: %d", att[2]);
    CHECK(tms_store_close(st, &e) == TMS_OK, "close after resume");
  }
  st = NULL;
  CHECK(tms_store_open_resume(&st, path, &b, 0, &e) == TMS_ERR_MISMATCH, "a changed sweep is refused");
  CHECK(strstr(e.msg, "config hash") != NULL, "the refusal names the config hash: %s", e.msg);
  CHECK(tms_store_open_resume(&st, path, &b, 1, &e) == TMS_OK, "--force-resume accepts the same layout");
  /* b has another master seed: every point's seed changed, so the done and the failed point are pending again */
  if (st) CHECK(tms_store_forced_retrain(st) == 2, "forced resume retrains %zu points, want 2",
                tms_store_forced_retrain(st));
  tms_store_close(st, &e);
  st = NULL;
  CHECK(tms_store_open_resume(&st, path, &c, 1, &e) == TMS_ERR_MISMATCH, "another layout is refused even forced");
  tms_store_close(st, &e);

  /* What a serial reader sees. */
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  check_serial_reader(path, &b, cl, W, W2, bb);
  sliced_params(&prov);
  free(cv);
  tms_sweep_free(&a);
  tms_sweep_free(&b);
  tms_sweep_free(&c);
  remove(path);
  MPI_Finalize();
  return tms_check_finish("test_store");
}
