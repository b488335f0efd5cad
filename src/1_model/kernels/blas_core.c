/* blas_core: OpenBLAS's kernels matched to the CPU (kernels/blas_core.h). */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv */
#include "kernels/blas_core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernels/kernels.h"
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* OpenBLAS's cores (its names, as openblas_get_corename gives them) whose kernels use AVX2 and FMA or wider. */
static const char *const wide_cores[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"};

const char *tms_blas_core_replacement(const char *core, tms_isa path, int has_bf16) {
  if (path < TMS_ISA_AVX2) return NULL; /* the generic path: OpenBLAS's own choice is as good as any */
  for (size_t i = 0; core && i < sizeof wide_cores / sizeof wide_cores[0]; i++)
    if (strcmp(core, wide_cores[i]) == 0) return NULL;
  if (path == TMS_ISA_AVX2) return "Haswell";
  return has_bf16 ? "Cooperlake" : "SkylakeX";
}

/* AVX512_BF16: CPUID leaf 7, sub-leaf 1, EAX bit 5. */
static int cpu_has_bf16(void) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a, b, c, d;
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) return (a >> 5) & 1;
#endif
  return 0;
}

/* 1 unless this process is a rank other than 0 of an MPI or Slurm job (their launchers' variables). */
static int first_rank(void) {
  static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *v = getenv(vars[i]);
    if (v && *v) return strcmp(v, "0") == 0;
  }
  return 1;
}

void tms_blas_core_ensure(const char *prog, char **argv) {
  if (getenv("OPENBLAS_CORETYPE")) return;
  const char *core = tms_kernels_blas_core();
  const char *want = tms_blas_core_replacement(core, tms_isa_current(), cpu_has_bf16());
  if (!want || setenv(TMS_BLAS_CORE_FELL_BACK, core, 1) != 0) return;
  if (setenv("OPENBLAS_CORETYPE", want, 1) == 0) {
    fflush(NULL);
    execv("/proc/self/exe", argv);
  }
  const int e = errno; /* still here: exec failed */
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(TMS_BLAS_CORE_FELL_BACK);
  if (first_rank())
    fprintf(stderr, "%s: OpenBLAS chose its %s kernels, which it falls back to on CPUs it does not know, and "
            "starting again with OPENBLAS_CORETYPE=%s failed (%s): running on %s\n", prog, core, want, strerror(e),
            core);
}

const char *tms_blas_core_fell_back(void) {
  const char *v = getenv(TMS_BLAS_CORE_FELL_BACK);
  return v && *v ? v : NULL;
}
