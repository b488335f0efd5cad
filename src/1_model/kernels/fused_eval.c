/* fused_eval: the final evaluation of tiny models, for K models on the same rows: the rows drawn straight into
 * vector registers once and never stored, every model's per-row losses and their group statistics (mean and squared
 * deviations per group of TMS_EVAL_GROUP rows, kernels.h) computed in registers (fused_eval.h).
 * Why: the final evaluation scores 2^20 samples per point; drawing them into x, transposing them into the lanes
 * layout, storing out and reading both back was ~8 ms of a 10,000-step n=2 m=1 point (~30%). Scoring every model
 * of an evaluation set (a cell's replicates) on one draw of each block shares the draws as well.
 * Bits: the draws of tms_data_sample (data.c, draw.h: entry (r, i) owns counter c0 + r N + i), the forward of the
 * lanes kernels (lanes.c: h_j = (0 + x_0 W_0j) + x_1 W_1j + ..., out_i = ((0 + b_i) + h_0 Wout_i0) + ..., ReLUs as
 * vmask_positive) and evaluate.c's row sum (float32 terms (I_i e_i) e_i with e_i = out_i - |x_i|, summed in double
 * over lanes i mod 4 for the first 4 floor(N/4) features, the rest into lane 0, then ((l0 + l1) + l2) + l3). The
 * lanes forward skips a feature whose 16 entries are all zero; adding x W = +-0 instead changes no bit of a finite
 * sum. So every row loss is bitwise the unfused one, on every ISA path (contraction is off: ISO C mode).
 * Statistics: lane l of a vector holds row r of group g0 + l (a stripe of VW groups, row r = 0 .. 63 in turn), so a
 * group's sum ((0 + l_0) + l_1) + ... and then its squared deviations (l_r - gm)^2 in row order are one vector lane
 * each, exactly the serial sums of trainer/evaluate.c. Rows after the last whole stripe (a short chunk, or a batch
 * that is not a multiple of VW * 64) are scored in row blocks and left to the caller's serial sums.
 * Vectors: VW lanes side by side (16 on AVX-512, 8 on AVX2, 4 on SSE), native width only. Compiled once per path. */
#include "fused_eval.h"

#include <string.h>

#include "data/draw.h"
#include "kernels/kernels.h"
#include "kernels_vw.h"
#include "rng/mix.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized" /* arrays used up to N, M only */
#pragma GCC diagnostic ignored "-Warray-bounds" /* the run-time-shape copy's unrolled tails (N <= 8, M <= 24 there) */
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

typedef float vf __attribute__((vector_size(4 * TMS_VW)));
typedef int32_t vi __attribute__((vector_size(4 * TMS_VW)));
typedef uint32_t vu __attribute__((vector_size(4 * TMS_VW)));
typedef float vh __attribute__((vector_size(2 * TMS_VW)));  /* half a native vector */
typedef double vd __attribute__((vector_size(4 * TMS_VW))); /* its lanes as doubles */
typedef vd vd_u __attribute__((aligned(8)));                  /* the same in the caller's scratch (8-byte aligned) */

/* The low and high halves of a native vector (register shuffles: a memcpy of the halves went through the stack). */
#if TMS_VW == 16
#define HALF_LO(t) __builtin_shufflevector(t, t, 0, 1, 2, 3, 4, 5, 6, 7)
#define HALF_HI(t) __builtin_shufflevector(t, t, 8, 9, 10, 11, 12, 13, 14, 15)
#elif TMS_VW == 8
#define HALF_LO(t) __builtin_shufflevector(t, t, 0, 1, 2, 3)
#define HALF_HI(t) __builtin_shufflevector(t, t, 4, 5, 6, 7)
#else
#define HALF_LO(t) __builtin_shufflevector(t, t, 0, 1)
#define HALF_HI(t) __builtin_shufflevector(t, t, 2, 3)
#endif

#define TMS_UNROLL_N _Pragma("GCC unroll 8")
#define TMS_UNROLL_M _Pragma("GCC unroll 24")

static inline vf mask_positive(vf v) { return (vf)((vi)v & (v > (vf){0})); }

