/* test_store_progress: the progress file (key=value, replaced atomically, no .tmp left behind), the progress
 * line, and the signal flags the scheduler relies on (stop at once, abandon after the grace period). */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "scheduler/scheduler.h"

static int file_has(const char *path, const char *line) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char buf[256];
  int found = 0;
  while (fgets(buf, sizeof buf, f)) {
    buf[strcspn(buf, "\n")] = 0;
    if (strcmp(buf, line) == 0) found = 1;
  }
  fclose(f);
  return found;
}

int main(void) {
  const char *path = "test_store_progress.out";
  tms_progress p;
  memset(&p, 0, sizeof p);
  p.total = 12, p.done = 5, p.failed = 1, p.pending = 4, p.running = 2, p.skipped = 3, p.done_this_run = 5;
  p.elapsed_s = 10, p.points_per_s = 0.5, p.eta_s = 12;
  tms_error e;
  CHECK(tms_progress_write_file(path, &p, &e) == TMS_OK, "write progress");
  CHECK(file_has(path, "done=5") && file_has(path, "failed=1") && file_has(path, "pending=4") &&
            file_has(path, "total=12") && file_has(path, "final=0"),
        "progress file has the counts");
  p.done = 6, p.final = 1;
  CHECK(tms_progress_write_file(path, &p, &e) == TMS_OK, "replace progress");
  CHECK(file_has(path, "done=6") && !file_has(path, "done=5") && file_has(path, "final=1"), "file replaced");
  CHECK(access("test_store_progress.out.tmp", F_OK) != 0, "no temporary file left behind");
  CHECK(tms_progress_write_file("/nonexistent-dir/x.progress", &p, &e) == TMS_ERR_IO, "unwritable path -> IO");
  char line[256];
  tms_progress_format(&p, line, sizeof line);
  CHECK(strstr(line, "done 6/12") && strstr(line, "failed 1") && strstr(line, "ETA"), "progress line: %s", line);
  remove(path);

  /* Signals: a stop is seen at once; the abandon flag rises only after the grace period (alarm). */
  tms_signals_install(1.0);
  CHECK(!tms_signals_stop_requested() && !*tms_signals_abandon_flag(), "flags clear after install");
  raise(SIGUSR1);
  CHECK(tms_signals_stop_requested(), "SIGUSR1 requests a stop");
  CHECK(!*tms_signals_abandon_flag(), "running points are not abandoned before the grace period");
  for (int i = 0; i < 100 && !*tms_signals_abandon_flag(); i++) {
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
  }
  CHECK(*tms_signals_abandon_flag(), "abandon flag raised after the grace period (waited up to 5 s)");
  tms_signals_install(0);
  raise(SIGTERM);
  CHECK(tms_signals_stop_requested() && *tms_signals_abandon_flag(), "grace 0: SIGTERM abandons at once");

  /* Installed before the grace is known (tms-sweep run, before MPI_Init): a stop is recorded, not fatal, and its
   * grace period counts from set_grace; a signal after set_grace behaves as after install. */
  tms_signals_install_early();
  CHECK(!tms_signals_stop_requested() && !*tms_signals_abandon_flag(), "flags clear after install_early");
  raise(SIGUSR1);
  CHECK(tms_signals_stop_requested(), "SIGUSR1 before the grace is known still requests a stop");
  struct timespec wait = {1, 200000000};
  nanosleep(&wait, NULL);
  CHECK(!*tms_signals_abandon_flag(), "no abandon before the grace period is known (1.2 s later)");
  tms_signals_set_grace(1.0);
  CHECK(tms_signals_stop_requested() && !*tms_signals_abandon_flag(), "set_grace keeps the stop, abandons not yet");
  for (int i = 0; i < 100 && !*tms_signals_abandon_flag(); i++) {
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
  }
  CHECK(*tms_signals_abandon_flag(), "abandon raised one grace period after set_grace (waited up to 5 s)");
  tms_signals_install_early();
  raise(SIGTERM);
  tms_signals_set_grace(0);
  CHECK(*tms_signals_abandon_flag(), "an early stop with grace 0 abandons at set_grace");
  tms_signals_install_early();
  tms_signals_set_grace(0);
  CHECK(!tms_signals_stop_requested() && !*tms_signals_abandon_flag(), "set_grace alone raises nothing");
  raise(SIGINT);
  CHECK(tms_signals_stop_requested() && *tms_signals_abandon_flag(), "after set_grace(0), SIGINT abandons at once");
  return tms_check_finish("test_store_progress");
}
