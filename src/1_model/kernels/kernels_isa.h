/* kernels_isa: the hot functions of the kernels module, one build per instruction-set path (isa/isa_fn.h).
 * Internal: kernels.c and step.c call them through TMS_ISA_CALL; tests reach them only through kernels.h.
 * Size letters: B batch, N features, M hidden; row-major float32; W (N, M). */
#ifndef TMS_KERNELS_ISA_H
#define TMS_KERNELS_ISA_H
#include <stddef.h>

#include "isa/isa_fn.h"
#include "kernels/kernels.h"

/* rows.c: row loops (sparse products of the cblas path, and the portable reference path) */
TMS_ISA_DECL(void, tms_relu_inplace, (float *v /* (count) */, size_t count));
TMS_ISA_DECL(double, tms_density_of, (const float *x /* (count) */, size_t count));
/* h = x W, skipping zeros of x */
TMS_ISA_DECL(void, tms_embed_forward_loop, (float *h /* (B, M) */, const float *x /* (B, N) */,
                                            const float *W /* (N, M) */, int B, int N, int M));
/* dW += x^T dh, skipping zeros of x */
TMS_ISA_DECL(void, tms_embed_backward_loop, (float *dW /* (N, M) */, const float *x /* (B, N) */,
                                             const float *dh /* (B, M) */, int B, int N, int M));
/* out = h Wout^T + b (WT: (M, N) scratch or NULL) */
TMS_ISA_DECL(void, tms_readout_forward_loop, (float *out /* (B, N) */, float *WT /* (M, N) or NULL */,
                                              const float *h /* (B, M) */, const float *Wout /* (N, M) */,
                                              const float *bias /* (N) */, int B, int N, int M));
/* dWout = dout^T h, dh = dout Wout */
TMS_ISA_DECL(void, tms_readout_backward_loop, (float *dWout /* (N, M) */, float *dh /* (B, M) */,
                                               const float *dout /* (B, N) */, const float *h /* (B, M) */,
                                               const float *Wout /* (N, M) */, int B, int N, int M));
/* db = column sums of dout */
TMS_ISA_DECL(void, tms_bias_backward, (float *db /* (N) */, const float *dout /* (B, N) */, int B, int N));

/* lanes.c: tiny models, 16 batch rows side by side */
TMS_ISA_DECL(void, tms_forward_lanes, (float *h /* (B, M) */, float *out /* (B, N) */, const float *x /* (B, N) */,
                                       const float *W /* (N, M) */, const float *Wout /* (N, M) */,
                                       const float *bias /* (N) */, int B, int N, int M, int hidden_relu,
                                       int out_relu));
/* dWout = dout^T h, dh = mask(dout Wout), dWin (+)= x^T dh, db = sum of dout; tied models pass dWin == dWout */
TMS_ISA_DECL(void, tms_backward_lanes, (float *dWin /* (N, M) */, float *dWout /* (N, M) */, float *db /* (N) */,
                                        const float *dout /* (B, N) */, const float *h /* (B, M) */,
                                        const float *x /* (B, N) */, const float *Wout /* (N, M) */, int B, int N,
                                        int M, int hidden_relu));

/* loss.c: tms_model_loss */
TMS_ISA_DECL(double, tms_loss, (tms_variant variant, const tms_acts *acts, const float *x /* (B, N) */,
                                const float *importance /* (N) */, int B, int N));

#endif