typedef struct {
  tms_entry_keys keys;
  vu lane_pos;                                                  /* counter offset of lane l (low 32 bits) */
  uint64_t lane_step;                                           /* the same, lane l at l lane_step */
  uint32_t tm1[TMS_EVAL_FUSED_MAX_N], on[TMS_EVAL_FUSED_MAX_N]; /* threshold - 1, threshold > 0 (all ones) */
} draw_consts;

/* The N entries of VW rows (lane l: counter c + l lane_step) within one epoch, as fused_mid.c's draw_fast. */
static inline __attribute__((always_inline)) void draw_fast(vf *x, const draw_consts *d, uint64_t c, int sym,
                                                            const int N) {
  TMS_UNROLL_N for (int i = 0; i < N; i++) {
    vu p = d->lane_pos + (uint32_t)(c + (uint64_t)i);
    p = (p + d->keys.k1) * 0x9E3779B9u ^ d->keys.k2; /* tms_entry_presence, then tms_hash32 */
    p ^= p >> 16, p *= 0x21F0AAADu, p ^= p >> 15, p *= 0xD35A2D97u, p ^= p >> 15;
    const vi present = (vi)(p <= d->tm1[i]) & (vi)((vu){0} + d->on[i]);
    vu w = p ^ d->keys.k3; /* tms_entry_value_bits */
    w ^= w >> 16, w *= 0x21F0AAADu, w ^= w >> 15, w *= 0xD35A2D97u, w ^= w >> 15;
    const vi wi = (vi)(w >> 8);
    const vf v = sym ? __builtin_convertvector(wi + wi + (1 - 16777216), vf) * 0x1p-24f
                     : __builtin_convertvector(wi, vf) * 0x1p-24f;
    x[i] = (vf)((vi)v & present);
  }
}
/* The same from the scalar reference, for rows whose counters cross an epoch (once per 2^32 draws). */
static __attribute__((noinline)) void draw_ref(vf *x, const tms_eval_args *a, const draw_consts *d, uint64_t c) {
  for (int i = 0; i < a->N; i++) {
    float xv[TMS_VW];
    for (int l = 0; l < TMS_VW; l++) {
      const uint64_t r = tms_entry_draw(a->key, c + (uint64_t)l * d->lane_step + (uint64_t)i);
      xv[l] = tms_select_value(a->symmetric ? tms_value_sym(r) : tms_value_unit(r), (r >> 32) < a->threshold[i]);
    }
    memcpy(&x[i], xv, sizeof xv);
  }
}

/* Float to double of half a vector (one instruction; GCC 12 splits __builtin_convertvector into quarters). */
static inline vd to_double(vh v) {
#if TMS_VW == 16
  return (vd)_mm512_cvtps_pd((__m256)v);
#elif TMS_VW == 8
  return (vd)_mm256_cvtps_pd((__m128)v);
#else
  return __builtin_convertvector(v, vd);
#endif
}

typedef struct {
  vd lo, hi; /* the row losses of lanes 0 .. VW/2 - 1 and VW/2 .. VW - 1 */
} vrows;

/* Row losses of one model on the VW rows x (|x| in ax). */
static inline __attribute__((always_inline)) vrows model_rows(const tms_eval_model *mo, const vf *x, const vf *ax,
                                                             int hidden_relu, int out_relu, const int N,
                                                             const int M) {
  vf h[TMS_EVAL_FUSED_MAX_M];
  TMS_UNROLL_M for (int j = 0; j < M; j++) h[j] = (vf){0};
  TMS_UNROLL_N for (int i = 0; i < N; i++)
    TMS_UNROLL_M for (int j = 0; j < M; j++) h[j] += x[i] * mo->W[i * M + j];
  if (hidden_relu)
    TMS_UNROLL_M for (int j = 0; j < M; j++) h[j] = mask_positive(h[j]);
  vd lane[4][2] = {{{0}}};
  const int N4 = N & ~3;
  TMS_UNROLL_N for (int i = 0; i < N; i++) {
    vf o = (vf){0} + mo->bias[i];
    TMS_UNROLL_M for (int j = 0; j < M; j++) o += h[j] * mo->Wout[i * M + j];
    if (out_relu) o = mask_positive(o);
    const vf e = o - ax[i];
    const vf t = mo->importance[i] * e * e;
    const int k = i < N4 ? (i & 3) : 0; /* evaluate.c's row_loss: lanes i mod 4, the tail into lane 0 */
    lane[k][0] += to_double(HALF_LO(t));
    lane[k][1] += to_double(HALF_HI(t));
  }
  /* ((l0 + l1) + l2) + l3; below 4 features only lane 0 has terms, and a sum that starts at +0 is never -0, so
   * adding the empty lanes' +0 changes no bit and is skipped. */
  if (N4 == 0) return (vrows){lane[0][0], lane[0][1]};
  return (vrows){((lane[0][0] + lane[1][0]) + lane[2][0]) + lane[3][0],
                 ((lane[0][1] + lane[1][1]) + lane[2][1]) + lane[3][1]};
}

