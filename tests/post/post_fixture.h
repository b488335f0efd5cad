/* post_fixture: the hand-made results files and readers the tms-post tests share (test_post.c,
 * test_post_agreement.c): a fixture of up to 128 points of n <= 3, m <= 2, the phase fixture (2 importances x 4
 * densities x 3 replicates of n=2, m=1 relu_out, written by results_file.c), post on a file, and the readers of
 * what the post file holds. */
#ifndef TMS_TEST_POST_FIXTURE_H
#define TMS_TEST_POST_FIXTURE_H
#include <stddef.h>
#include <stdint.h>

#include "post/post.h"
#include "post/results_file.h"

enum { KIND_A, KIND_B, KIND_C, KIND_Z }; /* n=2, m=1 weights: [1,0], [0,1], [1,-1], [0,0] */

typedef struct {
  test_results t;
  tms_spec spec[128];
  uint8_t status[128];
  double loss[128];
  float W[128 * 6], b[128 * 3];
  double ax0[16], ax1[16];
} fixture;

void fixture_spec(tms_spec *s, int n, int m, double r, double p, uint64_t seed); /* defaults, eval_batch 256 */
void set_w2(fixture *f, size_t p, int kind); /* point p's n=2, m=1 weights of the kind, b = 0 */
/* 2 importances x 4 densities x 3 replicates of n=2, m=1 relu_out: classes, losses and statuses per point. */
void phase_fixture(fixture *f);
/* Reads the results file at path into res and computes its products into pp. */
int run_post(tms_post_products *pp, tms_post_results *res, const char *path, const tms_post_options *opt,
             tms_error *err);
/* Dataset ds of the file at path into out (-1 if it cannot be read). */
int read_i8(const char *path, const char *ds, signed char *out);
int read_f64(const char *path, const char *ds, double *out);
/* A variable-length string attribute of the root, or "" */
void read_root_text(const char *path, const char *name, char *buf, size_t size);

#endif
