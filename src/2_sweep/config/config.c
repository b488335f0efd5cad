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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "config/config.h"
#include "config/grid.h"
#include "parse_internal.h"

#define SCHEMA_TAG "tms-sweep/1"

static const char *const top_keys[] = {"schema", "name", "seed", "fixed", "axes", "zip",
                                       "replicates", "exclude", "run", NULL};
static const char *const run_keys[] = {"max_attempts", "point_timeout_s", "progress_every_s", "stop_grace_s",
                                       "max_output_gb", "bundle", NULL};

static tms_status parse_run(tms_yaml_ctx *c, const yaml_node_t *map) {
  tms_status s;
  if ((s = tms_yaml_need_kind(c, map, YAML_MAPPING_NODE, "run", NULL))) return s;
  if ((s = tms_yaml_check_keys(c, map, run_keys, "run"))) return s;
  tms_run_settings *r = &c->sw->run;
  for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
    yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
    const char *key = scalar(k);
    long iv;
    double dv;
    if (strcmp(key, "max_attempts") == 0) {
      if ((s = tms_yaml_int(c, v, key, 1, 1000, &iv))) return s;
      r->max_attempts = (int)iv;
    } else if (strcmp(key, "bundle") == 0) {
      if ((s = tms_yaml_int(c, v, key, 0, 1000000, &iv))) return s;
      r->bundle = (int)iv;
    } else {
      if ((s = tms_yaml_number(c, v, key, &dv))) return s;
      int positive = strcmp(key, "progress_every_s") == 0 || strcmp(key, "max_output_gb") == 0;
      if (positive ? !(dv > 0) : !(dv >= 0))
        return tms_yaml_fail(c, v, key, "value %s must be %s", scalar(v), positive ? "> 0" : ">= 0");
      if (strcmp(key, "point_timeout_s") == 0) r->point_timeout_s = dv;
      else if (strcmp(key, "progress_every_s") == 0) r->progress_every_s = dv;
      else if (strcmp(key, "stop_grace_s") == 0) r->stop_grace_s = dv;
      else r->max_output_gb = dv;
    }
  }
  return TMS_OK;
}


/* schema first: a file of another schema gets that message, not a list of unknown keys. */
static tms_status parse_schema(tms_yaml_ctx *c, const yaml_node_t *root) {
  tms_sweep *sw = c->sw;
  tms_status s;
  yaml_node_t *schema_key, *schema = tms_yaml_lookup(c, root, "schema", &schema_key);
  if (!schema)
    return tms_yaml_fail(c, root, "schema", "missing (required): a sweep file starts with schema: %s", SCHEMA_TAG);
  if ((s = tms_yaml_word(c, schema, "schema", sw->schema, sizeof sw->schema))) {
    if (schema->type == YAML_SCALAR_NODE && strlen(scalar(schema)) >= sizeof sw->schema)
      return tms_yaml_fail(c, schema, "schema", "'%.40s' is not a supported schema; expected %s", scalar(schema),
                           SCHEMA_TAG);
    return s;
  }
  if (strcmp(sw->schema, SCHEMA_TAG) != 0)
    return tms_yaml_fail(c, schema, "schema", "'%s' is not a supported schema; expected %s", sw->schema, SCHEMA_TAG);
  return TMS_OK;
}

/* seed: an unsigned 64-bit decimal integer, written without quotes. */
static tms_status parse_seed(tms_yaml_ctx *c, const yaml_node_t *v, const char *key) {
  const char *t = v->type == YAML_SCALAR_NODE ? scalar(v) : "";
  int digits = v->type == YAML_SCALAR_NODE && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && *t;
  for (const char *q = t; *q && digits; q++) digits = isdigit((unsigned char)*q);
  errno = 0;
  unsigned long long seed = digits ? strtoull(t, NULL, 10) : 0;
  if (v->type == YAML_SCALAR_NODE && v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return tms_yaml_fail(c, v, key, "expected an unsigned 64-bit integer, got the quoted string '%s' (write numbers without quotes)", t);
  if (!digits || errno == ERANGE)
    return tms_yaml_fail(c, v, key, "expected an unsigned 64-bit integer, got %s%s%s", v->type == YAML_SCALAR_NODE ? "'" : "",
                v->type == YAML_SCALAR_NODE ? t : tms_yaml_kind(v), v->type == YAML_SCALAR_NODE ? "'" : "");
  c->sw->seed = (uint64_t)seed;
  return TMS_OK;
}

/* Every top-level section but exclude, in file order; *exclude gets the exclude node (it needs every axis, which
 * may come later in the file). */
static tms_status parse_sections(tms_yaml_ctx *c, const yaml_node_t *root, tms_placement *pl,
                                 const yaml_node_t **exclude) {
  tms_sweep *sw = c->sw;
  tms_status s = TMS_OK;
  for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top && !s; pr++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
    yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
    const char *key = scalar(k);
    if (strcmp(key, "name") == 0) {
      s = tms_yaml_word(c, v, key, sw->name, sizeof sw->name);
    } else if (strcmp(key, "seed") == 0) {
      s = parse_seed(c, v, key);
    } else if (strcmp(key, "fixed") == 0) {
      s = tms_config_parse_fixed(c, v, pl);
    } else if (strcmp(key, "axes") == 0) {
      s = tms_config_parse_axes(c, v, pl);
    } else if (strcmp(key, "zip") == 0) {
      s = tms_config_parse_zip(c, v, pl);
    } else if (strcmp(key, "replicates") == 0) {
      long r = 1;
      s = tms_yaml_int(c, v, key, 1, TMS_REPLICATES_MAX, &r);
      sw->replicates = (int)r;
    } else if (strcmp(key, "exclude") == 0) {
      *exclude = v;
    } else if (strcmp(key, "run") == 0) {
      s = parse_run(c, v);
    }
  }
  return s;
}

