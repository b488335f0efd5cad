/* fused: one whole training step (batch draw, forward, loss, backward) of a tiny model, 16 batch rows at a time.
 * Why: at n=2 m=1 a step is ~20 kFLOP, so separate passes (draw the batch, forward, loss, backward), each storing
 * and re-loading (B, N) arrays in a transposed layout, cost more than the arithmetic. Here x is drawn straight into
 * the 16-row lanes layout from the same per-entry draws as tms_data_sample (data.c's semantics: entry (b, i) owns
 * the entry draw of counter c + b N + i, draw.h), and h, out and dout of a block never leave registers or the stack.
 * Bits: the same operations in the same order as tms_data_sample + the lanes forward + tms_model_loss (gradient)
 * + the lanes backward, so the gradient is bitwise the unfused one on every path; the loss is the same float32
 * terms, summed per lane in float32 over TMS_FUSED_LOSS_BLOCKS blocks and then in double, in a fixed order (within
 * 8 N roundings of 2^-24 relative of tms_model_loss; the same bits on every path and in every bundle).
 * Vectors: a block is 16 rows = TMS_NV native vectors (16 floats on AVX-512, 2 x 8 on AVX2, 4 x 4 on SSE), so every
 * statement is whole native vectors (a 64-byte vector type on AVX2 was split by GCC into stack round trips: the
 * "no AVX-512 cliff" of issue 7). Size letters: B batch, N features, M hidden. Independent features only (the
 * caller checks tms_fused_fits). Compiled once per instruction-set path (isa/isa_fn.h). */
#include "fused.h"

#include "data/draw.h"
#include "kernels_simd.h"
#include "kernels_vw.h"
#include "rng/mix.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#define TMS_NV (TMS_LANES / TMS_VW)
typedef float tms_vn __attribute__((vector_size(4 * TMS_VW)));
typedef int tms_vni __attribute__((vector_size(4 * TMS_VW)));
typedef struct {
  tms_vn v[TMS_NV];
} tms_blk; /* 16 batch rows of one feature or hidden unit */

typedef float tms_vh __attribute__((vector_size(2 * TMS_VW)));  /* half a native vector */
typedef double tms_vd __attribute__((vector_size(4 * TMS_VW))); /* its lanes as doubles */

#define EACH for (int q = 0; q < TMS_NV; q++)

static inline tms_blk blk_zero(void) {
  tms_blk r;
  EACH r.v[q] = (tms_vn){0};
  return r;
}
/* keep > 0 ? v : +0, lane by lane (keep == v: ReLU, as vmask_positive) */
static inline tms_blk blk_mask_positive(tms_blk v, tms_blk keep) {
  EACH {
    const tms_vni alive = keep.v[q] > (tms_vn){0};
    v.v[q] = (tms_vn)((tms_vni)v.v[q] & alive);
  }
  return v;
}
/* Whether any of the 16 lanes is nonzero (-0 counts as zero). */
static inline int blk_any(const tms_blk *v) {
  tms_vni a = (tms_vni)v->v[0];
  for (int q = 1; q < TMS_NV; q++) a |= (tms_vni)v->v[q];
  a &= 0x7fffffff;
#if defined(__AVX512F__)
  return _mm512_test_epi32_mask((__m512i)a, (__m512i)a) != 0;
#elif defined(__AVX__)
  return !_mm256_testz_si256((__m256i)a, (__m256i)a);
#else
  return _mm_movemask_epi8(_mm_cmpeq_epi32((__m128i)a, _mm_setzero_si128())) != 0xffff;
#endif
}
/* v & mask, lane by lane (mask lanes all ones or zero) */
static inline tms_blk blk_and(tms_blk v, const tms_blk *mask) {
  EACH v.v[q] = (tms_vn)((tms_vni)v.v[q] & (tms_vni)mask->v[q]);
  return v;
}
/* lanes summed in the fixed order of vsum (kernels_simd.h) */
static inline float blk_sum(const tms_blk *v) {
  float s[TMS_LANES];
  memcpy(s, v->v, sizeof s);
  for (int w = TMS_LANES / 2; w > 0; w /= 2)
    for (int l = 0; l < w; l++) s[l] += s[l + w];
  return s[0];
}

/* Feature i of rows b0 .. b0+15: entry draw at position pos0 + l N for lane l (draw.h), all in the epoch of keys k;
 * present iff p <= tm1 and on (the 32-bit form of p < threshold). */
