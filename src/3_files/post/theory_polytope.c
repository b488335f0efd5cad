/* theory_polytope: the loss of one member of a symmetric polytope of k features (an antipodal pair, k = 2, c = -1; a
 * triangle, k = 3, c = -1/2) in a ReLU output model, with its norm and bias chosen optimally, computed numerically
 * (the k-sparse expansion of oracle O3, SCIENCE.md section 6, with quadrature). Used by O5 beyond the paper: the
 * paper's candidates fix b = 0 and unit norms and leave the triangle out.
 * Model: member 0's output is ReLU(a (x_0 + c sum_{j>0} x_j) + b), i.e. G_00 = a = ||W||^2, G_0j = a c; features
 * outside the polytope are orthogonal to it and do not enter. x_j = 0 w.p. 1-p, else U[0,1], independent.
 * Expansion: condition on whether x_0 is active and on how many (m) of the k-1 others are; by symmetry only the sum s
 * of the m active others matters, whose density is Irwin-Hall (m = 0, 1, 2 here). Midpoint quadrature with
 * TMS_POLY_Q nodes per dimension (<= 2 dims: x_0 and s); the integrand is piecewise smooth (ReLU kinks), so the
 * quadrature error is O(1/Q^2) away from kinks, about 1e-4 relative at Q = 96 (tests/test_post_theory.c compares
 * k = 2, a = 1 with the closed form of SCIENCE.md O4's optimal antipodal bias).
 * Optimisation: golden section on b in [-1, 1] inside golden section on a in [0.25, 2] (both losses are unimodal
 * in our scans). Results are memoised per (k, c, p): tms-post evaluates the same density for every importance, on
 * several threads, so the memo is a hash table under a reader-writer lock (a lookup never waits for another; a
 * full table just stops memoising; a value never depends on whether it came from the memo). */
#define _POSIX_C_SOURCE 200809L /* pthread_rwlock */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "post/theory.h"

enum { TMS_POLY_Q = 96, TMS_POLY_MEMO = 8192 /* a power of 2 */ };

/* Irwin-Hall density of the sum of m U[0,1] (m = 1, 2) at s. */
static double sum_density(int m, double s) {
  if (m == 1) return s >= 0 && s <= 1 ? 1.0 : 0.0;
  return s <= 1 ? s : 2 - s; /* m = 2, s in [0, 2] */
}

static double relu(double v) { return v > 0 ? v : 0; }

/* E[(x0 - ReLU(a (x0 + c s) + b))^2] given x0 active (on) or not, and m active others. */
static double conditional(double a, double c, double b, int on, int m) {
  const int Q = TMS_POLY_Q;
  double total = 0;
  if (m == 0) {
    if (!on) return relu(b) * relu(b);
    for (int q = 0; q < Q; q++) {
      const double x = (q + 0.5) / Q, e = x - relu(a * x + b);
      total += e * e;
    }
    return total / Q;
  }
  const int Qs = Q * m; /* s in [0, m], same node spacing */
  for (int r = 0; r < Qs; r++) {
    const double s = (r + 0.5) / Q, w = sum_density(m, s) / Q;
    if (!on) {
      const double e = relu(a * c * s + b);
      total += w * e * e;
      continue;
    }
    double inner = 0;
    for (int q = 0; q < Q; q++) {
      const double x = (q + 0.5) / Q, e = x - relu(a * (x + c * s) + b);
      inner += e * e;
    }
    total += w * inner / Q;
  }
  return total;
}

static double member_loss(int k, double c, double p, double a, double b) {
  double total = 0, binom = 1; /* C(k-1, m) */
  for (int m = 0; m <= k - 1; m++) {
    const double others = binom * pow(p, m) * pow(1 - p, k - 1 - m);
    total += others * ((1 - p) * conditional(a, c, b, 0, m) + p * conditional(a, c, b, 1, m));
    binom = binom * (k - 1 - m) / (m + 1);
  }
  return total;
}

static const double golden = 0.6180339887498949;

