/* config: a sweep file (YAML, schema tms-sweep/1) -> tms_sweep, validated in full before anything runs.
 * Uses libyaml's document API, so every node keeps its mark; every message is "file:line:col: key: what".
 * Not the grid: point expansion, seeds and hashes are in grid.c; this file only calls tms_grid_validate and
 * the size estimate at the end so that a sweep that loads is a sweep that can run.
 * Invariants: every parameter value went through tms_spec_set (the registry is the one truth on types and
 * ranges); a parameter stands in exactly one of fixed / an axis / a zip group; on error nothing stays
 * allocated. libyaml does not reject duplicate keys, so every mapping is checked here. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_internal.h"
#include "config/config.h"
#include "config/grid.h"

#define SCHEMA_TAG "tms-sweep/1"

typedef struct {
  const char *path;
  yaml_document_t *doc;
  tms_error *err;
  tms_sweep *sw;
} ctx;

static const char *const top_keys[] = {"schema", "name", "seed", "fixed", "axes", "zip",
                                       "replicates", "exclude", "run", NULL};
static const char *const run_keys[] = {"max_attempts", "point_timeout_s", "progress_every_s", "stop_grace_s",
                                       "max_output_gb", "bundle", NULL};
static const char *const gen_keys[] = {"values", "linspace", "logspace", "geomspace", "range", NULL};
static const char *const space_keys[] = {"start", "stop", "num", NULL};
static const char *const range_keys[] = {"start", "stop", "step", NULL};

/* ---- errors ---- */

static int line_of(const yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }
static int col_of(const yaml_node_t *n) { return n ? (int)n->start_mark.column + 1 : 0; }

static tms_status fail(ctx *c, const yaml_node_t *at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static tms_status fail(ctx *c, const yaml_node_t *at, const char *key, const char *fmt, ...) {
  char msg[480];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return tms_error_set(c->err, TMS_ERR_CONFIG, c->path, line_of(at), col_of(at), key, "%s", msg);
}

static const char *kind_name(const yaml_node_t *n) {
  switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_SCALAR_NODE: return "a single value";
    default: return "nothing";
  }
}

static const char *scalar(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

/* ---- "did you mean" ---- */

static int edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63) return 99;
  int d[64][64];
  for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      int sub = d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
      int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
      d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
  return d[la][lb];
}

/* " (did you mean 'x'?)" or "" into buf. candidates: NULL-terminated list, or NULL for the parameter registry. */
static void suggest(const char *word, const char *const *candidates, char *buf, size_t size) {
  const char *best = NULL;
  int best_d = 99;
  int count = candidates ? 0 : tms_param_count();
  if (candidates)
    while (candidates[count]) count++;
  for (int i = 0; i < count; i++) {
    const char *cand = candidates ? candidates[i] : tms_param_at(i)->key;
    int d = edit_distance(word, cand);
    if (d < best_d) best_d = d, best = cand;
  }
  int limit = (int)strlen(word) / 3;
  if (limit < 2) limit = 2;
  if (best && best_d <= limit)
    snprintf(buf, size, " (did you mean '%s'?)", best);
  else
    buf[0] = '\0';
}

/* ---- mappings ---- */

/* Every key a word, no key twice, and (if allowed != NULL) every key in allowed. what names the mapping. */
static tms_status check_keys(ctx *c, const yaml_node_t *map, const char *const *allowed, const char *what) {
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
    if (k->type != YAML_SCALAR_NODE) return fail(c, k, what, "a key must be a word, got %s", kind_name(k));
    for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
      yaml_node_t *k0 = yaml_document_get_node(c->doc, q->key);
      if (k0->type == YAML_SCALAR_NODE && strcmp(scalar(k0), scalar(k)) == 0)
        return fail(c, k, scalar(k), "key given twice in %s (first at line %d, column %d)", what, line_of(k0),
                    col_of(k0));
    }
    if (allowed) {
      int ok = 0;
      for (int i = 0; allowed[i]; i++) ok |= strcmp(allowed[i], scalar(k)) == 0;
      if (!ok) {
        char hint[96], list[256] = "";
        suggest(scalar(k), allowed, hint, sizeof hint);
        for (int i = 0; allowed[i]; i++) {
          strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
          strncat(list, allowed[i], sizeof list - strlen(list) - 1);
        }
        if (!hint[0] && strcmp(what, "the top level") == 0 && tms_param_find(scalar(k)))
          return fail(c, k, scalar(k), "unknown key at the top level: parameters go under fixed, axes or zip");
        return fail(c, k, scalar(k), "unknown key in %s%s; allowed: %s", what, hint, list);
      }
    }
  }
  return TMS_OK;
}

static yaml_node_t *lookup(ctx *c, const yaml_node_t *map, const char *key, yaml_node_t **key_node) {
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
    if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0) {
      if (key_node) *key_node = k;
      return yaml_document_get_node(c->doc, p->value);
    }
  }
  return NULL;
}

static tms_status need_kind(ctx *c, const yaml_node_t *n, yaml_node_type_t type, const char *key, const char *hint) {
  if (n->type == type) return TMS_OK;
  const char *want = type == YAML_MAPPING_NODE ? "a mapping" : type == YAML_SEQUENCE_NODE ? "a list" : "a single value";
  return fail(c, n, key, "expected %s, got %s%s", want, kind_name(n), hint ? hint : "");
}

/* ---- scalars ---- */

