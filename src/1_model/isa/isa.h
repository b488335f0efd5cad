/* isa: which instruction-set path the hot loops take (kernels, data generator), chosen once per process.
 * Paths: avx512 (x86-64-v4: AVX-512 F/BW/CD/DQ/VL), avx2 (x86-64-v3: AVX2, FMA, BMI2), generic (the compiler's
 * baseline, SSE2 on x86-64; the only path elsewhere). Each hot source file is compiled once per path (CMake
 * tms_isa_variants) and its functions carry the path's suffix (TMS_ISA_FN, isa_fn.h).
 * Choice: the environment variable TMS_ISA = avx512 | avx2 | generic | auto (unset = auto = the widest path this CPU
 * and OS support). Forcing a path the CPU lacks is an error for tms_isa_select (the programs exit 2) and falls back
 * to auto when the library resolves the path on its own. To follow with OpenBLAS, set OPENBLAS_CORETYPE too
 * (e.g. TMS_ISA=avx2 OPENBLAS_CORETYPE=Haswell): OpenBLAS has its own dispatch.
 * Invariant: the path never changes after the first hot call; which path ran is part of a result's provenance. */
#ifndef TMS_ISA_H
#define TMS_ISA_H
#include "core/status.h"

typedef enum { TMS_ISA_GENERIC = 0, TMS_ISA_AVX2 = 1, TMS_ISA_AVX512 = 2 } tms_isa;

/* Resolves TMS_ISA against the CPU and fixes the path for the process. Returns TMS_ERR_CONFIG (naming the variable
 * and value) for an unknown value or a path the CPU lacks; the path is then auto. Idempotent. */
tms_status tms_isa_select(tms_error *err);
/* The path in use (resolved on first call if tms_isa_select was not called). */
extern int tms_isa_active_; /* -1 until resolved; read through tms_isa_current() */
tms_isa tms_isa_resolve_(void);
static inline tms_isa tms_isa_current(void) {
  return tms_isa_active_ >= 0 ? (tms_isa)tms_isa_active_ : tms_isa_resolve_();
}
/* Widest path this CPU supports (ignores TMS_ISA). */
tms_isa tms_isa_best(void);
/* "avx512", "avx2", "generic". */
const char *tms_isa_name(tms_isa isa);
/* Bytes of this core's L1 data cache (sysconf; 32 KiB where it is not known), read once: loop blocking follows it,
 * never a result (a blocked loop keeps every sum's order). */
long tms_isa_l1d_bytes(void);

#endif
