/* space: free space on the file system of a results file. The file is allocated in full when it is created
 * (early allocation, fill values written), so the one moment a results file itself can run out of space on an
 * ordinary file system is its creation; this module checks before it and names a full disk after a failure.
 * Not here: the output-size limit run.max_output_gb (config), the layout (store). */
#ifndef TMS_STORE_SPACE_H
#define TMS_STORE_SPACE_H
#include "config/config.h"
#include "core/status.h"

/* Bytes the results file of sweep takes on disk, from its layout without creating it: the datasets
 * (tms_grid_output_bytes) plus HDF5's metadata (object headers, attributes, the sweep text, dimension scales). */
double tms_space_estimate(const tms_sweep *sweep);
/* Bytes available to this user on the file system that holds path (path need not exist; its directory must);
 * < 0 when unknown. */
double tms_space_available(const char *path);
/* TMS_ERR_NOSPACE (naming need and available) when the results file of sweep does not fit beside path. A file
 * system that does not report its free space passes. The environment variable TMS_NO_SPACE_CHECK=1 skips the check
 * (for file systems whose statvfs misreports, e.g. some FUSE mounts, or quotas it does not show). */
tms_status tms_space_check(const char *path, const tms_sweep *sweep, tms_error *err);
/* After a failed write to path: TMS_ERR_NOSPACE with a message naming what failed when the file system of path
 * is full (errno ENOSPC or EDQUOT, or less than 1 MiB available), else TMS_ERR_HDF5 "HDF5 failed to <what>". */
tms_status tms_space_fail(tms_error *err, const char *path, const char *what);

#endif