static int is_null(const yaml_node_t *n) {
  if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
  const char *s = scalar(n);
  return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* A plain scalar that is a decimal number (YAML words like .inf, true or 0x10 are not numbers here). */
static int as_number(const yaml_node_t *n, double *out) {
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
  const char *s = scalar(n), *p = s;
  if (*p == '+' || *p == '-') p++;
  if (!(isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1])))) return 0;
  if (strpbrk(s, "xXnN_")) return 0;
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end) return 0;
  *out = v;
  return 1;
}

/* A parameter value: number or word, not yet range-checked. */
static tms_status parse_value(ctx *c, const yaml_node_t *n, const char *key, tms_value *v) {
  memset(v, 0, sizeof *v);
  if (n->type != YAML_SCALAR_NODE) return fail(c, n, key, "expected a single value, got %s", kind_name(n));
  if (is_null(n)) return fail(c, n, key, "has no value");
  if (as_number(n, &v->num)) return TMS_OK;
  if (strlen(scalar(n)) >= sizeof v->str) return fail(c, n, key, "the word '%.40s...' is too long", scalar(n));
  v->is_string = 1;
  snprintf(v->str, sizeof v->str, "%s", scalar(n));
  return TMS_OK;
}

/* Type and range check by the registry; the message gains file:line:col of node. */
static tms_status check_param(ctx *c, const yaml_node_t *n, const char *key, const tms_value *v, const char *extra) {
  tms_spec scratch;
  tms_error e;
  tms_spec_defaults(&scratch);
  if (tms_spec_set(&scratch, key, v, &e) == TMS_OK) return TMS_OK;
  const tms_param_info *info = tms_param_find(key);
  char *end;
  int quoted_number = v->is_string && info && info->kind != TMS_PARAM_ENUM && v->str[0] &&
                      (strtod(v->str, &end), *end == '\0') && n->type == YAML_SCALAR_NODE &&
                      n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
  return fail(c, n, key, "%s%s%s", e.msg, extra ? extra : "", quoted_number ? " (write numbers without quotes)" : "");
}

static tms_status parse_number(ctx *c, const yaml_node_t *n, const char *key, double *out) {
  if (n->type != YAML_SCALAR_NODE) return fail(c, n, key, "expected a number, got %s", kind_name(n));
  if (is_null(n)) return fail(c, n, key, "has no value");
  if (!as_number(n, out)) return fail(c, n, key, "expected a number, got '%s'", scalar(n));
  if (!isfinite(*out)) return fail(c, n, key, "value %s is not a finite number", scalar(n));
  return TMS_OK;
}

static tms_status parse_int(ctx *c, const yaml_node_t *n, const char *key, long lo, long hi, long *out) {
  double v;
  tms_status s = parse_number(c, n, key, &v);
  if (s) return s;
  if (v != floor(v)) return fail(c, n, key, "expected an integer, got %s", scalar(n));
  if (v < (double)lo || v > (double)hi) return fail(c, n, key, "value %s is outside the allowed range [%ld, %ld]", scalar(n), lo, hi);
  *out = (long)v;
  return TMS_OK;
}

static tms_status parse_word(ctx *c, const yaml_node_t *n, const char *key, char *out, size_t size) {
  if (n->type != YAML_SCALAR_NODE) return fail(c, n, key, "expected a single value, got %s", kind_name(n));
  if (is_null(n) || !*scalar(n)) return fail(c, n, key, "has no value");
  if (strlen(scalar(n)) >= size) return fail(c, n, key, "is longer than %zu characters", size - 1);
  snprintf(out, size, "%s", scalar(n));
  return TMS_OK;
}

/* ---- where each parameter stands (to refuse it standing in two places) ---- */

typedef struct {
  const char *key;
  const char *place; /* "fixed", "axis", "zip group 'size'" */
  int line, col;
} placed;

typedef struct {
  placed items[256];
  int count;
  char zip_names[TMS_GRID_MAX_DIMS][48];
} placement;

static tms_status place_param(ctx *c, placement *pl, const yaml_node_t *key_node, const char *place) {
  const char *key = scalar(key_node);
  for (int i = 0; i < pl->count; i++) {
    const placed *q = &pl->items[i];
    if (strcmp(q->key, key) == 0)
      return fail(c, key_node, key,
                  "already given in %s (line %d, column %d); a parameter may stand in only one of fixed, an axis "
                  "or a zip group",
                  q->place, q->line, q->col);
    int dens = (strcmp(key, "density") == 0 && strcmp(q->key, "sparsity") == 0) ||
               (strcmp(key, "sparsity") == 0 && strcmp(q->key, "density") == 0);
    if (dens)
      return fail(c, key_node, key, "give either density or sparsity, not both (%s is in %s at line %d)", q->key,
                  q->place, q->line);
  }
  if (pl->count >= (int)(sizeof pl->items / sizeof pl->items[0]))
    return fail(c, key_node, key, "too many parameters");
  pl->items[pl->count++] = (placed){key, place, line_of(key_node), col_of(key_node)};
  return TMS_OK;
}

/* ---- generators ---- */

