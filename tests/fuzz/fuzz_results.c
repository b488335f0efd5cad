/* fuzz_results: structured libFuzzer harness for the readers of results files (tms-post's, --reuse's and
 * --resume's: --reuse has its own reader, store/reuse.c, checked by results_check.c's check_reuse).
 * A valid results file of tests/orchestrator/tiny.yaml is made once with tms_store_create; each input is a list of
 * edits applied to a copy through the HDF5 API: delete an object or attribute, replace a dataset or attribute with
 * one of another type/shape/contents, overwrite a dataset's values with fuzz bytes, add an object. HDF5 thus always
 * sees a well-formed file and the fuzzing lands on our checks (wrong shapes, types, values, missing pieces) rather
 * than on HDF5's parser (fuzz_results_raw.c does that). Invariants: results_check.h.
 * Edit = op byte, object byte, then op-specific bytes; data is taken from the rest of the input. */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results_check.h"
#include "store/store.h"

enum { MAX_OBJECTS = 256, MAX_ELEMS = 4096 };

static tms_sweep g_sweep;
static char g_path[512];
static uint8_t *g_base;
static size_t g_base_size;
static char g_objects[MAX_OBJECTS][128];
static int g_n_objects;

typedef struct {
  const uint8_t *p;
  size_t left;
} cursor;

static unsigned take(cursor *c) {
  if (!c->left) return 0;
  c->left--;
  return *c->p++;
}

static herr_t collect(hid_t o, const char *name, const H5O_info_t *info, void *data) {
  (void)o;
  (void)info;
  (void)data;
  if (g_n_objects < MAX_OBJECTS) snprintf(g_objects[g_n_objects++], sizeof g_objects[0], "/%s", name);
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_results_init(&g_sweep);
  fuzz_results_path(g_path, sizeof g_path, "edit");
  char base[600];
  snprintf(base, sizeof base, "%s.base", g_path);
  tms_store_provenance prov = {"fuzz", "fuzz", "fuzz", "fuzz", 1, 1, "generic", "fuzz"};
  tms_store *st = NULL;
  tms_error e;
  if (tms_store_create(&st, base, &g_sweep, &prov, 1, &e) != TMS_OK || tms_store_close(st, &e) != TMS_OK) {
    fprintf(stderr, "fuzz_results: cannot create the base file %s: %s\n", base, e.msg);
    abort();
  }
  g_base = fuzz_read_file(base, &g_base_size);
  hid_t f = H5Fopen(base, H5F_ACC_RDONLY, H5P_DEFAULT);
  snprintf(g_objects[g_n_objects++], sizeof g_objects[0], "/");
  H5Ovisit(f, H5_INDEX_NAME, H5_ITER_INC, collect, NULL);
  H5Fclose(f);
  unlink(base);
  if (!g_base || g_n_objects < 10) abort();
  return 0;
}

/* A file type chosen by b (numbers of every width and order, fixed and variable strings). */
static hid_t pick_type(unsigned b) {
  static const hid_t *const types[] = {&H5T_STD_U8LE_g,   &H5T_STD_I8LE_g,   &H5T_STD_I32LE_g, &H5T_STD_I64LE_g,
                                       &H5T_STD_U64LE_g,  &H5T_IEEE_F32LE_g, &H5T_IEEE_F64LE_g, &H5T_IEEE_F32BE_g,
                                       &H5T_STD_I32BE_g};
  enum { N_NUM = sizeof types / sizeof types[0] };
  unsigned k = b % (N_NUM + 2);
  if (k < N_NUM) return H5Tcopy(*types[k]);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, k == N_NUM ? H5T_VARIABLE : 1 + b % 16);
  return t;
}

/* A dataspace: rank 0..4, each dim 0..8 (the rarely 60), at most MAX_ELEMS elements. */
static hid_t pick_space(cursor *c, hsize_t *count) {
  int rank = (int)(take(c) % 5);
  if (rank == 0) {
    *count = 1;
    return H5Screate(H5S_SCALAR);
  }
  hsize_t dims[4];
  *count = 1;
  for (int i = 0; i < rank; i++) {
    unsigned b = take(c);
    dims[i] = b >= 250 ? 60 : b % 9;
    if (*count * (dims[i] ? dims[i] : 1) > MAX_ELEMS) dims[i] = 1;
    *count *= dims[i];
  }
  return H5Screate_simple(rank, dims, NULL);
}