/* name, seed and the required parameters must stand somewhere. */
static tms_status check_required(tms_yaml_ctx *c, const yaml_node_t *root, const tms_placement *pl) {
  if (!tms_yaml_lookup(c, root, "name", NULL)) return tms_yaml_fail(c, root, "name", "missing (required): give the sweep a name");
  if (!tms_yaml_lookup(c, root, "seed", NULL)) return tms_yaml_fail(c, root, "seed", "missing (required): give a master seed (an unsigned integer)");
  const char *required[][2] = {{"n_features", NULL}, {"n_hidden", NULL}, {"density", "sparsity"}};
  for (int i = 0; i < 3; i++) {
    int found = 0;
    for (int j = 0; j < pl->count; j++)
      found |= strcmp(pl->items[j].key, required[i][0]) == 0 ||
               (required[i][1] && strcmp(pl->items[j].key, required[i][1]) == 0);
    if (!found)
      return tms_yaml_fail(c, root, required[i][0], "missing (required): give %s%s%s in fixed, an axis or a zip group",
                  required[i][0], required[i][1] ? " or " : "", required[i][1] ? required[i][1] : "");
  }
  return TMS_OK;
}

/* The results file would pass run.max_output_gb: name the size, the points and the limit, at the limit's key. */
static tms_status size_fail(tms_yaml_ctx *c, const yaml_node_t *root, double bytes, double points) {
  yaml_node_t *run = tms_yaml_lookup(c, root, "run", NULL), *lim_key = NULL;
  if (run && run->type == YAML_MAPPING_NODE) tms_yaml_lookup(c, run, "max_output_gb", &lim_key);
  const yaml_node_t *at = lim_key ? lim_key : run ? run : root;
  return tms_yaml_fail(c, at, "max_output_gb",
                       "the results file would be about %.3g GB (%.4g points), above the limit of %g GB; shrink the "
                       "grid or raise the limit with run: {max_output_gb: %.0f}",
                       bytes / 1e9, points, c->sw->run.max_output_gb, ceil(bytes / 1e9 * 1.1));
}

/* The grid's point count and results-file size stay under their limits, so a sweep that loads can run.
 * Limits first, from the axes alone (grid_limits.c): a huge grid is refused before validation visits it. */
static tms_status check_size(tms_yaml_ctx *c, const yaml_node_t *root) {
  tms_sweep *sw = c->sw;
  tms_status s;
  double points = tms_grid_points(sw);
  double quick = tms_grid_output_bytes_quick(sw); /* exact without exclusions, else an upper bound */
  if (points > TMS_GRID_MAX_POINTS)
    return tms_yaml_fail(c, root, NULL, "the grid has %.4g points (a results file of about %.3g GB), more than the "
                         "limit of %.0e points", points, quick / 1e9, TMS_GRID_MAX_POINTS);
  if (quick > sw->run.max_output_gb * 1e9 && (sw->n_excludes == 0 || points > 1e7))
    return size_fail(c, root, quick, points);

  if (tms_config_grid_prepare(sw)) return tms_error_set(c->err, TMS_ERR_NOMEM, c->path, 0, 0, NULL, NULL);
  if ((s = tms_grid_validate(sw, c->err))) return s;

  double bytes = tms_grid_output_bytes(sw);
  if (bytes > sw->run.max_output_gb * 1e9) return size_fail(c, root, bytes, points);
  return TMS_OK;
}

static tms_status parse_document(tms_yaml_ctx *c, tms_placement *pl) {
  tms_status s;
  yaml_node_t *root = yaml_document_get_root_node(c->doc);
  if (!root)
    return tms_error_set(c->err, TMS_ERR_CONFIG, c->path, 1, 1, NULL,
                         "the file holds no YAML document (it is empty); expected a mapping with schema: %s, name, "
                         "seed, fixed, axes, ...",
                         SCHEMA_TAG);
  if (root->type != YAML_MAPPING_NODE)
    return tms_yaml_fail(c, root, NULL, "a sweep file must be a mapping (schema: %s, name: ..., ...), got %s", SCHEMA_TAG,
                tms_yaml_kind(root));
  if ((s = tms_yaml_check_keys(c, root, top_keys, "the top level"))) return s;
  if ((s = parse_schema(c, root))) return s;
  const yaml_node_t *exclude = NULL;
  if ((s = parse_sections(c, root, pl, &exclude))) return s;
  if ((s = check_required(c, root, pl))) return s;
  if (exclude && (s = tms_config_parse_exclude(c, exclude))) return s;
  return check_size(c, root);
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
  tms_yaml_ctx c = {path, &doc, err, sweep};
  tms_status s;
  if (!yaml_parser_load(&parser, &doc)) {
    s = tms_yaml_syntax_error(&c, &parser, text, len);
    yaml_parser_delete(&parser);
    tms_sweep_free(sweep);
    return s;
  }
  tms_placement *pl = calloc(1, sizeof *pl);
  if (!pl) {
    s = tms_error_set(err, TMS_ERR_NOMEM, path, 0, 0, NULL, NULL);
  } else {
    s = parse_document(&c, pl);
  }
  /* a second document in the stream is almost certainly a mistake (two sweeps pasted into one file) */
  if (s == TMS_OK) {
    yaml_document_t doc2;
    if (!yaml_parser_load(&parser, &doc2)) {
      s = tms_yaml_syntax_error(&c, &parser, text, len);
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

