/* spec registry: ranges, enums, sparsity/density, profile overrides, curve length. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "core/spec.h"

static tms_value num(double v) { tms_value x = {0}; x.num = v; return x; }
static tms_value word(const char *s) {
  tms_value x = {0};
  x.is_string = 1;
  strncpy(x.str, s, sizeof x.str - 1);
  return x;
}

/* Each integer parameter's largest allowed value must survive the trip into its field and back: a range wider
 * than the field's type (log_every once allowed 1e12 into an int) overflows, which UBSan caught in the fuzzer. */
static void check_every_int_holds_its_max(void) {
  for (int i = 0; i < tms_param_count(); i++) {
    const tms_param_info *p = tms_param_at(i);
    if (p->kind != TMS_PARAM_INT) continue;
    tms_spec s;
    tms_error e = {0};
    tms_spec_defaults(&s);
    tms_value v = num(p->max_open ? p->max - 1 : p->max), got = {0};
    CHECK(tms_spec_set(&s, p->key, &v, &e) == TMS_OK, "%s = %g (its max) accepted: %s", p->key, v.num, e.msg);
    tms_spec_get(&s, p->key, &got);
    CHECK(got.num == v.num, "%s = %g reads back as %g (off by %g): the range exceeds the field's type", p->key,
          v.num, got.num, got.num - v.num);
  }
}

int main(void) {
  tms_spec s;
  tms_error e;
  tms_spec_defaults(&s);
  CHECK(tms_spec_validate(&s, &e) == TMS_ERR_CONFIG && strcmp(e.key, "n_features") == 0,
        "defaults without n_features must fail naming n_features, got key '%s'", e.key);
  tms_value v = num(5);
  CHECK(tms_spec_set(&s, "n_features", &v, &e) == TMS_OK, "n_features 5 accepted");
  v = num(2);
  CHECK(tms_spec_set(&s, "n_hidden", &v, &e) == TMS_OK, "n_hidden 2 accepted");
  v = num(0.9);
  CHECK(tms_spec_set(&s, "sparsity", &v, &e) == TMS_OK, "sparsity 0.9 accepted");
  CHECK_CLOSE("density from sparsity 0.9", s.density, 0.1, 1e-15);
  CHECK(tms_spec_validate(&s, &e) == TMS_OK, "complete spec validates: %s", e.msg);

  v = num(0);
  CHECK(tms_spec_set(&s, "density", &v, &e) == TMS_ERR_CONFIG, "density 0 rejected");
  CHECK(strstr(e.msg, "(0, 1]") != NULL, "range message names (0, 1], got '%s'", e.msg);
  v = num(2.5);
  CHECK(tms_spec_set(&s, "n_hidden", &v, &e) == TMS_ERR_CONFIG, "non-integer n_hidden rejected");
  v = num(-1e-3);
  CHECK(tms_spec_set(&s, "lr", &v, &e) == TMS_ERR_CONFIG, "negative lr rejected");
  v = word("relu_sideways");
  CHECK(tms_spec_set(&s, "variant", &v, &e) == TMS_ERR_CONFIG && strstr(e.msg, "relu_hidden"),
        "unknown variant rejected with the list of choices, got '%s'", e.msg);
  v = word("abs");
  CHECK(tms_spec_set(&s, "variant", &v, &e) == TMS_OK && s.variant == TMS_ABS, "variant abs accepted");
  v = num(3);
  CHECK(tms_spec_set(&s, "variant", &v, &e) == TMS_ERR_CONFIG, "number for an enum rejected");
  CHECK(tms_spec_set(&s, "no_such_key", &v, &e) == TMS_ERR_CONFIG && strstr(e.msg, "unknown"),
        "unknown key rejected");

  tms_value got;
  tms_spec_get(&s, "variant", &got);
  CHECK(got.is_string && strcmp(got.str, "abs") == 0, "get variant gives 'abs', got '%s'", got.str);
  tms_spec_get(&s, "sparsity", &got);
  CHECK_CLOSE("get sparsity", got.num, 0.9, 1e-15);

  float imp[5], den[5];
  v = num(0.5);
  tms_spec_set(&s, "importance_decay", &v, &e);
  v = num(7);
  tms_spec_set(&s, "last_importance", &v, &e);
  v = num(0.3);
  tms_spec_set(&s, "last_density", &v, &e);
  tms_spec_profile(&s, imp, den);
  CHECK_CLOSE("I_0", imp[0], 1.0, 0);
  CHECK_CLOSE("I_3 = 0.5^3", imp[3], 0.125, 0);
  CHECK_CLOSE("I_4 overridden", imp[4], 7.0, 0);
  CHECK_CLOSE("p_3", den[3], 0.1f, 0);
  CHECK_CLOSE("p_4 overridden", den[4], 0.3f, 0);

  s.steps = 10000;
  s.log_every = 100;
  CHECK(tms_spec_curve_len(&s) == 101, "10000 steps / 100: 101 entries (0..9900 and 9999), got %zu",
        tms_spec_curve_len(&s));
  CHECK(tms_spec_curve_step(&s, 100) == 9999, "last entry is step 9999, got %ld", tms_spec_curve_step(&s, 100));
  s.steps = 1001;
  CHECK(tms_spec_curve_len(&s) == 11, "1001 steps / 100: 11 entries (0..1000), got %zu", tms_spec_curve_len(&s));

  v = word("correlated");
  tms_spec_set(&s, "correlation", &v, &e);
  v = num(3);
  tms_spec_set(&s, "correlated_sets", &v, &e);
  CHECK(tms_spec_validate(&s, &e) == TMS_ERR_CONFIG && strcmp(e.key, "correlated_sets") == 0,
        "3 sets of 2 in 5 features rejected naming correlated_sets, got key '%s'", e.key);
  check_every_int_holds_its_max();
  return tms_check_finish("spec_registry");
}
