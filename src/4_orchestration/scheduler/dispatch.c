/* dispatch: the root's loops. Alone (one rank) the root trains each unit itself, observed, so progress and commits
 * keep their cadence inside long units too. With workers it keeps TMS_DEPTH units in flight on every worker (the
 * one it trains and the next, so a worker never waits for the root between units), sized from the measured cost
 * of their class (root.c); it completes one posted header receive per worker with MPI_Testsome, so every worker
 * that reported is served in the same turn (no starvation by the order MPI_ANY_SOURCE matches in), and tops
 * workers up in a rotating order. On a stop it drains (workers answer held units untrained) and waits for
 * running units up to run.stop_grace_s + 5 s before abandoning them. Not here: the order of the points
 * (queue.c), what is done with results (root.c).
 * Invariants: a unit is dispatched once (a retry is a new unit); results of a worker come back in the order its
 * units were sent; every live worker gets exactly one TMS_TAG_STOP unless abandoned; every MPI call is checked,
 * and a failed one becomes the run's status (the first one is reported) while the root still collects what the
 * other workers send, so nothing finished is lost. */
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

/* Alone: the root trains each unit (one bundle), observed (see alone_tick); a stop ends the loop between units
 * (and the unit between members, see unit.c). */
static void run_alone(tms_root_state *R, unsigned char *buf) {
  tms_unit_watch watch;
  memset(&watch, 0, sizeof watch);
  watch.tick = alone_tick;
  watch.user = R;
  tms_unit u;
  while (!R->stopping && tms_work_queue_next(&R->q, R->q.bundle, &u)) {
    const int64_t *idx = R->q.pool + u.start;
    for (int j = 0; j < u.k; j++) R->pstate[idx[j]] = TMS_PS_RUNNING;
    tms_sched_train_unit(R->sweep, &R->L, idx, u.k, R->q.bundle, buf, &watch);
    tms_root_take(R, buf, u.k, u.cls);
    if (tms_signals_stop_requested()) R->stopping = 1;
    tms_root_commit(R, R->stopping || R->q.queued == 0);
    tms_root_maybe_report(R);
  }
}

/* ---- with workers ---- */

typedef struct {
  tms_unit u;
  int64_t *sent; /* a copy of the unit's indices: the queue's pool may move while the send is in flight */
  MPI_Request req;
} flight;

typedef struct {
  MPI_Comm comm;
  int nw;                   /* workers: ranks 1..nw */
  flight (*fl)[TMS_DEPTH];  /* [w] in send order */
  int *n_fl, *alive, *drained;
  int64_t (*hdr)[3];        /* [w - 1] */
  MPI_Request *hreq;        /* [w - 1]: the posted header receive, MPI_REQUEST_NULL when none */
  int *done;
  MPI_Status *sts;
  int busy;                 /* units in flight over all workers */
  int rr;                   /* who is topped up first next turn */
  unsigned char *buf;
  size_t buf_k;
} pool;

/* Records an MPI failure as the run's status (the first one wins) and starts stopping. */
static void mpi_failed(tms_root_state *R, int rc, const char *what) {
  if (R->fatal == TMS_OK) tms_mpi_check(rc, &R->fatal_err, what), R->fatal = TMS_ERR_MPI;
  R->stopping = 1;
}

static void check(tms_root_state *R, int rc, const char *what) {
  if (rc != MPI_SUCCESS) mpi_failed(R, rc, what);
}

static void protocol_failed(tms_root_state *R, int w, const char *what, long got, long want) {
  if (R->fatal == TMS_OK)
    R->fatal = tms_error_set(&R->fatal_err, TMS_ERR_MPI, NULL, 0, 0, NULL,
                             "rank %d broke the protocol: %s %ld, want %ld", w, what, got, want);
  R->stopping = 1;
}

static int post_header(tms_root_state *R, pool *D, int w) {
  int rc = MPI_Irecv(D->hdr[w - 1], 3, MPI_INT64_T, w, TMS_TAG_HDR, D->comm, &D->hreq[w - 1]);
  if (rc != MPI_SUCCESS) {
    mpi_failed(R, rc, "root: MPI_Irecv of a header");
    D->hreq[w - 1] = MPI_REQUEST_NULL;
    D->alive[w] = 0;
  }
  return rc;
}

