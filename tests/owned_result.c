/* owned_result.h: the trainer tests' shared set-ups. */
#include "owned_result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

void result_alloc(owned_result *o, const tms_spec *spec) {
  const size_t nm = (size_t)spec->n_features * (size_t)spec->n_hidden;
  memset(o, 0, sizeof *o);
  o->curve_len = tms_spec_curve_len(spec);
  o->r.W = calloc(nm, sizeof(float));
  o->r.W2 = calloc(nm, sizeof(float));
  o->r.b = calloc((size_t)spec->n_features, sizeof(float));
  o->r.loss_curve = calloc(o->curve_len, sizeof(float));
  if (!o->r.W || !o->r.W2 || !o->r.b || !o->r.loss_curve) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
}

void result_free(owned_result *o) {
  free(o->r.W);
  free(o->r.W2);
  free(o->r.b);
  free(o->r.loss_curve);
}

tms_spec base_spec(tms_variant variant, int n, int m, double density, long steps, uint64_t seed) {
  tms_spec s;
  tms_spec_defaults(&s);
  s.variant = variant;
  s.n_features = n;
  s.n_hidden = m;
  s.density = density;
  s.steps = steps;
  s.seed = seed;
  return s;
}

int validated(const tms_spec *s) {
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_spec_validate(s, &err);
  return CHECK(st == TMS_OK, "test spec is valid: %s: %s", err.key, err.msg);
}
