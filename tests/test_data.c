/* data_*: the sparse feature generators of tms/data.h against analysis/SCIENCE.md section 2, by Monte Carlo (oracle O1:
 * every estimate within 4 sigma of its expectation) and by exact structural counts (co-activation exactly 1 or 0).
 * One program, one case per argument (see tests/data.cmake). Seeds are fixed, so outcomes are deterministic;
 * a failure prints the estimate, the expectation and the tolerance. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/data.h"

enum { BATCH = 1000 };

static tms_spec make_spec(int n, double p) {
  tms_spec s;
  tms_spec_defaults(&s);
  s.variant = TMS_RELU_OUT;
  s.n_features = n;
  s.n_hidden = 1;
  s.density = p;
  s.seed = 20221;
  return s;
}

static void set_structure(tms_spec *s, tms_correlation c, tms_correlation_density mode, int sets, int k,
                          double rho) {
  s->correlation = c;
  s->correlation_density = mode;
  s->correlated_sets = sets;
  s->set_size = k;
  s->correlation_strength = rho;
}

/* Validates the spec, makes a generator, fails the test (and returns 0) on error. */
static int gen_open(tms_data_gen *g, const tms_spec *s, uint64_t stream) {
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_spec_validate(s, &err);
  if (st == TMS_OK) st = tms_data_init(g, s, stream, &err);
  return CHECK(st == TMS_OK, "spec rejected: %s: %s", err.key, err.msg);
}

/* Bernoulli frequency check: count of n trials against probability q. */
static void check_freq(const char *what, long count, long n, double q) {
  double sigma = sqrt(q * (1 - q) / n);
  CHECK_CLOSE(what, (double)count / n, q, 4 * sigma + 1.0 / n);
}

