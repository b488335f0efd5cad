/* test_schema: the schema module's tables and its validation (tms_schema_check_file).
 *   tables: every id names its own row, paths are unique, shapes follow the extent.
 *   check:  a file made by the store passes the strict check with the sweep's extent; a 16-axis sweep (the grid-rank
 *           limit) is accepted by the sweep definition, the store and the check; a 17-axis sweep is refused by the
 *           definition; hostile edits (a dataset removed, a wrong type, a wrong shape, a bad grid attribute) are
 *           refused with one line naming the object. Runs as an MPI singleton (the store uses MPI-IO). */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config/config.h"
#include "config/grid.h"
#include "schema/schema.h"
#include "store/store.h"

static const char *yaml_small =
    "schema: tms-sweep/1\nname: schema-test\nseed: 5\n"
    "fixed: {n_features: 3, n_hidden: 2, density: 0.5, steps: 10, log_every: 4, snapshot_every: 5}\n"
    "axes:\n  variant: {values: [relu_out, abs]}\nreplicates: 2\n";

static int parse(tms_sweep *s, const char *text, tms_error *e) {
  memset(s, 0, sizeof *s);
  return tms_sweep_parse(s, text, strlen(text), "inline.yaml", e) == TMS_OK;
}

/* A sweep of `axes` one-value axes, each a different parameter at its default (so the points train normally). */
static char *many_axes_yaml(int axes) {
  static const char *const keys[] = {"variant: {values: [relu_out]}", "importance_decay: {values: [1.0]}",
                                     "optimizer: {values: [adamw]}",  "lr: {values: [0.001]}",
                                     "weight_decay: {values: [0.0]}", "beta1: {values: [0.9]}",
                                     "beta2: {values: [0.999]}",      "eps: {values: [1.0e-8]}",
                                     "schedule: {values: [constant]}", "init: {values: [xavier]}",
                                     "steps: {values: [20]}",          "batch_size: {values: [64]}",
                                     "log_every: {values: [5]}",       "eval_batch: {values: [256]}",
                                     "correlation: {values: [independent]}", "density: {values: [1.0]}",
                                     "last_importance: {values: [1.0]}"};
  size_t size = 4096;
  char *y = malloc(size);
  int len = snprintf(y, size, "schema: tms-sweep/1\nname: many-axes\nseed: 1\n"
                              "fixed: {n_features: 2, n_hidden: 1}\naxes:\n");
  for (int a = 0; a < axes && a < (int)(sizeof keys / sizeof keys[0]); a++)
    len += snprintf(y + len, size - (size_t)len, "  %s\n", keys[a]);
  snprintf(y + len, size - (size_t)len, "replicates: 1\n");
  return y;
}

static void test_tables(void) {
  int n;
  const tms_schema_dataset *tab = tms_schema_datasets(TMS_FILE_RESULTS, &n);
  CHECK(n == TMS_DS_COUNT, "results table has %d rows, enum %d", n, TMS_DS_COUNT);
  for (int i = 0; i < n; i++) {
    CHECK(tab[i].path && tab[i].path[0] == '/' && tab[i].meaning, "row %d is filled", i);
    for (int j = 0; j < i; j++) CHECK(strcmp(tab[i].path, tab[j].path) != 0, "path %s appears twice", tab[i].path);
  }
  CHECK(strcmp(tms_schema_results_ds(TMS_DS_W)->path, "/results/W") == 0, "TMS_DS_W names /results/W");
  tab = tms_schema_datasets(TMS_FILE_POST, &n);
  CHECK(n == TMS_PDS_COUNT, "post table has %d rows, enum %d", n, TMS_PDS_COUNT);
  for (int i = 0; i < n; i++) CHECK(tab[i].path && tab[i].meaning, "post row %d is filled", i);
  tms_schema_extent e = {.rank = 3, .dims = {4, 5, 2}, .n_max = 6, .m_max = 3, .curve_len = 7, .snapshot_len = 2};
  size_t d[8];
  int r = tms_schema_shape(tms_schema_results_ds(TMS_DS_W_HISTORY), &e, d);
  CHECK(r == 6 && d[0] == 4 && d[2] == 2 && d[3] == 2 && d[4] == 6 && d[5] == 3, "W_history shape (rank %d)", r);
  r = tms_schema_shape(tms_schema_post_ds(TMS_PDS_FRACTION), &e, d);
  CHECK(r == 3 && d[0] == 4 && d[1] == 5 && d[2] == 3, "fraction is cells x class (rank %d)", r);
  CHECK(TMS_SCHEMA_MAX_RANK == TMS_GRID_MAX_AXES + 1, "one rank limit: axes + replicate");
}

