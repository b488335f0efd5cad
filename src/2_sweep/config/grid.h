/* grid: expands a validated sweep into points. Point index = C order over the axes as written, replicate
 * innermost. A point's seed is a hash of the master seed, every parameter value of the point and its replicate
 * index, never of its index or of who trains it, so results survive resumes, rank changes and appended axis values. */
#ifndef TMS_GRID_H
#define TMS_GRID_H
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/spec.h"

/* The one limit on a grid's size in dims: at most TMS_GRID_MAX_AXES axes (a zip group counts once), plus the
 * replicate dim. The sweep definition refuses more, and the files layer (schema.h: TMS_SCHEMA_MAX_RANK) takes its
 * limit from here, so every sweep that runs is one the store writes and tms-post reads. It lives in the sweep layer,
 * the lowest that knows what an axis is; the files layer sits above and may include it. */
enum { TMS_GRID_MAX_AXES = 16, TMS_GRID_MAX_RANK = TMS_GRID_MAX_AXES + 1 };

int tms_grid_rank(const tms_sweep *sweep);                     /* n_axes + 1 (replicates) */
void tms_grid_shape(const tms_sweep *sweep, size_t *dims);      /* dims[rank] */
size_t tms_grid_count(const tms_sweep *sweep);                  /* product of dims */
void tms_grid_coords(const tms_sweep *sweep, size_t index, size_t *coords);
/* The training spec of point index: defaults, then fixed, then axis values, then its seed. */
tms_status tms_grid_spec(const tms_sweep *sweep, size_t index, tms_spec *spec, tms_error *err);
int tms_grid_excluded(const tms_sweep *sweep, size_t index);
/* Largest n, m, curve length over all points, and whether any point has W2 (abs). */
void tms_grid_extent(const tms_sweep *sweep, int *n_max, int *m_max, size_t *curve_max, int *has_w2);
/* Longest W history (tms_spec_snapshot_len) over all points; 0 when no point has snapshot_every > 0. */
size_t tms_grid_snapshot_max(const tms_sweep *sweep);
/* Longest evaluation curve (tms_spec_eval_len) over all points; 0 when no point has eval_every > 0. */
size_t tms_grid_eval_max(const tms_sweep *sweep);
/* Validates every point's spec (cross-field rules); err points at the line of a key involved. */
tms_status tms_grid_validate(const tms_sweep *sweep, tms_error *err);
/* Hash of the expanded canonical configuration (values, not spelling): equal for equivalent files. */
uint64_t tms_grid_config_hash(const tms_sweep *sweep);
/* Model-steps (sum of steps over non-excluded points) and the results-file size in bytes. */
double tms_grid_model_steps(const tms_sweep *sweep);
double tms_grid_output_bytes(const tms_sweep *sweep);
/* Limits before work (grid_limits.c): the point count as a double (never overflows), and the results-file size
 * from the axes' values without visiting the points: equal to tms_grid_output_bytes without exclusions, an upper
 * bound with them. Both take microseconds to milliseconds whatever the point count. */
double tms_grid_points(const tms_sweep *sweep);
double tms_grid_output_bytes_quick(const tms_sweep *sweep);

#endif
