/* values: where each parameter stands and what its values are: the fixed section (one value each) and the
 * generator mappings of axes and zip members ({values: [...]}, linspace, logspace, geomspace, range).
 * Invariants: a parameter stands in exactly one of fixed / an axis / a zip group (density and sparsity count as
 * one); every value went through the registry (tms_spec_set); a plain axis holds no value twice. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "parse_internal.h"

static const char *const gen_keys[] = {"values", "linspace", "logspace", "geomspace", "range", NULL};
static const char *const space_keys[] = {"start", "stop", "num", NULL};
static const char *const range_keys[] = {"start", "stop", "step", NULL};

tms_status tms_config_place(tms_yaml_ctx *c, tms_placement *pl, const yaml_node_t *key_node, const char *place) {
  const char *key = scalar(key_node);
  for (int i = 0; i < pl->count; i++) {
    const tms_placed *q = &pl->items[i];
    if (strcmp(q->key, key) == 0)
      return tms_yaml_fail(c, key_node, key,
                  "already given in %s (line %d, column %d); a parameter may stand in only one of fixed, an axis "
                  "or a zip group",
                  q->place, q->line, q->col);
    int dens = (strcmp(key, "density") == 0 && strcmp(q->key, "sparsity") == 0) ||
               (strcmp(key, "sparsity") == 0 && strcmp(q->key, "density") == 0);
    if (dens)
      return tms_yaml_fail(c, key_node, key, "give either density or sparsity, not both (%s is in %s at line %d)", q->key,
                  q->place, q->line);
  }
  if (pl->count >= (int)(sizeof pl->items / sizeof pl->items[0]))
    return tms_yaml_fail(c, key_node, key, "too many parameters");
  pl->items[pl->count++] = (tms_placed){key, place, line_of(key_node), col_of(key_node)};
  return TMS_OK;
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

/* {values: [...]}: each item a value the registry accepts; with unique, no value twice. */
static tms_status parse_value_list(tms_yaml_ctx *c, const char *key, const yaml_node_t *gv, tms_sweep_param *p,
                                   int unique) {
  tms_status s;
  if ((s = tms_yaml_need_kind(c, gv, YAML_SEQUENCE_NODE, key, " after values:"))) return s;
  int n = (int)(gv->data.sequence.items.top - gv->data.sequence.items.start);
  if (n == 0) return tms_yaml_fail(c, gv, key, "empty axis: values has no values");
  if (n > TMS_AXIS_MAX_VALUES) return tms_yaml_fail(c, gv, key, "more than %d values", TMS_AXIS_MAX_VALUES);
  p->values = calloc((size_t)n, sizeof *p->values);
  if (!p->values) return tms_yaml_fail(c, gv, key, "out of memory");
  for (int i = 0; i < n; i++) {
    yaml_node_t *item = yaml_document_get_node(c->doc, gv->data.sequence.items.start[i]);
    if ((s = tms_yaml_value(c, item, key, &p->values[i]))) return s;
    if ((s = tms_yaml_check_param(c, item, key, &p->values[i], NULL))) return s;
    p->count = i + 1;
    for (int j = 0; j < i && unique; j++)
      if (tms_config_value_equal(&p->values[i], &p->values[j])) {
        char t[48];
        tms_config_value_text(&p->values[i], t, sizeof t);
        return tms_yaml_fail(c, item, key, "duplicate value %s (already value #%d of this axis)", t, j + 1);
      }
  }
  return TMS_OK;
}

/* {linspace|logspace|geomspace: {start, stop, num}} or {range: {start, stop, step}}: materialised by
 * tms_config_generate, integer parameters snapped, each value checked by the registry. */
static tms_status parse_spaced(tms_yaml_ctx *c, const char *key, const char *g, const yaml_node_t *gv,
                               tms_sweep_param *p, int unique) {
  tms_status s;
  tms_gen_kind kind = strcmp(g, "linspace") == 0    ? TMS_GEN_LINSPACE
                      : strcmp(g, "logspace") == 0  ? TMS_GEN_LOGSPACE
                      : strcmp(g, "geomspace") == 0 ? TMS_GEN_GEOMSPACE
                                                    : TMS_GEN_RANGE;
  const char *const *fields = kind == TMS_GEN_RANGE ? range_keys : space_keys;
  char what[64];
  snprintf(what, sizeof what, "%s", g);
  if ((s = tms_yaml_need_kind(c, gv, YAML_MAPPING_NODE, key, kind == TMS_GEN_RANGE ? " ({start, stop, step})" : " ({start, stop, num})")))
    return s;
  if ((s = tms_yaml_check_keys(c, gv, fields, what))) return s;
  double abc[3];
  for (int i = 0; i < 3; i++) {
    yaml_node_t *fk;
    yaml_node_t *fv = tms_yaml_lookup(c, gv, fields[i], &fk);
    if (!fv) return tms_yaml_fail(c, gv, key, "%s needs %s (it has start, stop and %s)", g, fields[i], fields[2]);
    if ((s = tms_yaml_number(c, fv, fields[i], &abc[i]))) return s;
  }
  if (kind != TMS_GEN_RANGE && abc[2] < 1) {
    yaml_node_t *fv = tms_yaml_lookup(c, gv, "num", NULL);
    return tms_yaml_fail(c, fv, key, "empty axis: num must be >= 1, got %g", abc[2]);
  }
  double *vals;
  int n;
  char why[256];
  if (tms_config_generate(kind, abc[0], abc[1], abc[2], &vals, &n, why, sizeof why))
    return tms_yaml_fail(c, gv, key, "%s: %s", g, why);
  snap_ints(key, vals, n);
  p->values = calloc((size_t)n, sizeof *p->values);
  if (!p->values) {
    free(vals);
    return tms_yaml_fail(c, gv, key, "out of memory");
  }
  for (int i = 0; i < n; i++) p->values[i].num = vals[i];
  p->count = n;
  free(vals);
  for (int i = 0; i < n; i++) {
    char extra[64];
    snprintf(extra, sizeof extra, " (value #%d of %s)", i + 1, g);
    if ((s = tms_yaml_check_param(c, gv, key, &p->values[i], extra))) return s;
  }
  int first, dup = unique ? find_duplicate(p->values, n, &first) : -1;
  if (dup >= 0)
    return tms_yaml_fail(c, gv, key, "%s gives duplicate values (value #%d is %.17g%s)", g, dup + 1, p->values[dup].num,
                first >= 0 ? ", equal to an earlier one" : "");
  return TMS_OK;
}

