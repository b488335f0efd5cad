/* spec: the parameter registry and the checks on one training spec.
 * One table lists every user-facing parameter with its field, type, range and default; tms_spec_set and
 * tms_spec_get work from it, so adding a parameter is one row here plus its field in tms_spec. */
#include "core/spec.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *const variant_names[] = {"linear", "relu_out", "relu_hidden", "abs", NULL};
static const char *const correlation_names[] = {"independent", "correlated", "anticorrelated", NULL};
static const char *const correlation_density_names[] = {"set", "member", NULL};
static const char *const optimizer_names[] = {"adamw", "adam", NULL};
static const char *const schedule_names[] = {"constant", "linear", "cosine", NULL};
static const char *const init_names[] = {"xavier", "kaiming_uniform", NULL};

typedef struct {
  tms_param_info info;
  size_t offset;     /* field offset in tms_spec */
  char field_type;   /* 'i' int, 'l' long, 'd' double, 'e' enum (int-sized) */
} param_row;

#define ROW(key, kind, choices, lo, hi, lo_open, hi_open, dflt, help, field, ftype) \
  {{key, kind, choices, lo, hi, lo_open, hi_open, dflt, help}, offsetof(tms_spec, field), ftype}

static const param_row rows[] = {
    ROW("variant", TMS_PARAM_ENUM, variant_names, 0, 0, 0, 0, "relu_out",
        "model: linear (M1), relu_out (M2), relu_hidden (M3), abs (M4)", variant, 'e'),
    ROW("n_features", TMS_PARAM_INT, NULL, 1, 1e6, 0, 0, "required", "n, number of features", n_features, 'i'),
    ROW("n_hidden", TMS_PARAM_INT, NULL, 1, 1e6, 0, 0, "required", "m, number of hidden dimensions", n_hidden,
        'i'),
    ROW("density", TMS_PARAM_REAL, NULL, 0, 1, 1, 0, "required", "1-S, probability a feature is active",
        density, 'd'),
    ROW("sparsity", TMS_PARAM_REAL, NULL, 0, 1, 0, 1, "required", "S, probability a feature is zero (instead of density)",
        density, 'd'),
    ROW("importance_decay", TMS_PARAM_REAL, NULL, 0, INFINITY, 1, 1, "1", "r in importance I_i = r^i, i from 0",
        importance_decay, 'd'),
    ROW("last_importance", TMS_PARAM_REAL, NULL, 0, INFINITY, 1, 1, "none", "importance of the last feature",
        last_importance, 'd'),
    ROW("last_density", TMS_PARAM_REAL, NULL, 0, 1, 1, 0, "none", "density of the last feature", last_density, 'd'),
    ROW("correlation", TMS_PARAM_ENUM, correlation_names, 0, 0, 0, 0, "independent",
        "feature sets: independent, correlated, anticorrelated", correlation, 'e'),
    ROW("correlation_density", TMS_PARAM_ENUM, correlation_density_names, 0, 0, 0, 0, "set",
        "set: the paper's sets (set density 1-S); member: ARENA pairs (each member density p)",
        correlation_density, 'e'),
    ROW("correlated_sets", TMS_PARAM_INT, NULL, 0, 1e6, 0, 0, "0", "number of correlated/anticorrelated sets",
        correlated_sets, 'i'),
    ROW("set_size", TMS_PARAM_INT, NULL, 2, 1e6, 0, 0, "2", "features per set", set_size, 'i'),
    ROW("correlation_strength", TMS_PARAM_REAL, NULL, 0, 1, 0, 0, "1",
        "0 = independent, 1 = exact (co-active or exclusive)", correlation_strength, 'd'),
    ROW("optimizer", TMS_PARAM_ENUM, optimizer_names, 0, 0, 0, 0, "adamw", "adamw (notebook) or adam (ARENA)",
        optimizer, 'e'),
    ROW("lr", TMS_PARAM_REAL, NULL, 0, INFINITY, 1, 1, "1e-3", "learning rate", lr, 'd'),
    ROW("weight_decay", TMS_PARAM_REAL, NULL, 0, INFINITY, 0, 1, "0.01", "decoupled weight decay (adamw only)",
        weight_decay, 'd'),
    ROW("beta1", TMS_PARAM_REAL, NULL, 0, 1, 0, 1, "0.9", "Adam first-moment decay", beta1, 'd'),
    ROW("beta2", TMS_PARAM_REAL, NULL, 0, 1, 0, 1, "0.999", "Adam second-moment decay", beta2, 'd'),
    ROW("eps", TMS_PARAM_REAL, NULL, 0, INFINITY, 1, 1, "1e-8", "Adam epsilon", eps, 'd'),
    ROW("schedule", TMS_PARAM_ENUM, schedule_names, 0, 0, 0, 0, "constant",
        "learning-rate schedule: constant, linear (1-t/T), cosine (cos(pi/2 t/(T-1)))", schedule, 'e'),
    ROW("init", TMS_PARAM_ENUM, init_names, 0, 0, 0, 0, "xavier",
        "xavier: N(0, 2/(n+m)); kaiming_uniform: U(+-sqrt(6/(n m)))", init, 'e'),
    ROW("steps", TMS_PARAM_INT, NULL, 1, 1e12, 0, 0, "10000", "training steps", steps, 'l'),
    ROW("batch_size", TMS_PARAM_INT, NULL, 1, 1e7, 0, 0, "1024", "fresh samples per step", batch_size, 'i'),
    ROW("log_every", TMS_PARAM_INT, NULL, 1, 1e9, 0, 0, "100", "loss-curve interval in steps", log_every, 'i'),
    ROW("snapshot_every", TMS_PARAM_INT, NULL, 0, 1e9, 0, 0, "0",
        "save W every this many steps (0: only the final W)", snapshot_every, 'i'),
    ROW("eval_every", TMS_PARAM_INT, NULL, 0, 1e9, 0, 0, "0",
        "loss on one fixed eval_batch every this many steps (0: off)", eval_every, 'i'),
    ROW("eval_batch", TMS_PARAM_INT, NULL, 1, 1e7, 0, 0, "1048576",
        "samples of the final evaluation loss (one evaluation set per data law)", eval_batch, 'i'),
};
#undef ROW

