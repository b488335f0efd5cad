/* store: the results file of a sweep (HDF5, schema "tms-results/1"; layout: schema/schema.h, sweeps/results-layout.md).
 * Only the root rank holds a store. The file is opened with the MPI-IO driver on MPI_COMM_SELF, so flushes are
 * the root's alone and never wait for busy workers; workers send their results to the root by messages. When MPI
 * is not initialised (tms-sweep train --out) the serial driver is used instead; the layout is the same.
 * Invariants (kill-safety): every object and attribute is created once, at full size, when the file is made, and
 * flushed before the file appears under its final name; afterwards only raw data is written. A commit writes a
 * point's results, flushes, then writes its status, and flushes again, so any point marked done is complete. */
#ifndef TMS_STORE_H
#define TMS_STORE_H
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/status.h"
#include "schema/schema.h" /* TMS_RESULTS_SCHEMA, the dataset table, TMS_POINT_* status values */

typedef struct tms_store tms_store; /* opaque: holds the HDF5 handles */

/* What the caller knows about the environment (the store adds HDF5's version and the creation time). */
typedef struct {
  const char *tool_version, *git_commit;
  const char *mpi_version;     /* MPI_Get_library_version (first line is enough) */
  const char *openblas_config; /* openblas_get_config(), or "unknown" */
  int openblas_num_threads;    /* threads in effect (openblas_get_num_threads()) */
  int ranks;                   /* MPI ranks of the run that created the file */
  const char *kernels_isa;     /* instruction-set path of the kernels (tms_kernels_isa(): avx512, avx2, generic) */
  const char *openblas_core;   /* openblas_get_corename() (follows OPENBLAS_CORETYPE) */
} tms_store_provenance;

/* One point's outcome as committed. Arrays are padded to the file's extent (see tms_grid_extent):
 * loss_curve (curve_max, NaN padded), W and W2 (n_max*m_max, row i = W_i, zero padded), b (n_max),
 * norm/interference/dimensionality (n_max, NaN beyond n). status TMS_OK = done; anything else = failed attempt
 * (only attempts, error, wall_s and eval_s are written then). W2 may be NULL when the file has no /results/W2.
 * W_history (snapshot_max*n_max*m_max: entry k's W padded like W; NaN entries beyond the point's own snapshot length)
 * is written when the file has /results/W_history (tms_grid_snapshot_max > 0) and it is not NULL. */
typedef struct {
  size_t index;
  tms_status status;
  double wall_s, loss, loss_se, dstar;
  const float *loss_curve, *W, *W2, *b;
  const double *norm, *interference, *dimensionality;
  const float *W_history; /* last, so positional initialisers written before it existed leave it NULL */
  const float *eval_curve; /* (eval_max, NaN padded) written when the file has /results/eval_curve; after W_history
                              for the same reason */
  double eval_s; /* seconds of the final evaluation (part of wall_s), written like wall_s when the file has
                    /points/eval_s (not in files made before it was recorded); last for the same reason */
} tms_point_record;

/* Creates path (must not exist unless force) for a validated sweep. The file is built under "<path>.creating",
 * flushed, and only then moved to path, so path is either absent or complete. Root only. */
tms_status tms_store_create(tms_store **out, const char *path, const tms_sweep *sweep,
                            const tms_store_provenance *prov, int force, tms_error *err);
/* Opens an existing results file for resuming. Refuses (TMS_ERR_MISMATCH) when its config hash differs from the
 * sweep's unless force_resume; even forced, the layout (grid shape, extents) must match, and a done point whose
 * parameters or seed changed is pending again (tms_store_forced_retrain). Root only. */
tms_status tms_store_open_resume(tms_store **out, const char *path, const tms_sweep *sweep, int force_resume,
                                 tms_error *err);
/* Commits count records: results of every record, flush, then statuses, flush. Increments attempts. */
tms_status tms_store_commit(tms_store *st, const tms_point_record *recs, int count, tms_error *err);
/* Closes the file (flushing); frees st. Safe with NULL. Returns the first error met. */
tms_status tms_store_close(tms_store *st, tms_error *err);

/* The in-memory copy of /points/status and /points/attempts and /points/error (point_count entries). */
const uint8_t *tms_store_status(const tms_store *st);
const int32_t *tms_store_attempts(const tms_store *st);
const int32_t *tms_store_errors(const tms_store *st);
size_t tms_store_point_count(const tms_store *st);
/* After a forced resume: how many done or failed points changed parameters or seed and are pending again. */
size_t tms_store_forced_retrain(const tms_store *st);

#endif
