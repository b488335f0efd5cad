/* grid: a validated sweep expanded into points, lazily: a point is an index, its coordinates and spec are
 * computed on demand, so nothing is allocated per point and a million-point grid costs no memory.
 * Not the parser (config.c) and not the store: it knows nothing of files.
 * Invariants: index = C order over (axes as written..., replicate), replicate fastest. A point's seed is
 * tms_hash_bytes(master seed, canonical text of every registry parameter value of the point but snapshot_every
 * and eval_every + replicate),
 * never a function of its index, so seeds survive appended axis values, resumes and any number of ranks.
 * The config hash is over the expanded values (not the text), so comments and spelling do not change it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "config/grid.h"
#include "rng/rng.h"

int tms_grid_rank(const tms_sweep *sweep) { return sweep->n_axes + 1; }

void tms_grid_shape(const tms_sweep *sweep, size_t *dims) {
  for (int d = 0; d < sweep->n_axes; d++) dims[d] = (size_t)sweep->axes[d].size;
  dims[sweep->n_axes] = (size_t)(sweep->replicates > 0 ? sweep->replicates : 1);
}

size_t tms_grid_count(const tms_sweep *sweep) {
  size_t n = (size_t)(sweep->replicates > 0 ? sweep->replicates : 1);
  for (int d = 0; d < sweep->n_axes; d++) n *= (size_t)sweep->axes[d].size;
  return n;
}

void tms_grid_coords(const tms_sweep *sweep, size_t index, size_t *coords) {
  size_t dims[TMS_GRID_MAX_RANK];
  tms_grid_shape(sweep, dims);
  for (int d = sweep->n_axes; d >= 0; d--) {
    coords[d] = index % dims[d];
    index /= dims[d];
  }
}

/* The private cache behind sweep->grid_cache: the spec after defaults and fixed, and the canonical bytes of
 * every parameter no axis changes. Parameters that alias a swept one (density <-> sparsity) count as swept. */
enum { CACHE_MAX_PARAMS = 64 };
typedef struct {
  tms_spec base;
  unsigned char dynamic[CACHE_MAX_PARAMS]; /* registry index -> re-encoded per point */
  size_t seg_off[CACHE_MAX_PARAMS], seg_len[CACHE_MAX_PARAMS];
  char segs[4096];
} grid_cache;

/* defaults, fixed, then the axis values at coords; no seed. */
static tms_status build_spec(const tms_sweep *sw, const size_t *coords, tms_spec *spec, tms_error *err) {
  tms_status s;
  const grid_cache *gc = sw->grid_cache;
  if (gc) {
    *spec = gc->base;
  } else {
    tms_spec_defaults(spec);
  }
  for (int i = 0; i < sw->n_fixed && !gc; i++) {
    const tms_sweep_param *p = &sw->fixed[i];
    if ((s = tms_spec_set(spec, p->key, &p->values[0], err))) {
      if (err) err->line = p->line, err->col = p->col, snprintf(err->file, sizeof err->file, "%.255s", sw->path);
      return s;
    }
  }
  for (int d = 0; d < sw->n_axes; d++)
    for (int j = 0; j < sw->axes[d].n_params; j++) {
      const tms_sweep_param *p = &sw->axes[d].params[j];
      if ((s = tms_spec_set(spec, p->key, &p->values[coords[d]], err))) {
        if (err) err->line = p->line, err->col = p->col, snprintf(err->file, sizeof err->file, "%.255s", sw->path);
        return s;
      }
    }
  return TMS_OK;
}

/* The canonical bytes of a spec: every registry parameter in registry order as "key=" then the word, or the
 * 8 little-endian bytes of the double (-0 as 0, every NaN as one NaN), then "\n". Binary, not %.17g text:
 * the same values, an order of magnitude faster (this runs once per point), and no locale or printf in it. */
static size_t put_bytes(char *buf, size_t size, size_t used, const void *src, size_t len) {
  if (used + len > size) return used;
  memcpy(buf + used, src, len);
  return used + len;
}