enum { ROW_COUNT = sizeof rows / sizeof rows[0] };

int tms_param_count(void) { return ROW_COUNT; }

const tms_param_info *tms_param_at(int i) { return (i >= 0 && i < ROW_COUNT) ? &rows[i].info : NULL; }

static const param_row *find_row(const char *key) {
  for (int i = 0; i < ROW_COUNT; i++)
    if (strcmp(rows[i].info.key, key) == 0) return &rows[i];
  return NULL;
}

const tms_param_info *tms_param_find(const char *key) {
  const param_row *r = find_row(key);
  return r ? &r->info : NULL;
}

void tms_spec_defaults(tms_spec *spec) {
  memset(spec, 0, sizeof *spec);
  spec->variant = TMS_RELU_OUT;
  spec->n_features = 0; /* required */
  spec->n_hidden = 0;   /* required */
  spec->density = NAN;  /* required */
  spec->importance_decay = 1.0;
  spec->last_importance = NAN;
  spec->last_density = NAN;
  spec->correlation = TMS_INDEPENDENT;
  spec->correlation_density = TMS_DENSITY_SET;
  spec->correlated_sets = 0;
  spec->set_size = 2;
  spec->correlation_strength = 1.0;
  spec->optimizer = TMS_ADAMW;
  spec->lr = 1e-3;
  spec->weight_decay = 0.01;
  spec->beta1 = 0.9;
  spec->beta2 = 0.999;
  spec->eps = 1e-8;
  spec->schedule = TMS_SCHEDULE_CONSTANT;
  spec->init = TMS_INIT_XAVIER;
  spec->steps = 10000;
  spec->batch_size = 1024;
  spec->log_every = 100;
  /* 2^20: the standard error of E0's loss (n=5 m=2, density 0.05) is then 0.7-0.8% of the loss (8,192 gave 8%);
   * the per-sample loss is heavy-tailed at low density. The evaluation costs ~0.01 s there, ~1/20 of training. */
  spec->eval_batch = 1 << 20;
  spec->snapshot_every = 0;
  spec->eval_every = 0;
  spec->seed = 0;
}