static inline tms_blk draw_block(tms_entry_keys k, uint32_t pos0, uint32_t N, uint32_t tm1, uint32_t on,
                                 int symmetric) {
  float xv[TMS_LANES];
  if (symmetric) {
    for (uint32_t l = 0; l < TMS_LANES; l++) {
      const uint32_t p = tms_entry_presence(k, pos0 + l * N);
      xv[l] = tms_select_value32(tms_value_sym32(tms_entry_value_bits(k, p)), (0u - (uint32_t)(p <= tm1)) & on);
    }
  } else {
    for (uint32_t l = 0; l < TMS_LANES; l++) {
      const uint32_t p = tms_entry_presence(k, pos0 + l * N);
      xv[l] = tms_select_value32(tms_value_unit32(tms_entry_value_bits(k, p)), (0u - (uint32_t)(p <= tm1)) & on);
    }
  }
  tms_blk x;
  memcpy(x.v, xv, sizeof xv);
  return x;
}
/* The same block from the scalar reference, for a step whose counters cross an epoch (once per 2^32 draws). */
static __attribute__((noinline)) tms_blk draw_block_ref(uint64_t key, uint64_t c /* of lane 0 */, uint64_t N,
                                                        uint64_t thr, int symmetric) {
  float xv[TMS_LANES];
  for (uint64_t l = 0; l < TMS_LANES; l++) {
    const uint64_t r = tms_entry_draw(key, c + l * N);
    xv[l] = tms_select_value(symmetric ? tms_value_sym(r) : tms_value_unit(r), (r >> 32) < thr);
  }
  tms_blk x;
  memcpy(x.v, xv, sizeof xv);
  return x;
}

/* An all-zero block of 16 lanes is skipped only from this hidden width on: below, the test costs about what the
 * M multiply-adds it saves. Skipping is exact either way: the sums start at +0, so a skipped +-0 term could only
 * have turned a -0 into +0, and no sum here is ever -0. */
#define TMS_SKIP_MIN_M 3
/* Blocks whose loss terms are summed in float32 before they go into the double sums. */
#define TMS_FUSED_LOSS_BLOCKS 8

/* What a whole step keeps across blocks: per-lane partial sums of the gradients and of the loss. */
typedef struct {
  tms_blk db[TMS_FUSED_MAX_N];     /* (N) */
  tms_blk dwo[TMS_FUSED_MAX_NM];   /* (N*M) dWout (and dWin when tied) */
  tms_blk dwi[TMS_FUSED_MAX_NM];   /* (N*M) dWin, untied only */
  tms_vd loss[2 * TMS_NV]; /* lanes 0..15 in order, as doubles */
  tms_blk lossf;           /* per-lane float32 sums of the last few blocks' rows, not yet in loss */
} tms_fused_acc;

/* One block of 16 rows: forward, loss and dout, backward into the accumulators. */
static inline __attribute__((always_inline)) void block_step(tms_fused_acc *a, const tms_blk *xt /* (N) */,
                                                             const tms_fused_args *f, const tms_blk *mask,
                                                             const int N,
                                                             const int M) {
  const float *W = f->W, *Wo = f->Wout; /* (N, M) */
  tms_blk ht[TMS_FUSED_MAX_M], dht[TMS_FUSED_MAX_M], gt[TMS_FUSED_MAX_N];
  for (int j = 0; j < M; j++) ht[j] = blk_zero();
  for (int i = 0; i < N; i++) {
    if (M >= TMS_SKIP_MIN_M && !blk_any(&xt[i])) continue;
    for (int j = 0; j < M; j++) EACH ht[j].v[q] += xt[i].v[q] * W[i * M + j];
  }
  if (f->hidden_relu)
    for (int j = 0; j < M; j++) ht[j] = blk_mask_positive(ht[j], ht[j]);
  tms_blk row_loss = blk_zero();
  for (int i = 0; i < N; i++) {
    tms_blk o;
    EACH o.v[q] = (tms_vn){0} + f->bias[i];
    for (int j = 0; j < M; j++) EACH o.v[q] += ht[j].v[q] * Wo[i * M + j];
    if (f->out_relu) o = blk_mask_positive(o, o);
    const float imp = f->importance[i], gscale = f->scale * imp;
    tms_blk g, t;
    EACH {
      const tms_vn ax = (tms_vn)((tms_vni)xt[i].v[q] & 0x7fffffff); /* |x| */
      const tms_vn d = o.v[q] - ax;
      t.v[q] = imp * d * d;
      g.v[q] = gscale * d;
    }
    if (f->out_relu) g = blk_mask_positive(g, o); /* ReLU output: gradient where out > 0 (0 at 0, as PyTorch) */
    if (mask) { /* the last, partial block: rows past B count nothing */
      g = blk_and(g, mask);
      t = blk_and(t, mask);
    }
    EACH row_loss.v[q] += t.v[q];
    gt[i] = g;
  }
  EACH a->lossf.v[q] += row_loss.v[q];
  for (int j = 0; j < M; j++) dht[j] = blk_zero();
  for (int i = 0; i < N; i++) {
    if (M >= TMS_SKIP_MIN_M && !blk_any(&gt[i])) continue;
    EACH a->db[i].v[q] += gt[i].v[q];
    for (int j = 0; j < M; j++) EACH {
        dht[j].v[q] += gt[i].v[q] * Wo[i * M + j];
        a->dwo[i * M + j].v[q] += gt[i].v[q] * ht[j].v[q];
      }
  }
  if (f->hidden_relu)
    for (int j = 0; j < M; j++) dht[j] = blk_mask_positive(dht[j], ht[j]);
  tms_blk *acc_in = f->tied ? a->dwo : a->dwi;
  for (int i = 0; i < N; i++) {
    if (M >= TMS_SKIP_MIN_M && !blk_any(&xt[i])) continue;
    for (int j = 0; j < M; j++) EACH acc_in[i * M + j].v[q] += xt[i].v[q] * dht[j].v[q];
  }
}

