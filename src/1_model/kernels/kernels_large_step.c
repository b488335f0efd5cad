/* kernels_large_step: the fused training step of the large-shape path (kernels_large.h, tms_large_step), taken by
 * tms_model_step (step.c) for large shapes.
 * What it fuses, against tms_data_sample + tms_model_forward + tms_model_loss + tms_model_backward:
 *   - the CSR of x comes from the gap sampler where it draws the batch (tms_data_sample_csr: no scan of x);
 *   - the read-out's last pass (ReLU), the loss, dout, db and the list of dout's nonzeros (the CSR the dout-sparse
 *     backward follows) are one pass per batch row, while the row is in L1; with the Gram read-out the row's
 *     gather is in the same pass, into one N-float scratch row (acts->out is then not written at all: no (B, N)
 *     array streams through the cache and pushes G out of L2);
 *   - so no pass over (B, N) arrays is left for the ReLU, the loss, the bias gradient or the count of dout.
 * Invariant (tests/test_kernels_large.c checks it bitwise): the same bits as the unfused calls on the large path.
 * Same formulations and choices (the same counts against the same limits), and the same order of every sum: the
 * loss in tms_loss's order for N > TMS_LOSS_FLAT_MAX_N (8 double lanes, entry i of every row to lane i mod 8, rows
 * in order), db row by row, the dout CSR in increasing index as a scan lists it.
 * Compiled once per instruction-set path (CMake tms_isa_variants); same bits on every path where the unfused path
 * has them (kernels_large.h). */
#include <math.h>
#include <string.h>

#include "data/data.h"
#include "kernels/kernels_large.h"
#include "kernels_nonzero.h" /* and immintrin.h on the AVX2 / AVX-512 builds */
#include "kernels_simd.h"

#if !defined(TMS_ISA_BUILD_AVX2) && !defined(TMS_ISA_BUILD_AVX512)
int tms_large_step_fits(const tms_data_gen *gen, int N, int M) {
  return (long)N * M >= TMS_LARGE_MIN_NM && N > TMS_LOSS_FLAT_MAX_N && gen->n_features == N;
}
#endif

/* A row is walked in segments of SEG entries (a multiple of 16 and of 8, so the loss lanes line up), each by the
 * dense or the sparse tail below; both give the same bits (the sparse one skips exactly the terms that are +-0). */
enum { SEG = 256, SEG_GROUPS = SEG / 16 };

typedef struct {
  float *ob;        /* (N) the row's read-out: pre-activation in, ReLU applied in place by the dense tail */
  float *gb;        /* (N) dout's row */
  float *db;        /* (N) bias gradient, accumulated */
  double *lane;     /* (8) the loss' lanes */
  const float *xb;  /* (N) x's row (x itself, or the L1 copy rows_pass builds from the CSR) */
  const int *xidx;  /* (xc) x's nonzeros in the row (NULL: no CSR) */
  int xc;
  const float *imp; /* (N) importance */
  float scale;      /* d mean / d term, times the 2 of the square, as tms_loss */
  int relu;         /* output ReLU (every variant but linear) */
} row_args;

/* Dense tail of entries [i0, i1): the output's ReLU in place, the loss terms (tms_loss's order: groups of 8 to
 * lanes 0..7, the row's remainder to lane i mod 8), dout (the ReLU mask applied), db += dout. */
static inline __attribute__((always_inline)) void seg_dense(const row_args *r, int i0, int i1) {
  float *restrict ob = r->ob, *restrict gb = r->gb, *restrict db = r->db;
  const float *restrict xb = r->xb, *restrict imp = r->imp;
  double *lane = r->lane;
  if (r->relu)
    for (int i = i0; i < i1; i++) ob[i] = ob[i] > 0.0f ? ob[i] : 0.0f;
  int i = i0;
  for (; i + 8 <= i1; i += 8) {
    float t[8]; /* the squared errors in float32 (vectorises), summed in double */
    for (int l = 0; l < 8; l++) {
      const float d = ob[i + l] - fabsf(xb[i + l]);
      t[l] = imp[i + l] * d * d;
    }
    for (int l = 0; l < 8; l++) lane[l] += (double)t[l];
  }
  for (; i < i1; i++) {
    const float d = ob[i] - fabsf(xb[i]);
    lane[i & 7] += (double)(imp[i] * d * d);
  }
  for (int k = i0; k < i1; k++) {
    const float g = r->scale * imp[k] * (ob[k] - fabsf(xb[k]));
    /* ReLU output: out > 0 exactly where the pre-activation is; PyTorch's ReLU has gradient 0 at 0. */
    gb[k] = r->relu && !(ob[k] > 0.0f) ? 0.0f : g;
  }
  for (int k = i0; k < i1; k++) db[k] += gb[k];
}

