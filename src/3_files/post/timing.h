/* timing: where tms-post's time goes, stage by stage (`tms-post --verbose` prints it), split into what ran on one
 * thread and what ran in the parallel loops (post_parallel.h), so the time on T threads can be computed as
 * serial CPU + parallel CPU / T (bench/README.md, "tms-post at E2 full scale").
 * Invariant: timing never changes a product; a NULL tms_post_timing is accepted everywhere and times nothing. */
#ifndef TMS_POST_TIMING_H
#define TMS_POST_TIMING_H

typedef enum {
  TMS_POST_STAGE_READ,
  TMS_POST_STAGE_SUMMARY,
  TMS_POST_STAGE_PHASE,
  TMS_POST_STAGE_VULNERABILITY,
  TMS_POST_STAGE_NEURONS,
  TMS_POST_STAGE_THEORY,
  TMS_POST_STAGE_DYNAMICS,
  TMS_POST_STAGE_WRITE,
  TMS_POST_STAGE_CSV,
  TMS_POST_STAGES
} tms_post_stage;

typedef struct {
  int stage;                             /* being timed, -1 none */
  double t0_wall, t0_cpu, loop_cpu_main; /* of the stage being timed */
  double wall_s[TMS_POST_STAGES];        /* whole stage, wall clock */
  double serial_cpu_s[TMS_POST_STAGES];  /* CPU of the calling thread outside the parallel loops */
  double par_cpu_s[TMS_POST_STAGES];     /* CPU of every thread inside the parallel loops */
  double par_wall_s[TMS_POST_STAGES];    /* wall clock inside the parallel loops */
  int threads[TMS_POST_STAGES];          /* most threads one loop of the stage ran on (0: no loop) */
} tms_post_timing;

void tms_post_timing_init(tms_post_timing *t);
/* Starts timing stage s (ends the one running, if any); both accept NULL. */
void tms_post_timing_begin(tms_post_timing *t, tms_post_stage s);
void tms_post_timing_end(tms_post_timing *t);
const char *tms_post_stage_name(tms_post_stage s);
/* Seconds of the wall clock (CLOCK_MONOTONIC) and of the calling thread's CPU (CLOCK_THREAD_CPUTIME_ID). */
double tms_post_wall_now(void);
double tms_post_thread_cpu_now(void);

#endif
