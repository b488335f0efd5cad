/* trainer: the training loop of SCIENCE.md section 3, for one model or a bundle of models of one shape.
 * Per step: lr_t = lr * schedule(step), a fresh batch from the point's data stream, forward, loss, backward, then
 * Adam/AdamW on [W | W2 | b] as one flat vector. The loss curve keeps the loss of the step's own batch before its
 * update (as the PyTorch reference does) at steps 0, log_every, ..., steps-1. final_loss (and loss_se) is measured
 * afterwards on eval_batch samples of the evaluation set of the point's data law (trainer/evaluate.h: the same samples
 * for every replicate and optimizer), in chunks of batch_size so memory stays bounded; in a bundle, after all its
 * models trained, each evaluation set once for all its members (evaluate_bundle: bitwise the alone values).
 * Why a bundle exists: the scheduler hands a worker several small points in one message, and the worker trains them
 * with one slab allocation; models are trained one after the other in the same slab, each exactly as if alone (own
 * streams, own init, own optimiser state), so results never depend on how points were bundled (oracle O8).
 * The stop flag is read every step, the clock every 64 steps; a timeout is one deadline for the whole call, so a
 * bundle's later models report TMS_ERR_TIMEOUT if earlier ones used the time up. Divergence (non-finite loss or
 * parameters) stops that model only; its curve stays NaN from the failing step on.
 * W history (spec->snapshot_every > 0 and result->W_history set): W is copied before the update of each snapshot step
 * (the W whose loss the curve holds at that step); the last entry is the final W after training, written only when
 * every step ran, so W_history's last entry equals result->W bitwise. Unreached entries stay NaN.
 * Evaluation curve (spec->eval_every > 0 and result->eval_curve set): one fixed batch of eval_batch samples is drawn
 * once per model from TMS_STREAM_EVAL_CURVE into the slab (sized for the bundle's largest such batch at init) and
 * its loss is recorded before the update of each eval step, in chunks of the model's own batch_size through the
 * activation buffers, so a bundle gives bitwise the alone result; the training streams are untouched.
 * Not here: MPI, files, printing. Nothing allocates inside the step loop (the data generators allocate their
 * per-feature table once per model, before the loop). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "trainer/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/data.h"
#include "trainer/evaluate.h"
#include "trainer/optim.h"
#include "rng/rng.h"

enum { TMS_CLOCK_EVERY = 64 }; /* steps between timeout checks and progress calls (cheap, but not free) */

/* One slab holds everything a model needs; models of a bundle take turns in it. */
typedef struct {
  size_t n_params;  /* floats in [W | W2 | b] */
  float *param;     /* (n_params) W (N, M), then W2 (N, M) for abs, then b (N) */
  float *grad;      /* (n_params), same layout */
  float *adam_m;    /* (n_params) */
  float *adam_v;    /* (n_params) */
  float *importance; /* (N) */
  float *x;         /* (B, N) the batch, B = largest batch_size of the bundle */
  float *xe;        /* (E, N) the fixed evaluation-curve batch, E = largest eval_batch with eval_every > 0; or NULL */
  tms_acts acts;    /* bound to the rest of the slab for batch B */
  tms_params p, g;  /* views of param and grad */
  int batch;        /* B */
  float *mem;
} tms_slab;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void bind_views(tms_params *v, float *base, tms_variant variant, int n, int m) {
  const size_t nm = (size_t)n * (size_t)m;
  v->n = n;
  v->m = m;
  v->W = base;
  v->W2 = variant == TMS_ABS ? base + nm : NULL;
  v->b = base + (variant == TMS_ABS ? 2 * nm : nm);
}