/* dout's row alone, from ob before or after the ReLU (the same values): for rows the sparse tail left incomplete. */
static void dout_row(const row_args *r, int N) {
  for (int k = 0; k < N; k++) {
    const float o = r->relu && !(r->ob[k] > 0.0f) ? 0.0f : r->ob[k];
    const float g = r->scale * r->imp[k] * (o - fabsf(r->xb[k]));
    r->gb[k] = r->relu && !(o > 0.0f) ? 0.0f : g;
  }
}

/* The sparse tail's entries pos[0..n) (ReLU variants): their loss terms, dout, db, and dout's nonzeros appended at
 * list; returns their count. The arithmetic of an entry is the dense tail's; it runs over the positions as vectors
 * (gathers), then the loss terms go to their lanes in increasing position (the order of the sum), then dout and db
 * are stored. Branch-free (which entries these are is data, so branches on it mispredict): a list slot written
 * but not counted changes nothing. */
static inline __attribute__((always_inline)) int sparse_entries(const row_args *r, const int *restrict pos, int n,
                                                                int *restrict list) {
  float t[SEG + 16], g[SEG + 16];
  const float *restrict ob = r->ob, *restrict xb = r->xb, *restrict imp = r->imp;
  const float scale = r->scale;
  for (int k = 0; k < n; k++) {
    const int i = pos[k];
    const float o = ob[i] > 0.0f ? ob[i] : 0.0f;
    const float d = o - fabsf(xb[i]);
    t[k] = imp[i] * d * d;
    const float gk = scale * imp[i] * (o - fabsf(xb[i]));
    g[k] = !(o > 0.0f) ? 0.0f : gk;
  }
  double *lane = r->lane;
  for (int k = 0; k < n; k++) lane[pos[k] & 7] += (double)t[k];
  float *restrict gb = r->gb, *restrict db = r->db;
  int c = 0;
  for (int k = 0; k < n; k++) {
    const int i = pos[k];
    uint32_t u;
    memcpy(&u, &g[k], sizeof u);
    gb[i] = g[k];
    db[i] += g[k];
    list[c] = i;
    c += (u & 0x7fffffffu) != 0;
  }
  return c;
}

/* The entries of groups 0 .. groups-1 (16 each, from i0) whose bit is set in mo | mx, in increasing order, at pos
 * (room for 16 more than the count); returns the count. One compress per group on AVX-512, else branch-free. */
