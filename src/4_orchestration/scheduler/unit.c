/* unit: training one unit of work (one point, or a bundle of points of one shape) into packed records, on a
 * worker or on the root when it runs alone. Not here: choosing units (queue.c), sending them (dispatch.c,
 * worker.c). Invariants: a point's record depends only on its spec and seed (never on bundling, the member's
 * position or the rank); every point of the unit gets a record, whatever happens (bad spec, no memory, divergence,
 * timeout, stop). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"
#include "config/grid.h"

/* Trainer progress callback -> the unit's watch, in points of the unit. */
static void on_train_step(void *ctx, long step, long steps, double loss) {
  (void)loss;
  tms_unit_watch *w = ctx;
  w->tick(w->user, w->member + (steps > 0 ? (double)step / (double)steps : 0.0));
}

/* Trains the good members one by one, observed. Each has its own run.point_timeout_s (a bundle can only share one
 * deadline), and a stop signal ends the unit between members: those not started are interrupted, not trained. */
static void train_members_observed(const tms_sweep *sweep, const tms_spec *specs, int good, tms_train_result *res,
                                   tms_status *sts, tms_unit_watch *watch) {
  tms_train_control ctl;
  ctl.stop = tms_signals_abandon_flag();
  ctl.timeout_s = sweep->run.point_timeout_s > 0 ? sweep->run.point_timeout_s : 0;
  for (int g = 0; g < good; g++) {
    if (g > 0 && tms_signals_stop_requested()) {
      sts[g] = TMS_ERR_INTERRUPTED;
      continue;
    }
    watch->member = g;
    tms_error e;
    memset(&e, 0, sizeof e);
    sts[g] = tms_train_observed(&specs[g], &res[g], &ctl, on_train_step, watch, &e);
  }
}

/* Trains the good members on a worker in bundles of at most `bundle` points of one shape (one slab, one deadline of
 * point_timeout_s per member each); a bundle's members one by one when it cannot run as one. */
static void train_bundle(const tms_sweep *sweep, const tms_spec *specs, int good, tms_train_result *res,
                         tms_status *sts) {
  tms_train_control ctl;
  ctl.stop = tms_signals_abandon_flag();
  ctl.timeout_s = sweep->run.point_timeout_s > 0 ? sweep->run.point_timeout_s * good : 0;
  tms_error e;
  memset(&e, 0, sizeof e);
  int same_shape = 1;
  for (int g = 1; g < good; g++)
    same_shape &= specs[g].variant == specs[0].variant && specs[g].n_features == specs[0].n_features &&
                  specs[g].n_hidden == specs[0].n_hidden;
  tms_status bs = TMS_ERR_USAGE;
  if (good > 1 && same_shape) bs = tms_train_bundle(specs, good, res, sts, &ctl, &e);
  if (bs != TMS_OK) {
    /* A single point (or the bundle could not run as one): each point by itself, same results by contract. */
    for (int g = 0; g < good; g++) {
      ctl.timeout_s = sweep->run.point_timeout_s;
      memset(&e, 0, sizeof e);
      sts[g] = tms_train(&specs[g], &res[g], &ctl, &e);
    }
  }
}

static void train_members_bundled(const tms_sweep *sweep, const tms_spec *specs, int good, int bundle,
                                  tms_train_result *res, tms_status *sts) {
  if (bundle < 1) bundle = 1;
  for (int g = 0; g < good; g += bundle)
    train_bundle(sweep, specs + g, good - g < bundle ? good - g : bundle, res + g, sts + g);
}

double tms_sched_train_unit(const tms_sweep *sweep, const tms_rec_layout *L, const int64_t *idx, int k, int bundle,
                            unsigned char *out, tms_unit_watch *watch) {
  double t_unit = tms_sched_now();
  tms_spec *specs = calloc((size_t)k, sizeof *specs);
  tms_train_result *res = calloc((size_t)k, sizeof *res);
  tms_status *sts = calloc((size_t)k, sizeof *sts);
  int *slot = calloc((size_t)k, sizeof *slot); /* record j of good model g: slot[g] = j */
  float *mem = NULL;
  int good = 0;
  for (int j = 0; j < k; j++) tms_rec_blank(L, out + (size_t)j * L->bytes, idx[j], TMS_ERR_NOMEM);
  if (!specs || !res || !sts || !slot) goto done;
  for (int j = 0; j < k; j++) {
    tms_error e;
    memset(&e, 0, sizeof e);
    tms_status s = tms_grid_spec(sweep, (size_t)idx[j], &specs[good], &e);
    tms_rec_at(L, out, j)->status = (int32_t)s;
    if (s == TMS_OK) slot[good++] = j;
  }
  if (good == 0) goto done;
  /* One scratch block for the good models (one shape per unit, but sized per model to be safe). */
  size_t total = 0;
  for (int g = 0; g < good; g++) {
    size_t nm = (size_t)specs[g].n_features * (size_t)specs[g].n_hidden;
    total += 2 * nm + (size_t)specs[g].n_features + tms_spec_curve_len(&specs[g]) +
             tms_spec_snapshot_len(&specs[g]) * nm + tms_spec_eval_len(&specs[g]);
  }
  mem = malloc(total * sizeof *mem);
  if (!mem) {
    for (int g = 0; g < good; g++) tms_rec_at(L, out, slot[g])->status = TMS_ERR_NOMEM;
    goto done;
  }
  float *p = mem;
  for (int g = 0; g < good; g++) {
    size_t nm = (size_t)specs[g].n_features * (size_t)specs[g].n_hidden;
    res[g].W = p;
    p += nm;
    res[g].W2 = p;
    p += nm;
    res[g].b = p;
    p += specs[g].n_features;
    res[g].loss_curve = p;
    p += tms_spec_curve_len(&specs[g]);
    const size_t snaps = tms_spec_snapshot_len(&specs[g]);
    res[g].W_history = snaps > 0 ? p : NULL;
    p += snaps * nm;
    const size_t evals = tms_spec_eval_len(&specs[g]);
    res[g].eval_curve = evals > 0 ? p : NULL;
    p += evals;
  }
  double t0 = tms_sched_now();
  if (watch) train_members_observed(sweep, specs, good, res, sts, watch);
  else train_members_bundled(sweep, specs, good, bundle, res, sts);
  double wall = (tms_sched_now() - t0) / good;
  for (int g = 0; g < good; g++) {
    unsigned char *base = out + (size_t)slot[g] * L->bytes;
    tms_rec_header *h = (tms_rec_header *)(void *)base;
    tms_status s = sts[g];
    if (s == TMS_OK) s = tms_rec_fill(L, base, &specs[g], &res[g], tms_spec_curve_len(&specs[g]));
    if (s == TMS_OK && !isfinite(res[g].final_loss)) s = TMS_ERR_DIVERGED;
    if (s != TMS_OK) tms_rec_blank(L, base, idx[slot[g]], s);
    h->status = (int32_t)s;
    h->wall_s = res[g].wall_s > 0 ? res[g].wall_s : wall;
    h->eval_s = res[g].eval_s; /* 0 when the model failed before its evaluation */
  }
done:
  for (int j = 0; j < k; j++) tms_rec_at(L, out, j)->flags = 0;
  free(mem);
  free(slot);
  free(sts);
  free(res);
  free(specs);
  return tms_sched_now() - t_unit;
}
