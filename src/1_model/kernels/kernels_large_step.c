/* kernels_large_step: the fused training step of the large-shape path (kernels_large.h, tms_large_step), taken by
 * tms_model_step (step.c) for large shapes.
 * What it fuses, against tms_data_sample + tms_model_forward + tms_model_loss + tms_model_backward:
 *   - the CSR of x comes from the gap sampler where it draws the batch (tms_data_sample_csr: no scan of x), and x
 *     itself is then not written when the sparse embed takes the CSR (x is scratch, kernels.h; written only where a
 *     dense product or a completed dout row reads it);
 *   - the read-out's last pass (ReLU), the loss, dout, db and the list of dout's nonzeros (the CSR the dout-sparse
 *     backward follows) are one pass per batch row, while the row is in L1; with the Gram read-out the row's
 *     gather is in the same pass, into one N-float scratch row (acts->out is then not written at all: no (B, N)
 *     array streams through the cache and pushes G out of L2);
 *   - with the dense read-out on the vector builds, its rows are computed TMS_READOUT_ROWS at a time
 *     (tms_readout_rows) right before the row pass takes them, into the scratch's G: acts->out is not written either;
 *   - so no pass over (B, N) arrays is left for the ReLU, the loss, the bias gradient or the count of dout.
 * Invariant (tests/test_kernels_large_step.c checks it bitwise): the same bits as the unfused calls on the large path.
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
  const float *imp; /* (N) importance */
  float scale;      /* d mean / d term, times the 2 of the square, as tms_loss */
  int relu;         /* output ReLU (every variant but linear) */
} row_args;

/* dout's row alone, from ob before or after the ReLU (the same values): for rows the sparse tail left incomplete. */
static void dout_row(const row_args *r, int N) {
  for (int k = 0; k < N; k++) {
    const float o = r->relu && !(r->ob[k] > 0.0f) ? 0.0f : r->ob[k];
    const float g = r->scale * r->imp[k] * (o - fabsf(r->xb[k]));
    r->gb[k] = r->relu && !(o > 0.0f) ? 0.0f : g;
  }
}

/* The sparse tail's entries pos[0..n) (ReLU variants): their loss terms, dout, db, and dout's nonzeros appended at
 * list; returns their count. The arithmetic of an entry is the dense tail's, the loss terms go to their lanes in
 * increasing position (the order of the sum). One loop (three, one per output, cost a mispredicted exit each: the
 * count changes from row to row). Branch-free (which entries these are is data, so branches on it mispredict): a
 * list slot written but not counted changes nothing. */
static inline __attribute__((always_inline)) int sparse_entries(const row_args *r, const int *restrict pos, int n,
                                                                int *restrict list, float *restrict vlist) {
  const float *restrict ob = r->ob, *restrict xb = r->xb, *restrict imp = r->imp;
  float *restrict db = r->db;
  double *lane = r->lane;
  const float scale = r->scale;
  int c = 0;
  for (int k = 0; k < n; k++) { /* the selects as bit masks: GCC made them a branch, which mispredicted */
    const int i = pos[k];
    const uint32_t keep = -(uint32_t)(ob[i] > 0.0f); /* o = ob > 0 ? ob : +0, then dout 0 where o is not > 0 */
    uint32_t ou, gu;
    memcpy(&ou, &ob[i], sizeof ou);
    ou &= keep;
    float o, g;
    memcpy(&o, &ou, sizeof o);
    const float d = o - fabsf(xb[i]);
    lane[i & 7] += (double)(imp[i] * d * d);
    const float gk = scale * imp[i] * (o - fabsf(xb[i]));
    memcpy(&gu, &gk, sizeof gu);
    gu &= keep;
    memcpy(&g, &gu, sizeof g);
    db[i] += g; /* dout's row itself is not written: its nonzeros are in the list */
    list[c] = i;
    vlist[c] = g;
    c += (gu & 0x7fffffffu) != 0;
  }
  return c;
}

