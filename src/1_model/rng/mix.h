/* mix: the private inline core of the counter-based generator, shared by src/rng and src/data so that the hot
 * loops of the data generator inline the mixing instead of calling through tms_rng_at.
 * Not a public header: everything outside src/rng and src/data calls the functions of tms/rng.h.
 * Invariant: tms_rng_at() (rng.c) and tms_rng_at_inline() are the same function, bit for bit. */
#ifndef TMS_RNG_MIX_H
#define TMS_RNG_MIX_H
#include <stdint.h>

/* Weyl increment (2^64 / golden ratio, odd): consecutive counters land far apart before mixing. */
#define TMS_RNG_GAMMA UINT64_C(0x9E3779B97F4A7C15)

/* SplitMix64's finaliser (Stafford variant 13): a bijection with full avalanche; used for keys and hashing. */
static inline uint64_t tms_mix64_inline(uint64_t x) {
  x ^= x >> 30;
  x *= UINT64_C(0xBF58476D1CE4E5B9);
  x ^= x >> 27;
  x *= UINT64_C(0x94D049BB133111EB);
  x ^= x >> 31;
  return x;
}

/* Draw `counter` of stream `key`: SplitMix64's structure (Weyl sequence, then a bijective finaliser) with Pelle
 * Evensen's "Moremur" finaliser, which is stronger than SplitMix's own on sequential inputs. Only integer
 * multiplies, shifts and xors: vectorises (AVX-512DQ has a 64-bit lane multiply) and is bitwise portable. */
static inline uint64_t tms_rng_finish(uint64_t z) {
  z ^= z >> 27;
  z *= UINT64_C(0x3C79AC492BA7B653);
  z ^= z >> 33;
  z *= UINT64_C(0x1C69B3F74AC4AE35);
  z ^= z >> 27;
  return z;
}
static inline uint64_t tms_rng_at_inline(uint64_t key, uint64_t counter) {
  return tms_rng_finish(key + counter * TMS_RNG_GAMMA);
}
/* A 32-bit bijective hash with full avalanche (Chris Wellons' "lowbias32" search, shifts 16 15 15; measured bias
 * 0.107), the building block of the data entries' draws (data/draw.h): 32-bit lanes, so AVX2 runs 8 of them per
 * instruction with vpmulld where a 64-bit multiply needs three vpmuludq per 4 lanes. */
static inline uint32_t tms_hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x21F0AAADu;
  x ^= x >> 15;
  x *= 0xD35A2D97u;
  x ^= x >> 15;
  return x;
}

/* Bulk loops keep z = key + counter * TMS_RNG_GAMMA as a running sum (z += TMS_RNG_GAMMA per draw) and call
 * tms_rng_finish(z): written as a recurrence, the vectoriser adds per lane instead of multiplying. */

/* Function multiversioning for the bulk loops: the same integer arithmetic, compiled for AVX-512 / AVX2 / baseline
 * and picked at load time, so results are identical on every machine while the fast path is used where it exists.
 * The project has no global -march flags on purpose (portable binaries). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && !defined(TMS_NO_CLONES)
#if __GNUC__ >= 12 /* "arch=x86-64-v4" (AVX-512 F/BW/CD/DQ/VL) in target_clones */
#define TMS_BULK __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define TMS_BULK __attribute__((target_clones("avx2", "default")))
#endif
#else
#define TMS_BULK
#endif

#endif
