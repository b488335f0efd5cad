/* orch_check: verifies the kill-safety promise of a results file, for the orchestrator's script tests.
 * Usage: orch_check FILE.h5 [--print DATASET]  -> with --print, prints the values of DATASET (as numbers, space
 * separated, C order) and exits; otherwise prints "done=D failed=F pending=P skipped=S" and exits 0 when the file opens
 * (plain sec2 driver, read-only: what any reader does after a crash) and every point marked done is complete:
 * finite loss, dstar, first loss-curve entry, W (whole padded row block), b, and norm/interference/
 * dimensionality for its n features; attempts >= 1. Pending points must still hold NaN losses. When the file has
 * /results/W_history, a done point with snapshot_every > 0 has a finite first entry and a last entry (at
 * tms_spec_snapshot_len - 1) bitwise equal to its W; one with snapshot_every 0 has only NaN there. When the file has
 * /results/eval_curve, a done point with eval_every > 0 has finite entries up to its own length and NaN beyond; one
 * with eval_every 0 has only NaN there.
 * Exit 1 names the first points that break this and what was wrong; exit 2 when the file does not open.
 * Not a test by itself and not a general validator of the layout (h5diff and the unit tests cover that). */
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_all(hid_t f, const char *name, hid_t mtype, void *buf) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d < 0) return -1;
  int rc = H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1 : 0;
  H5Dclose(d);
  return rc;
}

static hsize_t dset_size(hid_t f, const char *name) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d < 0) return 0;
  hid_t s = H5Dget_space(d);
  hsize_t n = (hsize_t)H5Sget_simple_extent_npoints(s);
  H5Sclose(s);
  H5Dclose(d);
  return n;
}

static int bad_count;
static void bad(size_t i, const char *what) {
  if (bad_count++ < 10) fprintf(stderr, "orch_check: point %zu is marked done but %s\n", i, what);
}

