/* kernels torch: one training step of the PyTorch reference (tests/fixtures/step_<variant>.h5, made by
 * bench/reference/tms_torch.py --dump-step, see tests/fixtures/README.md) reproduced by the C kernels: for every
 * instance k, forward output, loss and gradients dW, db (dW2) agree within 1e-5 of each tensor's largest
 * magnitude, on each kernel path. The fixture batches K instances as (B, K, N); torch sums the instance losses,
 * so instance k's gradient is the gradient of its own mean loss, which is what one tms_model_backward computes.
 * Usage: test_kernels_torch_bin FIXTURE.h5 VARIANT */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels_path.h"
#include "check.h"
#include "kernels/kernels.h"

/* Reads a float dataset whole; dims (up to 3) into dims[], returns malloc'd data or NULL. */
static float *read_floats(hid_t file, const char *name, hsize_t dims[3], int *rank) {
  hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
  if (ds < 0) return NULL;
  hid_t sp = H5Dget_space(ds);
  *rank = H5Sget_simple_extent_ndims(sp);
  dims[0] = dims[1] = dims[2] = 1;
  H5Sget_simple_extent_dims(sp, dims, NULL);
  size_t count = (size_t)H5Sget_simple_extent_npoints(sp);
  float *buf = malloc(sizeof(float) * count);
  if (buf && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
    free(buf);
    buf = NULL;
  }
  H5Sclose(sp);
  H5Dclose(ds);
  return buf;
}

static int parse_variant(const char *s, tms_variant *v) {
  const char *names[] = {"linear", "relu_out", "relu_hidden", "abs"};
  for (int k = 0; k < 4; k++)
    if (strcmp(s, names[k]) == 0) { *v = (tms_variant)k; return 1; }
  return 0;
}

int main(int argc, char **argv) {
  tms_variant v;
  if (argc < 3 || !parse_variant(argv[2], &v)) {
    fprintf(stderr, "usage: %s FIXTURE.h5 linear|relu_out|relu_hidden|abs\n", argv[0]);
    return 2;
  }
  hid_t file = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) {
    fprintf(stderr, "cannot open fixture %s\n", argv[1]);
    return 1;
  }
  hsize_t dx[3], dW[3], dt[3];
  int rx, rW, rt;
  float *x = read_floats(file, "x", dx, &rx);            /* (B, K, N) */
  float *W0 = read_floats(file, "W0", dW, &rW);          /* (K, N, M) */
  float *b0 = read_floats(file, "b0", dt, &rt);          /* (K, N) */
  float *imp = read_floats(file, "importance", dt, &rt); /* (N) */
  float *out = read_floats(file, "out", dt, &rt);        /* (B, K, N) */
  float *lossk = read_floats(file, "loss_per_instance", dt, &rt); /* (K) */
  float *gWt = read_floats(file, "dW", dt, &rt);         /* (K, N, M) */
  float *gbt = read_floats(file, "db", dt, &rt);         /* (K, N) */
  float *W2 = v == TMS_ABS ? read_floats(file, "W2_0", dt, &rt) : NULL; /* (K, N, M) */
  float *gW2t = v == TMS_ABS ? read_floats(file, "dW2", dt, &rt) : NULL;
  H5Fclose(file);
  CHECK(x && W0 && b0 && imp && out && lossk && gWt && gbt && (v != TMS_ABS || (W2 && gW2t)),
        "fixture %s has every dataset", argv[1]);
  if (!(x && W0 && b0 && imp && out && lossk && gWt && gbt && (v != TMS_ABS || (W2 && gW2t))))
    return tms_check_finish("kernels_torch");
  CHECK(rx == 3 && rW == 3, "x and W0 are rank 3");
  const int B = (int)dx[0], K = (int)dx[1], N = (int)dx[2], M = (int)dW[2];
  printf("fixture %s: B=%d K=%d N=%d M=%d\n", argv[1], B, K, N, M);

  float *xk = malloc(sizeof(float) * B * N), *outk = malloc(sizeof(float) * B * N);
  float *slab = malloc(sizeof(float) * tms_acts_floats(B, N, M));
  float *gW = malloc(sizeof(float) * N * M), *gW2 = malloc(sizeof(float) * N * M), *gb = malloc(sizeof(float) * N);
  const tms_kernels_path paths[] = {TMS_KERNELS_AUTO, TMS_KERNELS_LOOP, TMS_KERNELS_LANES, TMS_KERNELS_GEMM};
  const char *path_names[] = {"auto", "loop", "lanes", "gemm"};
  char what[96];
  for (int q = 0; q < 4; q++) {
    tms_kernels_force_path = paths[q];
    for (int k = 0; k < K; k++) {
      for (int b = 0; b < B; b++) {
        memcpy(xk + (size_t)b * N, x + ((size_t)b * K + k) * N, sizeof(float) * N);
        memcpy(outk + (size_t)b * N, out + ((size_t)b * K + k) * N, sizeof(float) * N);
      }
      tms_params p = {N, M, W0 + (size_t)k * N * M, v == TMS_ABS ? W2 + (size_t)k * N * M : NULL,
                      b0 + (size_t)k * N};
      tms_params g = {N, M, gW, v == TMS_ABS ? gW2 : NULL, gb};
      tms_acts a;
      tms_acts_bind(&a, slab, B, N, M);
      tms_model_forward(v, &a, xk, &p, B);
      snprintf(what, sizeof what, "%s path, instance %d: out", path_names[q], k);
      CHECK_ARRAY_CLOSE(what, a.out, outk, (size_t)B * N, 1e-5);
      const double loss = tms_model_loss(v, &a, xk, imp, B, N);
      snprintf(what, sizeof what, "%s path, instance %d: loss", path_names[q], k);
      CHECK_CLOSE(what, loss, lossk[k], 1e-5 * fabs(lossk[k]));
      tms_model_backward(v, &g, &a, xk, &p, B);
      snprintf(what, sizeof what, "%s path, instance %d: dW", path_names[q], k);
      CHECK_ARRAY_CLOSE(what, gW, gWt + (size_t)k * N * M, (size_t)N * M, 1e-5);
      snprintf(what, sizeof what, "%s path, instance %d: db", path_names[q], k);
      CHECK_ARRAY_CLOSE(what, gb, gbt + (size_t)k * N, (size_t)N, 1e-5);
      if (v == TMS_ABS) {
        snprintf(what, sizeof what, "%s path, instance %d: dW2", path_names[q], k);
        CHECK_ARRAY_CLOSE(what, gW2, gW2t + (size_t)k * N * M, (size_t)N * M, 1e-5);
      }
    }
  }
  free(x); free(W0); free(b0); free(imp); free(out); free(lossk); free(gWt); free(gbt); free(W2); free(gW2t);
  free(xk); free(outk); free(slab); free(gW); free(gW2); free(gb);
  snprintf(what, sizeof what, "kernels_torch_%s", argv[2]);
  return tms_check_finish(what);
}