/* Writes count elements of type t to a dataset (attr < 0) or attribute, contents from the cursor. */
static void fill(hid_t obj, int is_attr, hid_t t, hsize_t count, cursor *c) {
  if (count == 0) return;
  if (H5Tis_variable_str(t) > 0) {
    char **s = calloc(count, sizeof *s);
    for (hsize_t i = 0; s && i < count; i++) {
      size_t len = take(c) % 24;
      s[i] = calloc(len + 1, 1);
      for (size_t j = 0; s[i] && j < len; j++) s[i][j] = (char)(take(c) | 1);
    }
    if (s) is_attr ? H5Awrite(obj, t, s) : H5Dwrite(obj, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, s);
    for (hsize_t i = 0; s && i < count; i++) free(s[i]);
    free(s);
    return;
  }
  size_t n = (size_t)count * H5Tget_size(t);
  uint8_t *buf = malloc(n);
  if (!buf) return;
  /* the fuzz bytes, cycled; an all-zero buffer when the input is used up */
  size_t have = c->left < n ? c->left : n;
  for (size_t i = 0; i < n; i++) buf[i] = have ? c->p[i % have] : 0;
  c->p += have;
  c->left -= have;
  is_attr ? H5Awrite(obj, t, buf) : H5Dwrite(obj, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  free(buf);
}

static const char *const attr_names[] = {"schema", "config_hash", "dim_names", "choices", "grid_shape",
                                         "n_max",  "m_max",       "point_count", "curve_len", "snapshot_len"};

static void edit(hid_t f, cursor *c) {
  unsigned op = take(c) % 6;
  const char *obj = g_objects[take(c) % (unsigned)g_n_objects];
  H5O_info_t info;
  if (H5Oget_info_by_name(f, obj, &info, H5P_DEFAULT) < 0) return; /* deleted by an earlier edit */
  hsize_t count;
  if (op == 0 && strcmp(obj, "/") != 0) {
    H5Ldelete(f, obj, H5P_DEFAULT);
  } else if (op == 1 && info.type == H5O_TYPE_DATASET) { /* same path, another type and shape */
    H5Ldelete(f, obj, H5P_DEFAULT);
    hid_t t = pick_type(take(c)), sp = pick_space(c, &count);
    hid_t d = H5Dcreate2(f, obj, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d >= 0) fill(d, 0, t, count, c), H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(t);
  } else if (op == 2 && info.type == H5O_TYPE_DATASET) { /* same type and shape, values from the input */
    hid_t d = H5Dopen2(f, obj, H5P_DEFAULT), t = H5Dget_type(d), sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    if (n > 0 && n <= MAX_ELEMS * 4 && H5Tget_class(t) != H5T_REFERENCE) fill(d, 0, t, (hsize_t)n, c);
    H5Sclose(sp);
    H5Tclose(t);
    H5Dclose(d);
  } else if (op == 3 && info.num_attrs > 0) {
    H5Adelete_by_idx(f, obj, H5_INDEX_NAME, H5_ITER_INC, take(c) % info.num_attrs, H5P_DEFAULT);
  } else if (op == 4) { /* an attribute replaced by one of another type, shape and value */
    const char *name = attr_names[take(c) % (sizeof attr_names / sizeof attr_names[0])];
    hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
    if (H5Aexists(o, name) > 0) H5Adelete(o, name);
    hid_t t = pick_type(take(c)), sp = pick_space(c, &count);
    hid_t a = H5Acreate2(o, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) fill(a, 1, t, count, c), H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    H5Oclose(o);
  } else if (op == 5 && info.type == H5O_TYPE_GROUP) { /* something unexpected added to a group */
    static const char *const extra[] = {"replicate_members", "variant_members", "density", "x", "size_members"};
    char path[256];
    snprintf(path, sizeof path, "%s/%s", strcmp(obj, "/") ? obj : "", extra[take(c) % 5]);
    if (take(c) & 1) {
      hid_t g = H5Gcreate2(f, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      if (g >= 0) H5Gclose(g);
    } else {
      hid_t t = pick_type(take(c)), sp = pick_space(c, &count);
      hid_t d = H5Dcreate2(f, path, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      if (d >= 0) fill(d, 0, t, count, c), H5Dclose(d);
      H5Sclose(sp);
      H5Tclose(t);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (fuzz_write_file(g_path, g_base, g_base_size) != 0) return 0;
  hid_t f = H5Fopen(g_path, H5F_ACC_RDWR, H5P_DEFAULT);
  if (f < 0) abort();
  cursor c = {data, size};
  for (int k = 0; k < 16 && c.left >= 2; k++) edit(f, &c);
  H5Fclose(f);
  size_t n = 0;
  uint8_t *bytes = fuzz_read_file(g_path, &n);
  if (bytes) fuzz_results_check(g_path, &g_sweep, bytes, n);
  free(bytes);
  unlink(g_path);
  return 0;
}
