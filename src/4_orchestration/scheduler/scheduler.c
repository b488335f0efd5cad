/* scheduler: the entry point of the root/worker protocol of `tms-sweep run`, and the
 * final summary. Rank 0 is the root: it orders the pending points longest first, bundles points of one shape
 * into units, hands units to idle workers, commits their records, re-queues failed points until
 * run.max_attempts, and reports progress; alone it trains itself. The other ranks are workers. The concepts live
 * in their own files (see sched_internal.h). Not here: file layout (store), training, printing.
 * Invariants: a point's record depends only on its spec and seed; the root is the only writer; the protocol ends
 * with one broadcast of the root's status, so every rank returns the same status (except when workers had to be
 * abandoned: then the caller must MPI_Abort). MPI: the scheduler runs on its own duplicate of the communicator it
 * is given, with MPI_ERRORS_RETURN, and every call is checked: a failure is TMS_ERR_MPI, never an abort. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include "scheduler/scheduler.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched_internal.h"

enum { MAX_FAILED_LISTED = 1000 };

double tms_sched_now(void) { return MPI_Wtime(); }

void tms_sched_nap(void) {
  struct timespec ts = {0, 2000000}; /* 2 ms: idle waits must not steal cores from trainers */
  nanosleep(&ts, NULL);
}

/* Final counts and the first failed points, from the store (what the file says, not what this run did). */
static void fill_summary(tms_root_state *R, tms_sched_summary *sum) {
  size_t n = tms_store_point_count(R->store);
  const uint8_t *status = tms_store_status(R->store);
  const int32_t *errs = tms_store_errors(R->store), *att = tms_store_attempts(R->store);
  for (size_t i = 0; i < n; i++) {
    switch (status[i]) {
    case TMS_POINT_DONE: sum->done++; break;
    case TMS_POINT_FAILED: sum->failed++; break;
    case TMS_POINT_SKIPPED: sum->skipped++; break;
    default: sum->pending++; break;
    }
  }
  size_t nf = sum->failed < MAX_FAILED_LISTED ? sum->failed : MAX_FAILED_LISTED;
  sum->failed_index = calloc(nf ? nf : 1, sizeof *sum->failed_index);
  sum->failed_error = calloc(nf ? nf : 1, sizeof *sum->failed_error);
  sum->failed_attempts = calloc(nf ? nf : 1, sizeof *sum->failed_attempts);
  if (!sum->failed_index || !sum->failed_error || !sum->failed_attempts) return;
  for (size_t i = 0; i < n && sum->n_failed < nf; i++) {
    if (status[i] != TMS_POINT_FAILED) continue;
    sum->failed_index[sum->n_failed] = i;
    sum->failed_error[sum->n_failed] = errs[i];
    sum->failed_attempts[sum->n_failed] = att[i];
    sum->n_failed++;
  }
}

void tms_sched_summary_free(tms_sched_summary *s) {
  if (!s) return;
  free(s->failed_index);
  free(s->failed_error);
  free(s->failed_attempts);
  memset(s, 0, sizeof *s);
}

/* The root's side: its state, the run, the summary. */
static tms_status run_root(const tms_sweep *sweep, tms_store *store, const tms_sched_options *opt, MPI_Comm comm,
                           int size, tms_sched_summary *summary, tms_error *err) {
  tms_root_state R;
  memset(&R, 0, sizeof R);
  R.sweep = sweep;
  R.store = store;
  R.opt = opt;
  tms_rec_layout_init(&R.L, sweep);
  size_t n = tms_store_point_count(store);
  R.pstate = calloc(n ? n : 1, 1);
  R.tries = calloc(n ? n : 1, sizeof *R.tries);
  int abandoned = 0;
  tms_status s;
  if (!R.pstate || !R.tries) {
    s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for %zu points", n);
    for (int w = 1; w < size; w++) /* workers still wait for work: release them (best effort) */
      if (MPI_Send(NULL, 0, MPI_BYTE, w, TMS_TAG_STOP, comm) != MPI_SUCCESS) break;
  } else {
    s = tms_root_run(&R, comm, size, &abandoned, err);
  }
  summary->interrupted = R.stopping || tms_signals_stop_requested();
  summary->workers_abandoned = abandoned;
  fill_summary(&R, summary);
  free(R.pstate);
  free(R.tries);
  tms_work_queue_free(&R.q);
  free(R.pend);
  return s;
}

tms_status tms_sched_run(MPI_Comm comm, const tms_sweep *sweep, tms_store *store, const tms_sched_options *opt,
                         tms_sched_summary *summary, tms_error *err) {
  memset(summary, 0, sizeof *summary);
  if (comm == MPI_COMM_NULL) return tms_error_set(err, TMS_ERR_MPI, NULL, 0, 0, NULL, "no communicator (MPI_COMM_NULL)");
  /* Our own duplicate: our messages never meet the caller's, and errors return there without changing the
   * caller's error handler. */
  MPI_Comm sc = MPI_COMM_NULL;
  tms_status s = tms_mpi_check(MPI_Comm_dup(comm, &sc), err, "MPI_Comm_dup of the scheduler's communicator");
  if (s == TMS_OK) s = tms_mpi_check(MPI_Comm_set_errhandler(sc, MPI_ERRORS_RETURN), err, "MPI_Comm_set_errhandler");
  int rank = 0, size = 1;
  if (s == TMS_OK) s = tms_mpi_check(MPI_Comm_rank(sc, &rank), err, "MPI_Comm_rank");
  if (s == TMS_OK) s = tms_mpi_check(MPI_Comm_size(sc, &size), err, "MPI_Comm_size");
  if (s != TMS_OK) {
    if (sc != MPI_COMM_NULL) MPI_Comm_free(&sc);
    return s;
  }
  if (rank == 0 && !store) s = tms_error_set(err, TMS_ERR_USAGE, NULL, 0, 0, NULL, "the root has no store");
  if (rank == 0 && s == TMS_OK) {
    s = run_root(sweep, store, opt, sc, size, summary, err);
    if (summary->workers_abandoned) return s; /* no collective: the caller aborts the job */
  } else if (rank == 0) {
    for (int w = 1; w < size; w++) MPI_Send(NULL, 0, MPI_BYTE, w, TMS_TAG_STOP, sc); /* best effort */
  } else {
    s = tms_worker_run(sweep, sc, err);
  }
  /* One broadcast of the root's status: every rank returns it (or its own failure, when it had one). */
  int v[2] = {(int)s, summary->interrupted};
  tms_status bs = tms_mpi_check(MPI_Bcast(v, 2, MPI_INT, 0, sc), rank == 0 || s != TMS_OK ? NULL : err,
                                "MPI_Bcast of the run's status");
  summary->interrupted = v[1];
  MPI_Comm_free(&sc);
  if (rank == 0) return s != TMS_OK ? s : bs;
  if (s != TMS_OK) return s;
  if (bs != TMS_OK) return bs;
  if (v[0] != TMS_OK)
    tms_error_set(err, (tms_status)v[0], NULL, 0, 0, NULL, "the root failed: %s", tms_status_message(v[0]));
  return (tms_status)v[0];
}