/* Applies one hostile edit to a copy of src and expects the check to refuse it naming `names`. */
typedef void (*edit_fn)(hid_t f);
static void edit_delete_w(hid_t f) { H5Ldelete(f, "/results/W", H5P_DEFAULT); }
static void edit_status_float(hid_t f) {
  H5Ldelete(f, "/points/status", H5P_DEFAULT);
  hsize_t d[2] = {2, 2};
  hid_t s = H5Screate_simple(2, d, NULL);
  hid_t ds = H5Dcreate2(f, "/points/status", H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(ds);
  H5Sclose(s);
}
static void edit_b_shape(hid_t f) {
  H5Ldelete(f, "/results/b", H5P_DEFAULT);
  hsize_t d[3] = {2, 2, 4};
  hid_t s = H5Screate_simple(3, d, NULL);
  hid_t ds = H5Dcreate2(f, "/results/b", H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(ds);
  H5Sclose(s);
}
static void edit_grid_shape(hid_t f) {
  H5Adelete(f, TMS_A_GRID_SHAPE);
  hsize_t n = 1;
  int64_t v = -3;
  hid_t s = H5Screate_simple(1, &n, NULL);
  hid_t a = H5Acreate2(f, TMS_A_GRID_SHAPE, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT64, &v);
  H5Aclose(a);
  H5Sclose(s);
}
static void edit_n_max(hid_t f) {
  H5Adelete(f, TMS_A_N_MAX);
  int64_t v = 4;
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(f, TMS_A_N_MAX, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT64, &v);
  H5Aclose(a);
  H5Sclose(s);
}

static int copy_file(const char *src, const char *dst) {
  FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
  int ok = in && out;
  char buf[65536];
  size_t n;
  while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, n, out) == n;
  if (in) fclose(in);
  if (out) fclose(out);
  return ok;
}

static void hostile(const char *src, edit_fn edit, int strict, const char *names) {
  const char *path = "test_schema_hostile.h5";
  CHECK(copy_file(src, path), "copy %s", src);
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  CHECK(f >= 0, "open the copy");
  edit(f);
  H5Fclose(f);
  tms_error e;
  memset(&e, 0, sizeof e);
  tms_status st = tms_schema_check_file(path, TMS_FILE_RESULTS, strict, NULL, &e);
  CHECK(st == TMS_ERR_SCHEMA, "hostile edit (%s) refused, got %s", names, tms_status_name(st));
  CHECK(strstr(e.msg, names) != NULL && strchr(e.msg, '\n') == NULL, "the refusal names %s: '%s'", names, e.msg);
  remove(path);
}

static void test_store_file(void) {
  tms_error e;
  tms_sweep sw;
  CHECK(parse(&sw, yaml_small, &e), "parse the small sweep: %s", e.msg);
  const char *path = "test_schema_small.h5";
  remove(path);
  tms_store_provenance prov = {"t", "g", "mpi", "blas", 1, 1, "generic", "Haswell"};
  tms_store *st = NULL;
  CHECK(tms_store_create(&st, path, &sw, &prov, 1, &e) == TMS_OK, "store creates: %s", e.msg);
  tms_store_close(st, &e);
  tms_schema_extent x;
  tms_status s = tms_schema_check_file(path, TMS_FILE_RESULTS, 1, &x, &e);
  CHECK(s == TMS_OK, "the store's file passes the strict check: %s", e.msg);
  CHECK(x.rank == 2 && x.dims[0] == 2 && x.dims[1] == 2 && x.n_max == 3 && x.m_max == 2 && x.has_w2 == 1 &&
            x.snapshot_len == 3 && x.eval_len == 0,
        "extent rank %d dims %zu %zu n %zu m %zu w2 %d snapshots %zu", x.rank, x.dims[0], x.dims[1], x.n_max, x.m_max,
        x.has_w2, x.snapshot_len);
  hostile(path, edit_delete_w, 1, "/results/W");
  hostile(path, edit_status_float, 0, "/points/status");
  hostile(path, edit_b_shape, 0, "/results/b");
  hostile(path, edit_grid_shape, 0, "grid_shape");
  hostile(path, edit_n_max, 0, "/results/W");
  /* non-strict: a missing dataset is left to the products */
  CHECK(copy_file(path, "test_schema_lenient.h5"), "copy");
  hid_t f = H5Fopen("test_schema_lenient.h5", H5F_ACC_RDWR, H5P_DEFAULT);
  edit_delete_w(f);
  H5Fclose(f);
  CHECK(tms_schema_check_file("test_schema_lenient.h5", TMS_FILE_RESULTS, 0, NULL, &e) == TMS_OK,
        "lenient check leaves a missing W to the products: %s", e.msg);
  remove("test_schema_lenient.h5");
  remove(path);
  tms_sweep_free(&sw);
}

static void test_rank_limit(void) {
  tms_error e;
  tms_sweep sw;
  char *y = many_axes_yaml(TMS_GRID_MAX_AXES);
  CHECK(parse(&sw, y, &e), "a sweep of %d axes is accepted: %s", TMS_GRID_MAX_AXES, e.msg);
  free(y);
  CHECK(tms_grid_rank(&sw) == TMS_SCHEMA_MAX_RANK, "its rank is the limit %d", TMS_SCHEMA_MAX_RANK);
  const char *path = "test_schema_rank.h5";
  tms_store_provenance prov = {"t", "g", "mpi", "blas", 1, 1, "generic", "Haswell"};
  tms_store *st = NULL;
  CHECK(tms_store_create(&st, path, &sw, &prov, 1, &e) == TMS_OK, "the store writes it: %s", e.msg);
  tms_store_close(st, &e);
  CHECK(tms_schema_check_file(path, TMS_FILE_RESULTS, 1, NULL, &e) == TMS_OK, "the check accepts it: %s", e.msg);
  remove(path);
  tms_sweep_free(&sw);
  y = many_axes_yaml(TMS_GRID_MAX_AXES + 1);
  CHECK(!parse(&sw, y, &e), "a sweep of %d axes is refused", TMS_GRID_MAX_AXES + 1);
  CHECK(strstr(e.msg, "more than 16") != NULL, "the refusal says the limit: %s", e.msg);
  free(y);
}

int main(void) {
  MPI_Init(NULL, NULL);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  test_tables();
  test_store_file();
  test_rank_limit();
  MPI_Finalize();
  return tms_check_finish("test_schema");
}
