/* test_trainer_curves: what the trainer records during a run besides the training loss.
 *   history    the W history (snapshot_every): its steps, entries equal to the W of the same run cut there, off
 *              when 0, bundle == alone with intervals per model;
 *   evalcurve  the evaluation curve (eval_every): entries equal to the loss of the same run cut there on the fixed
 *              batch (computed here independently), training unchanged by it, bundle == alone.
 * Usage: test_trainer_curves history | evalcurve. Every check prints what differed and by how much. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/data.h"
#include "kernels/kernels.h"
#include "owned_result.h"
#include "trainer/trainer.h"

static void *checked_malloc(size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}

/* The final W and b of s trained for only `steps` steps (constant schedule: the first steps of the full run). */
static void train_cut(owned_result *oc, const tms_spec *s, long steps) {
  tms_spec cut = *s;
  cut.steps = steps;
  result_alloc(oc, &cut);
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_train(&cut, &oc->r, NULL, &err);
  CHECK(st == TMS_OK, "cut run: %s", tms_status_name(st));
}

/* ---- trainer_w_history ---- */
/* Trains s with a W history; returns the history (caller frees) and fills o. */
static float *train_with_history(owned_result *o, const tms_spec *s, size_t *len) {
  const size_t nm = (size_t)s->n_features * (size_t)s->n_hidden;
  *len = tms_spec_snapshot_len(s);
  float *h = checked_malloc(*len * nm * sizeof *h);
  result_alloc(o, s);
  o->r.W_history = h;
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_train(s, &o->r, NULL, &err);
  CHECK(st == TMS_OK, "training with snapshot_every %d: %s (%s)", s->snapshot_every, tms_status_name(st), err.msg);
  return h;
}

/* Entries 0, 2 and last of history h (len entries) of s: the initial W, the W after 200 updates, the final W. */
static void history_entries(const tms_spec *s, const float *h, size_t len, const owned_result *o) {
  const int n = s->n_features, m = s->n_hidden;
  const size_t nm = (size_t)n * m;
  float *W0 = calloc(nm, sizeof *W0), *b0 = calloc((size_t)n, sizeof *b0);
  tms_params p0 = {n, m, W0, NULL, b0};
  tms_init_params(&p0, s);
  CHECK(memcmp(h, W0, nm * sizeof *h) == 0, "history entry 0 equals the initial W (h[0] %g vs %g)", h[0], W0[0]);
  CHECK(memcmp(h + (len - 1) * nm, o->r.W, nm * sizeof *h) == 0, "last history entry equals the final W (%g vs %g)",
        h[(len - 1) * nm], o->r.W[0]);
  /* an interior entry (step 200): W before step 200's update = the final W of the same run cut at 200 steps */
  owned_result oc;
  train_cut(&oc, s, 200);
  CHECK(memcmp(h + 2 * nm, oc.r.W, nm * sizeof *h) == 0,
        "entry 2 (step 200) equals the W after 200 updates (%g vs %g, diff %g)", h[2 * nm], oc.r.W[0],
        (double)h[2 * nm] - oc.r.W[0]);
  CHECK(memcmp(h + nm, h + 2 * nm, nm * sizeof *h) != 0, "entries change over training");
  result_free(&oc);
  free(W0);
  free(b0);
}

/* snapshot_every 0: the history is left alone, its length is 0 and training is the same as with it (o). */
static void history_off(const tms_spec *s, const owned_result *o) {
  const size_t nm = (size_t)s->n_features * (size_t)s->n_hidden;
  tms_spec off = *s;
  off.snapshot_every = 0;
  CHECK(tms_spec_snapshot_len(&off) == 0 && tms_spec_snapshot_step(&off, 0) == -1, "snapshot_every 0: no entries");
  float sentinel = 12345.0f;
  owned_result oo;
  result_alloc(&oo, &off);
  oo.r.W_history = &sentinel;
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_train(&off, &oo.r, NULL, &err);
  CHECK(st == TMS_OK && sentinel == 12345.0f, "snapshot_every 0 writes no history (%g)", sentinel);
  CHECK(memcmp(oo.r.W, o->r.W, nm * sizeof(float)) == 0, "snapshots do not change training");
  result_free(&oo);
}

