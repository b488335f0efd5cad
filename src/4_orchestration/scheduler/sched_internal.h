/* sched_internal: what the scheduler's files share, and nothing else (not installed, not a public interface).
 * The scheduler is split by concept: record.c (the packed result records that travel in messages), unit.c
 * (training one unit of work), queue.c (ordering and bundling the work), root.c (the root's bookkeeping: taking
 * records, retries, commit batching, progress), dispatch.c (the root's loops: alone, or handing units to
 * workers), worker.c (the workers' loop), scheduler.c (the entry point and the summary).
 *
 * Message protocol (MPI_COMM_WORLD):
 *   root -> worker  TAG_WORK    int64[k]: the point indices of one unit
 *   root -> worker  TAG_STOP    empty: no more work, leave the loop
 *   worker -> root  TAG_RESULT  k packed records (record.c), one per point of the unit, in the unit's order
 *                               (with the points' W histories when the sweep has snapshot_every > 0)
 *   worker -> root  TAG_NOTE    empty: "I received a stop signal while idle"
 * A worker always answers a TAG_WORK with exactly one TAG_RESULT of k records, whatever happened. */
#ifndef TMS_SCHED_INTERNAL_H
#define TMS_SCHED_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#include "scheduler/scheduler.h"
#include "core/spec.h"
#include "trainer/trainer.h"

enum { TMS_TAG_WORK = 101, TMS_TAG_RESULT = 102, TMS_TAG_STOP = 103, TMS_TAG_NOTE = 104 };
enum { TMS_REC_SIGNALED = 1 }; /* record flag: the trainer saw a stop signal */
/* Bytes of records a unit (one message) and the root's commit buffer hold at most, whatever the record size
 * (W histories make records large); well under MPI's int count limit. */
#define TMS_UNIT_MAX_BYTES ((size_t)256 << 20)

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
 * status, so the root always gets k records back. watch == NULL (workers): the unit is trained as one bundle.
 * watch != NULL (the root alone): members are trained one by one, observed, each with its own
 * run.point_timeout_s, and members not started when a stop signal arrives are TMS_ERR_INTERRUPTED. Either way
 * every record is bitwise the same (a bundle trains each model exactly as alone). */
void tms_sched_train_unit(const tms_sweep *sweep, const tms_rec_layout *L, const int64_t *idx, int k,
                          unsigned char *out, tms_unit_watch *watch);

/* ---- queue.c: units of work in dispatch order ---- */

typedef struct {
  size_t start; /* into pool */
  int k;
} tms_unit;

typedef struct {
  int64_t *pool;
  size_t pool_len, pool_cap;
  tms_unit *units;
  size_t head, tail, cap; /* units[head..tail) are queued */
} tms_work_queue;

void tms_work_queue_free(tms_work_queue *q); /* safe on a zeroed struct */
/* Appends one unit of k points; -1 when out of memory (the queue is unchanged). */
int tms_work_queue_push(tms_work_queue *q, const int64_t *idx, int k);

/* Per-point state on the root. */
enum { TMS_PS_QUEUED, TMS_PS_RUNNING, TMS_PS_DONE, TMS_PS_FAILED, TMS_PS_SKIPPED, TMS_PS_IDLE };

/* Queues every point not done (pending and failed ones), longest first, points of one shape bundled into units
 * of at most run.bundle (automatic when <= 0: enough units per trainer for the tail to balance); sets pstate. */
tms_status tms_work_queue_build(tms_work_queue *q, unsigned char *pstate, const tms_sweep *sweep,
                                const tms_store *store, int trainers, tms_error *err);

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
  tms_status fatal;
  tms_error fatal_err;
} tms_root_state;

/* Takes the records of one unit: buffers them for commit, re-queues failed points until run.max_attempts. */
void tms_root_take(tms_root_state *R, unsigned char *buf, int k);
/* Commits the buffered records when force, or when enough time or records have gathered. */
void tms_root_commit(tms_root_state *R, int force);
/* Reports progress when run.progress_every_s has passed since the last report. */
void tms_root_maybe_report(tms_root_state *R);
void tms_root_report(tms_root_state *R, int final);

/* ---- dispatch.c / worker.c ---- */

/* The root's side. Returns the status to broadcast; *abandoned when busy workers never came back. */
tms_status tms_root_run(tms_root_state *R, int size, int *abandoned, tms_error *err);
/* A worker's side: trains units until TMS_TAG_STOP. */
void tms_worker_run(const tms_sweep *sweep);

#endif
