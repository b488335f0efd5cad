/* bulk: the vectorised passes of the data generator (bulk.c), one build per instruction-set path (isa/isa_fn.h).
 * Internal to the data module. Both produce exactly the bits data.c's semantics define, on every path (integer
 * arithmetic and exact conversions only). */
#ifndef TMS_DATA_BULK_H
#define TMS_DATA_BULK_H
#include <stddef.h>
#include <stdint.h>

#include "data/data.h"
#include "isa/isa_fn.h"

/* Every entry as an independent feature with the thresholds of gen (threshold_len, a multiple of N). */
TMS_ISA_DECL(void, tms_sample_bulk, (float *x /* (total) */, const tms_data_gen *gen, size_t total, uint64_t c0));
/* Every set structured (rho = 1), with the tables of tms_data_init. */
TMS_ISA_DECL(void, tms_sample_bulk_structured, (float *x /* (total) */, const tms_data_gen *gen, size_t total,
                                                uint64_t c0));

#endif