static tms_status slab_init(tms_slab *s, tms_variant variant, int n, int m, int batch, long eval_rows,
                            tms_error *err) {
  memset(s, 0, sizeof *s);
  const size_t nm = (size_t)n * (size_t)m;
  s->n_params = (variant == TMS_ABS ? 2 * nm : nm) + (size_t)n;
  const size_t acts = tms_acts_floats(batch, n, m);
  const size_t total = 4 * s->n_params + (size_t)n + (size_t)batch * (size_t)n + acts + (size_t)eval_rows * (size_t)n;
  s->mem = calloc(total, sizeof *s->mem);
  if (!s->mem)
    return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "training slab of %zu floats (n=%d, m=%d, batch=%d)",
                         total, n, m, batch);
  float *q = s->mem;
  s->param = q, q += s->n_params;
  s->grad = q, q += s->n_params;
  s->adam_m = q, q += s->n_params;
  s->adam_v = q, q += s->n_params;
  s->importance = q, q += n;
  s->x = q, q += (size_t)batch * (size_t)n;
  tms_acts_bind(&s->acts, q, batch, n, m);
  q += acts;
  s->xe = eval_rows > 0 ? q : NULL;
  bind_views(&s->p, s->param, variant, n, m);
  bind_views(&s->g, s->grad, variant, n, m);
  s->batch = batch;
  return TMS_OK;
}

static void slab_free(tms_slab *s) {
  free(s->mem);
  memset(s, 0, sizeof *s);
}

static int all_finite(const float *a, size_t count) {
  for (size_t i = 0; i < count; i++)
    if (!isfinite(a[i])) return 0;
  return 1;
}

/* Mean loss over eval_batch samples, in chunks of the model's own batch_size (never the slab's, so the sum's
 * rounding does not depend on the bundle). Samples come from gen, one chunk at a time into s->x, or, when gen is
 * NULL, from the fixed evaluation-curve batch s->xe (eval_batch, N). */
static double chunked_loss(tms_slab *s, const tms_spec *spec, tms_data_gen *gen) {
  tms_acts acts = s->acts;
  acts.dout = NULL; /* no gradient wanted */
  const int n = spec->n_features;
  double sum = 0.0;
  for (long done = 0; done < spec->eval_batch;) {
    const long left = spec->eval_batch - done;
    const int chunk = left < spec->batch_size ? (int)left : spec->batch_size;
    if (gen) tms_data_sample(gen, s->x, chunk);
    const float *xc = gen ? s->x : s->xe + (size_t)done * (size_t)n; /* (chunk, N) */
    tms_model_forward(spec->variant, &acts, xc, &s->p, chunk);
    sum += tms_model_loss(spec->variant, &acts, xc, s->importance, chunk, n) * (double)chunk;
    done += chunk;
  }
  return sum / (double)spec->eval_batch;
}

static void copy_out(tms_train_result *r, const tms_slab *s, const tms_spec *spec) {
  const size_t nm = (size_t)spec->n_features * (size_t)spec->n_hidden;
  memcpy(r->W, s->p.W, nm * sizeof *r->W);
  if (spec->variant == TMS_ABS && r->W2) memcpy(r->W2, s->p.W2, nm * sizeof *r->W2);
  memcpy(r->b, s->p.b, (size_t)spec->n_features * sizeof *r->b);
}

/* What one call (one model, or a whole bundle) runs under: stop flag, deadline, progress callback. */
typedef struct {
  volatile sig_atomic_t *stop;
  double deadline; /* CLOCK_MONOTONIC seconds; 0 = none */
  double timeout_s;
  tms_train_progress progress;
  void *progress_ctx;
} tms_run_env;

/* Every output of one model set to "not run": curves and history NaN, no steps, no time. */
static void reset_result(tms_train_result *r, const tms_spec *spec, size_t nm) {
  const size_t curve_len = tms_spec_curve_len(spec);
  for (size_t k = 0; k < curve_len; k++) r->loss_curve[k] = NAN;
  const size_t snap_len = r->W_history ? tms_spec_snapshot_len(spec) : 0;
  for (size_t k = 0; k < snap_len * nm; k++) r->W_history[k] = NAN;
  const size_t eval_len = r->eval_curve ? tms_spec_eval_len(spec) : 0;
  for (size_t k = 0; k < eval_len; k++) r->eval_curve[k] = NAN;
  r->final_loss = r->loss_se = NAN;
  r->eval_s = 0.0;
  r->steps_done = 0;
  r->wall_s = 0.0;
}