static void consts_init(draw_consts *d, const tms_eval_args *a, uint64_t lane_step) {
  d->keys = tms_entry_keys_of(a->key, a->c0 >> 32);
  d->lane_step = lane_step;
  for (int i = 0; i < a->N; i++) {
    d->tm1[i] = a->threshold[i] > 0 ? (uint32_t)(a->threshold[i] - 1) : 0;
    d->on[i] = a->threshold[i] > 0 ? 0xFFFFFFFFu : 0;
  }
  uint32_t lp[TMS_VW];
  for (int l = 0; l < TMS_VW; l++) lp[l] = (uint32_t)((uint64_t)l * lane_step);
  memcpy(&d->lane_pos, lp, sizeof lp);
}

enum { G = TMS_EVAL_GROUP };

/* The group statistics of the stripe's row losses buf (K, G, 2) for models k .. k + n/2 - 1 (n = 2 or 4 series: a
 * model's low and high half of lanes): per series its sum ((0 + l_0) + l_1) + ... in row order, the mean, then the
 * squared deviations in row order, exactly evaluate.c's serial sums per lane. The n series run in one loop so their
 * add chains (latency-bound, one add per row each) overlap. */
static inline __attribute__((always_inline)) void group_stats(const tms_eval_args *a, const vd_u *buf, int k, int g0,
                                                              const int n) {
  size_t off[4];
  for (int j = 0; j < n; j++) off[j] = (size_t)(k + j / 2) * 2 * G + (size_t)(j % 2);
  vd s[4], q[4], gm[4];
  for (int j = 0; j < n; j++) s[j] = (vd){0}, q[j] = (vd){0};
  for (int r = 0; r < G; r++)
    for (int j = 0; j < n; j++) s[j] += buf[off[j] + 2 * (size_t)r];
  for (int j = 0; j < n; j++) gm[j] = s[j] / (double)G;
  for (int r = 0; r < G; r++)
    for (int j = 0; j < n; j++) {
      const vd dv = buf[off[j] + 2 * (size_t)r] - gm[j];
      q[j] += dv * dv;
    }
  for (int j = 0; j < n; j++) {
    const size_t at = (size_t)(k + j / 2) * (size_t)a->groups + (size_t)g0 + (size_t)(j % 2) * (TMS_VW / 2);
    memcpy(a->gm + at, &gm[j], sizeof gm[j]);
    memcpy(a->gq + at, &q[j], sizeof q[j]);
  }
}