#if defined(__AVX2__) && !defined(__AVX512F__)
/* Nibble k of entry m: the index of the k-th set bit of the 8-bit mask m (AVX2 has no compress instruction). */
static const uint32_t set_bits8[256] = {
    0x00000000, 0x00000000, 0x00000001, 0x00000010, 0x00000002, 0x00000020, 0x00000021, 0x00000210,
    0x00000003, 0x00000030, 0x00000031, 0x00000310, 0x00000032, 0x00000320, 0x00000321, 0x00003210,
    0x00000004, 0x00000040, 0x00000041, 0x00000410, 0x00000042, 0x00000420, 0x00000421, 0x00004210,
    0x00000043, 0x00000430, 0x00000431, 0x00004310, 0x00000432, 0x00004320, 0x00004321, 0x00043210,
    0x00000005, 0x00000050, 0x00000051, 0x00000510, 0x00000052, 0x00000520, 0x00000521, 0x00005210,
    0x00000053, 0x00000530, 0x00000531, 0x00005310, 0x00000532, 0x00005320, 0x00005321, 0x00053210,
    0x00000054, 0x00000540, 0x00000541, 0x00005410, 0x00000542, 0x00005420, 0x00005421, 0x00054210,
    0x00000543, 0x00005430, 0x00005431, 0x00054310, 0x00005432, 0x00054320, 0x00054321, 0x00543210,
    0x00000006, 0x00000060, 0x00000061, 0x00000610, 0x00000062, 0x00000620, 0x00000621, 0x00006210,
    0x00000063, 0x00000630, 0x00000631, 0x00006310, 0x00000632, 0x00006320, 0x00006321, 0x00063210,
    0x00000064, 0x00000640, 0x00000641, 0x00006410, 0x00000642, 0x00006420, 0x00006421, 0x00064210,
    0x00000643, 0x00006430, 0x00006431, 0x00064310, 0x00006432, 0x00064320, 0x00064321, 0x00643210,
    0x00000065, 0x00000650, 0x00000651, 0x00006510, 0x00000652, 0x00006520, 0x00006521, 0x00065210,
    0x00000653, 0x00006530, 0x00006531, 0x00065310, 0x00006532, 0x00065320, 0x00065321, 0x00653210,
    0x00000654, 0x00006540, 0x00006541, 0x00065410, 0x00006542, 0x00065420, 0x00065421, 0x00654210,
    0x00006543, 0x00065430, 0x00065431, 0x00654310, 0x00065432, 0x00654320, 0x00654321, 0x06543210,
    0x00000007, 0x00000070, 0x00000071, 0x00000710, 0x00000072, 0x00000720, 0x00000721, 0x00007210,
    0x00000073, 0x00000730, 0x00000731, 0x00007310, 0x00000732, 0x00007320, 0x00007321, 0x00073210,
    0x00000074, 0x00000740, 0x00000741, 0x00007410, 0x00000742, 0x00007420, 0x00007421, 0x00074210,
    0x00000743, 0x00007430, 0x00007431, 0x00074310, 0x00007432, 0x00074320, 0x00074321, 0x00743210,
    0x00000075, 0x00000750, 0x00000751, 0x00007510, 0x00000752, 0x00007520, 0x00007521, 0x00075210,
    0x00000753, 0x00007530, 0x00007531, 0x00075310, 0x00007532, 0x00075320, 0x00075321, 0x00753210,
    0x00000754, 0x00007540, 0x00007541, 0x00075410, 0x00007542, 0x00075420, 0x00075421, 0x00754210,
    0x00007543, 0x00075430, 0x00075431, 0x00754310, 0x00075432, 0x00754320, 0x00754321, 0x07543210,
    0x00000076, 0x00000760, 0x00000761, 0x00007610, 0x00000762, 0x00007620, 0x00007621, 0x00076210,
    0x00000763, 0x00007630, 0x00007631, 0x00076310, 0x00007632, 0x00076320, 0x00076321, 0x00763210,
    0x00000764, 0x00007640, 0x00007641, 0x00076410, 0x00007642, 0x00076420, 0x00076421, 0x00764210,
    0x00007643, 0x00076430, 0x00076431, 0x00764310, 0x00076432, 0x00764320, 0x00764321, 0x07643210,
    0x00000765, 0x00007650, 0x00007651, 0x00076510, 0x00007652, 0x00076520, 0x00076521, 0x00765210,
    0x00007653, 0x00076530, 0x00076531, 0x00765310, 0x00076532, 0x00765320, 0x00765321, 0x07653210,
    0x00007654, 0x00076540, 0x00076541, 0x00765410, 0x00076542, 0x00765420, 0x00765421, 0x07654210,
    0x00076543, 0x00765430, 0x00765431, 0x07654310, 0x00765432, 0x07654320, 0x07654321, 0x76543210,
};
#endif

