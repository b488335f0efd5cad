/* check: see check.h. Counts checks and failures in two globals; single-threaded by design. */
#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static int checks_run, checks_failed;

int tms_check_true(int ok, const char *file, int line, const char *fmt, ...) {
  checks_run++;
  if (ok) return 1;
  checks_failed++;
  fprintf(stderr, "%s:%d: FAILED: ", file, line);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return 0;
}

int tms_check_close(const char *what, double got, double want, double tol, const char *file, int line) {
  double diff = fabs(got - want);
  int ok = diff <= tol; /* false for NaN, as it should be */
  return tms_check_true(ok, file, line, "%s: got %.9g, want %.9g, |diff| %.3g > tol %.3g", what, got, want, diff,
                        tol);
}

int tms_check_array_close(const char *what, const float *got, const float *want, size_t count, double rel_tol,
                          const char *file, int line) {
  double scale = 0.0, worst = -1.0;
  size_t worst_i = 0;
  for (size_t i = 0; i < count; i++)
    if (fabs(want[i]) > scale) scale = fabs(want[i]);
  for (size_t i = 0; i < count; i++) {
    double d = fabs((double)got[i] - (double)want[i]);
    if (!(d <= worst) || isnan(d)) { worst = isnan(d) ? INFINITY : d; worst_i = i; }
  }
  double tol = rel_tol * (scale > 0 ? scale : 1.0);
  if (count == 0) return tms_check_true(1, file, line, "%s", what);
  return tms_check_true(worst <= tol, file, line,
                        "%s: worst element %zu of %zu: got %.9g, want %.9g, |diff| %.3g > tol %.3g (%.1e x max|want| %.4g)",
                        what, worst_i, count, (double)got[worst_i], (double)want[worst_i], worst, tol, rel_tol, scale);
}

int tms_check_finish(const char *name) {
  printf("%s: %d checks, %d failed\n", name, checks_run, checks_failed);
  return checks_failed ? 1 : 0;
}
