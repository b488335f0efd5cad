/* generators: the numeric axis generators of a sweep file (linspace, logspace, geomspace, range) turned into
 * value lists. Not the parser: it sees plain numbers and returns a reason string; config.c adds the location.
 * Invariants: endpoints are exact (the last value is `stop` itself, 10^integer is the correctly rounded
 * decimal), every list has at least one value, a value is computed from its index, never accumulated. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "config_internal.h"

/* 10^e, exact for integer exponents (pow may be off by an ulp on some libms; strtod never is). */
static double exp10_exact(double e) {
  if (e == floor(e) && fabs(e) <= 308) {
    char buf[32];
    snprintf(buf, sizeof buf, "1e%d", (int)e);
    return strtod(buf, NULL);
  }
  return pow(10.0, e);
}

static tms_status why_fail(char *why, size_t size, const char *msg) {
  snprintf(why, size, "%s", msg);
  return TMS_ERR_CONFIG;
}

tms_status tms_config_generate(tms_gen_kind kind, double a, double b, double c, double **out, int *count, char *why,
                               size_t why_size) {
  *out = NULL;
  *count = 0;
  if (!isfinite(a) || !isfinite(b) || !isfinite(c)) return why_fail(why, why_size, "start, stop and num/step must be finite numbers");
  long n;
  if (kind == TMS_GEN_RANGE) {
    if (c == 0) return why_fail(why, why_size, "step must not be 0");
    double span = (b - a) / c;
    /* stop is excluded; a span within rounding of an integer k gives exactly k values */
    double k = round(span);
    double exact = fabs(span - k) <= 1e-9 * fmax(1.0, fabs(span)) ? k : ceil(span);
    if (exact < 1) {
      snprintf(why, why_size, "empty axis: no values from %g to %g in steps of %g (stop is excluded)", a, b, c);
      return TMS_ERR_CONFIG;
    }
    if (exact > TMS_AXIS_MAX_VALUES) {
      snprintf(why, why_size, "range would have %.0f values, more than the limit %d", exact, TMS_AXIS_MAX_VALUES);
      return TMS_ERR_CONFIG;
    }
    n = (long)exact;
  } else {
    if (c != floor(c)) {
      snprintf(why, why_size, "num must be an integer, got %g", c);
      return TMS_ERR_CONFIG;
    }
    if (c < 1) {
      snprintf(why, why_size, "empty axis: num must be >= 1, got %g", c);
      return TMS_ERR_CONFIG;
    }
    if (c > TMS_AXIS_MAX_VALUES) {
      snprintf(why, why_size, "num %g is more than the limit %d", c, TMS_AXIS_MAX_VALUES);
      return TMS_ERR_CONFIG;
    }
    n = (long)c;
    if (kind == TMS_GEN_GEOMSPACE && (a == 0 || b == 0 || (a < 0) != (b < 0)))
      return why_fail(why, why_size, "start and stop must be non-zero and of the same sign");
  }

  double *v = malloc((size_t)n * sizeof *v);
  if (!v) return why_fail(why, why_size, "out of memory");
  for (long i = 0; i < n; i++) {
    double t = n > 1 ? (double)i / (double)(n - 1) : 0.0;
    switch (kind) {
      case TMS_GEN_LINSPACE: v[i] = (i == n - 1 && n > 1) ? b : a + (b - a) * t; break;
      case TMS_GEN_LOGSPACE: v[i] = exp10_exact((i == n - 1 && n > 1) ? b : a + (b - a) * t); break;
      case TMS_GEN_GEOMSPACE:
        v[i] = (i == 0) ? a : (i == n - 1) ? b : (a < 0 ? -1.0 : 1.0) * exp(log(fabs(a)) + (log(fabs(b)) - log(fabs(a))) * t);
        break;
      case TMS_GEN_RANGE: v[i] = a + (double)i * c; break;
    }
  }
  *out = v;
  *count = (int)n;
  return TMS_OK;
}
