/* space: free-space check before a results file is created, and naming a full disk after a failed write.
 * Not here: the decision what to do about it (cmd_run: one line, exit 3). Invariants: never prints; statvfs only
 * (no test writes), so checking costs nothing and changes nothing on disk. */
#define _POSIX_C_SOURCE 200809L
#include "store/space.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "config/grid.h"

/* HDF5's own bytes beside the raw data, measured on files of the orchestrator tests (a 24-point file of 22 kB of
 * data takes 92 kB): the superblock, object headers and attributes of some forty datasets, dimension-scale
 * references, the sweep text stored as an attribute. A generous constant plus the text. */
#define METADATA_BYTES (512.0 * 1024.0)

double tms_space_estimate(const tms_sweep *sweep) {
  return tms_grid_output_bytes(sweep) * 1.02 + METADATA_BYTES + 2.0 * (double)sweep->text_len;
}

double tms_space_available(const char *path) {
  char buf[1100];
  snprintf(buf, sizeof buf, "%s", path);
  const char *dir = dirname(buf); /* the file may not exist yet */
  struct statvfs v;
  if (statvfs(dir, &v) != 0) return -1;
  return (double)v.f_bavail * (double)v.f_frsize;
}

static void human(double bytes, char *buf, size_t size) {
  const char *unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (bytes >= 1000.0 && u < 5) {
    bytes /= 1000.0;
    u++;
  }
  snprintf(buf, size, "%.3g %s", bytes, unit[u]);
}

tms_status tms_space_check(const char *path, const tms_sweep *sweep, tms_error *err) {
  const char *skip = getenv("TMS_NO_SPACE_CHECK");
  if (skip && strcmp(skip, "1") == 0) return TMS_OK;
  double need = tms_space_estimate(sweep), have = tms_space_available(path);
  if (have < 0 || need <= have) return TMS_OK;
  char n[32], h[32];
  human(need, n, sizeof n);
  human(have, h, sizeof h);
  return tms_error_set(err, TMS_ERR_NOSPACE, path, 0, 0, NULL,
                       "the results file needs about %s but its file system has %s free; free space or choose "
                       "another -o (TMS_NO_SPACE_CHECK=1 skips this check)",
                       n, h);
}

tms_status tms_space_fail(tms_error *err, const char *path, const char *what) {
  int e = errno;
  double have = tms_space_available(path);
  if (e == ENOSPC || e == EDQUOT || (have >= 0 && have < 1024.0 * 1024.0)) {
    char h[32];
    human(have < 0 ? 0 : have, h, sizeof h);
    return tms_error_set(err, TMS_ERR_NOSPACE, path, 0, 0, NULL,
                         "no space left on its file system (%s free, %s) when trying to %s",
                         h, e == EDQUOT ? "quota exceeded" : "disk full", what);
  }
  return tms_error_set(err, TMS_ERR_HDF5, path, 0, 0, NULL, "HDF5 failed to %s", what);
}