/* The positions base + l of the set bits l of m (16 bits), in increasing order, at pos (room for 16); returns their
 * count. One compress on AVX-512; on AVX2 the permutation of each 8-bit half from set_bits8 (the positions are
 * base + the lane indices themselves, so no permute of data is needed). */
static inline __attribute__((always_inline)) int compress16(int *restrict pos, uint32_t m, int base) {
#if defined(__AVX512F__)
  const __m512i at = _mm512_add_epi32(_mm512_set1_epi32(base),
                                      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  _mm512_storeu_si512((void *)pos, _mm512_maskz_compress_epi32((__mmask16)m, at));
  return __builtin_popcount(m);
#elif defined(__AVX2__)
  const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28), seven = _mm256_set1_epi32(7);
  const int lo = __builtin_popcount(m & 255u);
  const __m256i pl = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)set_bits8[m & 255u]), shifts), seven);
  const __m256i ph = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)set_bits8[m >> 8]), shifts), seven);
  _mm256_storeu_si256((__m256i *)(void *)pos, _mm256_add_epi32(pl, _mm256_set1_epi32(base)));
  _mm256_storeu_si256((__m256i *)(void *)(pos + lo), _mm256_add_epi32(ph, _mm256_set1_epi32(base + 8)));
  return lo + __builtin_popcount(m >> 8);
#else
  int c = 0;
  for (int l = 0; l < 16; l++) {
    pos[c] = base + l;
    c += (int)((m >> l) & 1u);
  }
  return c;
#endif
}

/* The scalar dense tail of entries [i, i1) (the generic build's whole segment, the vector builds' remainder), dout's
 * nonzeros appended at list, vlist if list; returns their count. */