/* "key=" value "\n" of registry parameter i of spec, appended at buf + used. */
static size_t encode_param(const tms_spec *spec, int i, char *buf, size_t size, size_t used) {
  const char *key = tms_param_at(i)->key;
  tms_value v;
  tms_spec_get(spec, key, &v);
  used = put_bytes(buf, size, used, key, strlen(key));
  used = put_bytes(buf, size, used, "=", 1);
  if (v.is_string) {
    used = put_bytes(buf, size, used, v.str, strlen(v.str));
  } else {
    double x = v.num == 0 ? 0.0 : isnan(v.num) ? NAN : v.num;
    uint64_t bits;
    unsigned char le[8];
    memcpy(&bits, &x, sizeof bits);
    for (int k = 0; k < 8; k++) le[k] = (unsigned char)(bits >> (8 * k));
    used = put_bytes(buf, size, used, le, sizeof le);
  }
  return put_bytes(buf, size, used, "\n", 1);
}

static int param_index(const char *key);

static int snapshot_index(void) {
  static int index = -2; /* looked up once; the registry never changes */
  if (index == -2) index = param_index("snapshot_every");
  return index;
}

static int eval_every_index(void) {
  static int index = -2;
  if (index == -2) index = param_index("eval_every");
  return index;
}

/* Byte-identical with and without the cache (the cache only skips re-encoding unswept parameters).
 * snapshot_every decides only what is logged, never the model: it is left out of a seed's text (for_seed), so
 * turning snapshots on trains bitwise the same models, and left out of the config hash while it is 0, so seeds and
 * hashes of sweeps without snapshots are those of files written before the parameter existed. eval_every (the
 * evaluation curve) is logging only too and is handled the same way. */
static size_t canonical(const tms_sweep *sw, const tms_spec *spec, char *buf, size_t size, int for_seed) {
  const grid_cache *gc = sw->grid_cache;
  size_t used = 0;
  for (int i = 0; i < tms_param_count(); i++) {
    if (i == snapshot_index() && (for_seed || spec->snapshot_every == 0)) continue;
    if (i == eval_every_index() && (for_seed || spec->eval_every == 0)) continue;
    if (gc && !gc->dynamic[i])
      used = put_bytes(buf, size, used, gc->segs + gc->seg_off[i], gc->seg_len[i]);
    else
      used = encode_param(spec, i, buf, size, used);
  }
  return used;
}

static int param_index(const char *key) {
  for (int i = 0; i < tms_param_count(); i++)
    if (strcmp(tms_param_at(i)->key, key) == 0) return i;
  return -1;
}

tms_status tms_config_grid_prepare(tms_sweep *sw) {
  tms_config_grid_release(sw);
  int np = tms_param_count();
  if (np > CACHE_MAX_PARAMS) return TMS_OK; /* correct without it, only slower */
  grid_cache *gc = calloc(1, sizeof *gc);
  if (!gc) return TMS_ERR_NOMEM;
  tms_spec_defaults(&gc->base);
  for (int i = 0; i < sw->n_fixed; i++)
    if (tms_spec_set(&gc->base, sw->fixed[i].key, &sw->fixed[i].values[0], NULL)) {
      free(gc); /* the slow path will report it */
      return TMS_OK;
    }
  size_t used = 0;
  for (int i = 0; i < np; i++) {
    gc->seg_off[i] = used;
    used = encode_param(&gc->base, i, gc->segs, sizeof gc->segs, used);
    gc->seg_len[i] = used - gc->seg_off[i];
  }
  /* swept parameters, and any parameter whose encoding moves when a swept one is set (aliases) */
  for (int d = 0; d < sw->n_axes; d++)
    for (int j = 0; j < sw->axes[d].n_params; j++) {
      const tms_sweep_param *p = &sw->axes[d].params[j];
      int k = param_index(p->key);
      if (k >= 0) gc->dynamic[k] = 1;
      for (int v = 0; v < p->count && v < 64; v++) {
        tms_spec probe = gc->base;
        char buf[512];
        if (tms_spec_set(&probe, p->key, &p->values[v], NULL)) continue;
        for (int i = 0; i < np; i++) {
          size_t len = encode_param(&probe, i, buf, sizeof buf, 0);
          if (len != gc->seg_len[i] || memcmp(buf, gc->segs + gc->seg_off[i], len) != 0) gc->dynamic[i] = 1;
        }
      }
    }
  for (int i = 0; i < np; i++) /* "density" and "sparsity" share a field: sweep one, re-encode both */
    if (gc->dynamic[i]) {
      const char *key = tms_param_at(i)->key;
      const char *alias = strcmp(key, "density") == 0 ? "sparsity" : strcmp(key, "sparsity") == 0 ? "density" : NULL;
      int a = alias ? param_index(alias) : -1;
      if (a >= 0) gc->dynamic[a] = 1;
    }
  sw->grid_cache = gc;
  return TMS_OK;
}