/* The model's starting state in the slab: initial parameters, zero Adam moments, importance, the fixed
 * evaluation-curve batch when wanted (drawn once from its own stream), and the training data generator. */
static tms_status prepare_model(tms_slab *s, const tms_spec *spec, int want_eval_curve, tms_data_gen *gen,
                                tms_error *err) {
  tms_init_params(&s->p, spec);
  memset(s->adam_m, 0, s->n_params * sizeof *s->adam_m);
  memset(s->adam_v, 0, s->n_params * sizeof *s->adam_v);
  tms_spec_profile(spec, s->importance, NULL);
  memset(gen, 0, sizeof *gen);
  tms_status st = TMS_OK;
  if (want_eval_curve) {
    st = tms_data_init(gen, spec, TMS_STREAM_EVAL_CURVE, err);
    if (st == TMS_OK) tms_data_sample(gen, s->xe, spec->eval_batch);
    tms_data_free(gen);
    memset(gen, 0, sizeof *gen);
  }
  if (st == TMS_OK) st = tms_data_init(gen, spec, TMS_STREAM_DATA, err);
  if (st != TMS_OK) tms_data_free(gen);
  return st;
}

/* What the step loop records besides the parameters: the curves' lengths (0 = not wanted). */
typedef struct {
  size_t curve_len, snap_len, eval_len, nm;
} tms_records;

/* Records taken before the update of this step: the W snapshot and the evaluation-curve loss. */
static void record_before_update(tms_slab *s, const tms_spec *spec, tms_train_result *r, const tms_records *rec,
                                 long step) {
  if (rec->snap_len > 0 && step % spec->snapshot_every == 0) {
    const size_t k = (size_t)(step / spec->snapshot_every);
    if (k + 1 < rec->snap_len) memcpy(r->W_history + k * rec->nm, s->p.W, rec->nm * sizeof *r->W_history);
  }
  if (rec->eval_len > 0 && step % spec->eval_every == 0)
    r->eval_curve[step / spec->eval_every] = (float)chunked_loss(s, spec, NULL);
  else if (rec->eval_len > 0 && step == spec->steps - 1)
    r->eval_curve[rec->eval_len - 1] = (float)chunked_loss(s, spec, NULL);
}

/* Why the loop must stop before this step (stop flag, deadline), or TMS_OK. */
static tms_status check_env(const tms_run_env *env, const tms_spec *spec, long step, tms_error *err) {
  if (env->stop && *env->stop)
    return tms_error_set(err, TMS_ERR_INTERRUPTED, NULL, 0, 0, NULL, "stopped at step %ld of %ld", step,
                         spec->steps);
  if (env->deadline > 0 && step % TMS_CLOCK_EVERY == 0 && now_s() > env->deadline)
    return tms_error_set(err, TMS_ERR_TIMEOUT, NULL, 0, 0, NULL, "%.3g s limit reached at step %ld of %ld",
                         env->timeout_s, step, spec->steps);
  return TMS_OK;
}

/* The step loop: batch, forward, loss, backward (kernels.h: the step dispatch), Adam; r->steps_done counts the
 * updates made. Stops at the first stop/deadline/divergence, with that status. */