static int seg_dense_scalar(const row_args *r, int i, int i1, int *list, float *vlist) {
  float *restrict ob = r->ob, *restrict gb = r->gb, *restrict db = r->db;
  const float *restrict xb = r->xb, *restrict imp = r->imp;
  double *lane = r->lane;
  const int i0 = i;
  if (r->relu)
    for (int k = i0; k < i1; k++) ob[k] = ob[k] > 0.0f ? ob[k] : 0.0f;
  for (; i + 8 <= i1; i += 8) {
    float t[8]; /* the squared errors in float32, summed in double */
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
  int c = 0;
  for (int k = i0; k < i1; k++) {
    const float g = r->scale * imp[k] * (ob[k] - fabsf(xb[k]));
    /* ReLU output: out > 0 exactly where the pre-activation is; PyTorch's ReLU has gradient 0 at 0. */
    gb[k] = r->relu && !(ob[k] > 0.0f) ? 0.0f : g;
    db[k] += gb[k];
    uint32_t u;
    memcpy(&u, &gb[k], sizeof u);
    if (!list) continue;
    list[c] = k, vlist[c] = gb[k];
    c += (u & 0x7fffffffu) != 0;
  }
  return c;
}

/* Dense tail of entries [i0, i1) (i0 a multiple of 8): the output's ReLU in place, the loss terms (tms_loss's
 * order: groups of 8 to lanes 0..7, the row's remainder to lane i mod 8), dout (the ReLU mask applied), db += dout,
 * and dout's nonzeros (positions, values) appended at list, vlist if list (up to TMS_LARGE_SLACK slots past the
 * count are written); returns their count. One pass per vector, the 8 double lanes in registers: the same
 * operations in the same order as seg_dense_scalar (max(o, 0) is o > 0 ? o : 0, NaN and -0 included; the nonzero
 * test is the integer test of the bits), so the same bits on every build. */
static inline __attribute__((always_inline)) int seg_dense(const row_args *r, int i0, int i1, int *restrict list,
                                                           float *restrict vlist) {
  int i = i0, c = 0;
#if defined(__AVX512F__)
  float *restrict ob = r->ob, *restrict gb = r->gb, *restrict db = r->db;
  const float *restrict xb = r->xb, *restrict imp = r->imp;
  const __m512 zero = _mm512_setzero_ps(), scale = _mm512_set1_ps(r->scale);
  const __m512i sign_off = _mm512_set1_epi32(0x7fffffff);
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512d acc = _mm512_loadu_pd(r->lane);
  for (; i + 16 <= i1; i += 16) {
    __m512 o = _mm512_loadu_ps(ob + i);
    if (r->relu) _mm512_storeu_ps(ob + i, o = _mm512_max_ps(o, zero));
    const __m512 ax = _mm512_castsi512_ps(_mm512_and_si512(_mm512_loadu_si512((const void *)(xb + i)), sign_off));
    const __m512 d = _mm512_sub_ps(o, ax), w = _mm512_loadu_ps(imp + i);
    const __m512 t = _mm512_mul_ps(_mm512_mul_ps(w, d), d);
    acc = _mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_castps512_ps256(t)));
    acc = _mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_extractf32x8_ps(t, 1)));
    __m512 g = _mm512_mul_ps(_mm512_mul_ps(scale, w), d);
    if (r->relu) g = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(o, zero, _CMP_GT_OQ), g);
    _mm512_storeu_ps(gb + i, g);
    _mm512_storeu_ps(db + i, _mm512_add_ps(_mm512_loadu_ps(db + i), g));
    if (!list) continue;
    const __mmask16 nz = _mm512_test_epi32_mask(_mm512_castps_si512(g), sign_off);
    const __m512i at = _mm512_add_epi32(iota, _mm512_set1_epi32(i));
    _mm512_storeu_si512((void *)(list + c), _mm512_maskz_compress_epi32(nz, at));
    _mm512_storeu_ps(vlist + c, _mm512_maskz_compress_ps(nz, g));
    c += __builtin_popcount((uint32_t)nz);
  }
  _mm512_storeu_pd(r->lane, acc);
#elif defined(__AVX2__)
  float *restrict ob = r->ob, *restrict gb = r->gb, *restrict db = r->db;
  const float *restrict xb = r->xb, *restrict imp = r->imp;
  const __m256 zero = _mm256_setzero_ps(), scale = _mm256_set1_ps(r->scale);
  const __m256 sign_off = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28), seven = _mm256_set1_epi32(7);
  __m256d acc0 = _mm256_loadu_pd(r->lane), acc1 = _mm256_loadu_pd(r->lane + 4);
  for (; i + 8 <= i1; i += 8) {
    __m256 o = _mm256_loadu_ps(ob + i);
    if (r->relu) _mm256_storeu_ps(ob + i, o = _mm256_max_ps(o, zero));
    const __m256 d = _mm256_sub_ps(o, _mm256_and_ps(_mm256_loadu_ps(xb + i), sign_off)), w = _mm256_loadu_ps(imp + i);
    const __m256 t = _mm256_mul_ps(_mm256_mul_ps(w, d), d);
    acc0 = _mm256_add_pd(acc0, _mm256_cvtps_pd(_mm256_castps256_ps128(t)));
    acc1 = _mm256_add_pd(acc1, _mm256_cvtps_pd(_mm256_extractf128_ps(t, 1)));
    __m256 g = _mm256_mul_ps(_mm256_mul_ps(scale, w), d);
    if (r->relu) g = _mm256_and_ps(_mm256_cmp_ps(o, zero, _CMP_GT_OQ), g);
    _mm256_storeu_ps(gb + i, g);
    _mm256_storeu_ps(db + i, _mm256_add_ps(_mm256_loadu_ps(db + i), g));
    if (!list) continue;
    const __m256i gz = _mm256_cmpeq_epi32(_mm256_castps_si256(_mm256_and_ps(g, sign_off)), _mm256_setzero_si256());
    const uint32_t nz = ~(uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(gz)) & 255u;
    const __m256i p = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)set_bits8[nz]), shifts), seven);
    _mm256_storeu_si256((__m256i *)(void *)(list + c), _mm256_add_epi32(p, _mm256_set1_epi32(i)));
    _mm256_storeu_ps(vlist + c, _mm256_permutevar8x32_ps(g, p));
    c += __builtin_popcount(nz);
  }
  _mm256_storeu_pd(r->lane, acc0);
  _mm256_storeu_pd(r->lane + 4, acc1);