int main(int argc, char **argv) {
  if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--print") == 0)) {
    fprintf(stderr, "usage: orch_check FILE.h5 [--print DATASET]\n");
    return 2;
  }
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    fprintf(stderr, "orch_check: %s does not open as HDF5\n", argv[1]);
    return 2;
  }
  if (argc == 4) {
    size_t cnt = (size_t)dset_size(f, argv[3]);
    double *v = malloc((cnt ? cnt : 1) * sizeof *v);
    if (!v || cnt == 0 || read_all(f, argv[3], H5T_NATIVE_DOUBLE, v) < 0) {
      fprintf(stderr, "orch_check: cannot read %s\n", argv[3]);
      return 2;
    }
    for (size_t i = 0; i < cnt; i++) printf("%s%.17g", i ? " " : "", v[i]);
    printf("\n");
    free(v);
    H5Fclose(f);
    return 0;
  }
  size_t n = (size_t)dset_size(f, "/points/status");
  size_t nW = (size_t)dset_size(f, "/results/W"), nb = (size_t)dset_size(f, "/results/b");
  size_t nc = (size_t)dset_size(f, "/results/loss_curve");
  if (n == 0 || nW == 0 || nb == 0 || nc == 0) {
    fprintf(stderr, "orch_check: %s lacks /points/status or /results datasets\n", argv[1]);
    H5Fclose(f);
    return 2;
  }
  size_t wrow = nW / n, brow = nb / n, crow = nc / n;
  uint8_t *status = malloc(n);
  int32_t *attempts = malloc(n * sizeof *attempts);
  double *loss = malloc(n * sizeof *loss), *dstar = malloc(n * sizeof *dstar), *nf = malloc(n * sizeof *nf);
  double *norm = malloc(nb * sizeof *norm), *interf = malloc(nb * sizeof *interf), *dim = malloc(nb * sizeof *dim);
  float *W = malloc(nW * sizeof *W), *b = malloc(nb * sizeof *b), *curve = malloc(nc * sizeof *curve);
  if (!status || !attempts || !loss || !dstar || !nf || !norm || !interf || !dim || !W || !b || !curve) return 2;
  int rc = 0;
  rc |= read_all(f, "/points/status", H5T_NATIVE_UINT8, status);
  rc |= read_all(f, "/points/attempts", H5T_NATIVE_INT32, attempts);
  rc |= read_all(f, "/results/loss", H5T_NATIVE_DOUBLE, loss);
  rc |= read_all(f, "/metrics/dstar", H5T_NATIVE_DOUBLE, dstar);
  rc |= read_all(f, "/params/n_features", H5T_NATIVE_DOUBLE, nf);
  rc |= read_all(f, "/metrics/norm", H5T_NATIVE_DOUBLE, norm);
  rc |= read_all(f, "/metrics/interference", H5T_NATIVE_DOUBLE, interf);
  rc |= read_all(f, "/metrics/dimensionality", H5T_NATIVE_DOUBLE, dim);
  rc |= read_all(f, "/results/W", H5T_NATIVE_FLOAT, W);
  rc |= read_all(f, "/results/b", H5T_NATIVE_FLOAT, b);
  rc |= read_all(f, "/results/loss_curve", H5T_NATIVE_FLOAT, curve);
  H5Fclose(f);
  if (rc) {
    fprintf(stderr, "orch_check: %s: a dataset does not read\n", argv[1]);
    return 2;
  }
  /* optional W history: (n, S, wrow) */
  size_t nH = (size_t)dset_size(f, "/results/W_history"), hrow = nH / n;
  float *H = NULL;
  double *every = NULL, *steps = NULL;
  if (nH > 0) {
    H = malloc(nH * sizeof *H);
    every = malloc(n * sizeof *every);
    steps = malloc(n * sizeof *steps);
    if (!H || !every || !steps) return 2;
    hid_t g = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    int hr = g < 0 ? -1 : 0;
    hr |= read_all(g, "/results/W_history", H5T_NATIVE_FLOAT, H);
    hr |= read_all(g, "/params/snapshot_every", H5T_NATIVE_DOUBLE, every);
    hr |= read_all(g, "/params/steps", H5T_NATIVE_DOUBLE, steps);
    if (g >= 0) H5Fclose(g);
    if (hr) {
      fprintf(stderr, "orch_check: %s: /results/W_history or its parameters do not read\n", argv[1]);
      return 2;
    }
  }
  /* optional evaluation curve: (n, E) */
  size_t nE = (size_t)dset_size(f, "/results/eval_curve"), erow = nE / n;
  float *EV = NULL;
  double *eevery = NULL, *esteps = NULL;
  if (nE > 0) {
    EV = malloc(nE * sizeof *EV);
    eevery = malloc(n * sizeof *eevery);
    esteps = malloc(n * sizeof *esteps);
    if (!EV || !eevery || !esteps) return 2;
    hid_t g = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    int er = g < 0 ? -1 : 0;
    er |= read_all(g, "/results/eval_curve", H5T_NATIVE_FLOAT, EV);
    er |= read_all(g, "/params/eval_every", H5T_NATIVE_DOUBLE, eevery);
    er |= read_all(g, "/params/steps", H5T_NATIVE_DOUBLE, esteps);
    if (g >= 0) H5Fclose(g);
    if (er) {
      fprintf(stderr, "orch_check: %s: /results/eval_curve or its parameters do not read\n", argv[1]);
      return 2;
    }
  }
  size_t count[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < n; i++) {
    if (status[i] > 3) {
      bad(i, "has an unknown status");
      continue;
    }
    count[status[i]]++;
    if (status[i] == 0 && !isnan(loss[i])) bad(i, "(pending) has a loss although never committed");
    if (status[i] != 1) continue;
    if (!isfinite(loss[i])) bad(i, "its loss is not finite");
    if (!isfinite(dstar[i])) bad(i, "its dstar is not finite");
    if (!isfinite(curve[i * crow])) bad(i, "its first loss-curve entry is not finite");
    if (attempts[i] < 1) bad(i, "has attempts < 1");
    for (size_t k = 0; k < wrow; k++)
      if (!isfinite(W[i * wrow + k])) {
        bad(i, "its W is not finite everywhere (padding must be 0)");
        break;
      }
    if (H) {
      const float *h = H + i * hrow;
      long e = (long)every[i], last = (long)steps[i] - 1;
      size_t len = e > 0 ? (size_t)(last / e + 1 + (last % e != 0)) : 0;
      if (len * wrow > hrow) bad(i, "its W history is longer than /results/W_history");
      else if (len == 0) {
        for (size_t k = 0; k < hrow; k++)
          if (!isnan(h[k])) {
            bad(i, "has snapshot_every 0 but a non-NaN W history");
            break;
          }
      } else {
        if (!isfinite(h[0])) bad(i, "its first W-history entry is not finite");
        if (memcmp(h + (len - 1) * wrow, W + i * wrow, wrow * sizeof *h) != 0)
          bad(i, "its last W-history entry differs from its W");
        for (size_t k = len * wrow; k < hrow; k++)
          if (!isnan(h[k])) {
            bad(i, "its W history is not NaN beyond its own length");
            break;
          }
      }
    }
    if (EV) {
      const float *ev = EV + i * erow;
      long e = (long)eevery[i], last = (long)esteps[i] - 1;
      size_t len = e > 0 ? (size_t)(last / e + 1 + (last % e != 0)) : 0;
      if (len > erow) bad(i, "its evaluation curve is longer than /results/eval_curve");
      for (size_t k = 0; k < erow && len <= erow; k++)
        if (k < len ? !isfinite(ev[k]) : !isnan(ev[k])) {
          bad(i, k < len ? "an evaluation-curve entry within its length is not finite"
                         : "its evaluation curve is not NaN beyond its own length");
          break;
        }
    }
    size_t nfe = (size_t)nf[i];
    for (size_t k = 0; k < brow; k++) {
      if (!isfinite(b[i * brow + k])) {
        bad(i, "its b is not finite everywhere");
        break;
      }
      if (k < nfe && (!isfinite(norm[i * brow + k]) || !isfinite(interf[i * brow + k]) ||
                      !isfinite(dim[i * brow + k]))) {
        bad(i, "a per-feature metric is not finite");
        break;
      }
    }
  }
  printf("done=%zu failed=%zu pending=%zu skipped=%zu\n", count[1], count[2], count[0], count[3]);
  free(status), free(attempts), free(loss), free(dstar), free(nf), free(norm), free(interf), free(dim);
  free(W), free(b), free(curve), free(H), free(every), free(steps);
  free(EV), free(eevery), free(esteps);
  if (bad_count) fprintf(stderr, "orch_check: %d problem(s) in %s\n", bad_count, argv[1]);
  return bad_count ? 1 : 0;
}
