/* init: the initial parameters of one model, from the point's own random stream (TMS_STREAM_INIT).
 * xavier: W ~ N(0, 2/(n+m)) per model -- on purpose NOT the notebook's std, which depends on how many instances
 * were batched together (SCIENCE.md section 1); kaiming_uniform: U(-b, b), b = sqrt(6/(n m)) (ARENA's M4 fan_in).
 * W2 (abs) continues the same stream after W; b starts at zero. Depends on nothing but (spec, seed). */
#include <math.h>
#include <string.h>

#include "rng/rng.h"
#include "trainer/trainer.h"

static void fill(float *w /* (N, M) */, size_t count, tms_init init, double scale, tms_rng *rng) {
  for (size_t i = 0; i < count; i++) {
    if (init == TMS_INIT_KAIMING_UNIFORM)
      w[i] = (float)(scale * (2.0 * tms_rng_uniform_double(rng) - 1.0));
    else
      w[i] = (float)(scale * tms_rng_normal(rng));
  }
}

void tms_init_params(tms_params *p, const tms_spec *spec) {
  const int n = spec->n_features, m = spec->n_hidden;
  const size_t nm = (size_t)n * (size_t)m;
  const double scale = spec->init == TMS_INIT_KAIMING_UNIFORM ? sqrt(6.0 / ((double)n * (double)m))
                                                               : sqrt(2.0 / ((double)n + (double)m));
  tms_rng rng;
  tms_rng_init(&rng, spec->seed, TMS_STREAM_INIT);
  p->n = n;
  p->m = m;
  fill(p->W, nm, spec->init, scale, &rng);
  if (spec->variant == TMS_ABS && p->W2) fill(p->W2, nm, spec->init, scale, &rng);
  memset(p->b, 0, (size_t)n * sizeof *p->b);
}
