/* kernels_vw: the native vector width of the instruction-set path a hot file is being compiled for, shared by the
 * fused kernels (fused.c, fused_mid.c, fused_eval.c). Internal to the kernels module.
 * TMS_VW: floats per native vector (16 on AVX-512, 8 on AVX/AVX2, 4 on SSE); a file that declares its own vector
 * types with it keeps every statement whole native vectors (a wider type was split by GCC into stack round trips).
 * Each file is compiled once per path (isa/isa_fn.h), so TMS_VW is a per-build constant, never a run-time one. */
#ifndef TMS_KERNELS_VW_H
#define TMS_KERNELS_VW_H

#if defined(__AVX512F__)
#define TMS_VW 16
#elif defined(__AVX__)
#define TMS_VW 8
#else
#define TMS_VW 4
#endif

#endif
