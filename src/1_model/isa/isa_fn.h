/* isa_fn: naming and dispatch of the per-path builds of a hot function (isa/isa.h).
 * A hot source file is compiled three times (generic, with -march=x86-64-v3 and TMS_ISA_BUILD_AVX2, with
 * -march=x86-64-v4 and TMS_ISA_BUILD_AVX512); it names its external functions TMS_ISA_FN(name), which becomes
 * name_generic / name_avx2 / name_avx512. Callers declare the three with TMS_ISA_DECL and call through
 * TMS_ISA_CALL, which picks the build of the current path. Without TMS_ISA_VARIANTS (not x86-64, or another
 * compiler) only the generic build exists and TMS_ISA_CALL calls it directly. */
#ifndef TMS_ISA_FN_H
#define TMS_ISA_FN_H
#include "isa/isa.h"

#if defined(TMS_ISA_BUILD_AVX512)
#define TMS_ISA_FN(f) f##_avx512
#elif defined(TMS_ISA_BUILD_AVX2)
#define TMS_ISA_FN(f) f##_avx2
#else
#define TMS_ISA_FN(f) f##_generic
#endif

#define TMS_ISA_DECL(ret, f, params) ret f##_generic params; ret f##_avx2 params; ret f##_avx512 params

#if defined(TMS_ISA_VARIANTS)
#define TMS_ISA_CALL(f, ...)                                                                         \
  (tms_isa_current() == TMS_ISA_AVX512 ? f##_avx512(__VA_ARGS__)                                     \
   : tms_isa_current() == TMS_ISA_AVX2 ? f##_avx2(__VA_ARGS__)                                       \
                                       : f##_generic(__VA_ARGS__))
#else
#define TMS_ISA_CALL(f, ...) f##_generic(__VA_ARGS__)
#endif

#endif
