/* neurons_post: neuron stack data of the privileged-basis models (SCIENCE.md 4.9, E8, E9): per hidden unit whether
 * it is polysemantic and how many features it carries (relu_hidden and abs; from W, the read-in W1 for abs), and for
 * abs the rescaled W1, W2 the stack plot draws. Other variants keep -1 / NaN.
 * Padding of the rescaled weights beyond a point's n, m is 0, as in /results/W. Points run on opt->threads threads
 * (post_parallel.h), each by one thread. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/neurons.h"
#include "post/post.h"
#include "post_parallel.h"

typedef struct {
  tms_post_products *pp;
  const tms_post_results *res;
} neurons_job;

typedef struct {
  float *buf; /* W1, W2, W1s, W2s: (N, M) compact each */
  int *poly;  /* poly, fpn: (M) each */
} neurons_scratch;

static void *scratch_init(void *ctx) {
  const neurons_job *j = ctx;
  const size_t NM = (size_t)j->res->n_max * (size_t)j->res->m_max, M = (size_t)j->res->m_max;
  neurons_scratch *s = malloc(sizeof *s);
  if (!s) return NULL;
  s->buf = malloc((NM > 0 ? 4 * NM : 4) * sizeof *s->buf);
  s->poly = malloc((M > 0 ? 2 * M : 2) * sizeof *s->poly);
  if (!s->buf || !s->poly) {
    free(s->buf);
    free(s->poly);
    free(s);
    return NULL;
  }
  return s;
}

static void scratch_free(void *local) {
  neurons_scratch *s = local;
  free(s->buf);
  free(s->poly);
  free(s);
}

static tms_status points_range(void *ctx, void *local, size_t from, size_t to, size_t *bad, tms_error *err) {
  (void)bad, (void)err;
  const neurons_job *j = ctx;
  const tms_post_results *res = j->res;
  tms_post_products *pp = j->pp;
  neurons_scratch *s = local;
  const size_t N = (size_t)res->n_max, M = (size_t)res->m_max, NM = N * M;
  float *W1 = s->buf, *W2 = s->buf + NM, *W1s = s->buf + 2 * NM, *W2s = s->buf + 3 * NM;
  int *poly = s->poly, *fpn = s->poly + M;
  for (size_t p = from; p < to; p++) {
    tms_variant v;
    int n, m;
    tms_post_point_shape(res, p, &v, &n, &m);
    if (!tms_point_done(res->status[p]) || !(v == TMS_RELU_HIDDEN || v == TMS_ABS) || n < 1 || m < 1) continue;
    tms_post_point_weights(W1, res, p, 0);
    tms_neurons_classify(poly, fpn, W1, n, m, TMS_POST_NEURON_REL);
    for (int k = 0; k < m; k++) {
      pp->polysemantic[p * M + (size_t)k] = (int8_t)poly[k];
      pp->features_per_neuron[p * M + (size_t)k] = fpn[k];
    }
    if (v != TMS_ABS) continue;
    tms_post_point_weights(W2, res, p, 1);
    tms_neurons_rescale(W1s, W2s, W1, W2, n, m);
    float *o1 = pp->W1_scaled + p * NM, *o2 = pp->W2_scaled + p * NM;
    memset(o1, 0, NM * sizeof *o1);
    memset(o2, 0, NM * sizeof *o2);
    for (int i = 0; i < n; i++)
      for (int k = 0; k < m; k++) {
        o1[(size_t)i * M + (size_t)k] = W1s[i * m + k];
        o2[(size_t)i * M + (size_t)k] = W2s[i * m + k];
      }
  }
  return TMS_OK;
}

enum { NEURONS_CHUNK = 1024 };

tms_status tms_post_neurons(tms_post_products *pp, const tms_post_results *res, const tms_post_options *opt,
                            tms_error *err) {
  size_t NM = (size_t)res->n_max * (size_t)res->m_max;
  int any = 0, any_abs = 0;
  for (size_t p = 0; p < res->points; p++) {
    tms_variant v;
    int n, m;
    tms_post_point_shape(res, p, &v, &n, &m);
    any |= v == TMS_RELU_HIDDEN || v == TMS_ABS;
    any_abs |= v == TMS_ABS;
  }
  if (!any) return TMS_OK;
  if (!res->W)
    return tms_error_set(err, TMS_ERR_MISSING, res->path, 0, 0, NULL,
                         "results file lacks /results/W, needed for the neuron stack data");
  if (any_abs && !res->W2)
    return tms_error_set(err, TMS_ERR_MISSING, res->path, 0, 0, NULL,
                         "results file lacks /results/W2, needed for the abs neuron rescaling (W1_scaled, W2_scaled)");
  if (any_abs) {
    pp->W1_scaled = malloc((res->points > 0 && NM > 0 ? res->points * NM : 1) * sizeof(float));
    pp->W2_scaled = malloc((res->points > 0 && NM > 0 ? res->points * NM : 1) * sizeof(float));
    if (!pp->W1_scaled || !pp->W2_scaled) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory");
    for (size_t k = 0; k < res->points * NM; k++) pp->W1_scaled[k] = pp->W2_scaled[k] = NAN;
  }
  neurons_job job = {pp, res};
  const post_loop loop = {&job, scratch_init, scratch_free, points_range};
  return post_parallel_for(&loop, res->points, NEURONS_CHUNK, opt->threads, opt->timing, err);
}
