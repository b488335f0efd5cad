/* attack: the analytic L2 adversarial attack of SCIENCE.md E7 (oracle O10).
 * For relu_out and linear the pre-activation of output i is G_i . x + b_i with G = W W^T (N, N) (the paper's
 * W^T W), so the perturbation of L2 norm lambda that raises it most is delta_i = lambda G_i / ||G_i||.
 * For relu_hidden and abs there is no such closed form; the same direction is built from the Gram of W (the
 * read-in W1 for abs), as a cheap, comparable probe rather than an optimal attack. */
#ifndef TMS_ATTACK_H
#define TMS_ATTACK_H
#include "kernels/kernels.h"
#include "core/spec.h"
#include "core/status.h"

/* delta = lambda * G_i / ||G_i||_2 (G_i = row i of G). A zero row gives delta = 0 (feature i cannot be driven). */
void tms_attack_direction(double *delta /* (N) */, const double *G /* (N,N) */, int n, int i, double lambda);

/* Vulnerability of model p (spec gives variant, sizes, importance and the data law) on eval_batch clean samples
 * from stream TMS_STREAM_ATTACK of spec->seed. lambda = 0.1 * mean_b ||x_b||_2; the target stays the clean |x|.
 *   vuln_batch       = max_i L(x + delta_i) / L(x) - 1, the same delta_i added to every example;
 *   vuln_per_example = (mean_b max_i l_b(x_b + delta_i)) / L(x) - 1 (each example gets its own worst i).
 * L is tms_model_loss (mean over batch and features of I_i (|x_i| - x'_i)^2), l_b the same on example b alone.
 * If L(x) = 0 the ratio is undefined: 0 if no attack raises the loss, +inf otherwise. Either output may be NULL.
 * Cost: n forward passes of the batch. Allocates its scratch (TMS_ERR_NOMEM on failure). */
tms_status tms_attack_vulnerability(double *vuln_batch, double *vuln_per_example, const tms_spec *spec,
                                    const tms_params *p, int eval_batch, tms_error *err);

/* The attack's scratch, kept between calls so that attacking many models (tms-post: a million tiny ones) does not
 * allocate, fault in and free a batch-sized slab per model (that was half of its time at n=2). Zero-initialise,
 * pass to every call of one thread, then tms_attack_ws_free. Buffers grow to the largest (batch, n, m) seen. */
typedef struct {
  float *x, *xa, *acts_mem, *importance, *density, *preT, *absxT;
  double *G, *delta, *shift, *worst, *loss;
  int B, n, m; /* capacity */
  double clean_loss; /* output: L(x) of the clean batch of the last call (the vulnerabilities' denominator) */
} tms_attack_ws;

/* tms_attack_vulnerability on the scratch ws: the same numbers, bitwise. */
tms_status tms_attack_vulnerability_ws(tms_attack_ws *ws, double *vuln_batch, double *vuln_per_example,
                                       const tms_spec *spec, const tms_params *p, int eval_batch, tms_error *err);
/* The same attack with an absolute budget: lambda = budget (L2 norm in input units) if budget > 0, else the
 * relative 0.1 * mean_b ||x_b||_2 above (budget 0 gives bitwise tms_attack_vulnerability_ws). Same clean batch.
 * TMS_ERR_CONFIG if budget < 0 or not finite. */
tms_status tms_attack_vulnerability_budget_ws(tms_attack_ws *ws, double *vuln_batch, double *vuln_per_example,
                                              const tms_spec *spec, const tms_params *p, int eval_batch,
                                              double budget, tms_error *err);
void tms_attack_ws_free(tms_attack_ws *ws);

#endif
