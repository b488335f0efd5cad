/* check: dispatch to the experiment's items and the helpers they share (post/check.h, check_internal.h).
 * Why the lowest-loss seed is the headline: the paper keeps the best of its restarts (m = 2 models are hard to
 * optimise), and with the evaluation set shared by a cell's seeds (trainer/evaluate.h) "lowest" compares like with
 * like. The spread lo..hi over all done seeds shows how often training finds that solution. */
#include "post/check.h"

#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "post/check_internal.h"
#include "post/post_h5.h"

int tms_check_experiment_of(const char *name, char *out, size_t size) {
  for (const char *s = name; s && *s; s++) {
    int start = s == name || s[-1] == '-' || s[-1] == '_';
    if (start && (s[0] == 'e' || s[0] == 'E') && s[1] >= '0' && s[1] <= '9' &&
        (s[2] == '\0' || s[2] == '-' || s[2] == '_')) {
      snprintf(out, size, "e%c", s[1]);
      return 1;
    }
  }
  return 0;
}

tms_status tms_check_sweep_name(const char *path, char *buf, size_t size, tms_error *err) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot open the results file");
  tms_status st = post_h5_attr_text(f, "sweep_name", buf, size, err);
  H5Fclose(f);
  return st;
}

long tms_chk_best_point(const tms_chk *k, size_t c) {
  const size_t R = k->res->replicates;
  long best = -1;
  for (size_t r = 0; r < R; r++) {
    const size_t p = c * R + r;
    if (!tms_point_done(k->res->status[p]) || !isfinite(k->res->loss[p])) continue;
    if (best < 0 || k->res->loss[p] < k->res->loss[best]) best = (long)p;
  }
  return best;
}

int tms_chk_seeds(const tms_chk *k, size_t c, tms_chk_stat stat, const void *arg, double *best, double *lo,
                  double *hi) {
  *best = *lo = *hi = NAN;
  const long b = tms_chk_best_point(k, c);
  if (b < 0) return 0;
  int done = 0;
  for (size_t r = 0; r < k->res->replicates; r++) {
    const size_t p = c * k->res->replicates + r;
    if (!tms_point_done(k->res->status[p]) || !isfinite(k->res->loss[p])) continue;
    const double v = stat(k, p, arg);
    if (done == 0 || v < *lo) *lo = v;
    if (done == 0 || v > *hi) *hi = v;
    done++;
  }
  *best = stat(k, (size_t)b, arg);
  return done;
}

static const tms_spec *sort_spec; /* qsort has no context argument; the check runs on one thread */
static int by_density(const void *a, const void *b) {
  const tms_spec *x = &sort_spec[*(const size_t *)a], *y = &sort_spec[*(const size_t *)b];
  if (x->density != y->density) return x->density < y->density ? -1 : 1;
  const double lx = isnan(x->last_density) ? x->density : x->last_density;
  const double ly = isnan(y->last_density) ? y->density : y->last_density;
  return lx < ly ? -1 : lx > ly;
}

size_t *tms_chk_cells(const tms_chk *k, tms_chk_pred pred, const void *arg, size_t *count) {
  *count = 0;
  size_t *out = malloc((k->res->cells ? k->res->cells : 1) * sizeof *out);
  if (!out) return NULL;
  for (size_t c = 0; c < k->res->cells; c++)
    if ((!pred || pred(&k->spec[c], arg)) && tms_chk_best_point(k, c) >= 0) out[(*count)++] = c;
  if (*count == 0) {
    free(out);
    return NULL;
  }
  sort_spec = k->spec;
  qsort(out, *count, sizeof *out, by_density);
  return out;
}

void tms_chk_add(tms_chk *k, tms_check_verdict v, double value, double lo, double hi, const char *want,
                 const char *fmt, ...) {
  tms_check_report *rep = k->rep;
  if (rep->count >= TMS_CHECK_MAX_LINES) return;
  tms_check_line *l = &rep->line[rep->count++];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(l->what, sizeof l->what, fmt, ap);
  va_end(ap);
  if (rep->count == TMS_CHECK_MAX_LINES) snprintf(l->what, sizeof l->what, "(more items than %d: rest not shown)",
                                                  TMS_CHECK_MAX_LINES), v = TMS_CHECK_FAIL;
  l->value = value;
  l->lo = lo;
  l->hi = hi;
  snprintf(l->want, sizeof l->want, "%s", want ? want : "");
  l->verdict = v;
}

void tms_chk_item(tms_chk *k, size_t c, tms_chk_stat stat, const void *arg, int (*ok)(double), const char *want,
                  const char *what) {
  double best, lo, hi;
  const int done = tms_chk_seeds(k, c, stat, arg, &best, &lo, &hi);
  const tms_check_verdict v = done == 0 ? TMS_CHECK_FAIL : ok(best) ? TMS_CHECK_PASS : TMS_CHECK_FAIL;
  tms_chk_add(k, v, best, lo, hi, want, "%s (%d seeds)", what, done);
}

double tms_chk_norm(const tms_chk *k, size_t p, int i) { return k->pp->norm[p * (size_t)k->res->n_max + (size_t)i]; }
double tms_chk_dim(const tms_chk *k, size_t p, int i) {
  return k->pp->dimensionality[p * (size_t)k->res->n_max + (size_t)i];
}

double tms_chk_cos(const tms_chk *k, size_t p, int i, int j) {
  const size_t M = (size_t)k->res->m_max, base = p * (size_t)k->res->n_max * M;
  const float *wi = k->res->W + base + (size_t)i * M, *wj = k->res->W + base + (size_t)j * M;
  double dot = 0, ni = 0, nj = 0;
  for (size_t q = 0; q < M; q++) {
    dot += (double)wi[q] * wj[q];
    ni += (double)wi[q] * wi[q];
    nj += (double)wj[q] * wj[q];
  }
  return ni > 0 && nj > 0 ? dot / sqrt(ni * nj) : 0.0;
}

tms_status tms_post_check(tms_check_report *rep, const char *experiment, const tms_post_results *res,
                          const tms_post_products *pp, tms_error *err) {
  static void (*const run[10])(tms_chk *) = {tms_chk_e0, tms_chk_e1, tms_chk_e2, tms_chk_e3, tms_chk_e4,
                                             tms_chk_e5, tms_chk_e6, tms_chk_e7, tms_chk_e8, tms_chk_e9};
  memset(rep, 0, sizeof *rep);
  if (!experiment || experiment[0] != 'e' || experiment[1] < '0' || experiment[1] > '9' || experiment[2])
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "experiment", "'%s' is not one of e0 .. e9",
                         experiment ? experiment : "");
  if (!res->W || !res->loss)
    return tms_error_set(err, TMS_ERR_MISSING, res->path, 0, 0, NULL, "the check needs /results/W and /results/loss");
  snprintf(rep->experiment, sizeof rep->experiment, "%s", experiment);
  tms_chk k = {res, pp, calloc(res->cells ? res->cells : 1, sizeof(tms_spec)), rep};
  if (!k.spec) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory");
  for (size_t c = 0; c < res->cells; c++) {
    tms_status st = tms_post_point_spec(&k.spec[c], res, c * res->replicates, "the experiment check", err);
    if (st != TMS_OK) {
      free(k.spec);
      return st;
    }
  }
  run[experiment[1] - '0'](&k);
  if (rep->count == 0)
    tms_chk_add(&k, TMS_CHECK_FAIL, NAN, NAN, NAN, "", "no cell of this file has the setup of %s", experiment);
  free(k.spec);
  return TMS_OK;
}