static int count_pairs(const yaml_node_t *map) {
  return (int)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

/* Snaps generated values of integer parameters that are integers up to rounding (geomspace 1..1000 -> 100). */
static void snap_ints(const char *key, double *v, int n) {
  const tms_param_info *info = tms_param_find(key);
  if (!info || info->kind != TMS_PARAM_INT) return;
  for (int i = 0; i < n; i++) {
    double r = round(v[i]);
    if (fabs(v[i] - r) <= 1e-9 * fmax(1.0, fabs(r))) v[i] = r;
  }
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Index of the first value that duplicates an earlier one, or -1; *first gets the earlier index. */
static int find_duplicate(const tms_value *v, int n, int *first) {
  if (n <= 4096) {
    for (int i = 1; i < n; i++)
      for (int j = 0; j < i; j++)
        if (tms_config_value_equal(&v[i], &v[j])) {
          *first = j;
          return i;
        }
    return -1;
  }
  /* long generated lists are numeric: sort a copy and compare neighbours */
  double *s = malloc((size_t)n * sizeof *s);
  if (!s) return -1;
  for (int i = 0; i < n; i++) s[i] = v[i].num;
  qsort(s, (size_t)n, sizeof *s, cmp_double);
  int dup = -1;
  for (int i = 1; i < n && dup < 0; i++) {
    tms_value a = {0}, b = {0};
    a.num = s[i - 1];
    b.num = s[i];
    if (tms_config_value_equal(&a, &b)) {
      for (int k = 0; k < n && dup < 0; k++)
        if (v[k].num == s[i]) dup = k;
    }
  }
  free(s);
  *first = -1;
  return dup;
}

/* The generator mapping of one axis (or zip member) key -> p->values / p->count. unique: refuse repeated
 * values (a plain axis); a zip member may repeat values, its group's rows must differ instead. */
static tms_status parse_generator(ctx *c, const yaml_node_t *key_node, const yaml_node_t *gen, tms_sweep_param *p,
                                  int unique) {
  const char *key = scalar(key_node);
  tms_status s;
  if (gen->type != YAML_MAPPING_NODE)
    return fail(c, gen, key,
                "expected a generator mapping such as {values: [1, 2]} or {linspace: {start: 0, stop: 1, num: 5}}, "
                "got %s",
                kind_name(gen));
  if ((s = check_keys(c, gen, gen_keys, "a generator"))) return s;
  int np = count_pairs(gen);
  if (np == 0) return fail(c, gen, key, "has no generator; give exactly one of values, linspace, logspace, geomspace, range");
  if (np > 1) {
    yaml_node_t *k0 = yaml_document_get_node(c->doc, gen->data.mapping.pairs.start[0].key);
    yaml_node_t *k1 = yaml_document_get_node(c->doc, gen->data.mapping.pairs.start[1].key);
    return fail(c, k1, key, "has two generators (%s and %s); give exactly one", scalar(k0), scalar(k1));
  }
  yaml_node_t *gk = yaml_document_get_node(c->doc, gen->data.mapping.pairs.start[0].key);
  yaml_node_t *gv = yaml_document_get_node(c->doc, gen->data.mapping.pairs.start[0].value);
  const char *g = scalar(gk);

  if (strcmp(g, "values") == 0) {
    if ((s = need_kind(c, gv, YAML_SEQUENCE_NODE, key, " after values:"))) return s;
    int n = (int)(gv->data.sequence.items.top - gv->data.sequence.items.start);
    if (n == 0) return fail(c, gv, key, "empty axis: values has no values");
    if (n > TMS_AXIS_MAX_VALUES) return fail(c, gv, key, "more than %d values", TMS_AXIS_MAX_VALUES);
    p->values = calloc((size_t)n, sizeof *p->values);
    if (!p->values) return fail(c, gv, key, "out of memory");
    for (int i = 0; i < n; i++) {
      yaml_node_t *item = yaml_document_get_node(c->doc, gv->data.sequence.items.start[i]);
      if ((s = parse_value(c, item, key, &p->values[i]))) return s;
      if ((s = check_param(c, item, key, &p->values[i], NULL))) return s;
      p->count = i + 1;
      for (int j = 0; j < i && unique; j++)
        if (tms_config_value_equal(&p->values[i], &p->values[j])) {
          char t[48];
          tms_config_value_text(&p->values[i], t, sizeof t);
          return fail(c, item, key, "duplicate value %s (already value #%d of this axis)", t, j + 1);
        }
    }
    return TMS_OK;
  }

  tms_gen_kind kind = strcmp(g, "linspace") == 0    ? TMS_GEN_LINSPACE
                      : strcmp(g, "logspace") == 0  ? TMS_GEN_LOGSPACE
                      : strcmp(g, "geomspace") == 0 ? TMS_GEN_GEOMSPACE
                                                    : TMS_GEN_RANGE;
  const char *const *fields = kind == TMS_GEN_RANGE ? range_keys : space_keys;
  char what[64];
  snprintf(what, sizeof what, "%s", g);
  if ((s = need_kind(c, gv, YAML_MAPPING_NODE, key, kind == TMS_GEN_RANGE ? " ({start, stop, step})" : " ({start, stop, num})")))
    return s;
  if ((s = check_keys(c, gv, fields, what))) return s;
  double abc[3];
  for (int i = 0; i < 3; i++) {
    yaml_node_t *fk;
    yaml_node_t *fv = lookup(c, gv, fields[i], &fk);
    if (!fv) return fail(c, gv, key, "%s needs %s (it has start, stop and %s)", g, fields[i], fields[2]);
    if ((s = parse_number(c, fv, fields[i], &abc[i]))) return s;
  }
  if (kind != TMS_GEN_RANGE && abc[2] < 1) {
    yaml_node_t *fv = lookup(c, gv, "num", NULL);
    return fail(c, fv, key, "empty axis: num must be >= 1, got %g", abc[2]);
  }
  double *vals;
  int n;
  char why[256];
  if (tms_config_generate(kind, abc[0], abc[1], abc[2], &vals, &n, why, sizeof why))
    return fail(c, gv, key, "%s: %s", g, why);
  snap_ints(key, vals, n);
  p->values = calloc((size_t)n, sizeof *p->values);
  if (!p->values) {
    free(vals);
    return fail(c, gv, key, "out of memory");
  }
  for (int i = 0; i < n; i++) p->values[i].num = vals[i];
  p->count = n;
  free(vals);
  for (int i = 0; i < n; i++) {
    char extra[64];
    snprintf(extra, sizeof extra, " (value #%d of %s)", i + 1, g);
    if ((s = check_param(c, gv, key, &p->values[i], extra))) return s;
  }
  int first, dup = unique ? find_duplicate(p->values, n, &first) : -1;
  if (dup >= 0)
    return fail(c, gv, key, "%s gives duplicate values (value #%d is %.17g%s)", g, dup + 1, p->values[dup].num,
                first >= 0 ? ", equal to an earlier one" : "");
  return TMS_OK;
}

/* ---- sections ---- */

static tms_status parse_fixed(ctx *c, const yaml_node_t *map, placement *pl) {
  tms_status s;
  if ((s = need_kind(c, map, YAML_MAPPING_NODE, "fixed", NULL))) return s;
  if ((s = check_keys(c, map, NULL, "fixed"))) return s;
  int n = count_pairs(map);
  c->sw->fixed = calloc((size_t)(n ? n : 1), sizeof *c->sw->fixed);
  if (!c->sw->fixed) return fail(c, map, "fixed", "out of memory");
  for (int i = 0; i < n; i++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, map->data.mapping.pairs.start[i].key);
    yaml_node_t *v = yaml_document_get_node(c->doc, map->data.mapping.pairs.start[i].value);
    const char *key = scalar(k);
    if (!tms_param_find(key)) {
      char hint[96];
      suggest(key, NULL, hint, sizeof hint);
      return fail(c, k, key, "unknown parameter in fixed%s", hint);
    }
    if ((s = place_param(c, pl, k, "fixed"))) return s;
    if (v->type != YAML_SCALAR_NODE)
      return fail(c, v, key, "expected a single value in fixed, got %s%s", kind_name(v),
                  v->type == YAML_SEQUENCE_NODE ? "; to sweep it, give it under axes with {values: [...]}" : "");
    tms_sweep_param *p = &c->sw->fixed[c->sw->n_fixed];
    snprintf(p->key, sizeof p->key, "%s", key);
    p->line = line_of(k);
    p->col = col_of(k);
    p->values = calloc(1, sizeof *p->values);
    if (!p->values) return fail(c, v, key, "out of memory");
    p->count = 1;
    c->sw->n_fixed++;
    if ((s = parse_value(c, v, key, &p->values[0]))) return s;
    if ((s = check_param(c, v, key, &p->values[0], NULL))) return s;
  }
  return TMS_OK;
}

static tms_status new_dim(ctx *c, const yaml_node_t *at, tms_axis **out) {
  tms_sweep *sw = c->sw;
  if (sw->n_axes >= TMS_GRID_MAX_DIMS) return fail(c, at, scalar(at), "more than %d axes and zip groups", TMS_GRID_MAX_DIMS);
  tms_axis *a = realloc(sw->axes, (size_t)(sw->n_axes + 1) * sizeof *a);
  if (!a) return fail(c, at, scalar(at), "out of memory");
  sw->axes = a;
  memset(&a[sw->n_axes], 0, sizeof *a);
  *out = &a[sw->n_axes++];
  return TMS_OK;
}

static tms_status parse_axes(ctx *c, const yaml_node_t *map, placement *pl) {
  tms_status s;
  if ((s = need_kind(c, map, YAML_MAPPING_NODE, "axes", NULL))) return s;
  if ((s = check_keys(c, map, NULL, "axes"))) return s;
  for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
    yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
    const char *key = scalar(k);
    if (!tms_param_find(key)) {
      char hint[96];
      suggest(key, NULL, hint, sizeof hint);
      return fail(c, k, key, "unknown parameter in axes%s", hint);
    }
    if ((s = place_param(c, pl, k, "an axis"))) return s;
    tms_axis *a;
    if ((s = new_dim(c, k, &a))) return s;
    snprintf(a->name, sizeof a->name, "%s", key);
    a->line = line_of(k);
    a->col = col_of(k);
    a->params = calloc(1, sizeof *a->params);
    if (!a->params) return fail(c, k, key, "out of memory");
    a->n_params = 1;
    tms_sweep_param *p = &a->params[0];
    snprintf(p->key, sizeof p->key, "%s", key);
    p->line = a->line;
    p->col = a->col;
    if ((s = parse_generator(c, k, v, p, 1))) return s;
    a->size = p->count;
  }
  return TMS_OK;
}