static tms_status run_steps(tms_slab *s, const tms_spec *spec, tms_train_result *r, const tms_run_env *env,
                            tms_data_gen *gen, const tms_records *rec, tms_error *err) {
  const double wd = spec->optimizer == TMS_ADAMW ? spec->weight_decay : 0.0;
  const int B = spec->batch_size;
  for (long step = 0; step < spec->steps; step++) {
    tms_status st = check_env(env, spec, step, err);
    if (st != TMS_OK) return st;
    record_before_update(s, spec, r, rec, step);
    const double loss = tms_model_step(spec->variant, &s->g, &s->acts, s->x, gen, s->importance, &s->p, B);
    if (step % spec->log_every == 0)
      r->loss_curve[step / spec->log_every] = (float)loss;
    else if (step == spec->steps - 1)
      r->loss_curve[rec->curve_len - 1] = (float)loss;
    if (env->progress && step % TMS_CLOCK_EVERY == 0) env->progress(env->progress_ctx, step, spec->steps, loss);
    if (!isfinite(loss))
      return tms_error_set(err, TMS_ERR_DIVERGED, NULL, 0, 0, NULL, "loss is %g at step %ld (lr %g)", loss, step,
                           spec->lr);
    const double lr_t = spec->lr * tms_schedule_scale(spec->schedule, step, spec->steps);
    tms_adam_step(s->param, s->grad, s->adam_m, s->adam_v, s->n_params, step + 1, lr_t, spec->beta1, spec->beta2,
                  spec->eps, wd);
    r->steps_done = step + 1;
    if (!all_finite(s->param, s->n_params))
      return tms_error_set(err, TMS_ERR_DIVERGED, NULL, 0, 0, NULL,
                           "parameters became non-finite after step %ld (lr %g)", step, spec->lr);
  }
  return TMS_OK;
}

/* The final loss on the evaluation set of the point's data law (trainer/evaluate.h), timed into r->eval_s. */
static tms_status final_evaluation(tms_slab *s, const tms_spec *spec, tms_train_result *r, tms_error *err) {
  const double te = now_s();
  tms_eval ev;
  tms_status st = tms_evaluate(&ev, spec, &s->p, s->acts, s->x, s->importance, err);
  if (st == TMS_OK && !isfinite(ev.loss))
    st = tms_error_set(err, TMS_ERR_DIVERGED, NULL, 0, 0, NULL, "evaluation loss is %g", ev.loss);
  if (st == TMS_OK) r->final_loss = ev.loss, r->loss_se = ev.se;
  r->eval_s = now_s() - te;
  return st;
}

/* Whether model r's final evaluation can wait for the end of its bundle (evaluate_bundle): it needs the trained
 * parameters in r, so abs models need r->W2. */
static int eval_deferred(const tms_spec *spec, const tms_train_result *r) {
  return spec->variant != TMS_ABS || r->W2 != NULL;
}

/* Trains one model in the slab. The result is filled in every case (curve NaN where not run); the final evaluation
 * is left to evaluate_bundle where eval_deferred says so. */
static tms_status train_one(tms_slab *s, const tms_spec *spec, tms_train_result *r, const tms_run_env *env,
                            tms_error *err) {
  const double t0 = now_s();
  tms_records rec;
  rec.nm = (size_t)spec->n_features * (size_t)spec->n_hidden;
  rec.curve_len = tms_spec_curve_len(spec);
  rec.snap_len = r->W_history ? tms_spec_snapshot_len(spec) : 0;
  rec.eval_len = r->eval_curve ? tms_spec_eval_len(spec) : 0;
  reset_result(r, spec, rec.nm);
  tms_data_gen gen;
  tms_status st = prepare_model(s, spec, rec.eval_len > 0, &gen, err);
  if (st == TMS_OK) {
    st = run_steps(s, spec, r, env, &gen, &rec, err);
    tms_data_free(&gen);
    if (rec.snap_len > 0 && r->steps_done == spec->steps) /* the last entry: the trained W */
      memcpy(r->W_history + (rec.snap_len - 1) * rec.nm, s->p.W, rec.nm * sizeof *r->W_history);
    if (st == TMS_OK && !eval_deferred(spec, r)) st = final_evaluation(s, spec, r, err);
  }
  copy_out(r, s, spec);
  r->wall_s = now_s() - t0;
  return st;
}