void tms_config_grid_release(tms_sweep *sw) {
  free(sw->grid_cache);
  sw->grid_cache = NULL;
}

static uint64_t point_seed(const tms_sweep *sw, const tms_spec *spec, size_t replicate) {
  char buf[4096];
  size_t used = canonical(sw, spec, buf, sizeof buf, 1);
  unsigned char le[8];
  for (int k = 0; k < 8; k++) le[k] = (unsigned char)((uint64_t)replicate >> (8 * k));
  used = put_bytes(buf, sizeof buf, used, "replicate=", 10);
  used = put_bytes(buf, sizeof buf, used, le, sizeof le);
  return tms_hash_bytes(sw->seed, buf, used);
}

tms_status tms_grid_spec(const tms_sweep *sweep, size_t index, tms_spec *spec, tms_error *err) {
  size_t coords[TMS_GRID_MAX_RANK];
  if (index >= tms_grid_count(sweep))
    return tms_error_set(err, TMS_ERR_CONFIG, sweep->path, 0, 0, NULL, "point index %zu is outside the grid of %zu points",
                         index, tms_grid_count(sweep));
  tms_grid_coords(sweep, index, coords);
  tms_status s = build_spec(sweep, coords, spec, err);
  if (s) return s;
  spec->seed = point_seed(sweep, spec, coords[sweep->n_axes]);
  return TMS_OK;
}

static int excluded_at(const tms_sweep *sw, const size_t *coords) {
  for (int e = 0; e < sw->n_excludes; e++) {
    const tms_exclude *ex = &sw->excludes[e];
    int all = ex->n_conds > 0;
    for (int c = 0; c < ex->n_conds && all; c++) {
      int matched = 0;
      for (int d = 0; d < sw->n_axes && !matched; d++)
        for (int j = 0; j < sw->axes[d].n_params; j++)
          if (strcmp(sw->axes[d].params[j].key, ex->conds[c].key) == 0) {
            matched = tms_config_value_equal(&sw->axes[d].params[j].values[coords[d]], &ex->conds[c].values[0]);
            break;
          }
      all = matched;
    }
    if (all) return 1;
  }
  return 0;
}

int tms_grid_excluded(const tms_sweep *sweep, size_t index) {
  size_t coords[TMS_GRID_MAX_RANK];
  if (index >= tms_grid_count(sweep)) return 0;
  tms_grid_coords(sweep, index, coords);
  return excluded_at(sweep, coords);
}

/* Visits every grid cell without the replicate dim (its first replicate's coords), in point order. */
typedef int (*cell_fn)(const tms_sweep *sw, const size_t *coords, size_t index, void *user);