static int rows_equal(const tms_axis *a, int i, int j) {
  for (int m = 0; m < a->n_params; m++)
    if (!tms_config_value_equal(&a->params[m].values[i], &a->params[m].values[j])) return 0;
  return 1;
}

/* Two identical rows of a zip group (the same point twice); long groups are checked on exact bits only. */
static int zip_duplicate_row(const tms_axis *a, int *r1, int *r2) {
  int n = a->size;
  if (n <= 4096) {
    for (int i = 1; i < n; i++)
      for (int j = 0; j < i; j++)
        if (rows_equal(a, i, j)) return *r1 = j, *r2 = i, 1;
    return 0;
  }
  uint64_t *h = malloc((size_t)n * sizeof *h);
  if (!h) return 0;
  for (int i = 0; i < n; i++) {
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int m = 0; m < a->n_params; m++) {
      const tms_value *v = &a->params[m].values[i];
      uint64_t bits = 0;
      if (v->is_string)
        for (const char *q = v->str; *q; q++) bits = bits * 131 + (unsigned char)*q;
      else
        memcpy(&bits, &v->num, sizeof bits);
      x = (x ^ bits) * 0x100000001B3ULL;
      x ^= x >> 29;
    }
    h[i] = x;
  }
  uint64_t *sorted = malloc((size_t)n * sizeof *sorted);
  int found = 0;
  if (sorted) {
    memcpy(sorted, h, (size_t)n * sizeof *h);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_u64);
    for (int k = 1; k < n && !found; k++)
      if (sorted[k] == sorted[k - 1]) { /* a candidate: find the two rows and compare them for real */
        for (int i = 0; i < n && !found; i++)
          for (int j = i + 1; j < n && !found && h[i] == sorted[k]; j++)
            if (h[j] == sorted[k] && rows_equal(a, i, j)) *r1 = i, *r2 = j, found = 1;
      }
  }
  free(sorted);
  free(h);
  return found;
}

