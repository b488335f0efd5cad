/* results_file: writes small results files for the post tests with the HDF5 C API, following the brief's
 * "Results file" contract (schema tms-results/1) field by field, so the tests do not depend on tms-sweep run.
 * Not a second store implementation: no MPI, no resume, no kill-safety; values come from the test. */
#ifndef TMS_TEST_POST_RESULTS_FILE_H
#define TMS_TEST_POST_RESULTS_FILE_H
#include <stddef.h>
#include <stdint.h>

#include "core/spec.h"

#define TEST_MAX_DIMS 8

typedef struct {
  int rank;                     /* including the replicate dim (last) */
  size_t dims[TEST_MAX_DIMS];
  const char *names[TEST_MAX_DIMS];   /* names[rank-1] = "replicate" */
  const double *axis[TEST_MAX_DIMS];  /* values of each non-replicate dim */
  const char *const *words[TEST_MAX_DIMS]; /* or, if not NULL, its words (variable-length strings) */
  int n_max, m_max;
  const tms_spec *spec;         /* (P) per point */
  const uint8_t *status;        /* (P) */
  const double *loss;           /* (P) */
  const float *W;               /* (P, n_max, m_max) */
  const float *W2;              /* (P, n_max, m_max) or NULL: no /results/W2 */
  const float *b;               /* (P, n_max) */
  const char *schema;           /* NULL: "tms-results/1" */
  int omit_W;                   /* 1: leave out /results/W */
  size_t snapshot_len, eval_len; /* 0: no /results/W_history, /results/eval_curve; else their extents */
  const float *W_history;       /* (P, snapshot_len, n_max, m_max) when snapshot_len > 0 */
  const float *eval_curve;      /* (P, eval_len) when eval_len > 0 */
} test_results;

size_t test_points(const test_results *t);
/* 0 on success; prints what failed to stderr otherwise. */
int test_write_results(const char *path, const test_results *t);

#endif
