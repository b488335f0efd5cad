/* draw: the value and presence of one data entry from its 64-bit draw r (data.c's semantics), as inline functions
 * shared by the bulk passes (bulk.c), the set pass (data.c) and the fused training step of tiny models
 * (kernels/fused.c), so every producer of a batch makes the same bits.
 * Presence: hi32(r) < threshold. Value: lo24(r) / 2^24 in [0, 1), or (2 lo24 + 1 - 2^24) / 2^24 in (-1, 1). */
#ifndef TMS_DATA_DRAW_H
#define TMS_DATA_DRAW_H
#include <stdint.h>
#include <string.h>

static inline float tms_value_unit(uint64_t r) { return (float)(uint32_t)(r & 0xFFFFFFu) * 0x1p-24f; }
static inline float tms_value_sym(uint64_t r) {
  return (float)((int32_t)(2u * (uint32_t)(r & 0xFFFFFFu)) + 1 - 16777216) * 0x1p-24f;
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
