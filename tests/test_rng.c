/* rng_determinism: the counter-based generator of tms/rng.h. Same (seed, stream) -> same draws; other streams and
 * seeds differ; tms_rng_fill == repeated tms_rng_next == tms_rng_at; uniform/normal moments within 4 sigma of the
 * Monte Carlo estimate (analysis/SCIENCE.md O1 style); every output bit balanced; tms_hash_bytes deterministic with
 * avalanche. All seeds are fixed, so the outcome is deterministic; a failure prints the estimate, the expectation
 * and the tolerance. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rng/rng.h"

enum { N_DRAWS = 1000000 };

static void test_determinism(void) {
  tms_rng a, b, c, d;
  tms_rng_init(&a, 42, TMS_STREAM_DATA);
  tms_rng_init(&b, 42, TMS_STREAM_DATA);
  tms_rng_init(&c, 42, TMS_STREAM_EVAL);
  tms_rng_init(&d, 43, TMS_STREAM_DATA);
  CHECK(a.key == b.key, "same seed and stream give the same key");
  int same_ab = 0, same_ac = 0, same_ad = 0;
  for (int i = 0; i < 10000; i++) {
    uint64_t x = tms_rng_next(&a), y = tms_rng_next(&b), z = tms_rng_next(&c), w = tms_rng_next(&d);
    same_ab += x == y;
    same_ac += x == z;
    same_ad += x == w;
  }
  CHECK(same_ab == 10000, "same seed/stream: %d of 10000 draws equal, want all", same_ab);
  CHECK(same_ac == 0, "different streams: %d of 10000 draws equal, want 0", same_ac);
  CHECK(same_ad == 0, "different seeds: %d of 10000 draws equal, want 0", same_ad);
  /* (seed, stream) and (stream, seed) must not alias, nor neighbouring pairs. */
  uint64_t keys[64];
  int nk = 0;
  for (uint64_t s = 0; s < 8; s++)
    for (uint64_t t = 0; t < 8; t++) {
      tms_rng r;
      tms_rng_init(&r, s, t);
      keys[nk++] = r.key;
    }
  int dup = 0;
  for (int i = 0; i < nk; i++)
    for (int j = i + 1; j < nk; j++) dup += keys[i] == keys[j];
  CHECK(dup == 0, "keys of (seed, stream) in 8x8: %d duplicates, want 0", dup);

  /* fill == next == at, including after mixed use, and the counter advances by count. */
  tms_rng e, f;
  tms_rng_init(&e, 7, 99);
  tms_rng_init(&f, 7, 99);
  for (int i = 0; i < 7; i++) {
    tms_rng_next(&e);
    tms_rng_next(&f);
  }
  enum { FILL = 1003 };
  uint64_t *buf = malloc(FILL * sizeof *buf);
  tms_rng_fill(&e, buf, FILL);
  int bad_next = 0, bad_at = 0;
  for (int i = 0; i < FILL; i++) {
    bad_at += buf[i] != tms_rng_at(f.key, f.counter);
    bad_next += buf[i] != tms_rng_next(&f);
  }
  CHECK(bad_next == 0, "tms_rng_fill vs tms_rng_next: %d of %d differ", bad_next, FILL);
  CHECK(bad_at == 0, "tms_rng_fill vs tms_rng_at: %d of %d differ", bad_at, FILL);
  CHECK(e.counter == 7 + FILL && f.counter == e.counter, "counters after fill %llu / next %llu, want %d",
        (unsigned long long)e.counter, (unsigned long long)f.counter, 7 + FILL);
  free(buf);
  /* Pinned values: the streams must not change silently between versions (stored results and replays depend on
   * them). If the generator is changed on purpose, update these and say so in the changelog. */
  tms_rng g;
  tms_rng_init(&g, 0, 0);
  uint64_t first = tms_rng_next(&g);
  CHECK(first == UINT64_C(0x68fad38fec6cbaca), "seed 0 stream 0 draw 0 is 0x%016llx, pinned 0x68fad38fec6cbaca",
        (unsigned long long)first);
  tms_rng_init(&g, 42, TMS_STREAM_DATA);
  tms_rng_next(&g);
  uint64_t second = tms_rng_next(&g);
  CHECK(second == UINT64_C(0xa78b5be7b43d69e9), "seed 42 stream DATA draw 1 is 0x%016llx, pinned 0xa78b5be7b43d69e9",
        (unsigned long long)second);
  uint64_t h = tms_hash_bytes(0, "tms", 3);
  CHECK(h == UINT64_C(0x87decceb23f0c8e5), "tms_hash_bytes(0, \"tms\") is 0x%016llx, pinned 0x87decceb23f0c8e5",
        (unsigned long long)h);
}

