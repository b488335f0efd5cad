/* run_reuse: the `--reuse OLD.h5` part of `tms-sweep run` on the root: open and validate every old file before the
 * output is touched, then copy their matching done points into it and say how many. */
#ifndef TMS_RUN_REUSE_H
#define TMS_RUN_REUSE_H
#include <stddef.h>

#include "config/config.h"
#include "store/reuse.h"
#include "store/store.h"

enum { TMS_RUN_MAX_REUSE = 64 };

/* Opens every path read-only and validates it (srcs[i] for paths[i]); refuses an old file that is the output file
 * itself. On failure everything opened is closed again and err names the file: the caller exits 2. */
tms_status tms_run_reuse_open(const char *const *paths, int n, const char *out_path, tms_reuse_src **srcs,
                              tms_error *err);
/* Copies from srcs in order (a point found in an earlier file is not looked up in later ones), one line per file
 * unless quiet; *reused gets the total. Closes every source. Errors are runtime errors (exit 3). */
tms_status tms_run_reuse_copy(tms_reuse_src **srcs, int n, tms_store *store, const tms_sweep *sweep, int quiet,
                              size_t *reused, tms_error *err);
void tms_run_reuse_close(tms_reuse_src **srcs, int n);

#endif
