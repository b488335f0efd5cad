/* metrics: what a trained W says about superposition (SCIENCE.md section 4), computed in float64.
 * W is (N, M) float32, row i = W_i. Every function here is deterministic and never returns NaN for finite W. */
#ifndef TMS_METRICS_H
#define TMS_METRICS_H
#include "core/status.h"

/* D_i is set to 0 when ||W_i||^2 < TMS_DIM_THRESHOLD * max_j ||W_j||^2 (unlearned features). */
#define TMS_DIM_THRESHOLD 1e-6

typedef enum { TMS_PHASE_NOT_REPRESENTED = 0, TMS_PHASE_DEDICATED = 1, TMS_PHASE_SUPERPOSITION = 2 } tms_phase;

void tms_metric_gram(double *G /* (N, N) */, const float *W /* (N, M) */, int n, int m);
/* s_i = sum_{j != i} (What_i . W_j)^2 (0 for a zero row). */
tms_status tms_metric_interference(double *s /* (N) */, const float *W, int n, int m);
/* D_i = ||W_i||^2 / sum_j (What_i . W_j)^2 with the threshold rule above. */
tms_status tms_metric_dimensionality(double *D /* (N) */, const float *W, int n, int m);
/* D* = m / ||W||_F^2 (0 if W = 0). */
double tms_metric_dstar(const float *W, int n, int m);
/* All per-point metrics in one pass (what the results file stores). */
tms_status tms_metric_point(double *norm /* (N) */, double *interference /* (N) */, double *dimensionality /* (N) */,
                            double *dstar, const float *W, int n, int m);

/* Phase class of one feature from ||W_x||^2 and D_x: not represented if N < 0.5; dedicated if D >= 0.75;
 * superposition otherwise (SCIENCE.md E2). tms-post writes both thresholds into the post file. */
#define TMS_PHASE_NORM_SQ_MIN 0.5
#define TMS_PHASE_DEDICATED_MIN 0.75
tms_phase tms_metric_phase(double norm_sq, double dimensionality);
const char *tms_phase_name(tms_phase phase);
/* Geometry label of a feature dimensionality: the nearest reference fraction (1, 3/4, 2/3, 1/2, 2/5, 3/8, 1/3, 0)
 * within tol, else "other". */
const char *tms_metric_geometry(double dimensionality, double tol);
/* The same table by index (what the post file stores as int8, with the names as an attribute): index of the
 * nearest reference fraction within tol, or -1 for "other". Ties go to the earlier entry. */
int tms_metric_geometry_index(double dimensionality, double tol);
int tms_geometry_count(void);                /* 8 */
const char *tms_geometry_name_at(int index); /* "dedicated", ..., "not_learned"; "other" out of range */
double tms_geometry_value_at(int index);     /* 1, 3/4, 2/3, 1/2, 2/5, 3/8, 1/3, 0; NaN out of range */

#endif
