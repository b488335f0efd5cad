/* axes: the grid dimensions of a sweep file: plain axes (one parameter each) and zip groups (several parameters
 * stepped together, one row per grid index).
 * Invariants: at most TMS_GRID_MAX_DIMS dimensions; dimension names are unique and are neither a parameter nor
 * "replicate"; the members of a zip group have equal length and no two of its rows are identical. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "parse_internal.h"

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static tms_status new_dim(tms_yaml_ctx *c, const yaml_node_t *at, tms_axis **out) {
  tms_sweep *sw = c->sw;
  if (sw->n_axes >= TMS_GRID_MAX_DIMS) return tms_yaml_fail(c, at, scalar(at), "more than %d axes and zip groups", TMS_GRID_MAX_DIMS);
  tms_axis *a = realloc(sw->axes, (size_t)(sw->n_axes + 1) * sizeof *a);
  if (!a) return tms_yaml_fail(c, at, scalar(at), "out of memory");
  sw->axes = a;
  memset(&a[sw->n_axes], 0, sizeof *a);
  *out = &a[sw->n_axes++];
  return TMS_OK;
}

tms_status tms_config_parse_axes(tms_yaml_ctx *c, const yaml_node_t *map, tms_placement *pl) {
  tms_status s;
  if ((s = tms_yaml_need_kind(c, map, YAML_MAPPING_NODE, "axes", NULL))) return s;
  if ((s = tms_yaml_check_keys(c, map, NULL, "axes"))) return s;
  for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
    yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
    const char *key = scalar(k);
    if (!tms_param_find(key)) {
      char hint[96];
      tms_yaml_suggest(key, NULL, hint, sizeof hint);
      return tms_yaml_fail(c, k, key, "unknown parameter in axes%s", hint);
    }
    if ((s = tms_config_place(c, pl, k, "an axis"))) return s;
    tms_axis *a;
    if ((s = new_dim(c, k, &a))) return s;
    snprintf(a->name, sizeof a->name, "%s", key);
    a->line = line_of(k);
    a->col = col_of(k);
    a->params = calloc(1, sizeof *a->params);
    if (!a->params) return tms_yaml_fail(c, k, key, "out of memory");
    a->n_params = 1;
    tms_sweep_param *p = &a->params[0];
    snprintf(p->key, sizeof p->key, "%s", key);
    p->line = a->line;
    p->col = a->col;
    if ((s = tms_config_parse_generator(c, k, v, p, 1))) return s;
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

tms_status tms_config_parse_zip(tms_yaml_ctx *c, const yaml_node_t *map, tms_placement *pl) {
  tms_status s;
  if ((s = tms_yaml_need_kind(c, map, YAML_MAPPING_NODE, "zip", NULL))) return s;
  if ((s = tms_yaml_check_keys(c, map, NULL, "zip"))) return s;
  for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
    yaml_node_t *gk = yaml_document_get_node(c->doc, pr->key);
    yaml_node_t *gv = yaml_document_get_node(c->doc, pr->value);
    const char *group = scalar(gk);
    if (strlen(group) >= sizeof ((tms_axis *)0)->name || !*group)
      return tms_yaml_fail(c, gk, group, "a zip group name must have 1 to %zu characters", sizeof ((tms_axis *)0)->name - 1);
    if (tms_param_find(group) || strcmp(group, "replicate") == 0)
      return tms_yaml_fail(c, gk, group, "'%s' cannot name a zip group (it is a parameter or the replicate dimension); pick another name", group);
    for (int i = 0; i < c->sw->n_axes; i++)
      if (strcmp(c->sw->axes[i].name, group) == 0) return tms_yaml_fail(c, gk, group, "a dimension of this name already exists");
    if ((s = tms_yaml_need_kind(c, gv, YAML_MAPPING_NODE, group, " (zip group: key -> generator)"))) return s;
    if ((s = tms_yaml_check_keys(c, gv, NULL, "a zip group"))) return s;
    int n = count_pairs(gv);
    if (n == 0) return tms_yaml_fail(c, gv, group, "zip group has no members");
    tms_axis *a;
    if ((s = new_dim(c, gk, &a))) return s;
    snprintf(a->name, sizeof a->name, "%s", group);
    a->is_zip = 1;
    a->line = line_of(gk);
    a->col = col_of(gk);
    a->params = calloc((size_t)n, sizeof *a->params);
    if (!a->params) return tms_yaml_fail(c, gk, group, "out of memory");
    int zi = c->sw->n_axes - 1;
    snprintf(pl->zip_names[zi], sizeof pl->zip_names[zi], "zip group '%.24s'", group);
    for (int i = 0; i < n; i++) {
      yaml_node_t *k = yaml_document_get_node(c->doc, gv->data.mapping.pairs.start[i].key);
      yaml_node_t *v = yaml_document_get_node(c->doc, gv->data.mapping.pairs.start[i].value);
      const char *key = scalar(k);
      if (!tms_param_find(key)) {
        char hint[96];
        tms_yaml_suggest(key, NULL, hint, sizeof hint);
        return tms_yaml_fail(c, k, key, "unknown parameter in zip group '%s'%s", group, hint);
      }
      if ((s = tms_config_place(c, pl, k, pl->zip_names[zi]))) return s;
      tms_sweep_param *p = &a->params[i];
      snprintf(p->key, sizeof p->key, "%s", key);
      p->line = line_of(k);
      p->col = col_of(k);
      a->n_params = i + 1;
      if ((s = tms_config_parse_generator(c, k, v, p, 0))) return s;
      if (i > 0 && p->count != a->params[0].count)
        return tms_yaml_fail(c, k, key, "zip members must have equal length: %s has %d values but %s has %d", key, p->count,
                    a->params[0].key, a->params[0].count);
    }
    a->size = a->params[0].count;
    int r1, r2;
    if (zip_duplicate_row(a, &r1, &r2))
      return tms_yaml_fail(c, gk, group, "rows #%d and #%d of the zip group are identical (every member has the same value); "
                  "each row must differ in at least one member", r1 + 1, r2 + 1);
  }
  return TMS_OK;
}
