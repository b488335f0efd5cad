/* parallel: post_parallel_for (post_parallel.h) on POSIX threads, and the stage timings of timing.h.
 * Invariants: the indices a thread works on come from one atomic counter in chunks, every index is run exactly
 * once unless an error stops the loop, and the reported error is that of the lowest failing index (the first a
 * serial loop would meet: chunks are handed out in increasing order and a chunk below a failure always runs). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "post_parallel.h"

enum { POST_MAX_THREADS = 256 };

double tms_post_wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double tms_post_thread_cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *tms_post_stage_name(tms_post_stage s) {
  static const char *const names[TMS_POST_STAGES] = {"read",    "summary", "phase",    "vulnerability", "neurons",
                                                     "theory",  "dynamics", "write",   "csv"};
  return s >= 0 && s < TMS_POST_STAGES ? names[s] : "?";
}

void tms_post_timing_init(tms_post_timing *t) {
  if (!t) return;
  memset(t, 0, sizeof *t);
  t->stage = -1;
}

void tms_post_timing_end(tms_post_timing *t) {
  if (!t || t->stage < 0) return;
  const int s = t->stage;
  t->wall_s[s] += tms_post_wall_now() - t->t0_wall;
  t->serial_cpu_s[s] += tms_post_thread_cpu_now() - t->t0_cpu - t->loop_cpu_main;
  t->stage = -1;
}

void tms_post_timing_begin(tms_post_timing *t, tms_post_stage s) {
  if (!t) return;
  tms_post_timing_end(t);
  t->stage = (int)s;
  t->loop_cpu_main = 0;
  t->t0_wall = tms_post_wall_now();
  t->t0_cpu = tms_post_thread_cpu_now();
}

typedef struct {
  const post_loop *loop;
  size_t count, chunk;
  atomic_size_t next;
  atomic_int stop;
  pthread_mutex_t lock;
  tms_status status;
  size_t bad;
  tms_error err;
  double cpu; /* summed over the threads, under lock */
} par_job;

static void record_failure(par_job *j, tms_status st, size_t bad, const tms_error *err) {
  atomic_store(&j->stop, 1);
  pthread_mutex_lock(&j->lock);
  if (j->status == TMS_OK || bad < j->bad) {
    j->status = st;
    j->bad = bad;
    j->err = *err;
  }
  pthread_mutex_unlock(&j->lock);
}

static void *par_worker(void *arg) {
  par_job *j = arg;
  const double c0 = tms_post_thread_cpu_now();
  const post_loop *L = j->loop;
  void *local = NULL;
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = TMS_OK;
  if (L->local_init && !(local = L->local_init(L->ctx))) {
    st = tms_error_set(&err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory for a thread's scratch");
    record_failure(j, st, 0, &err);
  }
  while (st == TMS_OK) {
    size_t from = atomic_fetch_add(&j->next, j->chunk);
    if (from >= j->count) break;
    /* chunks are handed out in increasing order, so one taken after a failure lies above it; those below were
     * taken before and run to their end, so the lowest failure is found */
    if (atomic_load(&j->stop)) break;
    size_t to = from + j->chunk < j->count ? from + j->chunk : j->count, bad = from;
    st = L->range(L->ctx, local, from, to, &bad, &err);
    if (st != TMS_OK) record_failure(j, st, bad, &err);
  }
  if (local && L->local_free) L->local_free(local);
  const double used = tms_post_thread_cpu_now() - c0;
  pthread_mutex_lock(&j->lock);
  j->cpu += used;
  pthread_mutex_unlock(&j->lock);
  return NULL;
}

tms_status post_parallel_for(const post_loop *loop, size_t count, size_t chunk, int threads, tms_post_timing *timing,
                             tms_error *err) {
  if (count == 0) return TMS_OK;
  if (chunk < 1) chunk = 1;
  size_t chunks = (count + chunk - 1) / chunk;
  if (threads > POST_MAX_THREADS) threads = POST_MAX_THREADS;
  if (threads < 1) threads = 1;
  if ((size_t)threads > chunks) threads = (int)chunks;
  par_job job;
  memset(&job, 0, sizeof job);
  job.loop = loop, job.count = count, job.chunk = chunk, job.status = TMS_OK, job.bad = (size_t)-1;
  atomic_init(&job.next, 0);
  atomic_init(&job.stop, 0);
  pthread_mutex_init(&job.lock, NULL);
  const double w0 = tms_post_wall_now(), c0 = tms_post_thread_cpu_now();
  pthread_t tid[POST_MAX_THREADS];
  int started = 0;
  for (int t = 1; t < threads; t++) {
    if (pthread_create(&tid[started], NULL, par_worker, &job) != 0) break; /* fewer threads: same results */
    started++;
  }
  par_worker(&job);
  for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
  pthread_mutex_destroy(&job.lock);
  if (timing && timing->stage >= 0) {
    const int s = timing->stage;
    timing->par_wall_s[s] += tms_post_wall_now() - w0;
    timing->par_cpu_s[s] += job.cpu;
    timing->loop_cpu_main += tms_post_thread_cpu_now() - c0;
    if (started + 1 > timing->threads[s]) timing->threads[s] = started + 1;
  }
  if (job.status != TMS_OK && err) *err = job.err;
  return job.status;
}
