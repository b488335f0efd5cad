/* orch_check: verifies the kill-safety promise of a results file, for the orchestrator's script tests.
 * Usage: orch_check FILE.h5 [--print DATASET]  -> with --print, prints the values of DATASET (as numbers, space
 * separated, C order) and exits; otherwise prints "done=D failed=F pending=P skipped=S" and exits 0 when the file opens
 * (plain sec2 driver, read-only: what any reader does after a crash) and every point marked done is complete:
 * finite loss, dstar, first loss-curve entry, W (whole padded row block), b, and norm/interference/
 * dimensionality for its n features; attempts >= 1. A pending point may hold a loss (killed between results and status). When the file has
 * /results/W_history, a done point with snapshot_every > 0 has a finite first entry and a last entry (at
 * tms_spec_snapshot_len - 1) bitwise equal to its W; one with snapshot_every 0 has only NaN there. When the file has
 * /results/eval_curve, a done point with eval_every > 0 has finite entries up to its own length and NaN beyond; one
 * with eval_every 0 has only NaN there.
 * Exit 1 names the first points that break this and what was wrong; exit 2 when the file does not open.
 * Not a test by itself and not a general validator of the layout (the schema's tms_schema_check_file is).
 * Invariant: the file stays open until every dataset is read (a check through a closed handle would read nothing
 * and pass); tests/orchestrator/corrupt.sh shows each check failing on a corrupted file. */
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

/* Everything read from the file; optional parts (W history, evaluation curve) are NULL when absent. */
typedef struct {
  size_t n, wrow, brow, crow, hrow, erow;
  uint8_t *status;
  int32_t *attempts;
  double *loss, *dstar, *nf, *norm, *interf, *dim, *steps;
  float *W, *b, *curve;
  float *H;        /* (n, hrow) /results/W_history */
  double *every;   /* (n) snapshot_every */
  float *EV;       /* (n, erow) /results/eval_curve */
  double *eevery;  /* (n) eval_every */
} contents;

static void *alloc(size_t count, size_t size) { return malloc((count ? count : 1) * size); }

/* Reads an optional (n, row) float dataset and its per-point parameter; 0 absent or read, -1 unreadable. */
static int read_optional(hid_t f, const char *ds, const char *param, size_t n, float **out, double **every,
                         size_t *row) {
  size_t total = (size_t)dset_size(f, ds);
  if (total == 0) return 0;
  *row = total / n;
  *out = alloc(total, sizeof **out);
  *every = alloc(n, sizeof **every);
  if (!*out || !*every) return -1;
  return read_all(f, ds, H5T_NATIVE_FLOAT, *out) | read_all(f, param, H5T_NATIVE_DOUBLE, *every);
}

/* Reads every dataset the checks need; 0 on success, else prints why and returns the exit code 2. */
static int load(hid_t f, const char *path, contents *c) {
  size_t n = c->n = (size_t)dset_size(f, "/points/status");
  size_t nW = (size_t)dset_size(f, "/results/W"), nb = (size_t)dset_size(f, "/results/b");
  size_t nc = (size_t)dset_size(f, "/results/loss_curve");
  if (n == 0 || nW == 0 || nb == 0 || nc == 0) {
    fprintf(stderr, "orch_check: %s lacks /points/status or /results datasets\n", path);
    return 2;
  }
  c->wrow = nW / n, c->brow = nb / n, c->crow = nc / n;
  c->status = alloc(n, 1);
  c->attempts = alloc(n, sizeof *c->attempts);
  c->loss = alloc(n, sizeof(double)), c->dstar = alloc(n, sizeof(double)), c->nf = alloc(n, sizeof(double));
  c->steps = alloc(n, sizeof(double));
  c->norm = alloc(nb, sizeof(double)), c->interf = alloc(nb, sizeof(double)), c->dim = alloc(nb, sizeof(double));
  c->W = alloc(nW, sizeof(float)), c->b = alloc(nb, sizeof(float)), c->curve = alloc(nc, sizeof(float));
  if (!c->status || !c->attempts || !c->loss || !c->dstar || !c->nf || !c->steps || !c->norm || !c->interf ||
      !c->dim || !c->W || !c->b || !c->curve)
    return 2;
  int rc = read_all(f, "/points/status", H5T_NATIVE_UINT8, c->status);
  rc |= read_all(f, "/points/attempts", H5T_NATIVE_INT32, c->attempts);
  rc |= read_all(f, "/results/loss", H5T_NATIVE_DOUBLE, c->loss);
  rc |= read_all(f, "/metrics/dstar", H5T_NATIVE_DOUBLE, c->dstar);
  rc |= read_all(f, "/params/n_features", H5T_NATIVE_DOUBLE, c->nf);
  rc |= read_all(f, "/params/steps", H5T_NATIVE_DOUBLE, c->steps);
  rc |= read_all(f, "/metrics/norm", H5T_NATIVE_DOUBLE, c->norm);
  rc |= read_all(f, "/metrics/interference", H5T_NATIVE_DOUBLE, c->interf);
  rc |= read_all(f, "/metrics/dimensionality", H5T_NATIVE_DOUBLE, c->dim);
  rc |= read_all(f, "/results/W", H5T_NATIVE_FLOAT, c->W);
  rc |= read_all(f, "/results/b", H5T_NATIVE_FLOAT, c->b);
  rc |= read_all(f, "/results/loss_curve", H5T_NATIVE_FLOAT, c->curve);
  if (rc) {
    fprintf(stderr, "orch_check: %s: a dataset does not read\n", path);
    return 2;
  }
  if (read_optional(f, "/results/W_history", "/params/snapshot_every", n, &c->H, &c->every, &c->hrow) < 0 ||
      read_optional(f, "/results/eval_curve", "/params/eval_every", n, &c->EV, &c->eevery, &c->erow) < 0) {
    fprintf(stderr, "orch_check: %s: /results/W_history or /results/eval_curve (or its parameter) does not read\n",
            path);
    return 2;
  }
  return 0;
}