static inline __attribute__((always_inline)) int group_positions(int *restrict pos, const uint32_t *mo,
                                                                 const uint32_t *mx, int groups, int i0) {
  int c = 0;
  for (int q = 0; q < groups; q++) {
    const uint32_t m = mo[q] | mx[q];
#if defined(__AVX512F__)
    const __m512i at = _mm512_add_epi32(_mm512_set1_epi32(i0 + 16 * q),
                                        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    _mm512_storeu_si512((void *)(pos + c), _mm512_maskz_compress_epi32((__mmask16)m, at));
    c += __builtin_popcount(m);
#else
    for (int l = 0; l < 16; l++) {
      pos[c] = i0 + 16 * q + l;
      c += (int)((m >> l) & 1u);
    }
#endif
  }
  return c;
}

/* Sparse tail of [i0, i1): only the entries where the output is positive or x is nonzero (mo | mx, per group of
 * 16), in increasing order; every other term of the loss, dout and db is +-0, which adds nothing. dout's row is
 * written at those entries only. Returns the count of dout's nonzeros appended at list. */
static inline __attribute__((always_inline)) int seg_sparse(const row_args *r, int i0, int i1, const uint32_t *mo,
                                                            const uint32_t *mx, int *list) {
  const int groups = (i1 - i0) / 16;
  int pos[SEG + 16];
  int n = group_positions(pos, mo, mx, groups, i0);
  for (int i = i0 + 16 * groups; i < i1; i++) {
    uint32_t u;
    memcpy(&u, r->xb + i, sizeof u);
    pos[n] = i;
    n += r->ob[i] > 0.0f || (u & 0x7fffffffu) != 0;
  }
  return sparse_entries(r, pos, n, list);
}

/* One row: per segment, the sparse tail where at most a quarter of its entries need it (x sparse, ReLU output,
 * dout listed), else the dense one; dout's nonzeros appended at list if list (not NULL where x_sparse). Returns their count; *complete: dout's row is
 * fully written. */
static int row_tail(const row_args *r, int N, int x_sparse, int *list, int *complete) {
  int c = 0, xk = 0;
  *complete = 1;
  for (int i0 = 0; i0 < N; i0 += SEG) {
    const int i1 = N - i0 < SEG ? N : i0 + SEG, groups = (i1 - i0) / 16;
    uint32_t mo[SEG_GROUPS], mx[SEG_GROUPS];
    int need = 0;
    if (r->relu && x_sparse) {
      if (r->xidx) { /* x's mask from its CSR: the same bits as a scan (it lists the nonzero patterns) */
        memset(mx, 0, sizeof mx);
        for (; xk < r->xc && r->xidx[xk] < i0 + 16 * groups; xk++)
          mx[(r->xidx[xk] - i0) >> 4] |= 1u << ((r->xidx[xk] - i0) & 15);
        for (; xk < r->xc && r->xidx[xk] < i1; xk++) continue; /* the segment's scalar tail scans xb */
      } else {
        for (int q = 0; q < groups; q++) mx[q] = tms_nonzero_mask16(r->xb + i0 + 16 * q);
      }
      for (int q = 0; q < groups; q++) {
        mo[q] = tms_positive_mask16(r->ob + i0 + 16 * q);
        need += __builtin_popcount(mo[q] | mx[q]);
      }
    }
    if (r->relu && x_sparse && 4 * need <= i1 - i0) {
      c += seg_sparse(r, i0, i1, mo, mx, list + c);
      *complete = 0;
      continue;
    }
    seg_dense(r, i0, i1);
    if (!list) continue;
    const int got = tms_row_nonzeros(list + c, r->gb + i0, i1 - i0);
    for (int k = c; k < c + got; k++) list[k] += i0;
    c += got;
  }
  return c;
}

/* The batch and the CSR of x: -1 when x is too dense for the sparse embed (or dense is forced). */
static long sample_with_nonzeros(float *x /* (B, N) */, tms_csr *csr, tms_data_gen *gen, int B, int N) {
  const long limit = tms_large_embed_limit(B, N);
  if (limit < 0) {
    tms_data_sample(gen, x, B);
    return -1;
  }
  const long nnz = tms_data_sample_csr(gen, x, B, csr->start, csr->idx);
  if (nnz < 0) return TMS_ISA_FN(tms_csr_build)(csr, x, B, N, limit);
  return nnz > limit ? -1 : nnz;
}

/* Rows of the read-out's output (gathered here if gram, else already h Wout^T + b), each through row_tail, with
 * the dout CSR while its count stays within dlimit (past it, every row's dout is completed for the sgemm
 * backward); returns the loss and sets *listed (-1: over the limit, or dense forced). */
static double rows_pass(tms_acts *acts, tms_large_scratch *s, float *db /* (N) */, const float *x /* (B, N) */,
                        const float *imp /* (N) */, const tms_params *p, int B, int gram, int relu, long dlimit,
                        long *listed) {
  const int N = p->n;
  double lane[8] = {0};
  row_args r = {.db = db, .lane = lane, .imp = imp, .relu = relu};
  r.scale = (float)(2.0 / ((double)B * (double)N)); /* as tms_loss */
  long nz = dlimit < 0 ? -1 : 0;
  int all_complete = 1;
  memset(db, 0, sizeof(float) * (size_t)N);
  s->dcsr.start[0] = 0;
  if (*s->nnz_x >= 0) memset(s->xrow, 0, sizeof(float) * (size_t)N); /* kept zero between rows */
  for (int b = 0; b < B; b++) {
    r.ob = gram ? s->row : acts->out + (size_t)b * N, r.gb = acts->dout + (size_t)b * N, r.xb = x + (size_t)b * N;
    r.xidx = *s->nnz_x >= 0 ? s->csr.idx + s->csr.start[b] : NULL;
    r.xc = *s->nnz_x >= 0 ? s->csr.start[b + 1] - s->csr.start[b] : 0;
    /* With x's CSR, x's row is copied to an L1 row (its few nonzeros), which the tails read instead of x. */
    for (int k = 0; k < r.xc; k++) s->xrow[r.xidx[k]] = r.xb[r.xidx[k]];
    if (r.xidx) r.xb = s->xrow;
    if (gram) TMS_ISA_FN(tms_gram_row)(r.ob, s->G, r.xidx, r.xc, r.xb, p->b, N);
    int complete;
    const int got = row_tail(&r, N, nz >= 0 && r.xidx, nz >= 0 ? s->dcsr.idx + nz : NULL, &complete);
    for (int k = 0; k < r.xc; k++) s->xrow[r.xidx[k]] = 0.0f;
    all_complete &= complete;
    if (nz < 0) continue;
    nz += got; /* room: at most N per row listed so far */
    s->dcsr.start[b + 1] = (int)nz;
    if (nz <= dlimit) continue;
    nz = -1; /* too dense for the dout-sparse backward: sgemm needs every row of dout */
    for (int k = 0; k <= b && !all_complete; k++) {
      row_args rk = r;
      rk.ob = acts->out + (size_t)k * N, rk.gb = acts->dout + (size_t)k * N, rk.xb = x + (size_t)k * N;
      if (gram) { /* the row's read-out was not kept: again, the same bits */
        rk.ob = s->row;
        TMS_ISA_FN(tms_gram_row)(rk.ob, s->G, s->csr.idx + s->csr.start[k], s->csr.start[k + 1] - s->csr.start[k],
                                 rk.xb, p->b, N);
      }
      dout_row(&rk, N);
    }
    all_complete = 1;
  }
  *listed = nz;
  const double total = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  return total / ((double)B * (double)N);
}

double TMS_ISA_FN(tms_large_step)(tms_variant variant, tms_params *grad, tms_acts *acts, float *x /* (B, N) */,
                                  tms_data_gen *gen, const float *importance /* (N) */, const tms_params *p,
                                  int B) {
  const int N = p->n, M = p->m;
  const int relu = variant != TMS_LINEAR;
  const float *Wout = variant == TMS_ABS ? p->W2 : p->W; /* (N, M) */
  tms_large_scratch s = tms_large_views(acts->large, B, N);
  const long nnz = sample_with_nonzeros(x, &s.csr, gen, B, N);
  /* h (B, M) = x W; the read-out either by G = W W^T (gathered per row below) or out (B, N) = h Wout^T + b here */
  const int gram = TMS_ISA_FN(tms_large_embed)(variant, acts, x, p, B, nnz);
  if (gram)
    TMS_ISA_FN(tms_gram_matrix)(s.G, p->W, N, M);
  else
    TMS_ISA_FN(tms_large_dense_readout)(acts->out, acts->h, Wout, p->b, B, N, M, 0);
  long listed;
  const double loss = rows_pass(acts, &s, grad->b, x, importance, p, B, gram, relu, tms_large_dout_limit(B, N),
                                &listed);
  /* dWout (N, M) = dout^T h, dh (B, M) = dout Wout, dW_in (N, M) += x^T dh */
  TMS_ISA_FN(tms_large_backward_from_dout)(variant, grad, acts, x, p, B, listed);
  return loss;
}