static void test_uniform(void) {
  tms_rng r;
  tms_rng_init(&r, 1234, 5);
  double s = 0, s2 = 0, lo = 1, hi = 0, lag = 0, prev = 0;
  for (int i = 0; i < N_DRAWS; i++) {
    double u = tms_rng_uniform(&r);
    s += u;
    s2 += (u - 0.5) * (u - 0.5);
    lag += (u - 0.5) * (prev - 0.5);
    prev = u;
    if (u < lo) lo = u;
    if (u > hi) hi = u;
  }
  double n = N_DRAWS;
  CHECK(lo >= 0.0 && hi < 1.0, "float uniform range [%g, %g] not inside [0, 1)", lo, hi);
  CHECK_CLOSE("float uniform mean", s / n, 0.5, 4 * sqrt(1.0 / 12 / n));
  CHECK_CLOSE("float uniform variance", s2 / n, 1.0 / 12, 4 * sqrt(1.0 / 180 / n));
  CHECK_CLOSE("float uniform lag-1 covariance", lag / n, 0.0, 4 * sqrt(1.0 / 144 / n));

  s = s2 = 0;
  lo = 1;
  hi = 0;
  for (int i = 0; i < N_DRAWS; i++) {
    double u = tms_rng_uniform_double(&r);
    s += u;
    s2 += (u - 0.5) * (u - 0.5);
    if (u < lo) lo = u;
    if (u > hi) hi = u;
  }
  CHECK(lo >= 0.0 && hi < 1.0, "double uniform range [%g, %g] not inside [0, 1)", lo, hi);
  CHECK_CLOSE("double uniform mean", s / n, 0.5, 4 * sqrt(1.0 / 12 / n));
  CHECK_CLOSE("double uniform variance", s2 / n, 1.0 / 12, 4 * sqrt(1.0 / 180 / n));

  /* Resolution: the float uniform has 24 bits, so u * 2^24 is an integer. */
  int frac = 0;
  for (int i = 0; i < 1000; i++) {
    double u = tms_rng_uniform(&r) * 16777216.0;
    frac += u != floor(u);
  }
  CHECK(frac == 0, "float uniform: %d of 1000 values are not multiples of 2^-24", frac);
}

static void test_normal(void) {
  tms_rng r;
  tms_rng_init(&r, 99, 1);
  double s = 0, s2 = 0, s4 = 0, within1 = 0;
  for (int i = 0; i < N_DRAWS; i++) {
    double z = tms_rng_normal(&r);
    s += z;
    s2 += z * z;
    s4 += z * z * z * z;
    within1 += fabs(z) < 1.0;
  }
  double n = N_DRAWS;
  CHECK(r.counter == 2 * (uint64_t)N_DRAWS, "normal uses 2 draws: counter %llu, want %d",
        (unsigned long long)r.counter, 2 * N_DRAWS);
  CHECK_CLOSE("normal mean", s / n, 0.0, 4 / sqrt(n));
  CHECK_CLOSE("normal variance", s2 / n, 1.0, 4 * sqrt(2.0 / n));
  CHECK_CLOSE("normal 4th moment", s4 / n, 3.0, 4 * sqrt(96.0 / n));
  double p1 = 0.68268949213708585;
  CHECK_CLOSE("normal P(|z| < 1)", within1 / n, p1, 4 * sqrt(p1 * (1 - p1) / n));
}

static void test_bits(void) {
  tms_rng r;
  tms_rng_init(&r, 2024, 3);
  enum { NB = 400000 };
  long ones[64] = {0}, xor_ones[64] = {0};
  uint64_t prev = 0;
  for (int i = 0; i < NB; i++) {
    uint64_t x = tms_rng_next(&r);
    for (int b = 0; b < 64; b++) {
      ones[b] += (x >> b) & 1;
      xor_ones[b] += ((x ^ prev) >> b) & 1;
    }
    prev = x;
  }
  double tol = 4 * sqrt(NB / 4.0);
  int worst = 0, worst_x = 0;
  for (int b = 1; b < 64; b++) {
    if (fabs(ones[b] - NB / 2.0) > fabs(ones[worst] - NB / 2.0)) worst = b;
    if (fabs(xor_ones[b] - NB / 2.0) > fabs(xor_ones[worst_x] - NB / 2.0)) worst_x = b;
  }
  char what[96];
  snprintf(what, sizeof what, "ones in bit %d (worst of 64) over %d draws", worst, NB);
  CHECK_CLOSE(what, (double)ones[worst], NB / 2.0, tol);
  snprintf(what, sizeof what, "ones in bit %d of draw^previous (worst of 64)", worst_x);
  CHECK_CLOSE(what, (double)xor_ones[worst_x], NB / 2.0, tol);
  /* Neighbouring keys: bit balance of draw k of stream s xor draw k of stream s+1. */
  long cross = 0;
  for (uint64_t s = 0; s < 1000; s++) {
    tms_rng a, b;
    tms_rng_init(&a, 5, s);
    tms_rng_init(&b, 5, s + 1);
    for (int k = 0; k < 10; k++) cross += __builtin_popcountll(tms_rng_next(&a) ^ tms_rng_next(&b));
  }
  CHECK_CLOSE("differing bits between neighbouring streams (of 640000)", (double)cross, 320000.0,
              4 * sqrt(640000 / 4.0));
}