#endif
  return c + seg_dense_scalar(r, i, i1, list ? list + c : NULL, list ? vlist + c : NULL);
}

/* Sparse tail of [i0, i1): only the entries where the output is positive or x is nonzero (m = mo | mx, per group
 * of 16; nonempty: bit q set iff m[q] is not 0), in increasing order; every other term of the loss, dout and db is
 * +-0, which adds nothing. Only the groups with an entry are visited (walked by trailing-zero counts: at density
 * 0.01 most groups of a row are empty). dout's row is not written (its nonzeros and their values are listed at
 * list, vlist; the dout-sparse backward reads only those). Returns the count of dout's
 * nonzeros appended at list. */
static inline __attribute__((always_inline)) int seg_sparse(const row_args *r, int i0, int i1, const uint32_t *m,
                                                            uint32_t nonempty, int *list, float *vlist) {
  const int groups = (i1 - i0) / 16;
  int pos[SEG + 16];
  int n = 0;
  for (; nonempty; nonempty &= nonempty - 1) {
    const int q = __builtin_ctz(nonempty);
    n += compress16(pos + n, m[q], i0 + 16 * q);
  }
  for (int i = i0 + 16 * groups; i < i1; i++) {
    uint32_t u;
    memcpy(&u, r->xb + i, sizeof u);
    pos[n] = i;
    n += r->ob[i] > 0.0f || (u & 0x7fffffffu) != 0;
  }
  return sparse_entries(r, pos, n, list, vlist);
}

/* One row: per segment, the sparse tail where at most a quarter of its entries need it (x sparse, ReLU output,
 * dout listed), else the dense one; dout's nonzeros (positions, values) appended at list, vlist if list (not NULL
 * where x_sparse). Returns their count; *complete: dout's row is
 * fully written. */
static int row_tail(const row_args *r, int N, const uint32_t *xmask, int *list, float *vlist, int *complete) {
  int c = 0;
  *complete = 1;
  for (int i0 = 0; i0 < N; i0 += SEG) {
    const int i1 = N - i0 < SEG ? N : i0 + SEG, groups = (i1 - i0) / 16;
    uint32_t m[SEG_GROUPS], nonempty = 0;
    int need = 0;
    if (r->relu && xmask) {
      for (int q = 0; q < groups; q++) { /* x's bits from its CSR (a superset of its nonzeros: +0 terms are harmless) */
        m[q] = tms_positive_mask16(r->ob + i0 + 16 * q) | xmask[i0 / 16 + q];
        need += __builtin_popcount(m[q]);
        nonempty |= (uint32_t)(m[q] != 0) << q;
      }
    }
    if (r->relu && xmask && 4 * need <= i1 - i0) {
      c += seg_sparse(r, i0, i1, m, nonempty, list + c, vlist + c);
      *complete = 0;
      continue;
    }
    c += seg_dense(r, i0, i1, list ? list + c : NULL, list ? vlist + c : NULL);
  }
  return c;
}