static tms_status parse_zip(ctx *c, const yaml_node_t *map, placement *pl) {
  tms_status s;
  if ((s = need_kind(c, map, YAML_MAPPING_NODE, "zip", NULL))) return s;
  if ((s = check_keys(c, map, NULL, "zip"))) return s;
  for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
    yaml_node_t *gk = yaml_document_get_node(c->doc, pr->key);
    yaml_node_t *gv = yaml_document_get_node(c->doc, pr->value);
    const char *group = scalar(gk);
    if (strlen(group) >= sizeof ((tms_axis *)0)->name || !*group)
      return fail(c, gk, group, "a zip group name must have 1 to %zu characters", sizeof ((tms_axis *)0)->name - 1);
    if (tms_param_find(group) || strcmp(group, "replicate") == 0)
      return fail(c, gk, group, "'%s' cannot name a zip group (it is a parameter or the replicate dimension); pick another name", group);
    for (int i = 0; i < c->sw->n_axes; i++)
      if (strcmp(c->sw->axes[i].name, group) == 0) return fail(c, gk, group, "a dimension of this name already exists");
    if ((s = need_kind(c, gv, YAML_MAPPING_NODE, group, " (zip group: key -> generator)"))) return s;
    if ((s = check_keys(c, gv, NULL, "a zip group"))) return s;
    int n = count_pairs(gv);
    if (n == 0) return fail(c, gv, group, "zip group has no members");
    tms_axis *a;
    if ((s = new_dim(c, gk, &a))) return s;
    snprintf(a->name, sizeof a->name, "%s", group);
    a->is_zip = 1;
    a->line = line_of(gk);
    a->col = col_of(gk);
    a->params = calloc((size_t)n, sizeof *a->params);
    if (!a->params) return fail(c, gk, group, "out of memory");
    int zi = c->sw->n_axes - 1;
    snprintf(pl->zip_names[zi], sizeof pl->zip_names[zi], "zip group '%.24s'", group);
    for (int i = 0; i < n; i++) {
      yaml_node_t *k = yaml_document_get_node(c->doc, gv->data.mapping.pairs.start[i].key);
      yaml_node_t *v = yaml_document_get_node(c->doc, gv->data.mapping.pairs.start[i].value);
      const char *key = scalar(k);
      if (!tms_param_find(key)) {
        char hint[96];
        suggest(key, NULL, hint, sizeof hint);
        return fail(c, k, key, "unknown parameter in zip group '%s'%s", group, hint);
      }
      if ((s = place_param(c, pl, k, pl->zip_names[zi]))) return s;
      tms_sweep_param *p = &a->params[i];
      snprintf(p->key, sizeof p->key, "%s", key);
      p->line = line_of(k);
      p->col = col_of(k);
      a->n_params = i + 1;
      if ((s = parse_generator(c, k, v, p, 0))) return s;
      if (i > 0 && p->count != a->params[0].count)
        return fail(c, k, key, "zip members must have equal length: %s has %d values but %s has %d", key, p->count,
                    a->params[0].key, a->params[0].count);
    }
    a->size = a->params[0].count;
    int r1, r2;
    if (zip_duplicate_row(a, &r1, &r2))
      return fail(c, gk, group, "rows #%d and #%d of the zip group are identical (every member has the same value); "
                  "each row must differ in at least one member", r1 + 1, r2 + 1);
  }
  return TMS_OK;
}

static tms_status parse_run(ctx *c, const yaml_node_t *map) {
  tms_status s;
  if ((s = need_kind(c, map, YAML_MAPPING_NODE, "run", NULL))) return s;
  if ((s = check_keys(c, map, run_keys, "run"))) return s;
  tms_run_settings *r = &c->sw->run;
  for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
    yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
    const char *key = scalar(k);
    long iv;
    double dv;
    if (strcmp(key, "max_attempts") == 0) {
      if ((s = parse_int(c, v, key, 1, 1000, &iv))) return s;
      r->max_attempts = (int)iv;
    } else if (strcmp(key, "bundle") == 0) {
      if ((s = parse_int(c, v, key, 0, 1000000, &iv))) return s;
      r->bundle = (int)iv;
    } else {
      if ((s = parse_number(c, v, key, &dv))) return s;
      int positive = strcmp(key, "progress_every_s") == 0 || strcmp(key, "max_output_gb") == 0;
      if (positive ? !(dv > 0) : !(dv >= 0))
        return fail(c, v, key, "value %s must be %s", scalar(v), positive ? "> 0" : ">= 0");
      if (strcmp(key, "point_timeout_s") == 0) r->point_timeout_s = dv;
      else if (strcmp(key, "progress_every_s") == 0) r->progress_every_s = dv;
      else if (strcmp(key, "stop_grace_s") == 0) r->stop_grace_s = dv;
      else r->max_output_gb = dv;
    }
  }
  return TMS_OK;
}