/* ---- independent features: P(x != 0), E[x], E[x^2], range; abs variant ---- */
static void moments_case(double p, double last, int n, int variant) {
  tms_spec s = make_spec(n, p);
  s.last_density = last;
  s.variant = variant;
  tms_data_gen g = {0};
  if (!gen_open(&g, &s, TMS_STREAM_DATA)) return;
  int calls = 2000;
  long S = (long)calls * BATCH;
  float *x = malloc(sizeof(float) * BATCH * n);
  double *nz = calloc(n, sizeof(double)), *m1 = calloc(n, sizeof(double)), *m2 = calloc(n, sizeof(double));
  double *ma = calloc(n, sizeof(double)), *pos = calloc(n, sizeof(double));
  float lo = 0, hi = 0;
  for (int c = 0; c < calls; c++) {
    tms_data_sample(&g, x, BATCH);
    for (int b = 0; b < BATCH; b++)
      for (int i = 0; i < n; i++) {
        float v = x[b * n + i];
        nz[i] += v != 0.0f;
        pos[i] += v > 0.0f;
        m1[i] += v;
        m2[i] += (double)v * v;
        ma[i] += fabs(v);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
  }
  int sym = variant == TMS_ABS;
  for (int i = 0; i < n; i++) {
    double pi = (i == n - 1 && !isnan(last)) ? last : p;
    char what[128];
    /* a present unit value is 0 with probability 2^-24 (24-bit grid); symmetric values are never 0 */
    double q = sym ? pi : pi * (1 - 0x1p-24);
    snprintf(what, sizeof what, "p=%g %s feature %d: P(x != 0)", pi, sym ? "abs" : "unit", i);
    check_freq(what, (long)nz[i], S, q);
    if (!sym) {
      snprintf(what, sizeof what, "p=%g feature %d: E[x]", pi, i);
      CHECK_CLOSE(what, m1[i] / S, pi / 2, 4 * sqrt((pi / 3 - pi * pi / 4) / S));
    } else {
      snprintf(what, sizeof what, "p=%g abs feature %d: E[x]", pi, i);
      CHECK_CLOSE(what, m1[i] / S, 0.0, 4 * sqrt(pi / 3 / S));
      snprintf(what, sizeof what, "p=%g abs feature %d: E[|x|]", pi, i);
      CHECK_CLOSE(what, ma[i] / S, pi / 2, 4 * sqrt((pi / 3 - pi * pi / 4) / S));
      snprintf(what, sizeof what, "p=%g abs feature %d: P(x > 0)", pi, i);
      check_freq(what, (long)pos[i], S, pi / 2);
    }
    snprintf(what, sizeof what, "p=%g %s feature %d: E[x^2]", pi, sym ? "abs" : "unit", i);
    CHECK_CLOSE(what, m2[i] / S, pi / 3, 4 * sqrt((pi / 5 - pi * pi / 9) / S));
  }
  if (sym)
    CHECK(lo >= -1.0f && hi <= 1.0f && lo < -0.99f && hi > 0.99f, "abs values span [%g, %g], want inside [-1, 1]",
          lo, hi);
  else
    CHECK(lo >= 0.0f && hi < 1.0f && hi > 0.99f, "values span [%g, %g], want inside [0, 1)", lo, hi);
  free(x);
  free(nz);
  free(m1);
  free(m2);
  free(ma);
  free(pos);
  tms_data_free(&g);
}

static void case_moments_independent(void) {
  moments_case(0.1, 0.7, 4, TMS_RELU_OUT); /* last_density override */
  moments_case(1.0, NAN, 3, TMS_LINEAR);   /* dense */
  moments_case(0.01, 0.002, 5, TMS_RELU_OUT);
  moments_case(0.3, 0.05, 3, TMS_ABS); /* abs variant: U[-1, 1] */
  moments_case(1.0, NAN, 2, TMS_ABS);
}

/* ---- sets: per-sample counts of present members ---- */
typedef struct {
  long samples;
  long *present;     /* (N) present counts */
  long *set_count;   /* (sets, k+1) histogram of how many members of the set are present */
  long both01;       /* features 0 and 1 both present */
  long cross;        /* set 0 and set 1 both with any member present */
  double prod, nprod; /* sum of x0*x1 over samples with both present, and how many */
} set_stats;

static set_stats collect(const tms_spec *s, int calls) {
  set_stats st;
  memset(&st, 0, sizeof st);
  int n = s->n_features, k = s->set_size, sets = s->correlated_sets;
  st.present = calloc(n, sizeof(long));
  st.set_count = calloc((size_t)sets * (k + 1), sizeof(long));
  tms_data_gen g = {0};
  if (!gen_open(&g, s, TMS_STREAM_DATA)) return st;
  float *x = malloc(sizeof(float) * BATCH * n);
  for (int c = 0; c < calls; c++) {
    tms_data_sample(&g, x, BATCH);
    for (int b = 0; b < BATCH; b++) {
      const float *row = x + b * n;
      for (int i = 0; i < n; i++) st.present[i] += row[i] != 0.0f;
      int any0 = 0, any1 = 0;
      for (int t = 0; t < sets; t++) {
        int on = 0;
        for (int j = 0; j < k; j++) on += row[t * k + j] != 0.0f;
        st.set_count[t * (k + 1) + on]++;
        if (t == 0) any0 = on > 0;
        if (t == 1) any1 = on > 0;
      }
      st.cross += any0 && any1;
      if (row[0] != 0.0f && row[1] != 0.0f) {
        st.both01++;
        st.prod += (double)row[0] * row[1];
        st.nprod++;
      }
    }
  }
  st.samples = (long)calls * BATCH;
  free(x);
  tms_data_free(&g);
  return st;
}

static void stats_free(set_stats *st) {
  free(st->present);
  free(st->set_count);
}

/* Marginals of set members (want_member) and of the independent features after the sets (p). */
static void check_marginals(const char *label, const tms_spec *s, const set_stats *st, double want_member) {
  char what[160];
  for (int i = 0; i < s->n_features; i++) {
    int in_set = i < s->correlated_sets * s->set_size;
    double q = in_set ? want_member : s->density;
    snprintf(what, sizeof what, "%s: P(feature %d present)%s", label, i, in_set ? " (set member)" : "");
    check_freq(what, st->present[i], st->samples, q * (1 - 0x1p-24));
  }
}

static void case_correlated_sets(void) {
  for (int k = 2; k <= 3; k++) {
    tms_spec s = make_spec(3 * k + 2, 0.2);
    set_structure(&s, TMS_CORRELATED, TMS_DENSITY_SET, 3, k, 1.0);
    set_stats st = collect(&s, 1000);
    char label[64];
    snprintf(label, sizeof label, "correlated sets of %d, p=0.2", k);
    for (int t = 0; t < 3; t++) {
      long partial = 0;
      for (int on = 1; on < k; on++) partial += st.set_count[t * (k + 1) + on];
      /* a member whose value is exactly 0.0 (probability 2^-24) would look absent: allow that */
      CHECK(partial <= 2, "%s: set %d partly present in %ld of %ld samples, want 0 (all or none)", label, t, partial,
            st.samples);
      char what[128];
      snprintf(what, sizeof what, "%s: P(set %d active)", label, t);
      check_freq(what, st.set_count[t * (k + 1) + k], st.samples, 0.2);
    }
    check_marginals(label, &s, &st, 0.2);
    char what[128];
    snprintf(what, sizeof what, "%s: P(sets 0 and 1 both active) (independent sets)", label);
    check_freq(what, st.cross, st.samples, 0.04);
    snprintf(what, sizeof what, "%s: E[x0 x1 | both present] (independent values)", label);
    CHECK_CLOSE(what, st.prod / st.nprod, 0.25, 4 * sqrt(7.0 / 144 / st.nprod));
    stats_free(&st);
  }
}

static void case_anticorrelated_sets(void) {
  for (int k = 2; k <= 3; k++) {
    double p = 0.3;
    tms_spec s = make_spec(2 * k + 1, p);
    set_structure(&s, TMS_ANTICORRELATED, TMS_DENSITY_SET, 2, k, 1.0);
    set_stats st = collect(&s, 1000);
    char label[64];
    snprintf(label, sizeof label, "anticorrelated sets of %d, p=%g", k, p);
    for (int t = 0; t < 2; t++) {
      long multi = 0;
      for (int on = 2; on <= k; on++) multi += st.set_count[t * (k + 1) + on];
      CHECK(multi == 0, "%s: set %d has >1 member present in %ld of %ld samples, want 0", label, t, multi,
            st.samples);
      char what[128];
      snprintf(what, sizeof what, "%s: P(set %d active) (exactly one member)", label, t);
      check_freq(what, st.set_count[t * (k + 1) + 1], st.samples, p);
    }
    check_marginals(label, &s, &st, p / k);
    CHECK(st.both01 == 0, "%s: features 0 and 1 together %ld times, want 0", label, st.both01);
    stats_free(&st);
  }
}

static void case_pairs_member_density(void) {
  double ps[] = {0.3, 0.5, 0.05};
  for (int a = 0; a < 3; a++) {
    double p = ps[a];
    tms_spec s = make_spec(6, p);
    set_structure(&s, TMS_ANTICORRELATED, TMS_DENSITY_MEMBER, 2, 2, 1.0);
    set_stats st = collect(&s, 1000);
    char label[64], what[128];
    snprintf(label, sizeof label, "ARENA anticorrelated pairs, p=%g", p);
    for (int t = 0; t < 2; t++) {
      CHECK(st.set_count[t * 3 + 2] == 0, "%s: pair %d both present %ld of %ld times, want 0", label, t,
            st.set_count[t * 3 + 2], st.samples);
      snprintf(what, sizeof what, "%s: P(pair %d has neither)", label, t);
      check_freq(what, st.set_count[t * 3 + 0], st.samples, 1 - 2 * p);
    }
    check_marginals(label, &s, &st, p);
    stats_free(&st);

    tms_spec c = make_spec(6, p);
    set_structure(&c, TMS_CORRELATED, TMS_DENSITY_MEMBER, 2, 2, 1.0);
    st = collect(&c, 1000);
    snprintf(label, sizeof label, "ARENA correlated pairs, p=%g", p);
    for (int t = 0; t < 2; t++) {
      CHECK(st.set_count[t * 3 + 1] <= 2, "%s: pair %d half present %ld of %ld times, want 0 (both or none)",
            label, t, st.set_count[t * 3 + 1], st.samples);
      snprintf(what, sizeof what, "%s: P(pair %d both present)", label, t);
      check_freq(what, st.set_count[t * 3 + 2], st.samples, p);
    }
    check_marginals(label, &c, &st, p);
    stats_free(&st);
  }
}

/* ---- correlation strength: Pearson correlation of the presence of features 0 and 1 ---- */
static double pearson(double n, double sa, double sb, double sab) {
  double va = n * sa - sa * sa, vb = n * sb - sb * sb;
  return (n * sab - sa * sb) / sqrt(va * vb);
}

static void strength_case(tms_correlation c, tms_correlation_density mode, double p, double rho, double marginal,
                          double want_r) {
  tms_spec s = make_spec(4, p);
  set_structure(&s, c, mode, 1, 2, rho);
  tms_data_gen g = {0};
  if (!gen_open(&g, &s, TMS_STREAM_DATA)) return;
  enum { CHUNKS = 20, CALLS = 100 };
  float *x = malloc(sizeof(float) * BATCH * 4);
  double r_chunk[CHUNKS], ta = 0, tb = 0, tab = 0, t2 = 0, t3 = 0;
  for (int ch = 0; ch < CHUNKS; ch++) {
    double sa = 0, sb = 0, sab = 0;
    for (int call = 0; call < CALLS; call++) {
      tms_data_sample(&g, x, BATCH);
      for (int b = 0; b < BATCH; b++) {
        double a = x[b * 4] != 0.0f, bb = x[b * 4 + 1] != 0.0f;
        sa += a;
        sb += bb;
        sab += a * bb;
        t2 += x[b * 4 + 2] != 0.0f;
        t3 += x[b * 4 + 3] != 0.0f;
      }
    }
    r_chunk[ch] = pearson((double)CALLS * BATCH, sa, sb, sab);
    ta += sa;
    tb += sb;
    tab += sab;
  }
  double n = (double)CHUNKS * CALLS * BATCH;
  double mean = 0, var = 0;
  for (int ch = 0; ch < CHUNKS; ch++) mean += r_chunk[ch] / CHUNKS;
  for (int ch = 0; ch < CHUNKS; ch++) var += (r_chunk[ch] - mean) * (r_chunk[ch] - mean) / (CHUNKS - 1);
  double sigma = sqrt(var / CHUNKS);
  char what[160];
  const char *name = c == TMS_CORRELATED ? "correlated" : mode == TMS_DENSITY_SET ? "anticorrelated(set)"
                                                                                  : "anticorrelated(member)";
  snprintf(what, sizeof what, "%s pair p=%g rho=%g: Pearson r of presence (sigma from %d chunks)", name, p, rho,
           CHUNKS);
  CHECK_CLOSE(what, pearson(n, ta, tb, tab), want_r, 4 * sigma + 1e-12);
  snprintf(what, sizeof what, "%s pair p=%g rho=%g: P(member 0)", name, p, rho);
  check_freq(what, (long)ta, (long)n, marginal * (1 - 0x1p-24));
  snprintf(what, sizeof what, "%s pair p=%g rho=%g: P(member 1)", name, p, rho);
  check_freq(what, (long)tb, (long)n, marginal * (1 - 0x1p-24));
  snprintf(what, sizeof what, "%s pair p=%g rho=%g: P(independent feature 2)", name, p, rho);
  check_freq(what, (long)t2, (long)n, p * (1 - 0x1p-24));
  snprintf(what, sizeof what, "%s pair p=%g rho=%g: P(independent feature 3)", name, p, rho);
  check_freq(what, (long)t3, (long)n, p * (1 - 0x1p-24));
  free(x);
  tms_data_free(&g);
}

static void case_correlation_strength(void) {
  double rhos[] = {0.0, 0.5, 1.0};
  for (int i = 0; i < 3; i++) {
    double rho = rhos[i], p = 0.2;
    strength_case(TMS_CORRELATED, TMS_DENSITY_SET, p, rho, p, rho);
    /* anticorrelated, set mode: marginal q = p/2, P(both) = 0 when structured: r = -rho q / (1 - q) */
    strength_case(TMS_ANTICORRELATED, TMS_DENSITY_SET, p, rho, p / 2, -rho * (p / 2) / (1 - p / 2));
    /* ARENA anticorrelated pair: marginal p: r = -rho p / (1 - p) */
    strength_case(TMS_ANTICORRELATED, TMS_DENSITY_MEMBER, p, rho, p, -rho * p / (1 - p));
  }
}

/* ---- determinism ---- */
static int batches_equal(const tms_spec *a, uint64_t stream_a, const tms_spec *b, uint64_t stream_b, int calls,
                         int batch) {
  tms_data_gen ga = {0}, gb = {0};
  if (!gen_open(&ga, a, stream_a) || !gen_open(&gb, b, stream_b)) return -1;
  size_t sz = (size_t)batch * a->n_features;
  float *xa = malloc(sizeof(float) * sz), *xb = malloc(sizeof(float) * sz);
  int equal = 1;
  for (int c = 0; c < calls; c++) {
    tms_data_sample(&ga, xa, batch);
    tms_data_sample(&gb, xb, batch);
    if (memcmp(xa, xb, sizeof(float) * sz) != 0) equal = 0;
  }
  free(xa);
  free(xb);
  tms_data_free(&ga);
  tms_data_free(&gb);
  return equal;
}

static void case_determinism(void) {
  tms_spec specs[4];
  specs[0] = make_spec(5, 0.1);
  specs[0].last_density = 0.6;
  specs[1] = make_spec(7, 0.3);
  specs[1].variant = TMS_ABS;
  specs[2] = make_spec(7, 0.2);
  set_structure(&specs[2], TMS_ANTICORRELATED, TMS_DENSITY_SET, 2, 3, 1.0);
  specs[3] = make_spec(6, 0.2);
  set_structure(&specs[3], TMS_CORRELATED, TMS_DENSITY_MEMBER, 2, 2, 0.5);
  for (int i = 0; i < 4; i++) {
    CHECK(batches_equal(&specs[i], TMS_STREAM_DATA, &specs[i], TMS_STREAM_DATA, 5, 333) == 1,
          "spec %d: two generators with the same seed gave different batches", i);
    CHECK(batches_equal(&specs[i], TMS_STREAM_DATA, &specs[i], TMS_STREAM_EVAL, 1, 333) == 0,
          "spec %d: streams DATA and EVAL gave the same batch", i);
    tms_spec other = specs[i];
    other.seed++;
    CHECK(batches_equal(&specs[i], TMS_STREAM_DATA, &other, TMS_STREAM_DATA, 1, 333) == 0,
          "spec %d: seeds %llu and %llu gave the same batch", i, (unsigned long long)specs[i].seed,
          (unsigned long long)other.seed);
  }
  /* The counter advances by B*N per call (+ B*sets when 0 < rho < 1): batch t depends only on (seed, stream, t). */
  for (int i = 0; i < 4; i++) {
    tms_data_gen g = {0};
    if (!gen_open(&g, &specs[i], TMS_STREAM_DATA)) continue;
    float *x = malloc(sizeof(float) * 100 * specs[i].n_features);
    tms_data_sample(&g, x, 100);
    tms_data_sample(&g, x, 100);
    double rho = specs[i].correlation_strength;
    uint64_t want = 2 * 100 * (uint64_t)specs[i].n_features;
    if (specs[i].correlated_sets > 0 && rho > 0 && rho < 1) want += 2 * 100 * (uint64_t)specs[i].correlated_sets;
    CHECK(g.rng.counter == want, "spec %d: counter after 2 batches of 100 is %llu, want %llu", i,
          (unsigned long long)g.rng.counter, (unsigned long long)want);
    free(x);
    tms_data_free(&g);
  }
  tms_data_gen z;
  memset(&z, 0, sizeof z);
  tms_data_free(&z); /* safe on a zeroed struct */
  tms_data_free(&z); /* and twice */
  CHECK(z.density == NULL, "free leaves a zeroed struct");
}

/* ---- reference semantics: the law documented at the top of src/1_model/data/data.c and the entry draw of
 * src/1_model/data/draw.h, written out independently from tms_mix64 and tms_rng_at, must reproduce the generator bit
 * for bit (every mode, rho in {0, 0.5, 1}, both value ranges, from counter 0 and across an epoch, 2^32). ---- */
static uint32_t ref_hash32(uint32_t x) {
  x = (x ^ (x >> 16)) * 0x21F0AAADu;
  x = (x ^ (x >> 15)) * 0xD35A2D97u;
  return x ^ (x >> 15);
}
static uint64_t ref_entry(uint64_t key, uint64_t c) {
  uint64_t s = tms_mix64(key ^ tms_mix64((c >> 32) + UINT64_C(0x243F6A8885A308D3)));
  uint64_t t = tms_mix64(s + UINT64_C(0x9E3779B97F4A7C15));
  uint32_t k1 = (uint32_t)s, k2 = (uint32_t)(s >> 32), k3 = (uint32_t)t;
  uint32_t p = ref_hash32((((uint32_t)c + k1) * 0x9E3779B9u) ^ k2);
  return ((uint64_t)p << 32) | (ref_hash32(p ^ k3) >> 8);
}

static uint64_t thr(double p) {
  if (!(p > 0)) return 0;
  if (p >= 1) return UINT64_C(1) << 32;
  return (uint64_t)llround(p * 4294967296.0);
}

static float ref_value(uint64_t r, int sym) {
  uint32_t v = (uint32_t)(r & 0xFFFFFF);
  return sym ? (float)(2.0 * v + 1 - 16777216.0) / 16777216.0f : (float)v / 16777216.0f;
}

static void reference_batch(float *x, const tms_spec *s, uint64_t key, uint64_t c, int B) {
  int n = s->n_features, k = s->set_size, sets = s->correlation == TMS_INDEPENDENT ? 0 : s->correlated_sets;
  int sym = s->variant == TMS_ABS;
  float *p = malloc(sizeof(float) * n);
  tms_spec_profile(s, NULL, p);
  int anti = s->correlation == TMS_ANTICORRELATED, member = s->correlation_density == TMS_DENSITY_MEMBER;
  double rho = s->correlation_strength;
  for (int b = 0; b < B; b++)
    for (int i = 0; i < n; i++) {
      uint64_t r = ref_entry(key, c + (uint64_t)b * n + i);
      double pi = p[i];
      int t = i / k;
      if (i < sets * k) pi = anti && !member ? p[t * k] / k : p[t * k];
      x[b * n + i] = (r >> 32) < thr(pi) ? ref_value(r, sym) : 0.0f;
    }
  for (int b = 0; b < B; b++)
    for (int t = 0; t < sets; t++) {
      int structured = rho >= 1;
      if (rho > 0 && rho < 1)
        structured = (tms_rng_at(key, c + (uint64_t)B * n + (uint64_t)b * sets + t) >> 32) < thr(rho);
      if (!structured) continue;
      double pf = p[t * k];
      uint64_t base = c + (uint64_t)b * n + (uint64_t)t * k;
      uint64_t u = ref_entry(key, base) >> 32, v = ref_entry(key, base + 1) >> 32;
      for (int j = 0; j < k; j++) {
        int on;
        if (!anti)
          on = u < thr(pf);
        else if (!member)
          on = thr(pf * j / k) <= u && u < thr(pf * (j + 1) / k);
        else
          on = j == 0 ? u < thr(pf) : (u >= thr(pf) && v < thr(pf / (1 - pf)));
        x[b * n + t * k + j] = on ? ref_value(ref_entry(key, base + j), sym) : 0.0f;
      }
    }
  free(p);
}

static void case_reference_semantics(void) {
  struct {
    tms_correlation c;
    tms_correlation_density mode;
    int sets, k, variant;
    double p, last, rho;
  } cases[] = {
      {TMS_INDEPENDENT, TMS_DENSITY_SET, 0, 2, TMS_RELU_OUT, 0.1, 0.5, 1.0},
      {TMS_INDEPENDENT, TMS_DENSITY_SET, 0, 2, TMS_ABS, 0.3, NAN, 1.0},
      {TMS_INDEPENDENT, TMS_DENSITY_SET, 0, 2, TMS_RELU_OUT, 1.0, NAN, 1.0}, /* every entry present: bulk.c's */
      {TMS_INDEPENDENT, TMS_DENSITY_SET, 0, 2, TMS_ABS, 1.0, NAN, 1.0},      /* pass without the select */
      {TMS_INDEPENDENT, TMS_DENSITY_SET, 0, 2, TMS_RELU_OUT, 1.0, 0.5, 1.0},
      {TMS_CORRELATED, TMS_DENSITY_SET, 2, 3, TMS_RELU_OUT, 0.2, 0.9, 1.0},
      {TMS_CORRELATED, TMS_DENSITY_SET, 2, 3, TMS_ABS, 0.2, NAN, 0.5},
      {TMS_ANTICORRELATED, TMS_DENSITY_SET, 2, 3, TMS_RELU_OUT, 0.4, NAN, 1.0},
      {TMS_ANTICORRELATED, TMS_DENSITY_SET, 2, 3, TMS_RELU_OUT, 0.4, NAN, 0.5},
      {TMS_ANTICORRELATED, TMS_DENSITY_SET, 2, 3, TMS_RELU_OUT, 0.4, NAN, 0.0},
      {TMS_ANTICORRELATED, TMS_DENSITY_MEMBER, 3, 2, TMS_RELU_OUT, 0.3, NAN, 1.0},
      {TMS_ANTICORRELATED, TMS_DENSITY_MEMBER, 3, 2, TMS_ABS, 0.5, NAN, 0.5},
      {TMS_CORRELATED, TMS_DENSITY_MEMBER, 3, 2, TMS_RELU_OUT, 0.3, NAN, 1.0},
  };
  int ncases = (int)(sizeof cases / sizeof cases[0]);
  for (int i = 0; i < ncases; i++) {
    tms_spec s = make_spec(9, cases[i].p);
    s.variant = cases[i].variant;
    s.last_density = cases[i].last;
    set_structure(&s, cases[i].c, cases[i].mode, cases[i].sets, cases[i].k, cases[i].rho);
    tms_data_gen g = {0};
    if (!gen_open(&g, &s, TMS_STREAM_DATA)) continue;
    int B = 257; /* not a multiple of the internal row block */
    float *x = malloc(sizeof(float) * B * 9), *want = malloc(sizeof(float) * B * 9);
    int mismatched = 0, first_bad = -1;
    for (int call = 0; call < 5; call++) {
      if (call == 3) g.rng.counter = (UINT64_C(1) << 32) - 1500; /* calls 3 and 4 start 1500 draws before an epoch */
      uint64_t c = g.rng.counter;
      tms_data_sample(&g, x, B);
      reference_batch(want, &s, g.rng.key, c, B);
      for (int e = 0; e < B * 9; e++)
        if (memcmp(&x[e], &want[e], sizeof(float)) != 0) {
          if (first_bad < 0) first_bad = e;
          mismatched++;
        }
    }
    CHECK(mismatched == 0,
          "reference case %d: %d of %d entries differ from the documented law (first: row %d feature %d)", i,
          mismatched, 5 * B * 9, first_bad / 9, first_bad % 9);
    free(x);
    free(want);
    tms_data_free(&g);
  }
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    void (*run)(void);
  } cases[] = {
      {"moments_independent", case_moments_independent},   {"correlated_sets", case_correlated_sets},
      {"anticorrelated_sets", case_anticorrelated_sets},   {"pairs_member_density", case_pairs_member_density},
      {"correlation_strength", case_correlation_strength}, {"determinism", case_determinism},
      {"reference_semantics", case_reference_semantics},
  };
  if (argc != 2) {
    fprintf(stderr, "usage: %s CASE\n", argv[0]);
    return 2;
  }
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (strcmp(argv[1], cases[i].name) == 0) {
      cases[i].run();
      char name[64];
      snprintf(name, sizeof name, "data_%s", cases[i].name);
      return tms_check_finish(name);
    }
  fprintf(stderr, "unknown case '%s'\n", argv[1]);
  return 2;
}
