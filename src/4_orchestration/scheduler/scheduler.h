/* scheduler: the MPI root/worker protocol of `tms-sweep run`, signal handling and progress reports.
 * The root (rank 0) owns the store and dispatches units of work (runs of points of one class, sized from their
 * measured cost, two in flight per worker) dynamically, longest first; workers train and send results back by
 * messages; the root commits them.
 * Alone (one rank) the root trains itself. Results depend only on each point's spec and seed, never on the
 * number of ranks, the bundling or the order, so 1, 2 and 4 ranks write identical result datasets.
 * Not here: the file layout (store), training (trainer), printing (src/bin). */
#ifndef TMS_SCHEDULER_H
#define TMS_SCHEDULER_H
#include <mpi.h>
#include <signal.h>
#include <stddef.h>

#include "config/config.h"
#include "core/status.h"
#include "store/store.h"

/* A progress snapshot (counts over the non-excluded points of the grid). */
typedef struct {
  size_t total, done, failed, pending, running, skipped;
  size_t done_this_run;   /* points finished by this invocation (a resume starts at 0) */
  double elapsed_s;       /* since the scheduler started */
  double inflight;        /* points' worth of training done on running points (0..running); known only when the
                             root trains alone (then reports also come from inside a unit), else 0 */
  double points_per_s;    /* (done_this_run + inflight) / elapsed_s */
  double eta_s;           /* (pending + running - inflight) / points_per_s; < 0 when unknown */
  int stopping;           /* a stop signal was seen */
  int final;              /* the last report of the run */
} tms_progress;

typedef void (*tms_progress_fn)(const tms_progress *p, void *user);

typedef struct {
  tms_progress_fn on_progress; /* root only; called every run.progress_every_s (also while the root trains a long
                                  unit alone) and once at the end; may be NULL */
  void *user;
} tms_sched_options;

typedef struct {
  size_t done, failed, pending, skipped;   /* final counts from the store (root) */
  int interrupted;                        /* stopped by a signal before finishing */
  int workers_abandoned;                  /* some workers did not return within the grace period */
  size_t n_failed;                        /* failed points listed below (at most 1000) */
  size_t *failed_index;
  int *failed_error;                      /* tms_status of the last attempt */
  int *failed_attempts;
} tms_sched_summary;

void tms_sched_summary_free(tms_sched_summary *s); /* safe on a zeroed struct */

/* Collective over comm, whose rank 0 is the root (it must not be MPI_COMM_NULL; the scheduler works on its own
 * duplicate with MPI_ERRORS_RETURN, so the caller's messages and error handler are untouched). store is the root's
 * (NULL on other ranks). Returns the same status on every rank (TMS_OK also when some points failed or the run was
 * interrupted: see the summary); an MPI call that fails anywhere gives TMS_ERR_MPI (never MPI_Abort), after the
 * root committed every record it received. For the MPI_Comm_dup of an invalid comm to return rather than abort,
 * the caller sets MPI_ERRORS_RETURN on MPI_COMM_WORLD (where MPI reports errors of invalid communicators). */
tms_status tms_sched_run(MPI_Comm comm, const tms_sweep *sweep, tms_store *store, const tms_sched_options *opt,
                         tms_sched_summary *summary, tms_error *err);

/* Signals: SIGTERM and SIGUSR1 set a stop flag (and SIGINT); the abandon flag is raised stop_grace_s later
 * (via alarm), and trainers watch it through tms_train_control.stop. */
void tms_signals_install(double stop_grace_s);
/* The same in two steps, for a program whose grace period is known only later: the handlers at once (flags
 * cleared; a stop signal is recorded but arms no alarm yet), then the grace period, which re-installs the handlers
 * and, if a stop already came, starts counting it from that moment. */
void tms_signals_install_early(void);
void tms_signals_set_grace(double stop_grace_s);
int tms_signals_stop_requested(void);
volatile sig_atomic_t *tms_signals_abandon_flag(void);

/* Writes p to path atomically (path.tmp then rename), as key=value lines. */
tms_status tms_progress_write_file(const char *path, const tms_progress *p, tms_error *err);
/* One human line: "done 3/12, failed 0, pending 8, running 1 (40%), 0.05 points/s, ETA 3.2 min"; the percentage
 * (training done on the running points) only when inflight is known. */
void tms_progress_format(const tms_progress *p, char *buf, size_t size);

#endif