/* x (B, N) from its CSR: the x tms_data_sample draws, bit for bit (every entry not listed is +0 there too). */
static void x_from_csr(float *x /* (B, N) */, const tms_csr *csr, int B, int N) {
  memset(x, 0, sizeof(float) * (size_t)B * N);
  for (int b = 0; b < B; b++)
    for (int k = csr->start[b]; k < csr->start[b + 1]; k++) x[(size_t)b * N + csr->idx[k]] = csr->val[k];
}

/* The batch and the CSR of x: -1 when x is too dense for the sparse embed (or dense is forced), x then written.
 * Where the gap sampler draws the CSR and the sparse embed takes it, x is not written at all (nothing reads it). */
static long sample_with_nonzeros(float *x /* (B, N) */, tms_csr *csr, tms_data_gen *gen, int B, int N) {
  const long limit = tms_large_embed_limit(B, N);
  const long nnz = limit < 0 ? -1 : tms_data_sample_csr(gen, B, csr->start, csr->idx, csr->val);
  if (nnz < 0) { /* not the gap sampler's law (or dense forced): x drawn, then scanned if the embed may be sparse */
    tms_data_sample(gen, x, B);
    return limit < 0 ? -1 : TMS_ISA_FN(tms_csr_build)(csr, x, B, N, limit);
  }
  if (nnz <= limit) return nnz;
  x_from_csr(x, csr, B, N);
  return -1;
}

/* x's row from its CSR (idx, val: c entries) into the L1 row xrow and its bits into xmask (set), or both back to
 * zero (!set). The first four entries unconditionally, those past c sent to the dummy slot N (xrow has N + 16
 * floats, xmask N / 16 + 1 words; the CSR arrays have room past any row's end): at density 0.01-0.02 most rows
 * have at most four, and a loop whose exit depends on c mispredicted once per row. */
static inline __attribute__((always_inline)) void x_row_scatter(float *restrict xrow, uint32_t *restrict xmask,
                                                                const int *restrict idx,
                                                                const float *restrict val, int c, int N, int set) {
  for (int k = 0; k < 4; k++) {
    const int raw = idx[k];
    const float v = val[k];
    const int j = k < c ? raw : N;
    xrow[j] = set && k < c ? v : 0.0f;
    xmask[j >> 4] = set ? xmask[j >> 4] | (uint32_t)(k < c) << (j & 15) : 0u;
  }
  for (int k = 4; k < c; k++) {
    const int j = idx[k];
    xrow[j] = set ? val[k] : 0.0f;
    xmask[j >> 4] = set ? xmask[j >> 4] | 1u << (j & 15) : 0u;
  }
}

/* Rows of the read-out's output (gathered here if gram; computed here a block at a time from WT = Wout^T if wt,
 * into the scratch's G after WT; else already h Wout^T + b), each through row_tail, with
 * the dout CSR while its count stays within dlimit (past it, every row's dout is completed for the sgemm
 * backward); returns the loss and sets *listed (-1: over the limit, or dense forced). */
