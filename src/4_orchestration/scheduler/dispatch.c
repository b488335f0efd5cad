/* dispatch: the root's loops. Alone (one rank) the root trains each unit itself, observed, so progress and commits
 * keep their cadence inside long units too. With workers it hands the next unit to each idle worker, polls for
 * results and notes, and at the end (or on a stop) waits for busy workers up to run.stop_grace_s + 5 s before
 * abandoning them. Not here: the order of the units (queue.c), what is done with results (root.c).
 * Invariants: every worker gets exactly one TMS_TAG_STOP unless abandoned; a unit is dispatched once (a retry is
 * a new unit); the root never trains while it has workers. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"

/* Every 64 steps of the unit the root trains alone: the trainer must not be disturbed, but committing finished
 * records and reporting touch only the store and the root's counters. */
static void alone_tick(void *user, double points_done) {
  tms_root_state *R = user;
  R->inflight = points_done;
  if (!R->stopping && tms_signals_stop_requested()) R->stopping = 1;
  tms_root_commit(R, 0);
  tms_root_maybe_report(R);
}

static void release_workers(int size) {
  for (int w = 1; w < size; w++) MPI_Send(NULL, 0, MPI_BYTE, w, TMS_TAG_STOP, MPI_COMM_WORLD);
}

/* Alone: the root trains each unit, observed (see alone_tick); a stop ends the loop between units (and the unit
 * between members, see unit.c). */
static void run_alone(tms_root_state *R, unsigned char *buf) {
  tms_unit_watch watch;
  memset(&watch, 0, sizeof watch);
  watch.tick = alone_tick;
  watch.user = R;
  while (R->q.head < R->q.tail && !R->stopping) {
    tms_unit u = R->q.units[R->q.head++];
    const int64_t *idx = R->q.pool + u.start;
    for (int j = 0; j < u.k; j++) R->pstate[idx[j]] = TMS_PS_RUNNING;
    tms_sched_train_unit(R->sweep, &R->L, idx, u.k, buf, &watch);
    tms_root_take(R, buf, u.k);
    if (tms_signals_stop_requested()) R->stopping = 1;
    tms_root_commit(R, R->stopping || R->q.head == R->q.tail);
    tms_root_maybe_report(R);
  }
}

/* With workers: dispatch, receive, commit, report until the queue is empty and every worker idle, or a stop.
 * *buf (room for *max_k records) receives results and may grow. */
