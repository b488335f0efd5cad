/* optim: Adam / AdamW with PyTorch's formulas, and the learning-rate schedules of the notebook.
 * AdamW: p <- p - lr*wd*p, then m <- b1 m + (1-b1) g, v <- b2 v + (1-b2) g^2,
 *        p <- p - lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)    (torch.optim.AdamW, t from 1)
 * Adam:  the same without the decay (torch.optim.Adam with weight_decay 0). */
#ifndef TMS_OPTIM_H
#define TMS_OPTIM_H
#include <stddef.h>

#include "core/spec.h"

/* One update of count parameters; t is the 1-based step count; weight_decay 0 gives Adam. */
void tms_adam_step(float *param, const float *grad, float *m, float *v, size_t count, long t, double lr,
                   double beta1, double beta2, double eps, double weight_decay);
/* lr multiplier at 0-based step of steps: constant 1; linear 1 - step/steps; cosine cos(0.5 pi step/(steps-1)). */
double tms_schedule_scale(tms_schedule schedule, long step, long steps);

#endif