/* The dimension parameter named key, or NULL. */
static const tms_sweep_param *swept(const tms_sweep *sw, const char *key) {
  for (int d = 0; d < sw->n_axes; d++)
    for (int j = 0; j < sw->axes[d].n_params; j++)
      if (strcmp(sw->axes[d].params[j].key, key) == 0) return &sw->axes[d].params[j];
  return NULL;
}

static tms_status parse_exclude(ctx *c, const yaml_node_t *seq) {
  tms_status s;
  tms_sweep *sw = c->sw;
  if ((s = need_kind(c, seq, YAML_SEQUENCE_NODE, "exclude", " (a list of {key: value} patterns)"))) return s;
  int n = (int)(seq->data.sequence.items.top - seq->data.sequence.items.start);
  sw->excludes = calloc((size_t)(n ? n : 1), sizeof *sw->excludes);
  if (!sw->excludes) return fail(c, seq, "exclude", "out of memory");
  for (int i = 0; i < n; i++) {
    yaml_node_t *m = yaml_document_get_node(c->doc, seq->data.sequence.items.start[i]);
    if ((s = need_kind(c, m, YAML_MAPPING_NODE, "exclude", " (each pattern is a mapping {axis key: value})"))) return s;
    if ((s = check_keys(c, m, NULL, "an exclude pattern"))) return s;
    int nc = count_pairs(m);
    if (nc == 0) return fail(c, m, "exclude", "an empty pattern would exclude every point");
    tms_exclude *ex = &sw->excludes[sw->n_excludes++];
    ex->line = line_of(m);
    ex->col = col_of(m);
    ex->conds = calloc((size_t)nc, sizeof *ex->conds);
    if (!ex->conds) return fail(c, m, "exclude", "out of memory");
    for (int j = 0; j < nc; j++) {
      yaml_node_t *k = yaml_document_get_node(c->doc, m->data.mapping.pairs.start[j].key);
      yaml_node_t *v = yaml_document_get_node(c->doc, m->data.mapping.pairs.start[j].value);
      const char *key = scalar(k);
      const tms_sweep_param *axis = swept(sw, key);
      if (!axis) {
        for (int f = 0; f < sw->n_fixed; f++)
          if (strcmp(sw->fixed[f].key, key) == 0)
            return fail(c, k, key, "exclude names a fixed parameter; exclude patterns may only name axis keys");
        char hint[96] = "";
        if (tms_param_find(key))
          return fail(c, k, key, "exclude names a key that is not an axis");
        suggest(key, NULL, hint, sizeof hint);
        return fail(c, k, key, "exclude names an unknown key%s", hint);
      }
      tms_sweep_param *cond = &ex->conds[j];
      snprintf(cond->key, sizeof cond->key, "%s", key);
      cond->line = line_of(k);
      cond->col = col_of(k);
      cond->values = calloc(1, sizeof *cond->values);
      if (!cond->values) return fail(c, k, key, "out of memory");
      cond->count = 1;
      ex->n_conds = j + 1;
      if ((s = parse_value(c, v, key, &cond->values[0]))) return s;
      int found = 0;
      for (int a = 0; a < axis->count && !found; a++) found = tms_config_value_equal(&axis->values[a], &cond->values[0]);
      if (!found) {
        char t[48], list[200] = "";
        tms_config_value_text(&cond->values[0], t, sizeof t);
        for (int a = 0; a < axis->count && a < 6; a++) {
          char u[48];
          tms_config_value_text(&axis->values[a], u, sizeof u);
          strncat(list, a ? ", " : "", sizeof list - strlen(list) - 1);
          strncat(list, u, sizeof list - strlen(list) - 1);
        }
        if (axis->count > 6) strncat(list, ", ...", sizeof list - strlen(list) - 1);
        return fail(c, v, key, "exclude value %s is not on the axis (its values: %s)", t, list);
      }
    }
  }
  return TMS_OK;
}

/* ---- the whole file ---- */

static tms_status yaml_error(ctx *c, yaml_parser_t *parser, const char *text, size_t len) {
  size_t line = parser->problem_mark.line, col = parser->problem_mark.column;
  if (parser->error == YAML_READER_ERROR) { /* the reader reports a byte offset, not a mark */
    line = 0, col = 0;
    for (size_t i = 0; i < parser->problem_offset && i < len; i++) {
      if (text[i] == '\n') line++, col = 0;
      else col++;
    }
  }
  char msg[400];
  if (parser->context)
    snprintf(msg, sizeof msg, "not valid YAML: %s (%s at line %zu, column %zu)", parser->problem ? parser->problem : "syntax error",
             parser->context, parser->context_mark.line + 1, parser->context_mark.column + 1);
  else
    snprintf(msg, sizeof msg, "not valid YAML: %s", parser->problem ? parser->problem : "syntax error");
  return tms_error_set(c->err, TMS_ERR_PARSE, c->path, (int)line + 1, (int)col + 1, NULL, "%s", msg);
}

/* The results file would pass run.max_output_gb: name the size, the points and the limit, at the limit's key. */
static tms_status size_fail(ctx *c, yaml_node_t *root, double bytes, double points) {
  yaml_node_t *run = lookup(c, root, "run", NULL), *lim_key = NULL;
  if (run && run->type == YAML_MAPPING_NODE) lookup(c, run, "max_output_gb", &lim_key);
  const yaml_node_t *at = lim_key ? lim_key : run ? run : root;
  return fail(c, at, "max_output_gb",
              "the results file would be about %.3g GB (%.4g points), above the limit of %g GB; shrink the grid or "
              "raise the limit with run: {max_output_gb: %.0f}",
              bytes / 1e9, points, c->sw->run.max_output_gb, ceil(bytes / 1e9 * 1.1));
}

