/* exclude: the exclude patterns of a sweep file, and where a parameter was written (for messages of later checks).
 * A pattern {key: value, ...} names axis or zip-member keys only, each with a value that is on its dimension, so a
 * typo cannot silently exclude nothing. Read after every dimension is known (exclude may come first in the file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "parse_internal.h"

/* The dimension parameter named key, or NULL. */
static const tms_sweep_param *swept(const tms_sweep *sw, const char *key) {
  for (int d = 0; d < sw->n_axes; d++)
    for (int j = 0; j < sw->axes[d].n_params; j++)
      if (strcmp(sw->axes[d].params[j].key, key) == 0) return &sw->axes[d].params[j];
  return NULL;
}

tms_status tms_config_parse_exclude(tms_yaml_ctx *c, const yaml_node_t *seq) {
  tms_status s;
  tms_sweep *sw = c->sw;
  if ((s = tms_yaml_need_kind(c, seq, YAML_SEQUENCE_NODE, "exclude", " (a list of {key: value} patterns)"))) return s;
  int n = (int)(seq->data.sequence.items.top - seq->data.sequence.items.start);
  sw->excludes = calloc((size_t)(n ? n : 1), sizeof *sw->excludes);
  if (!sw->excludes) return tms_yaml_fail(c, seq, "exclude", "out of memory");
  for (int i = 0; i < n; i++) {
    yaml_node_t *m = yaml_document_get_node(c->doc, seq->data.sequence.items.start[i]);
    if ((s = tms_yaml_need_kind(c, m, YAML_MAPPING_NODE, "exclude", " (each pattern is a mapping {axis key: value})"))) return s;
    if ((s = tms_yaml_check_keys(c, m, NULL, "an exclude pattern"))) return s;
    int nc = count_pairs(m);
    if (nc == 0) return tms_yaml_fail(c, m, "exclude", "an empty pattern would exclude every point");
    tms_exclude *ex = &sw->excludes[sw->n_excludes++];
    ex->line = line_of(m);
    ex->col = col_of(m);
    ex->conds = calloc((size_t)nc, sizeof *ex->conds);
    if (!ex->conds) return tms_yaml_fail(c, m, "exclude", "out of memory");
    for (int j = 0; j < nc; j++) {
      yaml_node_t *k = yaml_document_get_node(c->doc, m->data.mapping.pairs.start[j].key);
      yaml_node_t *v = yaml_document_get_node(c->doc, m->data.mapping.pairs.start[j].value);
      const char *key = scalar(k);
      const tms_sweep_param *axis = swept(sw, key);
      if (!axis) {
        for (int f = 0; f < sw->n_fixed; f++)
          if (strcmp(sw->fixed[f].key, key) == 0)
            return tms_yaml_fail(c, k, key, "exclude names a fixed parameter; exclude patterns may only name axis keys");
        char hint[96] = "";
        if (tms_param_find(key))
          return tms_yaml_fail(c, k, key, "exclude names a key that is not an axis");
        tms_yaml_suggest(key, NULL, hint, sizeof hint);
        return tms_yaml_fail(c, k, key, "exclude names an unknown key%s", hint);
      }
      tms_sweep_param *cond = &ex->conds[j];
      snprintf(cond->key, sizeof cond->key, "%s", key);
      cond->line = line_of(k);
      cond->col = col_of(k);
      cond->values = calloc(1, sizeof *cond->values);
      if (!cond->values) return tms_yaml_fail(c, k, key, "out of memory");
      cond->count = 1;
      ex->n_conds = j + 1;
      if ((s = tms_yaml_value(c, v, key, &cond->values[0]))) return s;
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
        return tms_yaml_fail(c, v, key, "exclude value %s is not on the axis (its values: %s)", t, list);
      }
    }
  }
  return TMS_OK;
}

/* ---- the whole file ---- */

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