/* Sends worker w its next unit; 0 when there is none or it could not be sent. */
static int send_unit(tms_root_state *R, pool *D, int w) {
  int cls = tms_work_queue_peek(&R->q);
  tms_unit u;
  if (cls < 0 || !tms_work_queue_next(&R->q, tms_root_unit_size(R, cls, D->nw), &u)) return 0;
  flight *f = &D->fl[w][D->n_fl[w]];
  f->u = u;
  f->sent = malloc((size_t)u.k * sizeof *f->sent);
  if (!f->sent) {
    R->fatal = tms_error_set(&R->fatal_err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for a unit");
    R->stopping = 1;
    return 0;
  }
  memcpy(f->sent, R->q.pool + u.start, (size_t)u.k * sizeof *f->sent);
  for (int j = 0; j < u.k; j++) R->pstate[f->sent[j]] = TMS_PS_RUNNING;
  int rc = MPI_Isend(f->sent, u.k, MPI_INT64_T, w, TMS_TAG_WORK, D->comm, &f->req);
  if (rc != MPI_SUCCESS) {
    for (int j = 0; j < u.k; j++) R->pstate[f->sent[j]] = TMS_PS_IDLE; /* pending in the file */
    free(f->sent);
    mpi_failed(R, rc, "root: MPI_Isend of a unit");
    return 0;
  }
  D->n_fl[w]++;
  D->busy++;
  return 1;
}

/* Every live worker up to TMS_DEPTH units, level by level (first every idle worker gets one, then the next ones),
 * starting with a different worker each turn. A unit beyond the first goes out only while at least one point per
 * worker remains queued: at the very end an idle worker must not wait while another sits on a unit it holds. */
static void top_up(tms_root_state *R, pool *D) {
  for (int d = 0; d < TMS_DEPTH; d++)
    for (int i = 0; i < D->nw && !R->stopping; i++) {
      int w = 1 + (D->rr + i) % D->nw;
      if (d > 0 && R->q.queued < (size_t)D->nw) break;
      if (D->alive[w] && D->n_fl[w] <= d && !send_unit(R, D, w)) break; /* nothing left (or a failure) */
    }
  D->rr = (D->rr + 1) % D->nw;
}

/* The oldest unit of w is over (answered or lost): its send has completed, free it. */
static flight pop_flight(tms_root_state *R, pool *D, int w, int lost) {
  flight f = D->fl[w][0];
  memmove(D->fl[w], D->fl[w] + 1, (size_t)(--D->n_fl[w]) * sizeof(flight));
  D->busy--;
  if (lost) { /* w is gone: the send may never complete; its buffer stays (freeing it could be written later) */
    check(R, MPI_Request_free(&f.req), "root: MPI_Request_free of a unit's send");
  } else {
    check(R, MPI_Wait(&f.req, MPI_STATUS_IGNORE), "root: MPI_Wait for a unit's send"); /* w got it: complete */
    free(f.sent);
    f.sent = NULL;
  }
  return f;
}

/* A result header from w: receive its records and take them. */
static void take_result(tms_root_state *R, pool *D, int w, const int64_t *hdr) {
  const tms_unit u = D->fl[w][0].u;
  if (hdr[1] != u.k) protocol_failed(R, w, "a result of points", (long)hdr[1], u.k);
  if ((size_t)u.k > D->buf_k) {
    unsigned char *nb = realloc(D->buf, (size_t)u.k * R->L.bytes);
    if (nb) D->buf = nb, D->buf_k = (size_t)u.k;
  }
  const size_t want = (size_t)u.k * R->L.bytes;
  MPI_Status st;
  int rc = D->buf_k >= (size_t)u.k ? MPI_Recv(D->buf, (int)want, MPI_BYTE, w, TMS_TAG_RESULT, D->comm, &st)
                                   : MPI_ERR_NO_MEM;
  int bytes = 0;
  if (rc == MPI_SUCCESS) rc = MPI_Get_count(&st, MPI_BYTE, &bytes);
  pop_flight(R, D, w, 0);
  if (rc == MPI_SUCCESS && (size_t)bytes == want && hdr[1] == u.k) {
    tms_root_measure(R, u.cls, u.k, (double)hdr[2] * 1e-9);
    tms_root_take(R, D->buf, u.k, u.cls);
    return;
  }
  if (rc != MPI_SUCCESS) mpi_failed(R, rc, "root: MPI_Recv of results");
  else if ((size_t)bytes != want) protocol_failed(R, w, "result bytes", bytes, (long)want);
  for (int j = 0; j < u.k; j++) R->pstate[R->q.pool[u.start + (size_t)j]] = TMS_PS_IDLE; /* pending in the file */
}

static void take_header(tms_root_state *R, pool *D, int w) {
  const int64_t *hdr = D->hdr[w - 1];
  if (hdr[0] == TMS_HDR_RESULT && D->n_fl[w] > 0) {
    take_result(R, D, w, hdr);
  } else if (hdr[0] == TMS_HDR_NOTE) {
    R->stopping = 1;
  } else { /* FAILED, or nonsense: w has left the protocol; its held units stay pending */
    if (R->fatal == TMS_OK)
      R->fatal = tms_error_set(&R->fatal_err, TMS_ERR_MPI, NULL, 0, 0, NULL,
                               "rank %d left the run after an MPI failure (%s)", w,
                               hdr[0] == TMS_HDR_FAILED ? tms_status_name((tms_status)hdr[2]) : "unknown message");
    R->stopping = 1;
    D->alive[w] = 0;
    while (D->n_fl[w] > 0) {
      flight f = pop_flight(R, D, w, 1);
      for (int j = 0; j < f.u.k; j++) R->pstate[f.sent[j]] = TMS_PS_IDLE;
    }
    return;
  }
  post_header(R, D, w);
}

/* One turn of receiving: every header that has arrived. Returns how many, or -1 when MPI_Testsome failed. */
static int receive(tms_root_state *R, pool *D) {
  int n = 0;
  int rc = MPI_Testsome(D->nw, D->hreq, &n, D->done, D->sts);
  if (rc != MPI_SUCCESS && rc != MPI_ERR_IN_STATUS) {
    mpi_failed(R, rc, "root: MPI_Testsome over the workers' headers");
    return -1;
  }
  if (n == MPI_UNDEFINED) return 0; /* no live worker left */
  for (int i = 0; i < n; i++) {
    int w = D->done[i] + 1;
    if (rc == MPI_ERR_IN_STATUS && D->sts[i].MPI_ERROR != MPI_SUCCESS) {
      mpi_failed(R, D->sts[i].MPI_ERROR, "root: MPI_Irecv of a header");
      D->alive[w] = 0;
      continue;
    }
    take_header(R, D, w);
  }
  return n;
}

/* On a stop: every worker holding units answers them untrained (after the one it trains). */
static void drain(tms_root_state *R, pool *D) {
  for (int w = 1; w <= D->nw; w++) {
    if (!D->alive[w] || D->drained[w] || D->n_fl[w] == 0) continue;
    check(R, MPI_Send(NULL, 0, MPI_BYTE, w, TMS_TAG_DRAIN, D->comm), "root: MPI_Send of a drain");
    D->drained[w] = 1;
  }
}

/* The end: withdraw the header receives (a note may have crossed the stop: take or cancel it), release workers. */
static void release(tms_root_state *R, pool *D) {
  for (int w = 1; w <= D->nw; w++) {
    if (D->hreq[w - 1] != MPI_REQUEST_NULL) {
      check(R, MPI_Cancel(&D->hreq[w - 1]), "root: MPI_Cancel of a header receive");
      check(R, MPI_Wait(&D->hreq[w - 1], MPI_STATUS_IGNORE), "root: MPI_Wait for a cancelled receive");
    }
    if (!D->alive[w]) continue;
    check(R, MPI_Send(NULL, 0, MPI_BYTE, w, TMS_TAG_STOP, D->comm), "root: MPI_Send of the stop");
  }
}

/* Before any unit went out: every worker waits for its first message. The first failure is returned. */
static int release_all(MPI_Comm comm, int size) {
  int first = MPI_SUCCESS;
  for (int w = 1; w < size; w++) {
    int rc = MPI_Send(NULL, 0, MPI_BYTE, w, TMS_TAG_STOP, comm);
    if (first == MPI_SUCCESS) first = rc;
  }
  return first;
}

static int pool_init(pool *D, MPI_Comm comm, int size) {
  memset(D, 0, sizeof *D);
  D->comm = comm;
  D->nw = size - 1;
  size_t n = (size_t)size;
  D->fl = calloc(n, sizeof *D->fl);
  D->n_fl = calloc(n, sizeof *D->n_fl);
  D->alive = calloc(n, sizeof *D->alive);
  D->drained = calloc(n, sizeof *D->drained);
  D->hdr = calloc(n, sizeof *D->hdr);
  D->hreq = calloc(n, sizeof *D->hreq);
  D->done = calloc(n, sizeof *D->done);
  D->sts = calloc(n, sizeof *D->sts);
  if (!D->fl || !D->n_fl || !D->alive || !D->drained || !D->hdr || !D->hreq || !D->done || !D->sts) return -1;
  for (int w = 1; w <= D->nw; w++) D->alive[w] = 1, D->hreq[w - 1] = MPI_REQUEST_NULL;
  return 0;
}

static void pool_free(pool *D) {
  free(D->fl), free(D->n_fl), free(D->alive), free(D->drained), free(D->hdr), free(D->hreq), free(D->done);
  free(D->sts), free(D->buf);
}

/* With workers: dispatch, receive, commit, report until the queue is empty and every worker idle, or a stop. */
static tms_status run_with_workers(tms_root_state *R, MPI_Comm comm, int size, int *abandoned, tms_error *err) {
  pool D;
  if (pool_init(&D, comm, size) < 0) {
    pool_free(&D);
    release_all(comm, size);
    return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for %d workers", size - 1);
  }
  for (int w = 1; w <= D.nw; w++) post_header(R, &D, w);
  double stop_t = 0, grace = R->sweep->run.stop_grace_s > 0 ? R->sweep->run.stop_grace_s : 0;
  for (;;) {
    if (!R->stopping && tms_signals_stop_requested()) R->stopping = 1;
    if (R->stopping && stop_t == 0) stop_t = tms_sched_now();
    if (R->stopping) drain(R, &D);
    else top_up(R, &D);
    if (D.busy == 0 && (R->stopping || R->q.queued == 0)) break;
    int got = receive(R, &D);
    if (got < 0) break; /* the communicator no longer works: nothing more will come */
    if (got == 0) tms_sched_nap();
    if (R->stopping && D.busy > 0 && tms_sched_now() > stop_t + grace + 5.0) {
      *abandoned = 1; /* workers that never saw the signal are still training: give up on them */
      break;
    }
    tms_root_commit(R, 0);
    tms_root_maybe_report(R);
  }
  if (!*abandoned) release(R, &D);
  pool_free(&D);
  return TMS_OK;
}

tms_status tms_root_run(tms_root_state *R, MPI_Comm comm, int size, int *abandoned, tms_error *err) {
  tms_status s = tms_work_queue_build(&R->q, R->pstate, R->sweep, R->store, err);
  unsigned char *buf = NULL;
  if (s == TMS_OK && size == 1) {
    buf = malloc((size_t)R->q.bundle * R->L.bytes);
    if (!buf) s = tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for results");
  }
  if (s != TMS_OK) { /* workers wait for their first message: release them before reporting */
    if (release_all(comm, size) != MPI_SUCCESS && s == TMS_OK) s = TMS_ERR_MPI;
    return s;
  }
  R->t0 = tms_sched_now();
  R->last_commit = R->t0;
  R->next_progress = R->t0;
  tms_root_maybe_report(R);
  if (size == 1) run_alone(R, buf);
  else s = run_with_workers(R, comm, size, abandoned, err);
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
