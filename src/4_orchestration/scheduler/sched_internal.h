/* sched_internal: what the scheduler's files share, and nothing else (not installed, not a public interface).
 * The scheduler is split by concept: mpi_check.c (MPI return codes -> statuses), record.c (the packed result
 * records that travel in messages), unit.c (training one unit of work), queue.c (ordering the work, classes of
 * points of one cost), root.c (the root's bookkeeping: taking records, retries, measured costs, commit batching,
 * progress), dispatch.c (the root's loops: alone, or keeping workers busy), worker.c (the workers' loop),
 * scheduler.c (the entry point and the summary).
 *
 * Message protocol, on the scheduler's own duplicate of the communicator it is given (errors return):
 *   root -> worker  TAG_WORK    int64[k]: the point indices of one unit (at most DEPTH units in flight a worker)
 *   root -> worker  TAG_DRAIN   empty: a stop: answer the units you hold without training them
 *   root -> worker  TAG_STOP    empty: no more work (sent only when the worker holds none), leave the loop
 *   worker -> root  TAG_HDR     int64[3] {kind, k, unit wall time in ns}: kind RESULT (a TAG_RESULT of k records
 *                               follows), NOTE ("I received a stop signal while idle") or FAILED (an MPI call
 *                               failed on the worker; it leaves)
 *   worker -> root  TAG_RESULT  k packed records (record.c), one per point of the unit, in the unit's order
 * A worker answers its units in the order it got them, each with exactly one HDR + RESULT, whatever happened.
 * The root keeps one receive for a HDR posted per worker and completes them with MPI_Testsome, so every worker
 * is served as soon as it reports, whatever order MPI_ANY_SOURCE would match in. */
#ifndef TMS_SCHED_INTERNAL_H
#define TMS_SCHED_INTERNAL_H
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "scheduler/scheduler.h"
#include "core/spec.h"
#include "trainer/trainer.h"

enum { TMS_TAG_WORK = 101, TMS_TAG_RESULT = 102, TMS_TAG_STOP = 103, TMS_TAG_HDR = 104, TMS_TAG_DRAIN = 105 };
enum { TMS_HDR_RESULT = 1, TMS_HDR_NOTE = 2, TMS_HDR_FAILED = 3 };
enum { TMS_REC_SIGNALED = 1 }; /* record flag: the trainer saw a stop signal */
enum { TMS_DEPTH = 2 };        /* units in flight per worker: the one it trains and the next */
/* Bytes of records a unit (one message) and the root's commit buffer hold at most, whatever the record size
 * (W histories make records large); well under MPI's int count limit. */
#define TMS_UNIT_MAX_BYTES ((size_t)256 << 20)
/* Seconds of work a unit is sized for, from the measured cost of its class (root.c): long enough that the
 * messages and the root's work per unit are small beside it, short enough that the last units balance. */
#define TMS_UNIT_TARGET_S 0.1

/* ---- mpi_check.c ---- */
/* TMS_OK when rc is MPI_SUCCESS; else TMS_ERR_MPI in err, naming what failed and MPI's own error string. */
tms_status tms_mpi_check(int rc, tms_error *err, const char *what);

double tms_sched_now(void);   /* MPI_Wtime */
void tms_sched_nap(void);     /* a short sleep for idle polling loops */

/* ---- record.c: a packed record is a header, doubles (norm, interference, dimensionality), then floats
 * (curve, W, W2, b, W history, eval curve), all padded to the sweep's n_max, m_max, curve_max, snapshot_max,
 * eval_max; records of one sweep share one size. */

typedef struct {
  int64_t index;
  int32_t status;
  int32_t flags;
  double wall_s, loss, loss_se, dstar;
  double eval_s; /* of the final evaluation, part of wall_s */
} tms_rec_header;

typedef struct {
  int n_max, m_max, has_w2;
  size_t curve_max;
  size_t snapshot_max; /* 0: records carry no W history */
  size_t eval_max;     /* 0: records carry no evaluation curve */
  size_t off_norm, off_interf, off_dim, off_curve, off_W, off_W2, off_b, off_hist, off_eval, bytes;
} tms_rec_layout;

void tms_rec_layout_init(tms_rec_layout *L, const tms_sweep *sweep);
/* Header of record j of a buffer of records. */
tms_rec_header *tms_rec_at(const tms_rec_layout *L, unsigned char *buf, int j);
/* A store record whose arrays point into the packed record at base. */
tms_point_record tms_rec_view(const tms_rec_layout *L, unsigned char *base);
/* A record that carries no result: NaN everywhere. */
void tms_rec_blank(const tms_rec_layout *L, unsigned char *base, int64_t index, tms_status status);
/* Fills a record from a trained model (compact arrays of its own n, m; res->W_history of
 * tms_spec_snapshot_len(spec) entries, or NULL) and computes its metrics. */
tms_status tms_rec_fill(const tms_rec_layout *L, unsigned char *base, const tms_spec *spec,
                        const tms_train_result *res, size_t curve_len);

/* ---- unit.c: training one unit ---- */

/* Watching a unit while the root trains it alone: tick is called every 64 training steps with the work done so
 * far in points (member index + step/steps of the member in training), so progress keeps a steady cadence. */
typedef struct {
  void (*tick)(void *user, double points_done);
  void *user;
  int member; /* set by tms_sched_train_unit: the member in training */
} tms_unit_watch;