static tms_status parse_document(ctx *c, placement *pl) {
  tms_sweep *sw = c->sw;
  tms_status s;
  yaml_node_t *root = yaml_document_get_root_node(c->doc);
  if (!root)
    return tms_error_set(c->err, TMS_ERR_CONFIG, c->path, 1, 1, NULL,
                         "the file holds no YAML document (it is empty); expected a mapping with schema: %s, name, "
                         "seed, fixed, axes, ...",
                         SCHEMA_TAG);
  if (root->type != YAML_MAPPING_NODE)
    return fail(c, root, NULL, "a sweep file must be a mapping (schema: %s, name: ..., ...), got %s", SCHEMA_TAG,
                kind_name(root));
  if ((s = check_keys(c, root, top_keys, "the top level"))) return s;

  /* schema first: a file of another schema gets that message, not a list of unknown keys */
  yaml_node_t *schema_key, *schema = lookup(c, root, "schema", &schema_key);
  if (!schema)
    return fail(c, root, "schema", "missing (required): a sweep file starts with schema: %s", SCHEMA_TAG);
  if ((s = parse_word(c, schema, "schema", sw->schema, sizeof sw->schema))) {
    if (schema->type == YAML_SCALAR_NODE && strlen(scalar(schema)) >= sizeof sw->schema)
      return fail(c, schema, "schema", "'%.40s' is not a supported schema; expected %s", scalar(schema), SCHEMA_TAG);
    return s;
  }
  if (strcmp(sw->schema, SCHEMA_TAG) != 0)
    return fail(c, schema, "schema", "'%s' is not a supported schema; expected %s", sw->schema, SCHEMA_TAG);

  const yaml_node_t *exclude = NULL;
  for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
    yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
    const char *key = scalar(k);
    if (strcmp(key, "name") == 0) {
      if ((s = parse_word(c, v, key, sw->name, sizeof sw->name))) return s;
    } else if (strcmp(key, "seed") == 0) {
      const char *t = v->type == YAML_SCALAR_NODE ? scalar(v) : "";
      int digits = v->type == YAML_SCALAR_NODE && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && *t;
      for (const char *q = t; *q && digits; q++) digits = isdigit((unsigned char)*q);
      errno = 0;
      unsigned long long seed = digits ? strtoull(t, NULL, 10) : 0;
      if (v->type == YAML_SCALAR_NODE && v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return fail(c, v, key, "expected an unsigned 64-bit integer, got the quoted string '%s' (write numbers without quotes)", t);
      if (!digits || errno == ERANGE)
        return fail(c, v, key, "expected an unsigned 64-bit integer, got %s%s%s", v->type == YAML_SCALAR_NODE ? "'" : "",
                    v->type == YAML_SCALAR_NODE ? t : kind_name(v), v->type == YAML_SCALAR_NODE ? "'" : "");
      sw->seed = (uint64_t)seed;
    } else if (strcmp(key, "fixed") == 0) {
      if ((s = parse_fixed(c, v, pl))) return s;
    } else if (strcmp(key, "axes") == 0) {
      if ((s = parse_axes(c, v, pl))) return s;
    } else if (strcmp(key, "zip") == 0) {
      if ((s = parse_zip(c, v, pl))) return s;
    } else if (strcmp(key, "replicates") == 0) {
      long r;
      if ((s = parse_int(c, v, key, 1, TMS_REPLICATES_MAX, &r))) return s;
      sw->replicates = (int)r;
    } else if (strcmp(key, "exclude") == 0) {
      exclude = v; /* needs every axis, which may come later in the file */
    } else if (strcmp(key, "run") == 0) {
      if ((s = parse_run(c, v))) return s;
    }
  }
  if (!lookup(c, root, "name", NULL)) return fail(c, root, "name", "missing (required): give the sweep a name");
  if (!lookup(c, root, "seed", NULL)) return fail(c, root, "seed", "missing (required): give a master seed (an unsigned integer)");

  /* required parameters must stand somewhere */
  const char *required[][2] = {{"n_features", NULL}, {"n_hidden", NULL}, {"density", "sparsity"}};
  for (int i = 0; i < 3; i++) {
    int found = 0;
    for (int j = 0; j < pl->count; j++)
      found |= strcmp(pl->items[j].key, required[i][0]) == 0 ||
               (required[i][1] && strcmp(pl->items[j].key, required[i][1]) == 0);
    if (!found)
      return fail(c, root, required[i][0], "missing (required): give %s%s%s in fixed, an axis or a zip group",
                  required[i][0], required[i][1] ? " or " : "", required[i][1] ? required[i][1] : "");
  }
  if (exclude && (s = parse_exclude(c, exclude))) return s;

  /* Limits first, from the axes alone (grid_limits.c): a huge grid is refused before validation visits it. */
  double points = tms_grid_points(sw);
  double quick = tms_grid_output_bytes_quick(sw); /* exact without exclusions, else an upper bound */
  if (points > TMS_GRID_MAX_POINTS)
    return fail(c, root, NULL, "the grid has %.4g points (a results file of about %.3g GB), more than the limit of "
                "%.0e points", points, quick / 1e9, TMS_GRID_MAX_POINTS);
  if (quick > sw->run.max_output_gb * 1e9 && (sw->n_excludes == 0 || points > 1e7))
    return size_fail(c, root, quick, points);

  if (tms_config_grid_prepare(sw)) return tms_error_set(c->err, TMS_ERR_NOMEM, c->path, 0, 0, NULL, NULL);
  if ((s = tms_grid_validate(sw, c->err))) return s;

  double bytes = tms_grid_output_bytes(sw);
  if (bytes > sw->run.max_output_gb * 1e9) return size_fail(c, root, bytes, points);
  return TMS_OK;
}

