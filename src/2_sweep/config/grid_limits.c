/* grid_limits: the size of a sweep (points, results-file bytes) computed from its axes' values without visiting
 * its points, so a sweep of 1e10 points is refused in milliseconds, before validation walks the grid.
 * Why it is exact: only a few spec fields decide a point's record size (n_features, n_hidden, variant, steps,
 * log_every, snapshot_every, eval_every), and each parameter setter writes only its own field, so the largest
 * record is the largest over the product of the axes that move one of those fields ("shape axes"; usually one
 * zip group of a few values), the other axes being irrelevant to it.
 * Invariants: tms_grid_output_bytes_quick >= the exact tms_grid_output_bytes (equal without exclusions, which
 * can only remove points); when the shape axes span more than QUICK_MAX_CELLS combinations it falls back to
 * field-wise extremes, still an upper bound. Not here: the exact size (grid.c), where limits are enforced
 * (config.c, with file:line). */
#include <string.h>

#include "config_internal.h"
#include "config/grid.h"

enum { QUICK_MAX_CELLS = 1 << 20 };

double tms_grid_points(const tms_sweep *sweep) {
  double n = sweep->replicates > 0 ? (double)sweep->replicates : 1.0;
  for (int d = 0; d < sweep->n_axes; d++) n *= (double)sweep->axes[d].size;
  return n;
}

double tms_config_bytes_per_point(int n_max, int m_max, int has_w2, size_t curve_max, size_t snapshot_max,
                                  size_t eval_max) {
  double n = n_max, m = m_max;
  return n * m * 4.0 * (has_w2 ? 2.0 : 1.0)     /* W (and W2) float32 */
         + n * 4.0                               /* b */
         + (double)curve_max * 4.0               /* loss curve float32 */
         + (double)snapshot_max * n * m * 4.0    /* W history float32 (0 without snapshots) */
         + (double)eval_max * 4.0                /* evaluation curve float32 (0 without eval_every) */
         + 3.0 * n * 8.0                         /* norm, interference, dimensionality */
         + 8.0 + 8.0                             /* loss, dstar */
         + 1.0 + 4.0 + 4.0 + 8.0 + 8.0 + 8.0     /* status, attempts, error, wall_s, eval_s, seed */
         + (double)(tms_param_count() - 1) * 8.0; /* /params/<key> (no sparsity) */
}

/* The fields that decide a record's size. */
typedef struct {
  int n, m, variant;
  long steps, log_every, snapshot_every, eval_every;
} shape_fields;

static shape_fields fields_of(const tms_spec *s) {
  shape_fields f = {s->n_features, s->n_hidden, (int)s->variant, s->steps, s->log_every, s->snapshot_every,
                    s->eval_every};
  return f;
}

static int same_fields(const shape_fields *a, const shape_fields *b) {
  return a->n == b->n && a->m == b->m && a->variant == b->variant && a->steps == b->steps &&
         a->log_every == b->log_every && a->snapshot_every == b->snapshot_every && a->eval_every == b->eval_every;
}

/* Sets every parameter of axis d at value v; nonzero if one was refused (validation reports it later). */
static int set_axis(const tms_sweep *sw, int d, int v, tms_spec *spec) {
  int bad = 0;
  for (int j = 0; j < sw->axes[d].n_params; j++)
    bad |= tms_spec_set(spec, sw->axes[d].params[j].key, &sw->axes[d].params[j].values[v], NULL) != TMS_OK;
  return bad;
}

static int axis_moves_shape(const tms_sweep *sw, int d, const tms_spec *base) {
  shape_fields b = fields_of(base);
  for (int v = 0; v < sw->axes[d].size; v++) {
    tms_spec probe = *base;
    set_axis(sw, d, v, &probe);
    shape_fields f = fields_of(&probe);
    if (!same_fields(&f, &b)) return 1;
  }
  return 0;
}

typedef struct {
  int n_max, m_max, has_w2;
  size_t curve_max, snapshot_max, eval_max;
} quick_extent;

static void take(quick_extent *e, const tms_spec *s) {
  if (s->n_features > e->n_max) e->n_max = s->n_features;
  if (s->n_hidden > e->m_max) e->m_max = s->n_hidden;
  if (s->variant == TMS_ABS) e->has_w2 = 1;
  if (s->steps < 1 || s->log_every < 1) return; /* invalid: validation refuses it */
  size_t c = tms_spec_curve_len(s), h = tms_spec_snapshot_len(s), v = tms_spec_eval_len(s);
  if (c > e->curve_max) e->curve_max = c;
  if (h > e->snapshot_max) e->snapshot_max = h;
  if (v > e->eval_max) e->eval_max = v;
}

/* Field-wise extremes over every value of the shape axes: the largest n, m, steps and the smallest positive
 * log/snapshot/eval intervals together (a combination that may not exist: an upper bound). */
static void take_extremes(quick_extent *e, const tms_sweep *sw, const int *shape_axes, int n_shape,
                          const tms_spec *base) {
  tms_spec x = *base;
  for (int a = 0; a < n_shape; a++)
    for (int v = 0; v < sw->axes[shape_axes[a]].size; v++) {
      tms_spec p = *base;
      set_axis(sw, shape_axes[a], v, &p);
      if (p.n_features > x.n_features) x.n_features = p.n_features;
      if (p.n_hidden > x.n_hidden) x.n_hidden = p.n_hidden;
      if (p.variant == TMS_ABS) e->has_w2 = 1;
      if (p.steps > x.steps) x.steps = p.steps;
      if (p.log_every >= 1 && p.log_every < x.log_every) x.log_every = p.log_every;
      if (p.snapshot_every > 0 && (x.snapshot_every <= 0 || p.snapshot_every < x.snapshot_every))
        x.snapshot_every = p.snapshot_every;
      if (p.eval_every > 0 && (x.eval_every <= 0 || p.eval_every < x.eval_every)) x.eval_every = p.eval_every;
    }
  take(e, &x);
}

double tms_grid_output_bytes_quick(const tms_sweep *sw) {
  tms_spec base;
  tms_spec_defaults(&base);
  for (int i = 0; i < sw->n_fixed; i++) tms_spec_set(&base, sw->fixed[i].key, &sw->fixed[i].values[0], NULL);
  int shape_axes[TMS_GRID_MAX_AXES], n_shape = 0;
  double cells = 1;
  for (int d = 0; d < sw->n_axes && d < TMS_GRID_MAX_AXES; d++)
    if (axis_moves_shape(sw, d, &base)) {
      shape_axes[n_shape++] = d;
      cells *= sw->axes[d].size;
    }
  quick_extent e;
  memset(&e, 0, sizeof e);
  if (cells > QUICK_MAX_CELLS) {
    take_extremes(&e, sw, shape_axes, n_shape, &base);
  } else { /* odometer over the shape axes only */
    int coords[TMS_GRID_MAX_AXES] = {0};
    for (;;) {
      tms_spec s = base;
      for (int a = 0; a < n_shape; a++) set_axis(sw, shape_axes[a], coords[a], &s);
      take(&e, &s);
      int a = n_shape - 1;
      for (; a >= 0; a--) {
        if (++coords[a] < sw->axes[shape_axes[a]].size) break;
        coords[a] = 0;
      }
      if (a < 0) break;
    }
  }
  return tms_config_bytes_per_point(e.n_max, e.m_max, e.has_w2, e.curve_max, e.snapshot_max, e.eval_max) *
         tms_grid_points(sw);
}