static int for_each_cell(const tms_sweep *sw, cell_fn fn, void *user) {
  size_t dims[TMS_GRID_MAX_RANK], coords[TMS_GRID_MAX_RANK] = {0};
  tms_grid_shape(sw, dims);
  size_t reps = dims[sw->n_axes], cells = tms_grid_count(sw) / reps;
  for (size_t cell = 0; cell < cells; cell++) {
    int stop = fn(sw, coords, cell * reps, user);
    if (stop) return stop;
    for (int d = sw->n_axes - 1; d >= 0; d--) { /* odometer: last axis fastest */
      if (++coords[d] < dims[d]) break;
      coords[d] = 0;
    }
  }
  return 0;
}

typedef struct {
  int n_max, m_max, has_w2;
  size_t curve_max, snapshot_max, eval_max;
  double steps;
} extent_acc;

static int extent_cell(const tms_sweep *sw, const size_t *coords, size_t index, void *user) {
  (void)index;
  extent_acc *a = user;
  tms_spec spec;
  if (excluded_at(sw, coords) || build_spec(sw, coords, &spec, NULL)) return 0;
  if (spec.n_features > a->n_max) a->n_max = spec.n_features;
  if (spec.n_hidden > a->m_max) a->m_max = spec.n_hidden;
  if (spec.variant == TMS_ABS) a->has_w2 = 1;
  if (spec.steps >= 1 && spec.log_every >= 1) {
    size_t len = tms_spec_curve_len(&spec);
    if (len > a->curve_max) a->curve_max = len;
    size_t snaps = tms_spec_snapshot_len(&spec);
    if (snaps > a->snapshot_max) a->snapshot_max = snaps;
    size_t evals = tms_spec_eval_len(&spec);
    if (evals > a->eval_max) a->eval_max = evals;
  }
  a->steps += (double)spec.steps;
  return 0;
}

static extent_acc extent(const tms_sweep *sw) {
  extent_acc a = {0};
  for_each_cell(sw, extent_cell, &a);
  return a;
}

void tms_grid_extent(const tms_sweep *sweep, int *n_max, int *m_max, size_t *curve_max, int *has_w2) {
  extent_acc a = extent(sweep);
  if (n_max) *n_max = a.n_max;
  if (m_max) *m_max = a.m_max;
  if (curve_max) *curve_max = a.curve_max;
  if (has_w2) *has_w2 = a.has_w2;
}

size_t tms_grid_snapshot_max(const tms_sweep *sweep) { return extent(sweep).snapshot_max; }

size_t tms_grid_eval_max(const tms_sweep *sweep) { return extent(sweep).eval_max; }

/* A point's spec failed a cross-field rule: name the point and the line of the key involved. */
typedef struct {
  tms_error *err;
  tms_status status;
} validate_acc;

static const char *fallback_key(const char *key) {
  static const char *const pairs[][2] = {{"density", "sparsity"},          {"correlated_sets", "correlation"},
                                         {"set_size", "correlation_density"}, {"correlation_density", "correlation"},
                                         {"n_features", "correlated_sets"}};
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
    if (strcmp(pairs[i][0], key) == 0) return pairs[i][1];
  return NULL;
}

static int validate_cell(const tms_sweep *sw, const size_t *coords, size_t index, void *user) {
  validate_acc *a = user;
  tms_spec spec;
  tms_error e;
  if (excluded_at(sw, coords)) return 0;
  tms_status s = build_spec(sw, coords, &spec, &e);
  if (s == TMS_OK) s = tms_spec_validate(&spec, &e);
  if (s == TMS_OK) return 0;
  int line = 0, col = 0;
  const char *alt = fallback_key(e.key);
  if (!tms_config_where(sw, e.key, &line, &col) && !(alt && tms_config_where(sw, alt, &line, &col))) {
    const char *other = alt ? fallback_key(alt) : NULL;
    if (!(other && tms_config_where(sw, other, &line, &col))) line = 1, col = 1;
  }
  char at[256] = "";
  size_t used = 0;
  for (int d = 0; d < sw->n_axes && used < sizeof at - 1; d++)
    for (int j = 0; j < sw->axes[d].n_params && used < sizeof at - 1; j++) {
      char t[48];
      tms_config_value_text(&sw->axes[d].params[j].values[coords[d]], t, sizeof t);
      int w = snprintf(at + used, sizeof at - used, "%s%s=%s", used ? ", " : "", sw->axes[d].params[j].key, t);
      if (w > 0) used = used + (size_t)w < sizeof at ? used + (size_t)w : sizeof at - 1;
    }
  char msg[sizeof e.msg];
  snprintf(msg, sizeof msg, "%s", e.msg);
  if (sw->n_axes > 0)
    a->status = tms_error_set(a->err, s, sw->path, line, col, e.key, "%s (at point %zu: %s)", msg, index, at);
  else
    a->status = tms_error_set(a->err, s, sw->path, line, col, e.key, "%s", msg);
  return 1;
}