/* Strict avalanche of tms_rng_at: flipping one bit of the counter (or of the key) must flip every output bit with
 * probability 1/2. 64x64 cells per input; the worst cell is compared at 5.5 sigma (the maximum of 4096 near-normal
 * deviations stays below ~4.5 sigma). A finaliser with one multiply fewer fails this by ~60 sigma. */
static void test_avalanche(void) {
  enum { TRIALS = 4000 };
  for (int which = 0; which < 2; which++) {
    double worst = 0;
    int worst_in = 0, worst_out = 0;
    for (int b = 0; b < 64; b++) {
      int cnt[64] = {0};
      for (int t = 0; t < TRIALS; t++) {
        uint64_t key = tms_mix64((uint64_t)t * 64 + (uint64_t)b), c = tms_mix64(key + 7);
        uint64_t flip = UINT64_C(1) << b;
        uint64_t d = which == 0 ? tms_rng_at(key, c) ^ tms_rng_at(key, c ^ flip)
                                : tms_rng_at(key, c) ^ tms_rng_at(key ^ flip, c);
        for (int o = 0; o < 64; o++) cnt[o] += (int)((d >> o) & 1);
      }
      for (int o = 0; o < 64; o++) {
        double dev = fabs(cnt[o] / (double)TRIALS - 0.5);
        if (dev > worst) {
          worst = dev;
          worst_in = b;
          worst_out = o;
        }
      }
    }
    char what[128];
    snprintf(what, sizeof what, "P(output bit %d flips | %s bit %d flips) (worst of 64x64)", worst_out,
             which == 0 ? "counter" : "key", worst_in);
    CHECK_CLOSE(what, 0.5 + worst, 0.5, 5.5 * sqrt(0.25 / TRIALS));
  }
}

static void test_hash(void) {
  const char *text = "schema: tms-sweep/1\nname: e2\nseed: 7\n";
  size_t len = strlen(text);
  uint64_t h = tms_hash_bytes(0, text, len);
  CHECK(h == tms_hash_bytes(0, text, len), "hash is deterministic");
  CHECK(h != tms_hash_bytes(1, text, len), "hash depends on the seed");
  CHECK(h != tms_hash_bytes(0, text, len - 1), "hash depends on the length");
  CHECK(tms_hash_bytes(0, "ab", 2) != tms_hash_bytes(0, "ab\0", 3), "trailing zero byte changes the hash");
  CHECK(tms_hash_bytes(0, "", 0) != tms_hash_bytes(1, "", 0), "empty input: seed still matters");
  /* Avalanche: flipping any one input bit flips about half of the 64 output bits. */
  unsigned char buf[37];
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i * 37 + 11);
  uint64_t base = tms_hash_bytes(3, buf, sizeof buf);
  double flips = 0;
  int nflip = 0, zero = 0;
  for (size_t i = 0; i < sizeof buf; i++)
    for (int b = 0; b < 8; b++) {
      buf[i] ^= (unsigned char)(1u << b);
      int d = __builtin_popcountll(base ^ tms_hash_bytes(3, buf, sizeof buf));
      buf[i] ^= (unsigned char)(1u << b);
      flips += d;
      zero += d == 0;
      nflip++;
    }
  CHECK(zero == 0, "%d single-bit changes left the hash unchanged", zero);
  CHECK_CLOSE("mean output bits flipped per input bit flip", flips / nflip, 32.0, 4 * sqrt(16.0 / nflip));
  CHECK(tms_mix64(0) != tms_mix64(1) && tms_mix64(1) != 1, "mix64 mixes");
}

int main(void) {
  test_determinism();
  test_uniform();
  test_normal();
  test_bits();
  test_avalanche();
  test_hash();
  return tms_check_finish("rng_determinism");
}