/* bundle == alone, with different intervals per model (one history per model), and steps-1 a multiple: specs[0]'s
 * history alone is h (len entries). */
static void history_bundle(tms_spec specs[2], const float *h, size_t len) {
  const size_t nm = (size_t)specs[0].n_features * (size_t)specs[0].n_hidden;
  CHECK(tms_spec_snapshot_len(&specs[1]) == 7, "301 steps every 50: 7 entries, got %zu",
        tms_spec_snapshot_len(&specs[1]));
  owned_result ob[2], oa1;
  size_t len1 = 0;
  float *ha1 = train_with_history(&oa1, &specs[1], &len1);
  CHECK(memcmp(ha1 + (len1 - 1) * nm, oa1.r.W, nm * sizeof *ha1) == 0,
        "last entry at a multiple of the interval is still the final W");
  float *hb[2];
  tms_train_result res[2];
  for (int k = 0; k < 2; k++) {
    result_alloc(&ob[k], &specs[k]);
    hb[k] = checked_malloc(tms_spec_snapshot_len(&specs[k]) * nm * sizeof(float));
    ob[k].r.W_history = hb[k];
    res[k] = ob[k].r;
  }
  tms_status statuses[2];
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_train_bundle(specs, 2, res, statuses, NULL, &err);
  CHECK(st == TMS_OK && statuses[0] == TMS_OK && statuses[1] == TMS_OK, "bundle with histories ran");
  CHECK(memcmp(hb[0], h, len * nm * sizeof(float)) == 0, "bundle model 0 history bitwise equal to alone");
  CHECK(memcmp(hb[1], ha1, len1 * nm * sizeof(float)) == 0, "bundle model 1 history bitwise equal to alone");
  for (int k = 0; k < 2; k++) {
    free(hb[k]);
    result_free(&ob[k]);
  }
  free(ha1);
  result_free(&oa1);
}

static void test_history(void) {
  const int n = 5, m = 2;
  /* 250 steps every 100: entries at steps 0, 100, 200, 249 (the curve rule) */
  tms_spec s = base_spec(TMS_RELU_OUT, n, m, 0.1, 250, 7);
  s.snapshot_every = 100;
  s.log_every = 100;
  if (!validated(&s)) return;
  CHECK(tms_spec_snapshot_len(&s) == 4, "250 steps every 100: 4 entries, got %zu", tms_spec_snapshot_len(&s));
  const long want_steps[4] = {0, 100, 200, 249};
  for (size_t k = 0; k < 4; k++)
    CHECK(tms_spec_snapshot_step(&s, k) == want_steps[k] && tms_spec_snapshot_step(&s, k) == tms_spec_curve_step(&s, k),
          "entry %zu at step %ld (curve %ld), want %ld", k, tms_spec_snapshot_step(&s, k), tms_spec_curve_step(&s, k),
          want_steps[k]);
  owned_result o;
  size_t len = 0;
  float *h = train_with_history(&o, &s, &len);
  history_entries(&s, h, len, &o);
  history_off(&s, &o);
  tms_spec specs[2] = {s, base_spec(TMS_RELU_OUT, n, m, 0.3, 301, 8)};
  specs[1].snapshot_every = 50;
  specs[1].schedule = TMS_SCHEDULE_COSINE;
  if (validated(&specs[1])) history_bundle(specs, h, len);
  free(h);
  result_free(&o);
}
/* ---- trainer_eval_curve ---- */
/* The loss of params p on the fixed evaluation-curve batch of s, computed here independently of the trainer: the
 * batch drawn from TMS_STREAM_EVAL_CURVE, in chunks of batch_size (the documented rule). */
