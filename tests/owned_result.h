/* owned_result: the set-ups test_trainer.c and test_trainer_curves.c share: a training result with its own arrays,
 * a spec with the trainer's defaults, and a check that a test's spec is valid (so a failing case names its spec). */
#ifndef TMS_TEST_OWNED_RESULT_H
#define TMS_TEST_OWNED_RESULT_H
#include <stddef.h>
#include <stdint.h>

#include "trainer/trainer.h"

typedef struct {
  tms_train_result r;
  size_t curve_len;
} owned_result;

void result_alloc(owned_result *o, const tms_spec *spec); /* arrays sized for spec; exits 2 when out of memory */
void result_free(owned_result *o);
tms_spec base_spec(tms_variant variant, int n, int m, double density, long steps, uint64_t seed);
int validated(const tms_spec *s); /* CHECKs tms_spec_validate; returns whether it passed */

#endif
