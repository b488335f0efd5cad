/* worker: a worker rank's loop. It holds up to TMS_DEPTH units: while it trains one, the next is already in its
 * inbox, so it never waits for the root between units. Between units it takes every message that has arrived
 * (work, a drain, the stop); when it holds nothing it polls, so a stop signal while idle can be noted to the root.
 * Not here: training (unit.c), deciding anything about failures or retries (the root does).
 * Invariants: one HDR + RESULT of k records per TMS_TAG_WORK of k points, in the order of the units; at most one
 * NOTE per run; a unit started after a stop signal or a drain is answered untrained (interrupted); an MPI call
 * that fails ends the loop with TMS_ERR_MPI after a best-effort FAILED header to the root; never MPI_Abort. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"

typedef struct {
  int64_t *idx;
  int k;
} held_unit;

typedef struct {
  MPI_Comm comm;
  held_unit held[TMS_DEPTH + 1];
  int n_held;
  int drain, stop, noted;
  tms_error *err;
} worker_state;

/* Receives one message from the root whose envelope is ms. */
static tms_status take_message(worker_state *W, const MPI_Status *ms) {
  if (ms->MPI_TAG != TMS_TAG_WORK) {
    int rc = MPI_Recv(NULL, 0, MPI_BYTE, 0, ms->MPI_TAG, W->comm, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) return tms_mpi_check(rc, W->err, "worker: MPI_Recv of a control message");
    if (ms->MPI_TAG == TMS_TAG_STOP) W->stop = 1;
    if (ms->MPI_TAG == TMS_TAG_DRAIN) W->drain = 1;
    return TMS_OK;
  }
  int k = 0;
  tms_status s = tms_mpi_check(MPI_Get_count(ms, MPI_INT64_T, &k), W->err, "worker: MPI_Get_count of a unit");
  if (s != TMS_OK) return s;
  if (k < 1 || W->n_held > TMS_DEPTH)
    return tms_error_set(W->err, TMS_ERR_MPI, NULL, 0, 0, NULL,
                         "worker: protocol violated: a unit of %d points while holding %d", k, W->n_held);
  int64_t *idx = malloc((size_t)k * sizeof *idx);
  if (!idx) return tms_error_set(W->err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "worker: no memory for a unit");
  s = tms_mpi_check(MPI_Recv(idx, k, MPI_INT64_T, 0, TMS_TAG_WORK, W->comm, MPI_STATUS_IGNORE), W->err,
                    "worker: MPI_Recv of a unit");
  if (s != TMS_OK) {
    free(idx);
    return s;
  }
  W->held[W->n_held++] = (held_unit){idx, k};
  return TMS_OK;
}

/* Takes every message that has arrived; with wait, polls until at least one unit is held or the stop came. */
static tms_status pump(worker_state *W, int wait) {
  for (;;) {
    int flag = 0;
    MPI_Status ms;
    tms_status s = tms_mpi_check(MPI_Iprobe(0, MPI_ANY_TAG, W->comm, &flag, &ms), W->err, "worker: MPI_Iprobe");
    if (s != TMS_OK) return s;
    if (flag) {
      if ((s = take_message(W, &ms)) != TMS_OK) return s;
      continue;
    }
    if (!wait || W->n_held > 0 || W->stop) return TMS_OK;
    if (tms_signals_stop_requested() && !W->noted) {
      int64_t hdr[3] = {TMS_HDR_NOTE, 0, 0};
      s = tms_mpi_check(MPI_Send(hdr, 3, MPI_INT64_T, 0, TMS_TAG_HDR, W->comm), W->err, "worker: MPI_Send of a note");
      if (s != TMS_OK) return s;
      W->noted = 1;
    }
    tms_sched_nap();
  }
}

/* Trains (or, after a stop or drain, blanks) the oldest held unit into buf and sends it. The sends block: the
 * root answers a header at once, and a blocking send needs no progress from this rank while it trains next. */
static tms_status answer(worker_state *W, const tms_sweep *sweep, const tms_rec_layout *L, unsigned char **buf,
                         int *cap) {
  held_unit u = W->held[0];
  memmove(W->held, W->held + 1, (size_t)(--W->n_held) * sizeof W->held[0]);
  tms_status s = TMS_OK;
  if (u.k > *cap) {
    unsigned char *nb = realloc(*buf, (size_t)u.k * L->bytes);
    if (!nb) s = tms_error_set(W->err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "worker: no memory for %d records", u.k);
    else *buf = nb, *cap = u.k;
  }
  double wall = 0;
  if (s == TMS_OK && (W->drain || tms_signals_stop_requested())) {
    for (int j = 0; j < u.k; j++) {
      tms_rec_blank(L, *buf + (size_t)j * L->bytes, u.idx[j], TMS_ERR_INTERRUPTED);
      tms_rec_at(L, *buf, j)->flags = tms_signals_stop_requested() ? TMS_REC_SIGNALED : 0;
    }
  } else if (s == TMS_OK) {
    wall = tms_sched_train_unit(sweep, L, u.idx, u.k, tms_sched_bundle_size(sweep), *buf, NULL);
    if (tms_signals_stop_requested())
      for (int j = 0; j < u.k; j++) tms_rec_at(L, *buf, j)->flags = TMS_REC_SIGNALED;
  }
  free(u.idx);
  if (s != TMS_OK) return s;
  int64_t hdr[3] = {TMS_HDR_RESULT, u.k, (int64_t)(wall * 1e9)};
  s = tms_mpi_check(MPI_Send(hdr, 3, MPI_INT64_T, 0, TMS_TAG_HDR, W->comm), W->err, "worker: MPI_Send of a header");
  if (s == TMS_OK)
    s = tms_mpi_check(MPI_Send(*buf, (int)((size_t)u.k * L->bytes), MPI_BYTE, 0, TMS_TAG_RESULT, W->comm), W->err,
                      "worker: MPI_Send of results");
  return s;
}

tms_status tms_worker_run(const tms_sweep *sweep, MPI_Comm comm, tms_error *err) {
  tms_rec_layout L;
  tms_rec_layout_init(&L, sweep);
  worker_state W;
  memset(&W, 0, sizeof W);
  W.comm = comm;
  W.err = err;
  unsigned char *buf = NULL;
  int cap = 0;
  tms_status s = TMS_OK;
  while (s == TMS_OK) {
    s = pump(&W, 1);
    if (s != TMS_OK || (W.stop && W.n_held == 0)) break;
    if (W.n_held > 0) s = answer(&W, sweep, &L, &buf, &cap);
  }
  if (s != TMS_OK) { /* tell the root, if the line still works; it stops the run and reports */
    int64_t hdr[3] = {TMS_HDR_FAILED, 0, (int64_t)s};
    MPI_Send(hdr, 3, MPI_INT64_T, 0, TMS_TAG_HDR, comm); /* best effort: its own failure changes nothing */
  }
  for (int i = 0; i < W.n_held; i++) free(W.held[i].idx);
  free(buf);
  return s;
}