/* Trains points idx[0..k) into k records at out. Every outcome, including running out of memory, is a record's
 * status, so the root always gets k records back. watch == NULL (workers): runs of points of one shape are
 * trained as bundles of at most `bundle`. watch != NULL (the root alone): members are trained one by one,
 * observed, each with its own run.point_timeout_s, and members not started when a stop signal arrives are
 * TMS_ERR_INTERRUPTED. Either way every record is bitwise the same (a bundle trains each model exactly as alone).
 * Returns the wall time spent. */
double tms_sched_train_unit(const tms_sweep *sweep, const tms_rec_layout *L, const int64_t *idx, int k, int bundle,
                            unsigned char *out, tms_unit_watch *watch);

/* ---- queue.c: the work in dispatch order ---- */

/* A class: points that train alike (variant, shape, steps, batch, logging), so they cost alike and bundle. */
typedef struct {
  int variant, n, m, batch, log_every, eval_batch;
  long steps;
  double cost;       /* steps*n*m (doubled for abs): the a-priori order, longest first */
  double s_point;    /* measured seconds per point (root.c), 0 until measured */
} tms_class;

typedef struct {
  size_t start, len; /* into pool */
  int cls;
} tms_run;

typedef struct {
  size_t start; /* into pool */
  int k, cls;
} tms_unit;

typedef struct {
  int64_t *pool;
  size_t pool_len, pool_cap;
  tms_run *runs;
  size_t run_head, run_tail, run_cap; /* runs[run_head..run_tail) are queued; run_head consumed up to head_off */
  size_t head_off;
  size_t queued;     /* points still queued */
  tms_class *cls;
  int n_cls;
  int bundle;        /* points trained together as one bundle (run.bundle, or automatic) */
} tms_work_queue;

void tms_work_queue_free(tms_work_queue *q); /* safe on a zeroed struct */
/* Appends one point of class cls at the back (a retry); -1 when out of memory (the queue is unchanged). */
int tms_work_queue_push(tms_work_queue *q, int64_t index, int cls);
/* Points trained together as one bundle: run.bundle, or TMS_AUTO_BUNDLE when it is 0 (automatic). */
int tms_sched_bundle_size(const tms_sweep *sweep);
/* The class of the next unit, or -1 when the queue is empty. */
int tms_work_queue_peek(tms_work_queue *q);
/* Takes the next unit of at most max_k points of one class; 0 when the queue is empty. */
int tms_work_queue_next(tms_work_queue *q, int max_k, tms_unit *u);

/* Per-point state on the root. */
enum { TMS_PS_QUEUED, TMS_PS_RUNNING, TMS_PS_DONE, TMS_PS_FAILED, TMS_PS_SKIPPED, TMS_PS_IDLE };

/* Queues every point not done (pending and failed ones): classes longest first, points of a class in index
 * order (so units are runs of contiguous points in most sweeps, which the store writes in few calls); sets
 * pstate. Memory: one int64 per queued point and one entry per class. */
tms_status tms_work_queue_build(tms_work_queue *q, unsigned char *pstate, const tms_sweep *sweep,
                                const tms_store *store, tms_error *err);

/* ---- root.c: the root's bookkeeping ---- */

typedef struct {
  const tms_sweep *sweep;
  tms_store *store;
  const tms_sched_options *opt;
  tms_rec_layout L;
  tms_work_queue q;
  unsigned char *pstate; /* (point count) TMS_PS_* */
  int *tries;            /* (point count) attempts in this run */
  size_t n_done_run;
  double inflight;       /* points' worth of training done in the unit the root trains alone; else 0 */
  unsigned char *pend;   /* records taken but not yet committed */
  size_t pend_n, pend_cap;
  double t0, next_progress, last_commit;
  int stopping;
  int store_failed;      /* a commit failed: nothing more is written */
  tms_status fatal;      /* the first failure (store, memory, MPI); the run stops */
  tms_error fatal_err;
} tms_root_state;

/* Takes the records of one unit of class cls: buffers them for commit, re-queues failed points until
 * run.max_attempts. */
void tms_root_take(tms_root_state *R, unsigned char *buf, int k, int cls);
/* Records the measured wall time of a unit of k points of class cls (sizes its next units). */
void tms_root_measure(tms_root_state *R, int cls, int k, double wall_s);
/* Points in the next unit of class cls for one of `trainers` workers: at least one bundle and at least
 * TMS_UNIT_TARGET_S of measured work (one bundle while unmeasured), fewer near the end so the last units balance,
 * messages within TMS_UNIT_MAX_BYTES / 16. */
int tms_root_unit_size(const tms_root_state *R, int cls, int trainers);
/* Commits the buffered records when force, or when enough time or records have gathered. */
void tms_root_commit(tms_root_state *R, int force);
/* Reports progress when run.progress_every_s has passed since the last report. */
void tms_root_maybe_report(tms_root_state *R);
void tms_root_report(tms_root_state *R, int final);

/* ---- dispatch.c / worker.c ---- */

/* The root's side on comm (rank 0 of size). Returns the status to broadcast; *abandoned when busy workers never
 * came back. */
tms_status tms_root_run(tms_root_state *R, MPI_Comm comm, int size, int *abandoned, tms_error *err);
/* A worker's side: trains units until TMS_TAG_STOP. TMS_OK, or TMS_ERR_MPI when an MPI call failed. */
tms_status tms_worker_run(const tms_sweep *sweep, MPI_Comm comm, tms_error *err);

#endif