/* Scratch of evaluate_bundle: one set's members, specs, parameter views, importances and results. */
typedef struct {
  int *member;
  tms_spec *spec;
  tms_params *p;
  const float **imp;
  float *imp_mem; /* (count, N) */
  tms_eval *ev;
  unsigned char *taken;
} eval_sets;

static void eval_sets_free(eval_sets *w) {
  free(w->member), free(w->spec), free(w->p), free(w->imp), free(w->imp_mem), free(w->ev), free(w->taken);
}

static int eval_sets_init(eval_sets *w, int count, int n) {
  const size_t c = (size_t)count;
  w->member = malloc(c * sizeof *w->member), w->spec = malloc(c * sizeof *w->spec), w->p = malloc(c * sizeof *w->p);
  w->imp = malloc(c * sizeof *w->imp), w->imp_mem = malloc(c * (size_t)n * sizeof *w->imp_mem);
  w->ev = malloc(c * sizeof *w->ev), w->taken = calloc(c, 1);
  return w->member && w->spec && w->p && w->imp && w->imp_mem && w->ev && w->taken;
}

/* The members of model k's evaluation set among the trained, not yet evaluated models k.. of the bundle. */
static int gather_set(eval_sets *w, const tms_spec *specs, int count, const tms_train_result *results,
                      const tms_status *statuses, int k) {
  int size = 0;
  for (int j = k; j < count; j++) {
    if (w->taken[j] || statuses[j] != TMS_OK || !eval_deferred(&specs[j], &results[j]) ||
        !tms_eval_same_set(&specs[k], &specs[j]))
      continue;
    w->taken[j] = 1;
    w->member[size] = j;
    w->spec[size] = specs[j];
    w->p[size] = (tms_params){specs[j].n_features, specs[j].n_hidden, results[j].W,
                              specs[j].variant == TMS_ABS ? results[j].W2 : NULL, results[j].b};
    float *imp = w->imp_mem + (size_t)size * (size_t)specs[j].n_features;
    tms_spec_profile(&specs[j], imp, NULL);
    w->imp[size++] = imp;
  }
  return size;
}

/* The final evaluations left by train_one: the bundle's trained models in sets of one evaluation set each
 * (tms_eval_same_set: a cell's replicates, both optimizers, every lr), each set scored on one draw of its samples
 * (trainer/evaluate.h), which gives every model bitwise its alone result. Each member is charged an equal share
 * of its set's time (eval_s, added to wall_s). A failure is recorded per model in statuses and errs. */
static void evaluate_bundle(tms_slab *s, const tms_spec *specs, int count, tms_train_result *results,
                            tms_status *statuses, tms_error *errs) {
  eval_sets w;
  memset(&w, 0, sizeof w);
  const int ok = eval_sets_init(&w, count, specs[0].n_features);
  for (int k = 0; k < count; k++) {
    if (statuses[k] != TMS_OK || !eval_deferred(&specs[k], &results[k]) || (ok && w.taken[k])) continue;
    if (!ok) {
      statuses[k] = tms_error_set(&errs[k], TMS_ERR_NOMEM, NULL, 0, 0, NULL, "evaluation sets of %d models", count);
      continue;
    }
    const int size = gather_set(&w, specs, count, results, statuses, k);
    const double t0 = now_s();
    tms_error e;
    memset(&e, 0, sizeof e);
    const tms_status st = tms_evaluate_set(w.ev, w.spec, w.p, w.imp, size, s->acts, s->x, &e);
    const double share = (now_s() - t0) / size;
    for (int i = 0; i < size; i++) {
      const int j = w.member[i];
      tms_train_result *r = &results[j];
      r->eval_s = share;
      r->wall_s += share;
      if (st != TMS_OK) statuses[j] = st, errs[j] = e;
      else if (!isfinite(w.ev[i].loss))
        statuses[j] = tms_error_set(&errs[j], TMS_ERR_DIVERGED, NULL, 0, 0, NULL, "evaluation loss is %g",
                                    w.ev[i].loss);
      else r->final_loss = w.ev[i].loss, r->loss_se = w.ev[i].se;
    }
  }
  eval_sets_free(&w);
}

