/* paths_line: which kernels path and OpenBLAS core run, and who chose each, so that a variable inherited from the
 * machine's environment shows on the first line (seen: OPENBLAS_CORETYPE=Haswell in a Zen 5's environment, where
 * OpenBLAS on its own picks Cooperlake, and every benchmark of that session ran Haswell unnoticed). */
#include "paths_line.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "kernels/blas_core.h" /* tms_blas_core_fell_back */
#include "kernels/kernels.h"   /* tms_kernels_isa, tms_kernels_blas_core */

void tms_print_paths_line(const char *prog, const char *suffix) {
  const char *isa = getenv("TMS_ISA"), *core = getenv("OPENBLAS_CORETYPE"), *fell = tms_blas_core_fell_back();
  char isa_by[96], core_by[192];
  if (isa && *isa && strcmp(isa, "auto") != 0)
    snprintf(isa_by, sizeof isa_by, "TMS_ISA=%.40s from the environment", isa);
  else
    snprintf(isa_by, sizeof isa_by, "the CPU's widest; TMS_ISA overrides");
  if (fell) /* tms started itself again with a core for OpenBLAS's fallback (blas_core.h) */
    snprintf(core_by, sizeof core_by, "OPENBLAS_CORETYPE=%.40s set by tms: OpenBLAS chose %.40s, its fallback on "
             "CPUs it does not know", core ? core : "", fell);
  else if (core && *core)
    snprintf(core_by, sizeof core_by, "OPENBLAS_CORETYPE=%.40s from the environment", core);
  else
    snprintf(core_by, sizeof core_by, "OpenBLAS's own choice; OPENBLAS_CORETYPE overrides");
  fprintf(stderr, "%s: kernels %s (%s), OpenBLAS core %s (%s)%s\n", prog, tms_kernels_isa(), isa_by,
          tms_kernels_blas_core(), core_by, suffix ? suffix : "");
}