static void describe_range(const tms_param_info *p, char *buf, size_t size) {
  snprintf(buf, size, "%c%g, %g%c", p->min_open ? '(' : '[', p->min, p->max, p->max_open ? ')' : ']');
}

tms_status tms_spec_set(tms_spec *spec, const char *key, const tms_value *value, tms_error *err) {
  const param_row *row = find_row(key);
  if (!row) return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, key, "unknown parameter '%s'", key);
  const tms_param_info *p = &row->info;
  char *field = (char *)spec + row->offset;

  if (p->kind == TMS_PARAM_ENUM) {
    if (!value->is_string)
      return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, key, "expected a word, got the number %g", value->num);
    for (int i = 0; p->choices[i]; i++) {
      if (strcmp(p->choices[i], value->str) == 0) {
        *(int *)field = i;
        return TMS_OK;
      }
    }
    char list[160] = "";
    for (int i = 0; p->choices[i]; i++) {
      strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
      strncat(list, p->choices[i], sizeof list - strlen(list) - 1);
    }
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, key, "'%s' is not one of: %s", value->str, list);
  }

  if (value->is_string)
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, key, "expected a number, got '%s'", value->str);
  double v = value->num;
  if (!isfinite(v))
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, key, "value %g is not a finite number", v);
  if (p->kind == TMS_PARAM_INT && v != floor(v))
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, key, "expected an integer, got %g", v);
  int below = p->min_open ? !(v > p->min) : !(v >= p->min);
  int above = p->max_open ? !(v < p->max) : !(v <= p->max);
  if (below || above) {
    char range[64]; /* formatted only on error: set runs once per parameter per grid point */
    describe_range(p, range, sizeof range);
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, key, "value %g is outside the allowed range %s", v, range);
  }

  if (strcmp(key, "sparsity") == 0) v = 1.0 - v;
  switch (row->field_type) {
    case 'i': *(int *)field = (int)v; break;
    case 'l': *(long *)field = (long)v; break;
    case 'd': *(double *)field = v; break;
    default: *(int *)field = (int)v; break;
  }
  return TMS_OK;
}

double tms_spec_number_at(const tms_spec *spec, int i) {
  if (i < 0 || i >= ROW_COUNT) return NAN;
  const param_row *row = &rows[i];
  const char *field = (const char *)spec + row->offset;
  double v;
  switch (row->field_type) {
    case 'e': v = *(const int *)field; break;
    case 'i': v = *(const int *)field; break;
    case 'l': v = (double)*(const long *)field; break;
    default: v = *(const double *)field; break;
  }
  return strcmp(row->info.key, "sparsity") == 0 ? 1.0 - v : v;
}

tms_status tms_spec_get(const tms_spec *spec, const char *key, tms_value *out) {
  const param_row *row = find_row(key);
  memset(out, 0, sizeof *out);
  if (!row) return TMS_ERR_CONFIG;
  const char *field = (const char *)spec + row->offset;
  switch (row->field_type) {
    case 'e':
      out->is_string = 1;
      snprintf(out->str, sizeof out->str, "%s", row->info.choices[*(const int *)field]);
      break;
    case 'i': out->num = *(const int *)field; break;
    case 'l': out->num = (double)*(const long *)field; break;
    default: out->num = *(const double *)field; break;
  }
  if (strcmp(key, "sparsity") == 0) out->num = 1.0 - out->num;
  return TMS_OK;
}

