/* optim: Adam / AdamW updates and the learning-rate schedules (SCIENCE.md section 3).
 * The update is the float32 arithmetic of torch.optim.Adam/AdamW (torch 1.13, single-tensor CPU path), operation
 * for operation: scalars (betas, step size, bias correction) in double as Python computes them, rounded to float
 * where torch converts them, and both moment updates as one fused multiply-add each, as torch's AVX2 kernels compute
 * them (add(alpha=...) is vec::fmadd; addcmul's a + s*t1*t2 is contracted by the compiler). With that the result
 * is bitwise torch's on tests/fixtures/adam_expected.h (oracle O9 asks only 1e-7 relative).
 * It is not a faster or "better" Adam.
 * Not here: parameter groups, amsgrad, maximize, gradient clipping. */
#include "trainer/optim.h"

#include <math.h>

/* M_PI is POSIX, not C17. */
static const double tms_pi = 3.14159265358979323846;

/* The loop vectorises (clones for AVX-512, AVX2 and baseline x86-64, picked at load time) because this file is
 * compiled with -fno-math-errno (CMakeLists.txt; v >= 0, so sqrtf never sets errno anyway). Every operation is elementwise and correctly rounded or an
 * exact fmaf, so every clone gives bitwise the scalar loop's result (the baseline clone calls fmaf from libm). At
 * 400x30 this took AdamW from ~67 to ~10 us per step. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
void tms_adam_step(float *param, const float *grad, float *m, float *v, size_t count, long t, double lr,
                   double beta1, double beta2, double eps, double weight_decay) {
  /* Scalars exactly as torch's Python code forms them (double), then converted to float by the kernels. */
  const float decay = (float)(1.0 - lr * weight_decay);
  const float b1 = (float)beta1, one_minus_b1 = (float)(1.0 - beta1);
  const float b2 = (float)beta2, one_minus_b2 = (float)(1.0 - beta2);
  const double bias1 = 1.0 - pow(beta1, (double)t);
  const double bias2 = 1.0 - pow(beta2, (double)t);
  const float neg_step = (float)(-(lr / bias1));
  const float bias2_sqrt = (float)sqrt(bias2);
  const float epsf = (float)eps;
  const int decoupled = weight_decay != 0.0;
  for (size_t i = 0; i < count; i++) {
    float p = param[i];
    const float g = grad[i];
    if (decoupled) p = p * decay;                 /* param.mul_(1 - lr*wd), before the moments (AdamW) */
    float mi = fmaf(g, one_minus_b1, m[i] * b1);  /* exp_avg.mul_(b1).add_(g, alpha=1-b1): vec::fmadd */
    float vi = fmaf(one_minus_b2 * g, g, v[i] * b2); /* exp_avg_sq.mul_(b2).addcmul_(g, g, 1-b2) */
    const float denom = sqrtf(vi) / bias2_sqrt + epsf;
    p = p + neg_step * mi / denom;                /* param.addcdiv_(exp_avg, denom, value=-step_size) */
    m[i] = mi;
    v[i] = vi;
    param[i] = p;
  }
}

double tms_schedule_scale(tms_schedule schedule, long step, long steps) {
  switch (schedule) {
    case TMS_SCHEDULE_LINEAR: return 1.0 - (double)step / (double)steps;
    case TMS_SCHEDULE_COSINE:
      /* the notebook's cos(0.5 pi step/(steps-1)); one step only has step 0, where the scale is 1 */
      return steps > 1 ? cos(0.5 * tms_pi * (double)step / (double)(steps - 1)) : 1.0;
    case TMS_SCHEDULE_CONSTANT:
    default: return 1.0;
  }
}
