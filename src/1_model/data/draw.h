/* draw: the draw of one data entry and its value and presence (data.c's semantics), as inline functions shared by
 * the bulk passes (bulk.c), the set pass (data.c) and the fused training step of tiny models (kernels/fused.c), so
 * every producer of a batch makes the same bits.
 * Entry draw of counter c in the stream of key K: c = E 2^32 + L (epoch E, 32-bit position L). The epoch's keys
 * k1, k2, k3 come from 64-bit mixes of (K, E); presence bits p = h(((L + k1) G) ^ k2), value bits
 * w = h(p ^ k3) >> 8, with h = tms_hash32 (rng/mix.h) and G = 0x9E3779B9 (mod 2^32). Packed as r = p 2^32 + w:
 * presence hi32(r) < threshold, value lo24(r) / 2^24 in [0, 1), or (2 lo24 + 1 - 2^24) / 2^24 in (-1, 1).
 * Why this form: 32-bit lanes (8 per AVX2 instruction, 16 per AVX-512 one; the earlier 64-bit finaliser cost ~40% of
 * a 5x2 step on AVX2, which has no 64-bit lane multiply); the key enters on both sides of a multiply (add, then
 * xor), so two streams are never shifted copies of one another (h(L + k1) alone would be): inputs of two streams
 * coincide only at scattered points, as independent 32-bit draws would. Within an epoch p is a bijection of L. The epoch keys change only every
 * 2^32 draws; vector loops take them per range and fall back to tms_entry_draw where a range crosses an epoch.
 * Integer arithmetic only: the same bits on every machine and every ISA path. */
#ifndef TMS_DATA_DRAW_H
#define TMS_DATA_DRAW_H
#include <stdint.h>
#include <string.h>

#include "rng/mix.h"

typedef struct {
  uint32_t k1, k2, k3;
} tms_entry_keys;

static inline tms_entry_keys tms_entry_keys_of(uint64_t key, uint64_t epoch) {
  const uint64_t s = tms_mix64_inline(key ^ tms_mix64_inline(epoch + UINT64_C(0x243F6A8885A308D3)));
  const uint64_t t = tms_mix64_inline(s + TMS_RNG_GAMMA);
  const tms_entry_keys k = {(uint32_t)s, (uint32_t)(s >> 32), (uint32_t)t};
  return k;
}
static inline uint32_t tms_entry_presence(tms_entry_keys k, uint32_t pos) {
  return tms_hash32(((pos + k.k1) * 0x9E3779B9u) ^ k.k2);
}
static inline uint32_t tms_entry_value_bits(tms_entry_keys k, uint32_t presence) {
  return tms_hash32(presence ^ k.k3) >> 8;
}
/* The whole draw of entry counter c (the reference every vector loop reproduces). */
static inline uint64_t tms_entry_draw(uint64_t key, uint64_t c) {
  const tms_entry_keys k = tms_entry_keys_of(key, c >> 32);
  const uint32_t p = tms_entry_presence(k, (uint32_t)c);
  return ((uint64_t)p << 32) | tms_entry_value_bits(k, p);
}

static inline float tms_value_unit(uint64_t r) { return (float)(uint32_t)(r & 0xFFFFFFu) * 0x1p-24f; }
static inline float tms_value_sym(uint64_t r) {
  return (float)((int32_t)(2u * (uint32_t)(r & 0xFFFFFFu)) + 1 - 16777216) * 0x1p-24f;
}
/* The same values from the 24 value bits w (< 2^24, so the signed conversion is exact and vectorises). */
static inline float tms_value_unit32(uint32_t w) { return (float)(int32_t)w * 0x1p-24f; }
static inline float tms_value_sym32(uint32_t w) { return (float)((int32_t)(2u * w) + 1 - 16777216) * 0x1p-24f; }
/* v if mask is all ones, +0.0f if it is zero (a 32-bit lane mask, for the vector loops). */
static inline float tms_select_value32(float v, uint32_t mask) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  bits &= mask;
  memcpy(&v, &bits, sizeof v);
  return v;
}
/* v if on, else +0.0f (never -0.0f): a mask on the bits, so loops over entries stay branch-free and vectorise. */
static inline float tms_select_value(float v, int on) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  bits &= 0u - (uint32_t)on;
  memcpy(&v, &bits, sizeof v);
  return v;
}

#endif
