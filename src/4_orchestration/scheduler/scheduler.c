/* scheduler: the entry point of the root/worker protocol of `tms-sweep run` (design.md sections 2 and 5), and the
 * final summary. Rank 0 is the root: it orders the pending points longest first, bundles points of one shape
 * into units, hands units to idle workers, commits their records, re-queues failed points until
 * run.max_attempts, and reports progress; alone it trains itself. The other ranks are workers. The concepts live
 * in their own files (see sched_internal.h). Not here: file layout (store), training, printing.
 * Invariants: a point's record depends only on its spec and seed; the root is the only writer; the protocol ends
 * with one broadcast of the root's status, so every rank returns the same status (except when workers had to be
 * abandoned: then the caller must MPI_Abort). */
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

tms_status tms_sched_run(const tms_sweep *sweep, tms_store *store, const tms_sched_options *opt,
                         tms_sched_summary *summary, tms_error *err) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  memset(summary, 0, sizeof *summary);
  int code = TMS_OK;
  if (rank == 0) {
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
      /* Workers still wait for work: release them. */
      for (int w = 1; w < size; w++) MPI_Send(NULL, 0, MPI_BYTE, w, TMS_TAG_STOP, MPI_COMM_WORLD);
    } else {
      s = tms_root_run(&R, size, &abandoned, err);
    }
    summary->interrupted = R.stopping || tms_signals_stop_requested();
    summary->workers_abandoned = abandoned;
    fill_summary(&R, summary);
    free(R.pstate);
    free(R.tries);
    tms_work_queue_free(&R.q);
    free(R.pend);
    if (abandoned) return s; /* no collective: the caller aborts the job */
    code = (int)s;
  } else {
    tms_worker_run(sweep);
  }
  MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
  int interrupted = summary->interrupted;
  MPI_Bcast(&interrupted, 1, MPI_INT, 0, MPI_COMM_WORLD);
  summary->interrupted = interrupted;
  if (rank != 0 && code != TMS_OK)
    tms_error_set(err, (tms_status)code, NULL, 0, 0, NULL, "the root failed: %s", tms_status_message(code));
  return (tms_status)code;
}