static double rows_pass(tms_acts *acts, tms_large_scratch *s, float *db /* (N) */, float *x /* (B, N) */,
                        const float *imp /* (N) */, const tms_params *p, int B, int gram, const float *wt, int relu,
                        long dlimit, long *listed) {
  const int N = p->n, M = p->m, R = TMS_READOUT_ROWS;
  float *block = s->G + (size_t)N * M; /* (R, N) when wt */
  double lane[8] = {0};
  row_args r = {.db = db, .lane = lane, .imp = imp, .relu = relu};
  r.scale = (float)(2.0 / ((double)B * (double)N)); /* as tms_loss */
  long nz = dlimit < 0 ? -1 : 0;
  int all_complete = 1;
  memset(db, 0, sizeof(float) * (size_t)N);
  s->dcsr.start[0] = 0;
  if (*s->nnz_x >= 0) { /* kept zero between rows */
    memset(s->xrow, 0, sizeof(float) * (size_t)(N + 1));
    memset(s->xmask, 0, sizeof(uint32_t) * (size_t)(N / 16 + 1));
  }
  for (int b = 0; b < B; b++) {
    if (wt && b % R == 0)
      TMS_ISA_FN(tms_readout_rows)(block, acts->h + (size_t)b * M, wt, p->b, B - b < R ? B - b : R, N, M);
    r.ob = gram ? s->row : wt ? block + (size_t)(b % R) * N : acts->out + (size_t)b * N;
    r.gb = acts->dout + (size_t)b * N, r.xb = x + (size_t)b * N;
    const int *xidx = *s->nnz_x >= 0 ? s->csr.idx + s->csr.start[b] : NULL; /* (xc) x's nonzeros in the row */
    const int xc = *s->nnz_x >= 0 ? s->csr.start[b + 1] - s->csr.start[b] : 0;
    /* With x's CSR, x's row is copied to an L1 row (its few nonzeros), which the tails read instead of x. */
    if (xidx) x_row_scatter(s->xrow, s->xmask, xidx, s->csr.val + s->csr.start[b], xc, N, 1);
    if (xidx) r.xb = s->xrow;
    if (gram) TMS_ISA_FN(tms_gram_row)(r.ob, s->G, xidx, xc, r.xb, p->b, N);
    int complete;
    const int got = row_tail(&r, N, nz >= 0 && xidx ? s->xmask : NULL, nz >= 0 ? s->dcsr.idx + nz : NULL,
                             s->dcsr.val + (nz > 0 ? nz : 0), &complete);
    if (xidx) x_row_scatter(s->xrow, s->xmask, xidx, s->csr.val + s->csr.start[b], xc, N, 0);
    all_complete &= complete;
    if (nz < 0) continue;
    nz += got; /* room: at most N per row listed so far */
    s->dcsr.start[b + 1] = (int)nz;
    if (nz <= dlimit) continue;
    nz = -1; /* too dense for the dout-sparse backward: sgemm needs every row of dout */
    if (!all_complete && *s->nnz_x >= 0) x_from_csr(x, &s->csr, B, N); /* dout_row reads x's rows */
    for (int k = 0; k <= b && !all_complete; k++) {
      row_args rk = r;
      rk.ob = acts->out + (size_t)k * N, rk.gb = acts->dout + (size_t)k * N, rk.xb = x + (size_t)k * N;
      if (gram) { /* the row's read-out was not kept: again, the same bits */
        rk.ob = s->row;
        TMS_ISA_FN(tms_gram_row)(rk.ob, s->G, s->csr.idx + s->csr.start[k], s->csr.start[k + 1] - s->csr.start[k],
                                 rk.xb, p->b, N);
      } else if (wt) { /* nor the block's: again into the Gram row (same bits per row) */
        rk.ob = s->row;
        TMS_ISA_FN(tms_readout_rows)(rk.ob, acts->h + (size_t)k * M, wt, p->b, 1, N, M);
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
  /* or on the vector builds, WT = Wout^T here and out's rows a block at a time in rows_pass (no (B, N) array) */
  const int tiled = !gram && TMS_READOUT_TILED && M <= TMS_READOUT_MAX_M;
  if (gram)
    TMS_ISA_FN(tms_gram_matrix)(s.G, p->W, N, M);
  else if (tiled)
    TMS_ISA_FN(tms_readout_transpose)(s.G, Wout, N, M);
  else
    TMS_ISA_FN(tms_large_dense_readout)(acts->out, acts->h, Wout, p->b, B, N, M, 0, s.G);
  long listed;
  const double loss = rows_pass(acts, &s, grad->b, x, importance, p, B, gram, tiled ? s.G : NULL, relu,
                                tms_large_dout_limit(B, N), &listed);
  /* dWout (N, M) = dout^T h, dh (B, M) = dout Wout, dW_in (N, M) += x^T dh */
  TMS_ISA_FN(tms_large_backward_from_dout)(variant, grad, acts, x, p, B, listed);
  return loss;
}
