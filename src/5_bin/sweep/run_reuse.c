/* run_reuse: `tms-sweep run NEW.yaml -o NEW.h5 --reuse OLD.h5 [--reuse OLD2.h5 ...]` on the root (run_reuse.h).
 * Order: every old file is opened read-only and validated before the lock and the output file are taken (a bad
 * old file: exit 2, nothing written); after the output is created or opened to resume, the matching done points
 * are copied through the store's commit, so the scheduler then finds them done and trains only the rest.
 * With --resume: the points the file has done stay; the old files fill points still pending or failed. */
#include "run_reuse.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "kernels/kernels.h"

void tms_run_reuse_close(tms_reuse_src **srcs, int n) {
  for (int i = 0; i < n; i++) {
    tms_reuse_close(srcs[i]);
    srcs[i] = NULL;
  }
}

tms_status tms_run_reuse_open(const char *const *paths, int n, const char *out_path, tms_reuse_src **srcs,
                              tms_error *err) {
  struct stat out_sb;
  int out_exists = stat(out_path, &out_sb) == 0;
  for (int i = 0; i < n; i++) {
    struct stat sb;
    tms_status s = TMS_OK;
    if (out_exists && stat(paths[i], &sb) == 0 && sb.st_dev == out_sb.st_dev && sb.st_ino == out_sb.st_ino)
      s = tms_error_set(err, TMS_ERR_USAGE, paths[i], 0, 0, NULL,
                        "cannot reuse the output file itself (to continue it, use --resume)");
    else
      s = tms_reuse_open(&srcs[i], paths[i], err);
    if (s != TMS_OK) {
      tms_run_reuse_close(srcs, i);
      return s;
    }
  }
  return TMS_OK;
}

/* A note when the old file was written by another build or kernel path: its results are that code's, and the
 * equality with training here holds only if that code computes the same bits. */
static void provenance_note(const char *path, const tms_reuse_counts *c) {
  const char *isa = tms_kernels_isa();
  int other_build = c->git_commit[0] && strcmp(c->git_commit, tms_git_commit()) != 0;
  int other_isa = c->kernels_isa[0] && isa && strcmp(c->kernels_isa, isa) != 0;
  if (c->reused && (other_build || other_isa))
    fprintf(stderr,
            "tms-sweep run: note: %s was written by build %s (kernels %s), this is %s (kernels %s): its reused "
            "points are that build's results\n",
            path, c->git_commit, c->kernels_isa, tms_git_commit(), isa ? isa : "?");
}

tms_status tms_run_reuse_copy(tms_reuse_src **srcs, int n, tms_store *store, const tms_sweep *sweep, int quiet,
                              size_t *reused, tms_error *err) {
  tms_status s = TMS_OK;
  *reused = 0;
  for (int i = 0; i < n && s == TMS_OK; i++) {
    tms_reuse_counts c;
    s = tms_reuse_copy(srcs[i], store, sweep, &c, err);
    if (s != TMS_OK) break;
    *reused += c.reused;
    if (!quiet)
      fprintf(stderr, "tms-sweep run: reused %zu point(s) from %s (of its %zu done; the others differ in parameters "
                      "or seed, or were found earlier)\n",
              c.reused, tms_reuse_path(srcs[i]), c.old_done);
    if (!quiet) provenance_note(tms_reuse_path(srcs[i]), &c);
  }
  tms_run_reuse_close(srcs, n);
  if (s == TMS_OK && !quiet && n > 0) {
    size_t left = 0, count = tms_store_point_count(store);
    const uint8_t *st = tms_store_status(store);
    for (size_t p = 0; p < count; p++) left += st[p] == TMS_POINT_PENDING || st[p] == TMS_POINT_FAILED;
    fprintf(stderr, "tms-sweep run: %zu point(s) reused in all, %zu to train\n", *reused, left);
  }
  return s;
}
