/* post_fixture.h: the post tests' shared fixture and readers. */
#include "post/post_fixture.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void fixture_spec(tms_spec *s, int n, int m, double r, double p, uint64_t seed) {
  tms_spec_defaults(s);
  s->n_features = n;
  s->n_hidden = m;
  s->density = p;
  s->last_importance = r;
  s->eval_batch = 256;
  s->seed = seed;
}

void set_w2(fixture *f, size_t p, int kind) {
  /* A keeps a tiny weight on the unlearned feature: its s = 1 (a 1-D direction) must not count as interference. */
  static const float w[4][2] = {{1, 1e-3f}, {0, 1}, {1, -1}, {0, 0}};
  f->W[p * 2] = w[kind][0];
  f->W[p * 2 + 1] = w[kind][1];
  f->b[p * 2] = f->b[p * 2 + 1] = 0;
}

/* 2 importances x 4 densities x 3 replicates of n=2, m=1 relu_out. */
void phase_fixture(fixture *f) {
  memset(f, 0, sizeof *f);
  static const int kind[8][3] = {{KIND_C, KIND_C, KIND_A}, {KIND_A, KIND_B, KIND_C}, {KIND_B, KIND_B, KIND_C},
                                 {KIND_A, KIND_B, KIND_A}, {KIND_Z, KIND_C, KIND_C}, {KIND_C, KIND_A, KIND_B},
                                 {KIND_A, KIND_A, KIND_A}, {KIND_A, KIND_A, KIND_B}};
  static const double loss[8][3] = {{0.1, 0.2, 0.3}, {0.5, 0.1, 0.9}, {0.2, 0.3, 0.01}, {0.1, 0.2, 0.3},
                                    {0.4, 0.05, 0.06}, {0.3, 0.1, 0.2}, {1, 1, 1}, {0.2, 0.3, 0.1}};
  static const uint8_t status[8][3] = {{1, 1, 1}, {1, 1, 1}, {1, 1, 0}, {0, 1, 2},
                                       {1, 1, 1}, {1, 1, 2}, {0, 2, 3}, {1, 1, 1}};
  f->ax0[0] = 0.5;
  f->ax0[1] = 2.0;
  f->ax1[0] = 0.03;
  f->ax1[1] = 0.1;
  f->ax1[2] = 0.3;
  f->ax1[3] = 1.0;
  test_results *t = &f->t;
  t->rank = 3;
  t->dims[0] = 2;
  t->dims[1] = 4;
  t->dims[2] = 3;
  t->names[0] = "last_importance";
  t->names[1] = "density";
  t->names[2] = "replicate";
  t->axis[0] = f->ax0;
  t->axis[1] = f->ax1;
  t->n_max = 2;
  t->m_max = 1;
  for (size_t c = 0; c < 8; c++)
    for (size_t r = 0; r < 3; r++) {
      size_t p = c * 3 + r;
      fixture_spec(&f->spec[p], 2, 1, f->ax0[c / 4], f->ax1[c % 4], 1000 + p);
      f->status[p] = status[c][r];
      f->loss[p] = status[c][r] == 1 ? loss[c][r] : NAN;
      set_w2(f, p, kind[c][r]);
    }
  t->spec = f->spec;
  t->status = f->status;
  t->loss = f->loss;
  t->W = f->W;
  t->b = f->b;
}

int run_post(tms_post_products *pp, tms_post_results *res, const char *path, const tms_post_options *opt,
                    tms_error *err) {
  tms_status st = tms_post_results_read(res, path, err);
  if (st != TMS_OK) return st;
  return tms_post_compute(pp, res, opt, err);
}

int read_i8(const char *path, const char *ds, signed char *out) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return -1;
  hid_t d = H5Dopen2(f, ds, H5P_DEFAULT);
  int rc = d >= 0 ? (int)H5Dread(d, H5T_NATIVE_SCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) : -1;
  if (d >= 0) H5Dclose(d);
  H5Fclose(f);
  return rc;
}

int read_f64(const char *path, const char *ds, double *out) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return -1;
  hid_t d = H5Dopen2(f, ds, H5P_DEFAULT);
  int rc = d >= 0 ? (int)H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) : -1;
  if (d >= 0) H5Dclose(d);
  H5Fclose(f);
  return rc;
}

void read_root_text(const char *path, const char *name, char *buf, size_t size) {
  buf[0] = '\0';
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return;
  hid_t a = H5Aopen(f, name, H5P_DEFAULT);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  char *s = NULL;
  if (a >= 0 && H5Aread(a, t, &s) >= 0 && s) {
    snprintf(buf, size, "%s", s);
    H5free_memory(s);
  }
  H5Tclose(t);
  if (a >= 0) H5Aclose(a);
  H5Fclose(f);
}
