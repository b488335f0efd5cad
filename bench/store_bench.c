/* store_bench: how many point records per second the root commits into a results file (issue 9 item 1), measured
 * with synthetic records through the real store (tms_store_create, tms_store_commit: results, flush, statuses,
 * flush), on the real file system of OUT. What it is not: a test, or a model of training (records carry made-up
 * but finite values).
 * Arrival order models the root's commit buffer: the grid is cut into units of U consecutive points (as the work
 * queue bundles them), units are handed to W workers and come back out of order (a unit is delayed by up to W
 * places), and every B records taken are one commit. Reported: creation time of the file, records/s over all
 * commits, and the median time of one commit.
 *   tms-store-bench SWEEP.yaml OUT.h5 [-b B] [-u U] [-w W] [-n N]   (N: stop after N records; default all) */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/grid.h"
#include "store/store.h"

typedef struct {
  size_t batch, unit, workers, limit;
} opts;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The order in which point indices reach the root: units of u points, each delayed by up to w units. */
static size_t *arrival_order(size_t count, size_t u, size_t w) {
  size_t n_units = (count + u - 1) / u;
  size_t *unit_of = malloc(n_units * sizeof *unit_of), *order = malloc(count * sizeof *order);
  if (!unit_of || !order) {
    free(unit_of);
    free(order);
    return NULL;
  }
  for (size_t k = 0; k < n_units; k++) unit_of[k] = k;
  uint64_t x = 0x9e3779b97f4a7c15ull; /* a fixed xorshift stream: every run of the benchmark sees one order */
  for (size_t k = 0; k + 1 < n_units; k++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    size_t span = n_units - k < w ? n_units - k : w;
    size_t j = k + (size_t)(x % span);
    size_t t = unit_of[k];
    unit_of[k] = unit_of[j];
    unit_of[j] = t;
  }
  size_t p = 0;
  for (size_t k = 0; k < n_units; k++)
    for (size_t i = unit_of[k] * u; i < (unit_of[k] + 1) * u && i < count; i++) order[p++] = i;
  free(unit_of);
  return order;
}

/* One synthetic record's arrays, shared by every record (values do not matter to the store's speed). */
typedef struct {
  float *curve, *W, *W2, *b, *hist, *eval;
  double *norm, *interf, *dim;
} payload;

static int payload_init(payload *p, const tms_sweep *sweep) {
  int n, m, has_w2;
  size_t curve;
  tms_grid_extent(sweep, &n, &m, &curve, &has_w2);
  size_t hist = tms_grid_snapshot_max(sweep) * (size_t)n * (size_t)m + 1, ev = tms_grid_eval_max(sweep) + 1;
  p->curve = calloc(curve + 1, sizeof(float));
  p->W = calloc((size_t)n * (size_t)m, sizeof(float));
  p->W2 = calloc((size_t)n * (size_t)m, sizeof(float));
  p->b = calloc((size_t)n, sizeof(float));
  p->hist = calloc(hist, sizeof(float));
  p->eval = calloc(ev, sizeof(float));
  p->norm = calloc((size_t)n, sizeof(double));
  p->interf = calloc((size_t)n, sizeof(double));
  p->dim = calloc((size_t)n, sizeof(double));
  if (!p->curve || !p->W || !p->W2 || !p->b || !p->hist || !p->eval || !p->norm || !p->interf || !p->dim) return -1;
  for (size_t k = 0; k < curve; k++) p->curve[k] = 1.0f / (float)(k + 1);
  for (int k = 0; k < n * m; k++) p->W[k] = p->W2[k] = 0.5f;
  for (int k = 0; k < n; k++) p->norm[k] = p->interf[k] = p->dim[k] = 0.25;
  return 0;
}

static void payload_free(payload *p) {
  free(p->curve), free(p->W), free(p->W2), free(p->b), free(p->hist), free(p->eval);
  free(p->norm), free(p->interf), free(p->dim);
}

static int parse(opts *o, int argc, char **argv) {
  o->batch = 8192, o->unit = 64, o->workers = 16, o->limit = 0;
  for (int i = 3; i + 1 < argc; i += 2) {
    size_t v = (size_t)strtoull(argv[i + 1], NULL, 10);
    if (strcmp(argv[i], "-b") == 0) o->batch = v;
    else if (strcmp(argv[i], "-u") == 0) o->unit = v;
    else if (strcmp(argv[i], "-w") == 0) o->workers = v;
    else if (strcmp(argv[i], "-n") == 0) o->limit = v;
    else return -1;
  }
  return argc >= 3 && o->batch > 0 && o->unit > 0 && o->workers > 0 ? 0 : -1;
}

