/* isa: the process-wide choice of instruction-set path (isa/isa.h).
 * CPU support comes from the compiler's CPU model (__builtin_cpu_supports, which also checks that the OS saves
 * the vector registers); the choice is made once and cached in tms_isa_active_. Single-threaded by design: every
 * tms process runs one training thread, and the choice is made before the first hot call. */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#include "isa/isa.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tms_isa_active_ = -1;

tms_isa tms_isa_best(void) {
#if defined(TMS_ISA_VARIANTS)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi2"))
    return TMS_ISA_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2"))
    return TMS_ISA_AVX2;
#endif
  return TMS_ISA_GENERIC;
}

long tms_isa_l1d_bytes(void) {
  static long bytes = 0;
  if (bytes == 0) {
    const long v = sysconf(_SC_LEVEL1_DCACHE_SIZE);
    bytes = v > 0 ? v : 32768;
  }
  return bytes;
}

const char *tms_isa_name(tms_isa isa) {
  switch (isa) {
    case TMS_ISA_AVX512: return "avx512";
    case TMS_ISA_AVX2: return "avx2";
    case TMS_ISA_GENERIC:
    default: return "generic";
  }
}

/* The requested path of TMS_ISA: 0 and *isa set, 1 for unset/auto, -1 for an unknown value. */
static int requested(tms_isa *isa, const char *v) {
  if (!v || !*v || strcmp(v, "auto") == 0) return 1;
  for (int k = TMS_ISA_GENERIC; k <= TMS_ISA_AVX512; k++)
    if (strcmp(v, tms_isa_name((tms_isa)k)) == 0) {
      *isa = (tms_isa)k;
      return 0;
    }
  return -1;
}

tms_status tms_isa_select(tms_error *err) {
  const char *v = getenv("TMS_ISA");
  const tms_isa best = tms_isa_best();
  tms_isa want = best;
  const int r = requested(&want, v);
  tms_status st = TMS_OK;
  if (r < 0) {
    st = tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "TMS_ISA",
                       "unknown instruction-set path '%s' (choose avx512, avx2, generic or auto)", v);
    want = best;
  } else if (want > best) {
    st = tms_error_set(err, TMS_ERR_CONFIG, NULL, 0, 0, "TMS_ISA", "this CPU cannot run the %s path (best: %s)",
                       tms_isa_name(want), tms_isa_name(best));
    want = best;
  }
  tms_isa_active_ = (int)want;
  return st;
}

tms_isa tms_isa_resolve_(void) {
  if (tms_isa_active_ < 0) (void)tms_isa_select(NULL);
  return (tms_isa)tms_isa_active_;
}
