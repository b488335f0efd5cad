/* config_internal: helpers shared by the files of the config module (config.c, generators.c, grid.c).
 * Not a public interface: nothing outside src/config includes this. */
#ifndef TMS_CONFIG_INTERNAL_H
#define TMS_CONFIG_INTERNAL_H
#include <stddef.h>

#include "config/config.h"
#include "config/grid.h"
#include "core/spec.h"

/* Limits that keep a typo from allocating the machine away; each is far above any sensible sweep. The number of
 * axes is limited by TMS_GRID_MAX_AXES of config/grid.h (shared with the files layer). */
enum { TMS_AXIS_MAX_VALUES = 1000000, TMS_REPLICATES_MAX = 1000000 };
/* The root keeps a few dozen bytes of state per point (status, attempts, queue): 1e9 points is tens of GB. */
#define TMS_GRID_MAX_POINTS 1e9

typedef enum { TMS_GEN_LINSPACE, TMS_GEN_LOGSPACE, TMS_GEN_GEOMSPACE, TMS_GEN_RANGE } tms_gen_kind;

/* Materialises a numeric generator: (a, b, c) = (start, stop, num) or for range (start, stop, step).
 * On error returns TMS_ERR_CONFIG with a reason in why (the caller adds file:line:col and key);
 * on success *out is malloc'ed with *count >= 1 values, endpoints exact. */
tms_status tms_config_generate(tms_gen_kind kind, double a, double b, double c, double **out, int *count, char *why,
                               size_t why_size);

/* Values compare equal: same word, or numbers within relative tolerance 1e-9 (the exclude rule). */
int tms_config_value_equal(const tms_value *a, const tms_value *b);
/* Writes a value as the user would ("relu_out", "0.1", "1e-05"). */
void tms_config_value_text(const tms_value *v, char *buf, size_t size);

/* Builds / frees sweep->grid_cache (grid.c): defaults + fixed applied once, and the canonical bytes of every
 * parameter that no axis changes, so a point's spec and seed cost only its swept parameters. */
tms_status tms_config_grid_prepare(tms_sweep *sweep);
void tms_config_grid_release(tms_sweep *sweep);

/* Bytes one point takes in the results file, given the sweep's largest shape (grid_limits.c). */
double tms_config_bytes_per_point(int n_max, int m_max, int has_w2, size_t curve_max, size_t snapshot_max,
                                  size_t eval_max);

/* Where key was written (fixed, an axis or a zip member); 0 if nowhere. */
int tms_config_where(const tms_sweep *sweep, const char *key, int *line, int *col);

#endif