static tms_status run_with_workers(tms_root_state *R, int size, unsigned char **buf, int *max_k, int *abandoned,
                                   tms_error *err) {
  MPI_Comm comm = MPI_COMM_WORLD;
  size_t *busy = malloc((size_t)size * sizeof *busy); /* unit index + 1, 0 = idle */
  if (!busy) {
    release_workers(size);
    return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory");
  }
  for (int w = 0; w < size; w++) busy[w] = 0;
  int n_busy = 0;
  double stop_t = 0;
  double grace = R->sweep->run.stop_grace_s > 0 ? R->sweep->run.stop_grace_s : 0;
  for (;;) {
    if (!R->stopping && tms_signals_stop_requested()) R->stopping = 1;
    if (R->stopping && stop_t == 0) stop_t = tms_sched_now();
    for (int w = 1; w < size && !R->stopping && R->q.head < R->q.tail; w++) {
      if (busy[w]) continue;
      size_t ui = R->q.head++;
      tms_unit u = R->q.units[ui];
      if (u.k > *max_k) { /* a retry queue never grows units, but stay safe */
        unsigned char *nb = realloc(*buf, (size_t)u.k * R->L.bytes);
        if (!nb) { /* keep the unit queued; try again on the next turn */
          R->q.head--;
          break;
        }
        *buf = nb;
        *max_k = u.k;
      }
      for (int j = 0; j < u.k; j++) R->pstate[R->q.pool[u.start + (size_t)j]] = TMS_PS_RUNNING;
      MPI_Send(R->q.pool + u.start, u.k, MPI_INT64_T, w, TMS_TAG_WORK, comm);
      busy[w] = ui + 1;
      n_busy++;
    }
    if (n_busy == 0 && (R->stopping || R->q.head == R->q.tail)) break;
    int flag = 0;
    MPI_Status ms;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &ms);
    if (flag) {
      int w = ms.MPI_SOURCE;
      if (ms.MPI_TAG == TMS_TAG_NOTE) {
        MPI_Recv(NULL, 0, MPI_BYTE, w, TMS_TAG_NOTE, comm, MPI_STATUS_IGNORE);
        R->stopping = 1;
      } else if (ms.MPI_TAG == TMS_TAG_RESULT) {
        int bytes = 0;
        MPI_Get_count(&ms, MPI_BYTE, &bytes);
        MPI_Recv(*buf, bytes, MPI_BYTE, w, TMS_TAG_RESULT, comm, MPI_STATUS_IGNORE);
        if (busy[w]) {
          busy[w] = 0;
          n_busy--;
        }
        tms_root_take(R, *buf, (int)((size_t)bytes / R->L.bytes));
      } else { /* unexpected: consume it so it cannot block the end */
        MPI_Recv(NULL, 0, MPI_BYTE, w, ms.MPI_TAG, comm, MPI_STATUS_IGNORE);
      }
    } else {
      tms_sched_nap();
    }
    if (R->stopping && n_busy > 0 && tms_sched_now() > stop_t + grace + 5.0) {
      /* Workers that never saw the signal are still training: commit what we have and give up on them. */
      *abandoned = 1;
      break;
    }
    tms_root_commit(R, 0);
    tms_root_maybe_report(R);
  }
  if (!*abandoned) {
    /* Drain notes that crossed our last messages, then release every worker. */
    for (;;) {
      int flag = 0;
      MPI_Status ms;
      MPI_Iprobe(MPI_ANY_SOURCE, TMS_TAG_NOTE, comm, &flag, &ms);
      if (!flag) break;
      MPI_Recv(NULL, 0, MPI_BYTE, ms.MPI_SOURCE, TMS_TAG_NOTE, comm, MPI_STATUS_IGNORE);
    }
    release_workers(size);
  }
  free(busy);
  return TMS_OK;
}

tms_status tms_root_run(tms_root_state *R, int size, int *abandoned, tms_error *err) {
  int trainers = size > 1 ? size - 1 : 1;
  tms_status s = tms_work_queue_build(&R->q, R->pstate, R->sweep, R->store, trainers, err);
  int max_k = 1;
  for (size_t u = R->q.head; u < R->q.tail; u++)
    if (R->q.units[u].k > max_k) max_k = R->q.units[u].k;
  unsigned char *buf = s == TMS_OK ? malloc((size_t)max_k * R->L.bytes) : NULL;
  if (s == TMS_OK && !buf) s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for results");
  if (s != TMS_OK) { /* workers wait for their first message: release them before reporting */
    release_workers(size);
    return s;
  }
  R->t0 = tms_sched_now();
  R->last_commit = R->t0;
  R->next_progress = R->t0;
  tms_root_maybe_report(R);
  if (size == 1) run_alone(R, buf);
  else s = run_with_workers(R, size, &buf, &max_k, abandoned, err);
  free(buf);
  if (s != TMS_OK) return s;
  tms_root_commit(R, 1);
  /* Points still queued or running are pending in the file. */
  size_t n = tms_store_point_count(R->store);
  for (size_t i = 0; i < n; i++)
    if (R->pstate[i] == TMS_PS_QUEUED || R->pstate[i] == TMS_PS_RUNNING) R->pstate[i] = TMS_PS_IDLE;
  tms_root_report(R, 1);
  if (R->fatal != TMS_OK) {
    *err = R->fatal_err;
    return R->fatal;
  }
  return TMS_OK;
}