/* One stripe: VW groups of G rows from row s0, lane l = group (s0 / G) + l; gm, gq of those groups per model. */
static inline __attribute__((always_inline)) void stripe(const tms_eval_args *a, const draw_consts *d, int s0,
                                                         int fast, const int N, const int M) {
  vd_u *buf = (vd_u *)(void *)a->scratch; /* (K, G, 2) the row losses of the stripe */
  for (int r = 0; r < G; r++) {
    const uint64_t c = a->c0 + (uint64_t)(s0 + r) * (uint64_t)N;
    vf x[TMS_EVAL_FUSED_MAX_N], ax[TMS_EVAL_FUSED_MAX_N];
    if (fast)
      draw_fast(x, d, c, a->symmetric, N);
    else
      draw_ref(x, a, d, c);
    TMS_UNROLL_N for (int i = 0; i < N; i++) ax[i] = (vf)((vi)x[i] & 0x7fffffff); /* |x| */
    for (int k = 0; k < a->K; k++) {
      const vrows v = model_rows(&a->models[k], x, ax, a->hidden_relu, a->out_relu, N, M);
      buf[((size_t)k * G + (size_t)r) * 2] = v.lo;
      buf[((size_t)k * G + (size_t)r) * 2 + 1] = v.hi;
    }
  }
  const int g0 = s0 / G;
  int k = 0;
  for (; k + 2 <= a->K; k += 2) group_stats(a, buf, k, g0, 4); /* two models' halves: four independent chains */
  if (k < a->K) group_stats(a, buf, k, g0, 2);
}

/* Row blocks of VW consecutive rows from row t0 to B: row losses into tail. */
static inline __attribute__((always_inline)) void tail_rows(const tms_eval_args *a, const draw_consts *d, int t0,
                                                            int fast, const int N, const int M) {
  for (int r0 = t0; r0 < a->B; r0 += TMS_VW) {
    const int valid = a->B - r0 < TMS_VW ? a->B - r0 : TMS_VW;
    const uint64_t c = a->c0 + (uint64_t)r0 * (uint64_t)N;
    vf x[TMS_EVAL_FUSED_MAX_N], ax[TMS_EVAL_FUSED_MAX_N];
    if (fast)
      draw_fast(x, d, c, a->symmetric, N);
    else
      draw_ref(x, a, d, c);
    TMS_UNROLL_N for (int i = 0; i < N; i++) ax[i] = (vf)((vi)x[i] & 0x7fffffff);
    for (int k = 0; k < a->K; k++) {
      const vrows v = model_rows(&a->models[k], x, ax, a->hidden_relu, a->out_relu, N, M);
      double tmp[TMS_VW];
      memcpy(tmp, &v.lo, sizeof v.lo);
      memcpy(tmp + TMS_VW / 2, &v.hi, sizeof v.hi);
      double *out = a->tail + (size_t)k * (size_t)a->B + (size_t)r0;
      for (int l = 0; l < valid; l++) out[l] = tmp[l];
    }
  }
}

static inline __attribute__((always_inline)) int eval_shape(const tms_eval_args *a, const int N, const int M) {
  /* fast draws need every counter touched (up to the last lane of the last block) in the first row's epoch */
  const uint64_t last = a->c0 + ((uint64_t)a->B + TMS_VW) * (uint64_t)N;
  const int fast = (a->c0 >> 32) == (last >> 32);
  const int striped = a->B / (TMS_VW * G) * (TMS_VW * G);
  draw_consts d;
  consts_init(&d, a, (uint64_t)G * (uint64_t)N); /* stripes: lane l is row l G of the stripe */
  for (int s0 = 0; s0 < striped; s0 += TMS_VW * G)
    if (fast)
      stripe(a, &d, s0, 1, N, M);
    else
      stripe(a, &d, s0, 0, N, M);
  if (striped < a->B) {
    consts_init(&d, a, (uint64_t)N); /* row blocks: lane l is row l */
    if (fast)
      tail_rows(a, &d, striped, 1, N, M);
    else
      tail_rows(a, &d, striped, 0, N, M);
  }
  return striped;
}

/* Compile-time shapes for the tiny models of the experiments (E2 2/1 and 3/2, E0/E4 5/2, E5 4/2 and 6/2); any
 * other lanes shape takes the same code with run-time bounds. */
int TMS_ISA_FN(tms_fused_eval)(const tms_eval_args *a) {
  const int N = a->N, M = a->M;
  if (N == 2 && M == 1) return eval_shape(a, 2, 1);
  if (N == 3 && M == 2) return eval_shape(a, 3, 2);
  if (N == 4 && M == 2) return eval_shape(a, 4, 2);
  if (N == 5 && M == 2) return eval_shape(a, 5, 2);
  if (N == 6 && M == 2) return eval_shape(a, 6, 2);
  return eval_shape(a, N, M);
}