tms_status tms_sweep_parse(tms_sweep *sweep, const char *text, size_t len, const char *path, tms_error *err) {
  memset(sweep, 0, sizeof *sweep);
  if (!path) path = "<sweep>";
  snprintf(sweep->path, sizeof sweep->path, "%s", path);
  sweep->replicates = 1;
  sweep->run = (tms_run_settings){.max_attempts = 2, .point_timeout_s = 0, .progress_every_s = 10,
                                  .stop_grace_s = 30, .max_output_gb = 50, .bundle = 0};
  sweep->text = malloc(len + 1);
  if (!sweep->text) return tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, NULL);
  memcpy(sweep->text, text, len);
  sweep->text[len] = '\0';
  sweep->text_len = len;

  yaml_parser_t parser;
  yaml_document_t doc;
  if (!yaml_parser_initialize(&parser)) {
    tms_sweep_free(sweep);
    return tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, "cannot initialise the YAML parser");
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)sweep->text, len);
  ctx c = {path, &doc, err, sweep};
  tms_status s;
  if (!yaml_parser_load(&parser, &doc)) {
    s = yaml_error(&c, &parser, text, len);
    yaml_parser_delete(&parser);
    tms_sweep_free(sweep);
    return s;
  }
  placement *pl = calloc(1, sizeof *pl);
  if (!pl) {
    s = tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, NULL);
  } else {
    s = parse_document(&c, pl);
  }
  /* a second document in the stream is almost certainly a mistake (two sweeps pasted into one file) */
  if (s == TMS_OK) {
    yaml_document_t doc2;
    if (!yaml_parser_load(&parser, &doc2)) {
      s = yaml_error(&c, &parser, text, len);
    } else {
      yaml_node_t *r2 = yaml_document_get_root_node(&doc2);
      if (r2)
        s = tms_error_set(err, TMS_ERR_CONFIG, path, line_of(r2), col_of(r2), NULL,
                          "a second YAML document ('---'); a sweep file holds exactly one sweep");
      yaml_document_delete(&doc2);
    }
  }
  free(pl);
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  if (s != TMS_OK) tms_sweep_free(sweep);
  return s;
}

tms_status tms_sweep_load(tms_sweep *sweep, const char *path, tms_error *err) {
  memset(sweep, 0, sizeof *sweep);
  FILE *f = fopen(path, "rb");
  if (!f) return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot open the sweep file: %s", strerror(errno));
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (len < cap) break;
    if (cap >= ((size_t)64 << 20)) { /* a sweep file is a few kilobytes; refuse to slurp a data file */
      free(buf);
      fclose(f);
      return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "file is larger than 64 MB; not a sweep file");
    }
    char *b2 = realloc(buf, cap * 2);
    if (!b2) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = b2;
    cap *= 2;
  }
  int read_error = ferror(f);
  fclose(f);
  if (!buf) return tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, NULL);
  if (read_error) {
    free(buf);
    return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot read the sweep file (is it a directory?)");
  }
  tms_status s = tms_sweep_parse(sweep, buf, len, path, err);
  free(buf);
  return s;
}

static void free_param(tms_sweep_param *p) {
  free(p->values);
  p->values = NULL;
  p->count = 0;
}

void tms_sweep_free(tms_sweep *sweep) {
  if (!sweep) return;
  for (int i = 0; i < sweep->n_fixed; i++) free_param(&sweep->fixed[i]);
  free(sweep->fixed);
  for (int d = 0; d < sweep->n_axes; d++) {
    /* a zip group that failed half-way has params allocated beyond n_params with NULL values */
    for (int j = 0; j < sweep->axes[d].n_params; j++) free_param(&sweep->axes[d].params[j]);
    free(sweep->axes[d].params);
  }
  free(sweep->axes);
  for (int e = 0; e < sweep->n_excludes; e++) {
    for (int j = 0; j < sweep->excludes[e].n_conds; j++) free_param(&sweep->excludes[e].conds[j]);
    free(sweep->excludes[e].conds);
  }
  free(sweep->excludes);
  tms_config_grid_release(sweep);
  free(sweep->text);
  memset(sweep, 0, sizeof *sweep);
}

/* ---- shared helpers (config_internal.h) ---- */

int tms_config_value_equal(const tms_value *a, const tms_value *b) {
  if (a->is_string || b->is_string) return a->is_string && b->is_string && strcmp(a->str, b->str) == 0;
  double scale = fmax(fabs(a->num), fabs(b->num));
  return fabs(a->num - b->num) <= 1e-9 * scale;
}

void tms_config_value_text(const tms_value *v, char *buf, size_t size) {
  if (v->is_string)
    snprintf(buf, size, "%s", v->str);
  else
    snprintf(buf, size, "%.10g", v->num);
}

int tms_config_where(const tms_sweep *sw, const char *key, int *line, int *col) {
  for (int i = 0; i < sw->n_fixed; i++)
    if (strcmp(sw->fixed[i].key, key) == 0) {
      *line = sw->fixed[i].line, *col = sw->fixed[i].col;
      return 1;
    }
  const tms_sweep_param *p = swept(sw, key);
  if (p) {
    *line = p->line, *col = p->col;
    return 1;
  }
  return 0;
}
