/* check: the quantitative must-show items of an experiment (E0-E9), measured on a results file, each with its
 * value, its spread over seeds, its threshold and a verdict. `tms-post check` prints them; the gallery and the
 * science tests run it. Which items exist, and why each threshold, is written beside each experiment's code
 * (check_e0_e4.c, check_e5_e9.c) and in analysis/SCIENCE.md.
 * The headline value of a per-cell item is that of the cell's lowest-loss seed (the paper keeps the best of its
 * restarts); lo..hi is the range over the cell's done seeds. Items that report without judging are INFO.
 * Not here: printing (src/5_bin/post), training. Invariant: a report depends only on the file's contents. */
#ifndef TMS_POST_CHECK_H
#define TMS_POST_CHECK_H
#include <stddef.h>

#include "post/post.h"

#define TMS_CHECK_MAX_LINES 64

typedef enum { TMS_CHECK_PASS = 0, TMS_CHECK_FAIL = 1, TMS_CHECK_INFO = 2 } tms_check_verdict;

typedef struct {
  char what[240];  /* what is measured, and where (cell, level) */
  double value;    /* the measured value */
  double lo, hi;   /* its spread over seeds (NaN when the item is not per seed) */
  char want[64];   /* the threshold as text, e.g. "= 2", ">= 3", "< 1e-06" ("" for INFO) */
  tms_check_verdict verdict;
} tms_check_line;

typedef struct {
  char experiment[8]; /* "e0" .. "e9" */
  int count;
  tms_check_line line[TMS_CHECK_MAX_LINES];
} tms_check_report;

/* The experiment a sweep name belongs to: "e3-uniform-quick" -> "e3", "default-e0-5in2" -> "e0" (the first
 * "e<digit>" token). 0 if none. */
int tms_check_experiment_of(const char *sweep_name, char *out, size_t size);
/* The root attribute sweep_name of a results file into buf. */
tms_status tms_check_sweep_name(const char *path, char *buf, size_t size, tms_error *err);

/* Measures the items of experiment (e0..e9) on res and its products pp (tms_post_compute; `tms-post check` drops
 * the worst seed for e2 only, as the paper, and computes the vulnerability for e7 only). loss_se may be NULL (the file has none); it is then not used. */
tms_status tms_post_check(tms_check_report *rep, const char *experiment, const tms_post_results *res,
                          const tms_post_products *pp, tms_error *err);

#endif