/* The generator mapping of one axis (or zip member) key -> p->values / p->count. unique: refuse repeated
 * values (a plain axis); a zip member may repeat values, its group's rows must differ instead. */
tms_status tms_config_parse_generator(tms_yaml_ctx *c, const yaml_node_t *key_node, const yaml_node_t *gen,
                                      tms_sweep_param *p, int unique) {
  const char *key = scalar(key_node);
  tms_status s;
  if (gen->type != YAML_MAPPING_NODE)
    return tms_yaml_fail(c, gen, key,
                "expected a generator mapping such as {values: [1, 2]} or {linspace: {start: 0, stop: 1, num: 5}}, "
                "got %s",
                tms_yaml_kind(gen));
  if ((s = tms_yaml_check_keys(c, gen, gen_keys, "a generator"))) return s;
  int np = count_pairs(gen);
  if (np == 0) return tms_yaml_fail(c, gen, key, "has no generator; give exactly one of values, linspace, logspace, geomspace, range");
  if (np > 1) {
    yaml_node_t *k0 = yaml_document_get_node(c->doc, gen->data.mapping.pairs.start[0].key);
    yaml_node_t *k1 = yaml_document_get_node(c->doc, gen->data.mapping.pairs.start[1].key);
    return tms_yaml_fail(c, k1, key, "has two generators (%s and %s); give exactly one", scalar(k0), scalar(k1));
  }
  yaml_node_t *gk = yaml_document_get_node(c->doc, gen->data.mapping.pairs.start[0].key);
  yaml_node_t *gv = yaml_document_get_node(c->doc, gen->data.mapping.pairs.start[0].value);
  const char *g = scalar(gk);
  if (strcmp(g, "values") == 0) return parse_value_list(c, key, gv, p, unique);
  return parse_spaced(c, key, g, gv, p, unique);
}

/* fixed: {key: value, ...}, one value per parameter. */
tms_status tms_config_parse_fixed(tms_yaml_ctx *c, const yaml_node_t *map, tms_placement *pl) {
  tms_status s;
  if ((s = tms_yaml_need_kind(c, map, YAML_MAPPING_NODE, "fixed", NULL))) return s;
  if ((s = tms_yaml_check_keys(c, map, NULL, "fixed"))) return s;
  int n = count_pairs(map);
  c->sw->fixed = calloc((size_t)(n ? n : 1), sizeof *c->sw->fixed);
  if (!c->sw->fixed) return tms_yaml_fail(c, map, "fixed", "out of memory");
  for (int i = 0; i < n; i++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, map->data.mapping.pairs.start[i].key);
    yaml_node_t *v = yaml_document_get_node(c->doc, map->data.mapping.pairs.start[i].value);
    const char *key = scalar(k);
    if (!tms_param_find(key)) {
      char hint[96];
      tms_yaml_suggest(key, NULL, hint, sizeof hint);
      return tms_yaml_fail(c, k, key, "unknown parameter in fixed%s", hint);
    }
    if ((s = tms_config_place(c, pl, k, "fixed"))) return s;
    if (v->type != YAML_SCALAR_NODE)
      return tms_yaml_fail(c, v, key, "expected a single value in fixed, got %s%s", tms_yaml_kind(v),
                  v->type == YAML_SEQUENCE_NODE ? "; to sweep it, give it under axes with {values: [...]}" : "");
    tms_sweep_param *p = &c->sw->fixed[c->sw->n_fixed];
    snprintf(p->key, sizeof p->key, "%s", key);
    p->line = line_of(k);
    p->col = col_of(k);
    p->values = calloc(1, sizeof *p->values);
    if (!p->values) return tms_yaml_fail(c, v, key, "out of memory");
    p->count = 1;
    c->sw->n_fixed++;
    if ((s = tms_yaml_value(c, v, key, &p->values[0]))) return s;
    if ((s = tms_yaml_check_param(c, v, key, &p->values[0], NULL))) return s;
  }
  return TMS_OK;
}