tms_status tms_spec_validate(const tms_spec *spec, tms_error *err) {
  if (spec->n_features < 1)
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "n_features", "is required (an integer >= 1)");
  if (spec->n_hidden < 1)
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "n_hidden", "is required (an integer >= 1)");
  if (!(spec->density > 0 && spec->density <= 1))
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "density",
                         "is required: give density in (0, 1] or sparsity in [0, 1)");
  if (spec->correlation == TMS_INDEPENDENT && spec->correlated_sets > 0)
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "correlated_sets",
                         "is %d but correlation is 'independent'; set correlation to correlated or anticorrelated",
                         spec->correlated_sets);
  if (spec->correlation != TMS_INDEPENDENT && spec->correlated_sets < 1)
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "correlated_sets",
                         "must be >= 1 when correlation is '%s'",
                         spec->correlation == TMS_CORRELATED ? "correlated" : "anticorrelated");
  if ((long)spec->correlated_sets * spec->set_size > spec->n_features)
    return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "correlated_sets",
                         "%d sets of %d features need %ld features, but n_features is %d", spec->correlated_sets,
                         spec->set_size, (long)spec->correlated_sets * spec->set_size, spec->n_features);
  if (spec->correlation != TMS_INDEPENDENT && spec->correlation_density == TMS_DENSITY_MEMBER) {
    if (spec->set_size != 2)
      return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "set_size",
                           "correlation_density 'member' (ARENA pairs) needs set_size 2, got %d", spec->set_size);
    if (spec->correlation == TMS_ANTICORRELATED && spec->density > 0.5)
      return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "density",
                           "anticorrelated pairs with per-member density need density <= 0.5, got %g",
                           spec->density);
  }
  if (spec->log_every > spec->steps && spec->steps > 1) {
    /* allowed: the curve then holds step 0 and the last step */
  }
  return TMS_OK;
}

void tms_spec_profile(const tms_spec *spec, float *importance, float *density) {
  int n = spec->n_features;
  for (int i = 0; i < n; i++) {
    if (importance) importance[i] = (float)pow(spec->importance_decay, (double)i);
    if (density) density[i] = (float)spec->density;
  }
  if (importance && !isnan(spec->last_importance)) importance[n - 1] = (float)spec->last_importance;
  if (density && !isnan(spec->last_density)) density[n - 1] = (float)spec->last_density;
}

/* Entries at steps 0, every, 2*every, ... and the last step steps-1: shared by the loss curve and the W history. */
static size_t every_len(long steps, long every) {
  long last = steps - 1;
  size_t len = (size_t)(last / every) + 1;
  if (last % every != 0) len++;
  return len;
}

static long every_step(long steps, long every, size_t k) {
  long step = (long)k * every;
  return step < steps - 1 ? step : steps - 1;
}

size_t tms_spec_curve_len(const tms_spec *spec) { return every_len(spec->steps, spec->log_every); }

long tms_spec_curve_step(const tms_spec *spec, size_t k) { return every_step(spec->steps, spec->log_every, k); }

size_t tms_spec_snapshot_len(const tms_spec *spec) {
  return spec->snapshot_every > 0 ? every_len(spec->steps, spec->snapshot_every) : 0;
}

long tms_spec_snapshot_step(const tms_spec *spec, size_t k) {
  return spec->snapshot_every > 0 ? every_step(spec->steps, spec->snapshot_every, k) : -1;
}

size_t tms_spec_eval_len(const tms_spec *spec) {
  return spec->eval_every > 0 ? every_len(spec->steps, spec->eval_every) : 0;
}

long tms_spec_eval_step(const tms_spec *spec, size_t k) {
  return spec->eval_every > 0 ? every_step(spec->steps, spec->eval_every, k) : -1;
}