static double best_bias(int k, double c, double p, double a, double *b_out) {
  double lo = -1, hi = 1;
  double x1 = hi - golden * (hi - lo), x2 = lo + golden * (hi - lo);
  double f1 = member_loss(k, c, p, a, x1), f2 = member_loss(k, c, p, a, x2);
  for (int it = 0; it < 30; it++) {
    if (f1 < f2) hi = x2, x2 = x1, f2 = f1, x1 = hi - golden * (hi - lo), f1 = member_loss(k, c, p, a, x1);
    else lo = x1, x1 = x2, f1 = f2, x2 = lo + golden * (hi - lo), f2 = member_loss(k, c, p, a, x2);
  }
  *b_out = f1 < f2 ? x1 : x2;
  return fmin(f1, f2);
}

double tms_theory_member_loss_fixed_norm(int k, double c, double p, double a, double *b_opt) {
  double b;
  const double l = best_bias(k, c, p, a, &b);
  if (b_opt) *b_opt = b;
  return l;
}

typedef struct {
  int used, k;
  double c, p, loss, a, b;
} memo_entry;

static memo_entry memo[TMS_POLY_MEMO];
static pthread_rwlock_t memo_lock = PTHREAD_RWLOCK_INITIALIZER;

static size_t memo_slot(int k, double c, double p) {
  uint64_t bits[2];
  memcpy(&bits[0], &p, sizeof p);
  memcpy(&bits[1], &c, sizeof c);
  uint64_t h = (bits[0] ^ (bits[1] * 0x9E3779B97F4A7C15ull) ^ (uint64_t)k) * 0xBF58476D1CE4E5B9ull;
  return (size_t)(h >> 40) & (TMS_POLY_MEMO - 1);
}

/* The entry of (k, c, p) or, with insert, the empty slot it goes to; NULL if neither (probing a full run). */
static memo_entry *memo_find(int k, double c, double p, int insert) {
  for (size_t i = memo_slot(k, c, p), probes = 0; probes < 64; i = (i + 1) & (TMS_POLY_MEMO - 1), probes++) {
    memo_entry *e = &memo[i];
    if (!e->used) return insert ? e : NULL;
    if (e->k == k && e->c == c && e->p == p) return e;
  }
  return NULL;
}

static double memo_out(const memo_entry *e, double *a_opt, double *b_opt) {
  if (a_opt) *a_opt = e->a;
  if (b_opt) *b_opt = e->b;
  return e->loss;
}

double tms_theory_member_loss(int k, double c, double p, double *a_opt, double *b_opt) {
  pthread_rwlock_rdlock(&memo_lock);
  const memo_entry *hit = memo_find(k, c, p, 0);
  memo_entry found = hit ? *hit : (memo_entry){0};
  pthread_rwlock_unlock(&memo_lock);
  if (found.used) return memo_out(&found, a_opt, b_opt);
  double lo = 0.25, hi = 2, b1, b2;
  double x1 = hi - golden * (hi - lo), x2 = lo + golden * (hi - lo);
  double f1 = best_bias(k, c, p, x1, &b1), f2 = best_bias(k, c, p, x2, &b2);
  for (int it = 0; it < 24; it++) {
    if (f1 < f2) hi = x2, x2 = x1, f2 = f1, b2 = b1, x1 = hi - golden * (hi - lo), f1 = best_bias(k, c, p, x1, &b1);
    else lo = x1, x1 = x2, f1 = f2, b1 = b2, x2 = lo + golden * (hi - lo), f2 = best_bias(k, c, p, x2, &b2);
  }
  memo_entry e = {1, k, c, p, fmin(f1, f2), f1 < f2 ? x1 : x2, f1 < f2 ? b1 : b2};
  pthread_rwlock_wrlock(&memo_lock);
  memo_entry *slot = memo_find(k, c, p, 1); /* another thread may have stored the same (equal) value meanwhile */
  if (slot && !slot->used) *slot = e;
  pthread_rwlock_unlock(&memo_lock);
  return memo_out(&e, a_opt, b_opt);
}