/* Commits every point (or the first o->limit in arrival order); prints the rates. */
static int bench(tms_store *st, const tms_sweep *sweep, const opts *o) {
  size_t count = tms_grid_count(sweep), total = o->limit && o->limit < count ? o->limit : count;
  size_t *order = arrival_order(count, o->unit, o->workers);
  tms_point_record *recs = malloc(o->batch * sizeof *recs);
  size_t n_commits = (total + o->batch - 1) / o->batch;
  double *dt = malloc((n_commits + 1) * sizeof *dt);
  payload p;
  memset(&p, 0, sizeof p);
  if (!order || !recs || !dt || payload_init(&p, sweep) != 0) return fprintf(stderr, "no memory\n"), 1;
  tms_error err;
  double t0 = MPI_Wtime();
  size_t c = 0;
  for (size_t at = 0; at < total; at += o->batch, c++) {
    size_t k = total - at < o->batch ? total - at : o->batch;
    for (size_t r = 0; r < k; r++) {
      size_t i = order[at + r];
      recs[r] = (tms_point_record){.index = i, .status = TMS_OK, .wall_s = 1e-3, .loss = 0.01 * (double)(i % 97),
                                   .dstar = 1.5, .loss_curve = p.curve, .W = p.W, .W2 = p.W2, .b = p.b,
                                   .norm = p.norm, .interference = p.interf, .dimensionality = p.dim,
                                   .W_history = p.hist, .eval_curve = p.eval, .eval_s = 1e-4};
    }
    double t = MPI_Wtime();
    if (tms_store_commit(st, recs, (int)k, &err) != TMS_OK) {
      char buf[800];
      tms_error_format(&err, buf, sizeof buf);
      fprintf(stderr, "commit failed: %s\n", buf);
      return 1;
    }
    dt[c] = MPI_Wtime() - t;
  }
  double all = MPI_Wtime() - t0;
  qsort(dt, c, sizeof *dt, cmp_double);
  printf("records %zu  batch %zu  unit %zu  workers %zu  commits %zu  %.0f records/s  median commit %.2f ms\n", total,
         o->batch, o->unit, o->workers, c, (double)total / all, 1e3 * dt[c / 2]);
  size_t done = 0;
  for (size_t i = 0; i < count; i++) done += tms_store_status(st)[i] == TMS_POINT_DONE;
  if (done != total) return fprintf(stderr, "only %zu of %zu records are done in the file\n", done, total), 1;
  payload_free(&p);
  free(order), free(recs), free(dt);
  return 0;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  opts o;
  if (parse(&o, argc, argv) != 0) {
    fprintf(stderr, "usage: tms-store-bench SWEEP.yaml OUT.h5 [-b BATCH] [-u UNIT] [-w WORKERS] [-n RECORDS]\n");
    MPI_Finalize();
    return 2;
  }
  tms_sweep sweep;
  memset(&sweep, 0, sizeof sweep);
  tms_error err;
  tms_store *st = NULL;
  tms_store_provenance prov = {"bench", "bench", "bench", "bench", 1, 1, "bench", "bench"};
  int rc = 1;
  if (tms_sweep_load(&sweep, argv[1], &err) == TMS_OK && tms_grid_validate(&sweep, &err) == TMS_OK) {
    double t = MPI_Wtime();
    if (tms_store_create(&st, argv[2], &sweep, &prov, 1, &err) == TMS_OK) {
      printf("created %s: %zu points in %.2f s\n", argv[2], tms_grid_count(&sweep), MPI_Wtime() - t);
      rc = bench(st, &sweep, &o);
      t = MPI_Wtime();
      if (tms_store_close(st, &err) != TMS_OK) rc = 1;
      printf("closed in %.2f s\n", MPI_Wtime() - t);
    }
  }
  if (rc && err.msg[0]) {
    char buf[800];
    tms_error_format(&err, buf, sizeof buf);
    fprintf(stderr, "tms-store-bench: %s\n", buf);
  }
  tms_sweep_free(&sweep);
  MPI_Finalize();
  return rc;
}