static void contents_free(contents *c) {
  free(c->status), free(c->attempts), free(c->loss), free(c->dstar), free(c->nf), free(c->steps);
  free(c->norm), free(c->interf), free(c->dim), free(c->W), free(c->b), free(c->curve);
  free(c->H), free(c->every), free(c->EV), free(c->eevery);
}

/* Entries of a curve logged every e steps over `steps` steps (the loss curve's rule; 0 when e is 0). */
static size_t curve_len(double every, double steps) {
  long e = (long)every, last = (long)steps - 1;
  return e > 0 ? (size_t)(last / e + 1 + (last % e != 0)) : 0;
}

static void check_history(const contents *c, size_t i) {
  const float *h = c->H + i * c->hrow;
  size_t len = curve_len(c->every[i], c->steps[i]);
  if (len * c->wrow > c->hrow) {
    bad(i, "its W history is longer than /results/W_history");
    return;
  }
  if (len == 0) {
    for (size_t k = 0; k < c->hrow; k++)
      if (!isnan(h[k])) {
        bad(i, "has snapshot_every 0 but a non-NaN W history");
        return;
      }
    return;
  }
  if (!isfinite(h[0])) bad(i, "its first W-history entry is not finite");
  if (memcmp(h + (len - 1) * c->wrow, c->W + i * c->wrow, c->wrow * sizeof *h) != 0)
    bad(i, "its last W-history entry differs from its W");
  for (size_t k = len * c->wrow; k < c->hrow; k++)
    if (!isnan(h[k])) {
      bad(i, "its W history is not NaN beyond its own length");
      return;
    }
}

static void check_eval(const contents *c, size_t i) {
  const float *ev = c->EV + i * c->erow;
  size_t len = curve_len(c->eevery[i], c->steps[i]);
  if (len > c->erow) {
    bad(i, "its evaluation curve is longer than /results/eval_curve");
    return;
  }
  for (size_t k = 0; k < c->erow; k++)
    if (k < len ? !isfinite(ev[k]) : !isnan(ev[k])) {
      bad(i, k < len ? "an evaluation-curve entry within its length is not finite"
                     : "its evaluation curve is not NaN beyond its own length");
      return;
    }
}

static void check_done(const contents *c, size_t i) {
  if (!isfinite(c->loss[i])) bad(i, "its loss is not finite");
  if (!isfinite(c->dstar[i])) bad(i, "its dstar is not finite");
  if (!isfinite(c->curve[i * c->crow])) bad(i, "its first loss-curve entry is not finite");
  if (c->attempts[i] < 1) bad(i, "has attempts < 1");
  for (size_t k = 0; k < c->wrow; k++)
    if (!isfinite(c->W[i * c->wrow + k])) {
      bad(i, "its W is not finite everywhere (padding must be 0)");
      break;
    }
  if (c->H) check_history(c, i);
  if (c->EV) check_eval(c, i);
  size_t nfe = (size_t)c->nf[i], row = c->brow;
  for (size_t k = 0; k < row; k++) {
    if (!isfinite(c->b[i * row + k])) {
      bad(i, "its b is not finite everywhere");
      break;
    }
    if (k < nfe && (!isfinite(c->norm[i * row + k]) || !isfinite(c->interf[i * row + k]) ||
                    !isfinite(c->dim[i * row + k]))) {
      bad(i, "a per-feature metric is not finite");
      break;
    }
  }
}

static int print_dataset(hid_t f, const char *ds) {
  size_t cnt = (size_t)dset_size(f, ds);
  double *v = alloc(cnt, sizeof *v);
  if (!v || cnt == 0 || read_all(f, ds, H5T_NATIVE_DOUBLE, v) < 0) {
    fprintf(stderr, "orch_check: cannot read %s\n", ds);
    free(v);
    return 2;
  }
  for (size_t i = 0; i < cnt; i++) printf("%s%.17g", i ? " " : "", v[i]);
  printf("\n");
  free(v);
  return 0;
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
    int rc = print_dataset(f, argv[3]);
    H5Fclose(f);
    return rc;
  }
  contents c;
  memset(&c, 0, sizeof c);
  int rc = load(f, argv[1], &c);
  H5Fclose(f); /* only now: every check below reads what load() read */
  if (rc) {
    contents_free(&c);
    return rc;
  }
  size_t count[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < c.n; i++) {
    if (c.status[i] > 3) {
      bad(i, "has an unknown status");
      continue;
    }
    count[c.status[i]]++;
    /* A pending point may hold a loss: a kill between a commit's results write and its status write leaves one;
     * the status alone says what is done, and a resume retrains and overwrites it. */
    if (c.status[i] == 1) check_done(&c, i);
  }
  printf("done=%zu failed=%zu pending=%zu skipped=%zu\n", count[1], count[2], count[0], count[3]);
  /* on stderr, so the counts line stays the only output scripts compare */
  fprintf(stderr, "orch_check: checked%s%s\n", c.H ? " W_history" : "", c.EV ? " eval_curve" : "");
  contents_free(&c);
  if (bad_count) fprintf(stderr, "orch_check: %d problem(s) in %s\n", bad_count, argv[1]);
  return bad_count ? 1 : 0;
}