static double fixed_batch_loss(const tms_spec *s, const tms_params *p) {
  const int n = s->n_features, m = s->n_hidden, E = s->eval_batch, B = s->batch_size;
  float *x = malloc((size_t)E * (size_t)n * sizeof *x), *imp = malloc((size_t)n * sizeof *imp);
  float *am = malloc(tms_acts_floats(B, n, m) * sizeof *am);
  if (!x || !imp || !am) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  tms_data_gen gen;
  memset(&gen, 0, sizeof gen);
  tms_error err;
  memset(&err, 0, sizeof err);
  CHECK(tms_data_init(&gen, s, TMS_STREAM_EVAL_CURVE, &err) == TMS_OK, "data init: %s", err.msg);
  tms_data_sample(&gen, x, E);
  tms_data_free(&gen);
  tms_spec_profile(s, imp, NULL);
  tms_acts acts;
  tms_acts_bind(&acts, am, B, n, m);
  acts.dout = NULL;
  double sum = 0.0;
  for (int done = 0; done < E;) {
    const int chunk = E - done < B ? E - done : B;
    const float *xc = x + (size_t)done * (size_t)n;
    tms_model_forward(s->variant, &acts, xc, p, chunk);
    sum += tms_model_loss(s->variant, &acts, xc, imp, chunk, n) * (double)chunk;
    done += chunk;
  }
  free(x);
  free(imp);
  free(am);
  return sum / (double)E;
}

static float *train_with_eval(owned_result *o, const tms_spec *s, size_t *len) {
  *len = tms_spec_eval_len(s);
  float *c = checked_malloc(*len * sizeof *c);
  result_alloc(o, s);
  o->r.eval_curve = c;
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_train(s, &o->r, NULL, &err);
  CHECK(st == TMS_OK, "training with eval_every %d: %s (%s)", s->eval_every, tms_status_name(st), err.msg);
  return c;
}

/* Entries of curve c (len entries) of s: finite, entry 0 the initial model's loss on the fixed batch, entry 2 the
 * loss after 200 updates, falling over the run. */
static void eval_entries(const tms_spec *s, const float *c, size_t len) {
  const int n = s->n_features, m = s->n_hidden;
  for (size_t k = 0; k < len; k++) CHECK(isfinite(c[k]), "entry %zu finite (%g)", k, c[k]);
  float *W0 = calloc((size_t)n * m, sizeof *W0), *b0 = calloc((size_t)n, sizeof *b0);
  tms_params p0 = {n, m, W0, NULL, b0};
  tms_init_params(&p0, s);
  const float e0 = (float)fixed_batch_loss(s, &p0);
  CHECK(c[0] == e0, "entry 0 equals the initial model's loss on the fixed batch (%.9g vs %.9g, diff %g)", c[0], e0,
        (double)c[0] - e0);
  /* entry 2 (step 200): the parameters after 200 updates, evaluated on the same fixed batch */
  owned_result oc;
  train_cut(&oc, s, 200);
  tms_params pc = {n, m, oc.r.W, NULL, oc.r.b};
  const float e2 = (float)fixed_batch_loss(s, &pc);
  CHECK(c[2] == e2, "entry 2 (step 200) equals the loss of the W, b after 200 updates (%.9g vs %.9g, diff %g)", c[2],
        e2, (double)c[2] - e2);
  CHECK(c[len - 1] < c[0], "a learnable model's evaluation loss falls (%g -> %g)", c[0], c[len - 1]);
  result_free(&oc);
  free(W0);
  free(b0);
}

/* eval_every 0: eval_curve untouched, training (W, final loss, curve) bitwise the same as with it (o). */
static void eval_off(const tms_spec *s, const owned_result *o) {
  const size_t nm = (size_t)s->n_features * (size_t)s->n_hidden;
  tms_spec off = *s;
  off.eval_every = 0;
  CHECK(tms_spec_eval_len(&off) == 0 && tms_spec_eval_step(&off, 0) == -1, "eval_every 0: no entries");
  float sentinel = 12345.0f;
  owned_result oo;
  result_alloc(&oo, &off);
  oo.r.eval_curve = &sentinel;
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_train(&off, &oo.r, NULL, &err);
  CHECK(st == TMS_OK && sentinel == 12345.0f, "eval_every 0 writes no evaluation curve (%g)", sentinel);
  CHECK(memcmp(oo.r.W, o->r.W, nm * sizeof(float)) == 0, "the evaluation curve does not change training (W)");
  CHECK(oo.r.final_loss == o->r.final_loss, "nor the final loss (%.17g vs %.17g)", oo.r.final_loss, o->r.final_loss);
  CHECK(memcmp(oo.r.loss_curve, o->r.loss_curve, o->curve_len * sizeof(float)) == 0, "nor the training curve");
  result_free(&oo);
}

