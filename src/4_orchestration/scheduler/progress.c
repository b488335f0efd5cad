/* progress: formatting a progress snapshot and writing it to "<OUT>.progress" atomically (tmp + rename), so a
 * reader (watch, monitoring) never sees a half-written file. Not here: deciding when to report (scheduler) or
 * printing to a terminal (cmd_run). */
#define _POSIX_C_SOURCE 200809L /* rename */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scheduler/scheduler.h"

void tms_progress_format(const tms_progress *p, char *buf, size_t size) {
  char eta[48];
  if (p->eta_s < 0) snprintf(eta, sizeof eta, "ETA unknown");
  else if (p->eta_s < 120) snprintf(eta, sizeof eta, "ETA %.0f s", p->eta_s);
  else if (p->eta_s < 7200) snprintf(eta, sizeof eta, "ETA %.1f min", p->eta_s / 60);
  else snprintf(eta, sizeof eta, "ETA %.1f h", p->eta_s / 3600);
  char running[48];
  if (p->running > 0 && p->inflight > 0)
    snprintf(running, sizeof running, "%zu (%.0f%%)", p->running, 100.0 * p->inflight / (double)p->running);
  else snprintf(running, sizeof running, "%zu", p->running);
  snprintf(buf, size, "done %zu/%zu, failed %zu, pending %zu, running %s, %.3g points/s, %s%s", p->done, p->total,
           p->failed, p->pending, running, p->points_per_s, eta, p->stopping ? " (stopping)" : "");
}

tms_status tms_progress_write_file(const char *path, const tms_progress *p, tms_error *err) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return tms_error_set(err, TMS_ERR_IO, tmp, 0, 0, NULL, "cannot write progress: %s", strerror(errno));
  fprintf(f,
          "total=%zu\ndone=%zu\nfailed=%zu\npending=%zu\nrunning=%zu\nskipped=%zu\ndone_this_run=%zu\n"
          "inflight=%.4f\nelapsed_s=%.3f\npoints_per_s=%.6g\neta_s=%.1f\nstopping=%d\nfinal=%d\n",
          p->total, p->done, p->failed, p->pending, p->running, p->skipped, p->done_this_run, p->inflight,
          p->elapsed_s, p->points_per_s, p->eta_s, p->stopping, p->final);
  int bad = ferror(f);
  if (fclose(f) != 0 || bad) {
    remove(tmp);
    return tms_error_set(err, TMS_ERR_IO, tmp, 0, 0, NULL, "cannot write progress");
  }
  if (rename(tmp, path) != 0) {
    remove(tmp);
    return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot replace progress file: %s", strerror(errno));
  }
  return TMS_OK;
}
