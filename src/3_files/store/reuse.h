/* reuse: copying the done points of earlier results files into a new one (`tms-sweep run --reuse OLD.h5`).
 * A point's results depend only on its training spec and seed (grid.h), so a done point of an old file whose every
 * /params value and /points/seed equal those of a point of the new sweep holds exactly what training that point
 * would write; it is copied (re-padded to the new file's extents), not trained again.
 * Old files are only ever opened read-only. tms_reuse_open validates one (the schema's strict check, as --resume
 * does, plus the bookkeeping values) and reads its index (statuses, parameters and seeds of its done points) before
 * any output file is created, so a bad old file is refused with nothing written; tms_reuse_copy then commits the
 * matching rows through the store's ordinary kill-safe commit (results, flush, statuses, flush).
 * Not here: which files to reuse and what to print (cmd_run). Root only, like the store. */
#ifndef TMS_STORE_REUSE_H
#define TMS_STORE_REUSE_H
#include <stddef.h>

#include "config/config.h"
#include "core/status.h"
#include "store/store.h"

typedef struct tms_reuse_src tms_reuse_src; /* opaque: an old results file, open read-only, and its index */

typedef struct {
  size_t old_done;         /* done points in the old file */
  size_t reused;           /* of them, copied into the new file by this call */
  char git_commit[64];     /* the old file's git_commit and kernels_isa attributes (for the caller's notes: */
  char kernels_isa[32];    /*  another build's training code may not give the same bits) */
} tms_reuse_counts;

/* Opens path read-only and validates it: TMS_ERR_IO when it is missing or unreadable, TMS_ERR_SCHEMA when it is not
 * a tms results file of this schema or is damaged (one-line message naming path and what is wrong). */
tms_status tms_reuse_open(tms_reuse_src **out, const char *path, tms_error *err);
/* Copies every done point of src that equals a point of sweep which is pending or failed in dst (dst was made for
 * sweep) and counts them; points copied by an earlier call (another old file) are done and left alone. Errors:
 * TMS_ERR_HDF5/IO naming src's path when its rows cannot be read, or dst's when the commit fails; every point
 * committed before the error stays done. */
tms_status tms_reuse_copy(tms_reuse_src *src, tms_store *dst, const tms_sweep *sweep, tms_reuse_counts *counts,
                          tms_error *err);
const char *tms_reuse_path(const tms_reuse_src *src);
size_t tms_reuse_done(const tms_reuse_src *src); /* done points of the old file */
void tms_reuse_close(tms_reuse_src *src); /* safe with NULL */

#endif