/* bundle == alone: different intervals, eval batches and batch sizes per model, plus a model without a curve;
 * specs[0] alone gave curve c (len entries) and result o. */
static void eval_bundle(tms_spec specs[3], const float *c, size_t len, const owned_result *o) {
  owned_result oa1;
  size_t len1 = 0;
  float *ca1 = train_with_eval(&oa1, &specs[1], &len1);
  CHECK(len1 == 7, "301 steps every 50: 7 entries, got %zu", len1);
  owned_result ob[3];
  float *cb[2];
  tms_train_result res[3];
  for (int k = 0; k < 3; k++) {
    result_alloc(&ob[k], &specs[k]);
    if (k < 2) {
      cb[k] = checked_malloc(tms_spec_eval_len(&specs[k]) * sizeof(float));
      ob[k].r.eval_curve = cb[k];
    }
    res[k] = ob[k].r;
  }
  tms_status statuses[3];
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_train_bundle(specs, 3, res, statuses, NULL, &err);
  CHECK(st == TMS_OK && statuses[0] == TMS_OK && statuses[1] == TMS_OK && statuses[2] == TMS_OK,
        "bundle with evaluation curves ran");
  CHECK(memcmp(cb[0], c, len * sizeof(float)) == 0, "bundle model 0 evaluation curve bitwise equal to alone");
  CHECK(memcmp(cb[1], ca1, len1 * sizeof(float)) == 0, "bundle model 1 evaluation curve bitwise equal to alone");
  CHECK(res[0].final_loss == o->r.final_loss && res[1].final_loss == oa1.r.final_loss,
        "bundle final losses equal to alone");
  for (int k = 0; k < 3; k++) {
    if (k < 2) free(cb[k]);
    result_free(&ob[k]);
  }
  free(ca1);
  result_free(&oa1);
}

static void test_eval_curve(void) {
  const int n = 5, m = 2;
  /* 250 steps every 100: entries at steps 0, 100, 200, 249; eval_batch not a multiple of batch_size (last chunk) */
  tms_spec s = base_spec(TMS_RELU_OUT, n, m, 0.1, 250, 11);
  s.eval_every = 100;
  s.batch_size = 256;
  s.eval_batch = 3000;
  if (!validated(&s)) return;
  CHECK(tms_spec_eval_len(&s) == 4, "250 steps every 100: 4 entries, got %zu", tms_spec_eval_len(&s));
  const long want_steps[4] = {0, 100, 200, 249};
  for (size_t k = 0; k < 4; k++)
    CHECK(tms_spec_eval_step(&s, k) == want_steps[k], "entry %zu at step %ld, want %ld", k, tms_spec_eval_step(&s, k),
          want_steps[k]);
  owned_result o;
  size_t len = 0;
  float *c = train_with_eval(&o, &s, &len);
  eval_entries(&s, c, len);
  eval_off(&s, &o);
  tms_spec specs[3] = {s, base_spec(TMS_RELU_OUT, n, m, 0.3, 301, 12), base_spec(TMS_RELU_OUT, n, m, 0.2, 120, 13)};
  specs[1].eval_every = 50;
  specs[1].eval_batch = 5000;
  specs[1].schedule = TMS_SCHEDULE_COSINE;
  if (validated(&specs[1]) && validated(&specs[2])) eval_bundle(specs, c, len, &o);
  free(c);
  result_free(&o);
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  if (strcmp(what, "history") == 0) test_history();
  else if (strcmp(what, "evalcurve") == 0) test_eval_curve();
  else {
    fprintf(stderr, "usage: test_trainer_curves history|evalcurve\n");
    return 2;
  }
  return tms_check_finish(what);
}
