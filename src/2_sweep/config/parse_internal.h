/* parse_internal: what the files of the sweep-file parser share (config.c reads the document; yaml_read.c reads
 * nodes; values.c the fixed section and generators; axes.c axes and zip groups; exclude.c the exclude patterns).
 * Not a public interface: only those files include it (it exposes libyaml types).
 * Invariant: every function here returns TMS_OK or fills c->err with "file:line:col: key: what" and returns the
 * status; what it allocated hangs off c->sw, so tms_sweep_free releases it on any error. */
#ifndef TMS_CONFIG_PARSE_INTERNAL_H
#define TMS_CONFIG_PARSE_INTERNAL_H
#include <stddef.h>
#include <yaml.h>

#include "config_internal.h"
#include "config/config.h"
#include "core/status.h"

/* The parse of one file: its path (for messages), the libyaml document, the error record and the sweep filled. */
typedef struct {
  const char *path;
  yaml_document_t *doc;
  tms_error *err;
  tms_sweep *sw;
} tms_yaml_ctx;

/* Where each parameter stands, to refuse it standing in two places. */
typedef struct {
  const char *key;
  const char *place; /* "fixed", "an axis", "zip group 'size'" */
  int line, col;
} tms_placed;

typedef struct {
  tms_placed items[256];
  int count;
  char zip_names[TMS_GRID_MAX_DIMS][48];
} tms_placement;

/* Node accessors (1-based line and column of a node's start; 0 for none). */
static inline int line_of(const yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }
static inline int col_of(const yaml_node_t *n) { return n ? (int)n->start_mark.column + 1 : 0; }
static inline const char *scalar(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }
static inline int count_pairs(const yaml_node_t *map) {
  return (int)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

/* ---- yaml_read.c ---- */
/* TMS_ERR_CONFIG at node at (key may be NULL). */
tms_status tms_yaml_fail(tms_yaml_ctx *c, const yaml_node_t *at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The parser's own error (not valid YAML) as TMS_ERR_PARSE at its mark. */
tms_status tms_yaml_syntax_error(tms_yaml_ctx *c, yaml_parser_t *parser, const char *text, size_t len);
const char *tms_yaml_kind(const yaml_node_t *n); /* "a mapping", "a list", "a single value" */
/* " (did you mean 'x'?)" or "" into buf. candidates: NULL-terminated list, or NULL for the parameter registry. */
void tms_yaml_suggest(const char *word, const char *const *candidates, char *buf, size_t size);
/* Every key a word, no key twice, and (if allowed != NULL) every key in allowed. what names the mapping. */
tms_status tms_yaml_check_keys(tms_yaml_ctx *c, const yaml_node_t *map, const char *const *allowed, const char *what);
/* The value of key in map (and its key node), or NULL. */
yaml_node_t *tms_yaml_lookup(tms_yaml_ctx *c, const yaml_node_t *map, const char *key, yaml_node_t **key_node);
tms_status tms_yaml_need_kind(tms_yaml_ctx *c, const yaml_node_t *n, yaml_node_type_t type, const char *key,
                              const char *hint);
/* A parameter value: number or word, not yet range-checked. */
tms_status tms_yaml_value(tms_yaml_ctx *c, const yaml_node_t *n, const char *key, tms_value *v);
/* Type and range check by the registry; the message gains file:line:col of node and extra. */
tms_status tms_yaml_check_param(tms_yaml_ctx *c, const yaml_node_t *n, const char *key, const tms_value *v,
                                const char *extra);
tms_status tms_yaml_number(tms_yaml_ctx *c, const yaml_node_t *n, const char *key, double *out);
tms_status tms_yaml_int(tms_yaml_ctx *c, const yaml_node_t *n, const char *key, long lo, long hi, long *out);
tms_status tms_yaml_word(tms_yaml_ctx *c, const yaml_node_t *n, const char *key, char *out, size_t size);

/* ---- values.c ---- */
/* Records that key_node's parameter stands in place; refuses a second place (or density beside sparsity). */
tms_status tms_config_place(tms_yaml_ctx *c, tms_placement *pl, const yaml_node_t *key_node, const char *place);
/* The generator mapping gen of one axis (or zip member) -> p->values / p->count. unique: refuse repeated values
 * (a plain axis); a zip member may repeat values, its group's rows must differ instead. */
tms_status tms_config_parse_generator(tms_yaml_ctx *c, const yaml_node_t *key_node, const yaml_node_t *gen,
                                      tms_sweep_param *p, int unique);
tms_status tms_config_parse_fixed(tms_yaml_ctx *c, const yaml_node_t *map, tms_placement *pl);

/* ---- axes.c ---- */
tms_status tms_config_parse_axes(tms_yaml_ctx *c, const yaml_node_t *map, tms_placement *pl);
tms_status tms_config_parse_zip(tms_yaml_ctx *c, const yaml_node_t *map, tms_placement *pl);

/* ---- exclude.c ---- */
/* Needs every dimension parsed first. */
tms_status tms_config_parse_exclude(tms_yaml_ctx *c, const yaml_node_t *seq);

#endif
