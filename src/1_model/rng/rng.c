/* rng: counter-based random streams (tms/rng.h). Draw k of a stream is tms_rng_at(key, k), a pure function, so a
 * stream can be replayed, split across workers or skipped ahead without state; the struct only remembers the key
 * and the next counter.
 * Not for cryptography, and not a general hash table hash: tms_hash_bytes is for seeds and config fingerprints.
 * Invariants: tms_rng_fill(r, out, n) == n calls of tms_rng_next(r), bit for bit, on every machine (the bulk loop is
 * multiversioned, but all versions run the same integer arithmetic); a key depends only on (seed, stream). */
#include "rng/rng.h"

#include <math.h>

#include "mix.h"

uint64_t tms_mix64(uint64_t x) { return tms_mix64_inline(x); }

/* Why three mixes: seed and stream are small, structured integers (0, 1, 2, ...); mixing each before combining
 * them keeps (seed, stream) and (stream, seed) apart and leaves no linear relation between neighbouring keys. */
void tms_rng_init(tms_rng *rng, uint64_t seed, uint64_t stream) {
  uint64_t a = tms_mix64_inline(seed ^ UINT64_C(0x6A09E667F3BCC908));
  uint64_t b = tms_mix64_inline(stream + UINT64_C(0xBB67AE8584CAA73B));
  rng->key = tms_mix64_inline(a ^ (b * TMS_RNG_GAMMA) ^ UINT64_C(0x3C6EF372FE94F82B));
  rng->counter = 0;
}

uint64_t tms_rng_at(uint64_t key, uint64_t counter) { return tms_rng_at_inline(key, counter); }

uint64_t tms_rng_next(tms_rng *rng) { return tms_rng_at_inline(rng->key, rng->counter++); }

float tms_rng_uniform(tms_rng *rng) {
  return (float)(tms_rng_next(rng) >> 40) * 0x1p-24f; /* exact: a 24-bit integer times a power of two */
}

double tms_rng_uniform_double(tms_rng *rng) { return (double)(tms_rng_next(rng) >> 11) * 0x1p-53; }

/* Box-Muller, cosine branch only: exactly two draws per normal, so the counter of every later draw is known
 * without looking at values (a cached sine would make the stream depend on call history). u1 in (0, 1] keeps
 * the log finite. */
double tms_rng_normal(tms_rng *rng) {
  double u1 = (double)((tms_rng_next(rng) >> 11) + 1) * 0x1p-53;
  double u2 = (double)(tms_rng_next(rng) >> 11) * 0x1p-53;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

TMS_BULK static void fill_range(uint64_t *out, size_t count, uint64_t key, uint64_t counter) {
  uint64_t z = key + counter * TMS_RNG_GAMMA;
  for (size_t i = 0; i < count; i++) {
    out[i] = tms_rng_finish(z);
    z += TMS_RNG_GAMMA;
  }
}

void tms_rng_fill(tms_rng *rng, uint64_t *out, size_t count) {
  fill_range(out, count, rng->key, rng->counter);
  rng->counter += count;
}

/* Little-endian word load, so the hash of the same bytes is the same on every machine. */
static uint64_t load_le(const unsigned char *p, size_t n) {
  uint64_t w = 0;
  for (size_t i = 0; i < n; i++) w |= (uint64_t)p[i] << (8 * i);
  return w;
}

/* A chained hash of 8-byte words: h <- mix(h ^ mix(word + i*gamma)). Each step is a bijection in h for a fixed word
 * and in the word for a fixed h, so two inputs of the same length that differ in one word always give different
 * states after that word; the position term makes word order matter; the length goes into the final mix so
 * "ab" and "ab\0" differ. Not fast, not needed to be (configs and point keys, not bulk data). */
uint64_t tms_hash_bytes(uint64_t seed, const void *data, size_t len) {
  const unsigned char *p = data;
  uint64_t h = tms_mix64_inline(seed ^ UINT64_C(0xA54FF53A5F1D36F1));
  size_t i = 0, words = 0;
  for (; i + 8 <= len; i += 8, words++)
    h = tms_mix64_inline(h ^ tms_mix64_inline(load_le(p + i, 8) + words * TMS_RNG_GAMMA));
  if (i < len) h = tms_mix64_inline(h ^ tms_mix64_inline(load_le(p + i, len - i) + words * TMS_RNG_GAMMA));
  return tms_mix64_inline(h ^ ((uint64_t)len * UINT64_C(0x510E527FADE682D1)));
}
