/* kernels: forward and backward passes of the four toy models, for one model on one batch.
 * Size letters: B batch, N features, M hidden. All arrays row-major float32.
 * W (N, M): row i is W_i, the embedding of feature i (the paper's column). abs: W is W1 (read-in), W2 (N, M)
 * the read-out. Nothing here allocates or does I/O; activations live in a caller-owned tms_acts.
 * Bits: shapes with n*m >= 4000 take the large-shape path (kernels_large.h), which picks per batch, from nonzero
 * counts of x and of dout only, between sgemm and sparse formulations; the sparse ones sum in another order, so they
 * give other bits than sgemm (a few ulps), and the choice, being made from the data, is the same on every run.
 * Instruction-set paths (isa/isa.h, TMS_ISA=avx512|avx2|generic): the hot loops (row loops, lanes, loss, the data
 * generator) are built once per path and give the SAME BITS on every path: every vector loop runs across
 * independent entries or batch rows, sums across lanes happen in a fixed order written in the source, and
 * floating-point contraction is off (ISO C mode), so no build fuses a multiply-add the others do not. Where bits
 * DO differ: the cblas path (shapes above the lanes crossover, kernels_path.h) takes OpenBLAS's kernels for its
 * core (OPENBLAS_CORETYPE; e.g. Cooperlake/SkylakeX vs Haswell/Zen), which sum the inner products in their own
 * blocking order, so results there depend on the OpenBLAS core (a few ulps per step, amplified by training).
 * Results depend only on the data, the shape, the ISA path and the OpenBLAS core; never on ranks or timing. */
#ifndef TMS_KERNELS_H
#define TMS_KERNELS_H
#include <stddef.h>

#include "core/spec.h"
#include "data/data.h"

typedef struct {
  int n, m;
  float *W;  /* (N, M) */
  float *W2; /* (N, M), abs only; NULL otherwise */
  float *b;  /* (N) */
} tms_params;

typedef struct {
  float *h;    /* (B, M) hidden: x W, or ReLU(x W) for relu_hidden and abs */
  float *out;  /* (B, N) model output x' */
  float *dout; /* (B, N) dLoss/d(output pre-activation), filled by tms_model_loss */
  float *dh;   /* (B, M) scratch: forward and backward may overwrite it */
  float *large; /* scratch of the large-shape path (kernels_large.h: CSR of x, Gram matrix), NULL for small shapes */
} tms_acts;

/* Floats needed by tms_acts for batch B (to size one slab), and binding a slab to the struct. */
size_t tms_acts_floats(int B, int N, int M);
void tms_acts_bind(tms_acts *acts, float *mem, int B, int N, int M);

/* out = model(x). */
void tms_model_forward(tms_variant variant, tms_acts *acts, const float *x /* (B, N) */, const tms_params *p,
                       int B);
/* Returns mean over (batch, feature) of I_i (|x_i| - out_i)^2, and, if acts->dout is not NULL, fills
 * acts->dout with the gradient of that mean w.r.t. the output pre-activation (ReLU mask applied). */
double tms_model_loss(tms_variant variant, tms_acts *acts, const float *x /* (B, N) */,
                      const float *importance /* (N) */, int B, int N);
/* grad->W, grad->W2, grad->b are overwritten with dLoss/dW etc. Needs acts from forward and loss. */
void tms_model_backward(tms_variant variant, tms_params *grad, tms_acts *acts, const float *x /* (B, N) */,
                        const tms_params *p, int B);

/* The training step, and the one dispatch point between its implementations (step.c): draws a fresh batch of B
 * from gen (whose counter advances exactly as by tms_data_sample), then forward, loss and backward; fills grad and
 * returns the loss (tms_model_loss's value; on the fused path the same terms summed in another fixed order, partly
 * in float32: fused.c).
 *   fused   small models (independent features, no forced kernels path; the lanes shapes in fused.c, and up to
 *           m <= 5, n m <= 100, e.g. 20x5, in fused_mid.c): the batch is drawn straight into vector registers and
 *           the whole step runs in one pass; x is not written. Its gradient is bitwise the lanes kernels' on every
 *           ISA path, so training of these shapes (20x5 included, which took cblas before) no longer depends on
 *           the OpenBLAS core; their unfused forward (evaluation, metrics) still takes the AUTO path;
 *   unfused everything else: x (B, N) gets the batch, then tms_model_forward / _loss / _backward above.
 * The large-shape path (kernels_large.h, TMS_KERNELS_LARGE) runs inside the unfused branch, through
 * tms_model_forward / _backward; a fused large-shape step would be one more branch in tms_model_step (step.c),
 * before the unfused one, with this contract (same batch, same counter advance, gradient of the same loss).
 * acts and x are scratch. */
double tms_model_step(tms_variant variant, tms_params *grad, tms_acts *acts, float *x /* (B, N) */,
                      tms_data_gen *gen, const float *importance /* (N) */, const tms_params *p, int B);

/* The final evaluation's rows are summarised per group of TMS_EVAL_GROUP rows (from the chunk's first row; the last
 * group may be short): the group's mean gm = (((0 + l_0) + l_1) + ...) / rows and squared deviations
 * gq = ((0 + (l_0 - gm)^2) + (l_1 - gm)^2) + ..., in double, of its row losses l_r = sum_i I_i (out_i - |x_i|)^2
 * (no 1/N; the terms in float32, summed in double over lanes i mod 4, trainer/evaluate.c). */
#define TMS_EVAL_GROUP 64

/* The final evaluation of K models of one variant and shape on the same B rows, the next B rows gen would draw,
 * fused: rows drawn once in registers, every model's row losses and group statistics there too. Fills gm, gq
 * (K, ceil(B / TMS_EVAL_GROUP)) for the groups of the first R rows and returns R (a multiple of TMS_EVAL_GROUP that
 * depends on the ISA path's vector width, the values never do), with the row losses of rows R .. B - 1 of model k in
 * tail[k B + r]; scratch holds K * TMS_EVAL_GROUP * 16 doubles. gen's counter advances as by tms_data_sample.
 * Returns -1 (nothing touched) where the shape or law has no fused evaluation: the caller then samples x and runs
 * tms_model_forward. Where it runs (row_losses.c: the lanes shapes, n <= 8, n m <= 24, independent features) every
 * value is bitwise the unfused pass's on every ISA path. */
int tms_model_eval_rows(tms_variant variant, tms_data_gen *gen, const tms_params *ps /* (K) */,
                        const float *const *importance /* (K) x (N) */, int K, int B, double *gm, double *gq,
                        double *tail, double *scratch);

/* Provenance: the instruction-set path the hot loops take ("avx512", "avx2", "generic"; isa/isa.h, set by TMS_ISA)
 * and OpenBLAS's core (openblas_get_corename, set by OPENBLAS_CORETYPE), as a results file records them. */
const char *tms_kernels_isa(void);
const char *tms_kernels_blas_core(void);

#endif
