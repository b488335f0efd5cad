/* check: the small assertion kit every test program uses.
 * A failed check prints where, what differed and by how much, and makes tms_check_finish() return 1.
 * Not a framework: no registration, no fixtures; a test program is a main() calling checks. */
#ifndef TMS_TEST_CHECK_H
#define TMS_TEST_CHECK_H
#include <stddef.h>

/* Fails if !ok; fmt describes the expectation. */
#define CHECK(ok, ...) tms_check_true((ok), __FILE__, __LINE__, __VA_ARGS__)
/* Fails if |got - want| > tol; prints got, want, |diff| and tol. */
#define CHECK_CLOSE(what, got, want, tol) tms_check_close((what), (got), (want), (tol), __FILE__, __LINE__)
/* Fails if any |got[i] - want[i]| > rel_tol * max_i |want[i]|; prints the worst index and the margin. */
#define CHECK_ARRAY_CLOSE(what, got, want, count, rel_tol) \
  tms_check_array_close((what), (got), (want), (count), (rel_tol), __FILE__, __LINE__)

int tms_check_true(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int tms_check_close(const char *what, double got, double want, double tol, const char *file, int line);
int tms_check_array_close(const char *what, const float *got, const float *want, size_t count, double rel_tol,
                          const char *file, int line);
/* Prints "<name>: N checks, M failed" and returns the exit code (0 all passed, 1 otherwise). */
int tms_check_finish(const char *name);

#endif