static tms_status train_bundle(const tms_spec *specs, int count, tms_train_result *results, tms_status *statuses,
                               const tms_train_control *ctl, tms_train_progress progress, void *progress_ctx,
                               tms_error *err) {
  tms_run_env env = {NULL, 0.0, 0.0, progress, progress_ctx};
  if (ctl) {
    env.stop = ctl->stop;
    env.timeout_s = ctl->timeout_s;
    if (ctl->timeout_s > 0) env.deadline = now_s() + ctl->timeout_s;
  }
  if (count < 1) return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, NULL, "empty bundle");
  const tms_spec *first = &specs[0];
  int batch = 0;
  long eval_rows = 0; /* rows of the fixed evaluation-curve batch (0: no model of the bundle wants the curve) */
  for (int k = 0; k < count; k++) {
    const tms_spec *sp = &specs[k];
    if (sp->variant != first->variant || sp->n_features != first->n_features || sp->n_hidden != first->n_hidden)
      return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, NULL,
                           "bundle model %d has another variant or shape (n=%d, m=%d) than model 0 (n=%d, m=%d)", k,
                           sp->n_features, sp->n_hidden, first->n_features, first->n_hidden);
    if (sp->n_features < 1 || sp->n_hidden < 1 || sp->steps < 1 || sp->batch_size < 1 || sp->log_every < 1 ||
        sp->eval_batch < 1 || sp->snapshot_every < 0 || sp->eval_every < 0)
      return tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, NULL, "bundle model %d has an unvalidated spec", k);
    if (sp->batch_size > batch) batch = sp->batch_size;
    if (sp->eval_every > 0 && results[k].eval_curve && sp->eval_batch > eval_rows) eval_rows = sp->eval_batch;
  }
  tms_slab slab;
  tms_status st = slab_init(&slab, first->variant, first->n_features, first->n_hidden, batch, eval_rows, err);
  if (st != TMS_OK) return st;
  /* The error record keeps the first failure of the bundle (by model); each model's own outcome is in statuses[k]. */
  tms_error *errs = calloc((size_t)count, sizeof *errs);
  if (!errs) {
    slab_free(&slab);
    return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "error records of a bundle of %d", count);
  }
  for (int k = 0; k < count; k++) statuses[k] = train_one(&slab, &specs[k], &results[k], &env, &errs[k]);
  evaluate_bundle(&slab, specs, count, results, statuses, errs);
  for (int k = 0; k < count; k++)
    if (statuses[k] != TMS_OK) {
      if (err) *err = errs[k];
      break;
    }
  free(errs);
  slab_free(&slab);
  return TMS_OK;
}

tms_status tms_train_bundle(const tms_spec *specs, int count, tms_train_result *results, tms_status *statuses,
                            const tms_train_control *ctl, tms_error *err) {
  return train_bundle(specs, count, results, statuses, ctl, NULL, NULL, err);
}

tms_status tms_train_observed(const tms_spec *spec, tms_train_result *result, const tms_train_control *ctl,
                              tms_train_progress progress, void *progress_ctx, tms_error *err) {
  tms_status status = TMS_OK;
  tms_status st = train_bundle(spec, 1, result, &status, ctl, progress, progress_ctx, err);
  return st != TMS_OK ? st : status;
}

tms_status tms_train(const tms_spec *spec, tms_train_result *result, const tms_train_control *ctl, tms_error *err) {
  return tms_train_observed(spec, result, ctl, NULL, NULL, err);
}