tms_status tms_grid_validate(const tms_sweep *sweep, tms_error *err) {
  validate_acc a = {err, TMS_OK};
  for_each_cell(sweep, validate_cell, &a);
  return a.status;
}

typedef struct {
  uint64_t h;
} hash_acc;

static int hash_cell(const tms_sweep *sw, const size_t *coords, size_t index, void *user) {
  (void)index;
  hash_acc *a = user;
  tms_spec spec;
  char buf[4096];
  size_t used;
  if (build_spec(sw, coords, &spec, NULL) == TMS_OK) {
    used = canonical(sw, &spec, buf, sizeof buf, 0);
  } else {
    used = (size_t)snprintf(buf, sizeof buf, "invalid\n");
  }
  used = put_bytes(buf, sizeof buf, used, excluded_at(sw, coords) ? "excluded\n" : "included\n", 9);
  a->h = tms_hash_bytes(a->h, buf, used);
  return 0;
}

uint64_t tms_grid_config_hash(const tms_sweep *sweep) {
  static const char tag[] = "tms-sweep/1 expanded config\n";
  char buf[256];
  uint64_t h = tms_hash_bytes(0x746d732d68617368ULL /* "tms-hash" */, tag, sizeof tag - 1);
  int w = snprintf(buf, sizeof buf, "seed=%llu\nreplicates=%d\ndims=%d\n", (unsigned long long)sweep->seed,
                   sweep->replicates, sweep->n_axes);
  h = tms_hash_bytes(h, buf, (size_t)w);
  for (int d = 0; d < sweep->n_axes; d++) {
    const tms_axis *a = &sweep->axes[d];
    w = snprintf(buf, sizeof buf, "dim %s zip=%d size=%d\n", a->name, a->is_zip, a->size);
    h = tms_hash_bytes(h, buf, (size_t)w);
    for (int j = 0; j < a->n_params; j++) {
      w = snprintf(buf, sizeof buf, "member %s\n", a->params[j].key);
      h = tms_hash_bytes(h, buf, (size_t)w);
      for (int k = 0; k < a->params[j].count; k++) {
        const tms_value *v = &a->params[j].values[k];
        w = v->is_string ? snprintf(buf, sizeof buf, "%s\n", v->str) : snprintf(buf, sizeof buf, "%.17g\n", v->num);
        h = tms_hash_bytes(h, buf, (size_t)w);
      }
    }
  }
  hash_acc acc = {h};
  for_each_cell(sweep, hash_cell, &acc);
  return acc.h;
}

double tms_grid_model_steps(const tms_sweep *sweep) {
  extent_acc a = extent(sweep);
  return a.steps * (double)(sweep->replicates > 0 ? sweep->replicates : 1);
}

double tms_grid_output_bytes(const tms_sweep *sweep) {
  extent_acc a = extent(sweep);
  return tms_config_bytes_per_point(a.n_max, a.m_max, a.has_w2, a.curve_max, a.snapshot_max, a.eval_max) *
         (double)tms_grid_count(sweep);
}