/* Adds the float32 partial sums of the loss into the double accumulators, lane by lane (rarely: the conversion
 * costs more than the float adds it follows, measured 20-30% of a 5x2 step on AVX2 when done per block). */
static inline __attribute__((always_inline)) void flush_loss(tms_fused_acc *a) {
  EACH {
    tms_vh lo, hi;
    memcpy(&lo, &a->lossf.v[q], sizeof lo);
    memcpy(&hi, (const char *)&a->lossf.v[q] + sizeof lo, sizeof hi);
    a->loss[2 * q] += __builtin_convertvector(lo, tms_vd);
    a->loss[2 * q + 1] += __builtin_convertvector(hi, tms_vd);
  }
  a->lossf = blk_zero();
}

/* The whole batch for one shape; N and M are compile-time constants in the specialised calls below. */
static inline __attribute__((always_inline)) double step_shape(const tms_fused_args *f, const int N, const int M) {
  tms_fused_acc a;
  for (int i = 0; i < N; i++) a.db[i] = blk_zero();
  for (int k = 0; k < N * M; k++) a.dwo[k] = a.dwi[k] = blk_zero();
  for (int k = 0; k < 2 * TMS_NV; k++) a.loss[k] = (tms_vd){0};
  a.lossf = blk_zero();
  /* Fast draws with one epoch's keys when the step's B N counters share it (all but one step in 2^32 / (B N)). */
  const uint64_t total = (uint64_t)f->B * (uint64_t)N;
  const int one_epoch = (f->c0 >> 32) == ((f->c0 + total - 1) >> 32);
  const tms_entry_keys keys = tms_entry_keys_of(f->key, f->c0 >> 32);
  uint32_t tm1[TMS_FUSED_MAX_N], on[TMS_FUSED_MAX_N];
  for (int i = 0; i < N; i++) {
    tm1[i] = f->threshold[i] > 0 ? (uint32_t)(f->threshold[i] - 1) : 0;
    on[i] = f->threshold[i] > 0 ? 0xFFFFFFFFu : 0;
  }
  tms_blk xt[TMS_FUSED_MAX_N];
  for (int b0 = 0; b0 < f->B; b0 += TMS_LANES) {
    const int rows = f->B - b0 < TMS_LANES ? f->B - b0 : TMS_LANES;
    const uint64_t c = f->c0 + (uint64_t)b0 * (uint64_t)N; /* entry (b0, 0) */
    if (one_epoch) /* (two loops, not a select per block: a select of blocks went through the stack) */
      for (int i = 0; i < N; i++)
        xt[i] = draw_block(keys, (uint32_t)(c + (uint64_t)i), (uint32_t)N, tm1[i], on[i], f->symmetric);
    else
      for (int i = 0; i < N; i++)
        xt[i] = draw_block_ref(f->key, c + (uint64_t)i, (uint64_t)N, f->threshold[i], f->symmetric);
    if ((b0 / TMS_LANES) % TMS_FUSED_LOSS_BLOCKS == 0) flush_loss(&a);
    if (rows == TMS_LANES) {
      block_step(&a, xt, f, NULL, N, M);
      continue;
    }
    tms_blk mask; /* lanes < rows: all ones */
    int32_t mv[TMS_LANES];
    for (int l = 0; l < TMS_LANES; l++) mv[l] = l < rows ? -1 : 0;
    memcpy(mask.v, mv, sizeof mv);
    for (int i = 0; i < N; i++) xt[i] = blk_and(xt[i], &mask);
    block_step(&a, xt, f, &mask, N, M);
  }
  flush_loss(&a);
  for (int i = 0; i < N; i++) f->db[i] = blk_sum(&a.db[i]);
  for (int k = 0; k < N * M; k++) {
    f->dWout[k] = blk_sum(&a.dwo[k]);
    if (!f->tied) f->dWin[k] = blk_sum(&a.dwi[k]);
  }
  double loss[TMS_LANES];
  memcpy(loss, a.loss, sizeof loss);
  for (int w = TMS_LANES / 2; w > 0; w /= 2)
    for (int l = 0; l < w; l++) loss[l] += loss[l + w];
  return loss[0] / ((double)f->B * (double)N);
}

double TMS_ISA_FN(tms_fused_step)(const tms_fused_args *f) {
  const int N = f->N, M = f->M;
  /* The shapes of the paper's smallest experiments get constant trip counts (fully unrolled loops). */
  if (N == 2 && M == 1) return step_shape(f, 2, 1);
  if (N == 3 && M == 2) return step_shape(f, 3, 2);
  if (N == 5 && M == 2) return step_shape(f, 5, 2);
  return step_shape(f, N, M);
}
