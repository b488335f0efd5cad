/* yaml_read: reading libyaml nodes for the sweep-file parser, with a message for every way a node can be wrong.
 * Every error is "file:line:col: key: what" at the node's mark; unknown keys get a "did you mean" from the
 * allowed list or the parameter registry; numbers are plain decimal scalars only (YAML's .inf, 0x10, true are not).
 * Invariant: every helper either fills its output and returns TMS_OK or fills c->err and returns the status. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_internal.h"

tms_status tms_yaml_fail(tms_yaml_ctx *c, const yaml_node_t *at, const char *key, const char *fmt, ...) {
  char msg[480];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return tms_error_set(c->err, TMS_ERR_CONFIG, c->path, line_of(at), col_of(at), key, "%s", msg);
}

const char *tms_yaml_kind(const yaml_node_t *n) {
  switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_SCALAR_NODE: return "a single value";
    default: return "nothing";
  }
}

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
void tms_yaml_suggest(const char *word, const char *const *candidates, char *buf, size_t size) {
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
tms_status tms_yaml_check_keys(tms_yaml_ctx *c, const yaml_node_t *map, const char *const *allowed, const char *what) {
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
    if (k->type != YAML_SCALAR_NODE) return tms_yaml_fail(c, k, what, "a key must be a word, got %s", tms_yaml_kind(k));
    for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
      yaml_node_t *k0 = yaml_document_get_node(c->doc, q->key);
      if (k0->type == YAML_SCALAR_NODE && strcmp(scalar(k0), scalar(k)) == 0)
        return tms_yaml_fail(c, k, scalar(k), "key given twice in %s (first at line %d, column %d)", what, line_of(k0),
                    col_of(k0));
    }
    if (allowed) {
      int ok = 0;
      for (int i = 0; allowed[i]; i++) ok |= strcmp(allowed[i], scalar(k)) == 0;
      if (!ok) {
        char hint[96], list[256] = "";
        tms_yaml_suggest(scalar(k), allowed, hint, sizeof hint);
        for (int i = 0; allowed[i]; i++) {
          strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
          strncat(list, allowed[i], sizeof list - strlen(list) - 1);
        }
        if (!hint[0] && strcmp(what, "the top level") == 0 && tms_param_find(scalar(k)))
          return tms_yaml_fail(c, k, scalar(k), "unknown key at the top level: parameters go under fixed, axes or zip");
        return tms_yaml_fail(c, k, scalar(k), "unknown key in %s%s; allowed: %s", what, hint, list);
      }
    }
  }
  return TMS_OK;
}

yaml_node_t *tms_yaml_lookup(tms_yaml_ctx *c, const yaml_node_t *map, const char *key, yaml_node_t **key_node) {
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
    if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0) {
      if (key_node) *key_node = k;
      return yaml_document_get_node(c->doc, p->value);
    }
  }
  return NULL;
}

tms_status tms_yaml_need_kind(tms_yaml_ctx *c, const yaml_node_t *n, yaml_node_type_t type, const char *key, const char *hint) {
  if (n->type == type) return TMS_OK;
  const char *want = type == YAML_MAPPING_NODE ? "a mapping" : type == YAML_SEQUENCE_NODE ? "a list" : "a single value";
  return tms_yaml_fail(c, n, key, "expected %s, got %s%s", want, tms_yaml_kind(n), hint ? hint : "");
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
tms_status tms_yaml_value(tms_yaml_ctx *c, const yaml_node_t *n, const char *key, tms_value *v) {
  memset(v, 0, sizeof *v);
  if (n->type != YAML_SCALAR_NODE) return tms_yaml_fail(c, n, key, "expected a single value, got %s", tms_yaml_kind(n));
  if (is_null(n)) return tms_yaml_fail(c, n, key, "has no value");
  if (as_number(n, &v->num)) return TMS_OK;
  if (strlen(scalar(n)) >= sizeof v->str) return tms_yaml_fail(c, n, key, "the word '%.40s...' is too long", scalar(n));
  v->is_string = 1;
  snprintf(v->str, sizeof v->str, "%s", scalar(n));
  return TMS_OK;
}

/* Type and range check by the registry; the message gains file:line:col of node. */
tms_status tms_yaml_check_param(tms_yaml_ctx *c, const yaml_node_t *n, const char *key, const tms_value *v, const char *extra) {
  tms_spec scratch;
  tms_error e;
  tms_spec_defaults(&scratch);
  if (tms_spec_set(&scratch, key, v, &e) == TMS_OK) return TMS_OK;
  const tms_param_info *info = tms_param_find(key);
  char *end;
  int quoted_number = v->is_string && info && info->kind != TMS_PARAM_ENUM && v->str[0] &&
                      (strtod(v->str, &end), *end == '\0') && n->type == YAML_SCALAR_NODE &&
                      n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
  return tms_yaml_fail(c, n, key, "%s%s%s", e.msg, extra ? extra : "", quoted_number ? " (write numbers without quotes)" : "");
}

tms_status tms_yaml_number(tms_yaml_ctx *c, const yaml_node_t *n, const char *key, double *out) {
  if (n->type != YAML_SCALAR_NODE) return tms_yaml_fail(c, n, key, "expected a number, got %s", tms_yaml_kind(n));
  if (is_null(n)) return tms_yaml_fail(c, n, key, "has no value");
  if (!as_number(n, out)) return tms_yaml_fail(c, n, key, "expected a number, got '%s'", scalar(n));
  if (!isfinite(*out)) return tms_yaml_fail(c, n, key, "value %s is not a finite number", scalar(n));
  return TMS_OK;
}

tms_status tms_yaml_int(tms_yaml_ctx *c, const yaml_node_t *n, const char *key, long lo, long hi, long *out) {
  double v;
  tms_status s = tms_yaml_number(c, n, key, &v);
  if (s) return s;
  if (v != floor(v)) return tms_yaml_fail(c, n, key, "expected an integer, got %s", scalar(n));
  if (v < (double)lo || v > (double)hi) return tms_yaml_fail(c, n, key, "value %s is outside the allowed range [%ld, %ld]", scalar(n), lo, hi);
  *out = (long)v;
  return TMS_OK;
}

tms_status tms_yaml_word(tms_yaml_ctx *c, const yaml_node_t *n, const char *key, char *out, size_t size) {
  if (n->type != YAML_SCALAR_NODE) return tms_yaml_fail(c, n, key, "expected a single value, got %s", tms_yaml_kind(n));
  if (is_null(n) || !*scalar(n)) return tms_yaml_fail(c, n, key, "has no value");
  if (strlen(scalar(n)) >= size) return tms_yaml_fail(c, n, key, "is longer than %zu characters", size - 1);
  snprintf(out, size, "%s", scalar(n));
  return TMS_OK;
}

tms_status tms_yaml_syntax_error(tms_yaml_ctx *c, yaml_parser_t *parser, const char *text, size_t len) {
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
