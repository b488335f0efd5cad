/* blas_core: OpenBLAS's kernels matched to the CPU (kernels/blas_core.h).
 * 1. The rules, on a table of cores and paths: a core of AVX2 or wider is kept on every path; a narrower one (or an
 *    unknown name) is replaced on the vector paths by what OpenBLAS picks for the nearest CPU it knows; the generic
 *    path keeps whatever OpenBLAS chose.
 * 2. The process, for real: this program calls tms_blas_core_ensure as tms-sweep does. Where OPENBLAS_CORETYPE was
 *    unset when the test started (CTest does not set it) and the kernels path is avx2 or avx512, OpenBLAS must end
 *    up on a core of that width, through a restart of this very program if OpenBLAS fell back (it does on CPUs newer
 *    than the library, e.g. Debian 12's 0.3.21 on Intel Emerald Rapids); elsewhere nothing may change. The value
 *    the test started with survives the restart in TMS_TEST_BLAS_CORE_BEFORE. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels/blas_core.h"
#include "kernels/kernels.h"

static int is_wide(const char *core) {
  static const char *const wide[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"};
  for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
    if (strcmp(core, wide[i]) == 0) return 1;
  return 0;
}

static void check_rules(void) {
  static const struct {
    const char *core;
    tms_isa path;
    int bf16;
    const char *want; /* NULL: keep */
  } cases[] = {
      {"Prescott", TMS_ISA_AVX512, 1, "Cooperlake"}, {"Prescott", TMS_ISA_AVX512, 0, "SkylakeX"},
      {"Prescott", TMS_ISA_AVX2, 1, "Haswell"},      {"Prescott", TMS_ISA_GENERIC, 1, NULL},
      {"Sandybridge", TMS_ISA_AVX2, 0, "Haswell"},   {"Nehalem", TMS_ISA_AVX512, 0, "SkylakeX"},
      {"unknown", TMS_ISA_AVX2, 0, "Haswell"},       {"Haswell", TMS_ISA_AVX512, 1, NULL},
      {"Zen", TMS_ISA_AVX2, 0, NULL},                {"SkylakeX", TMS_ISA_AVX512, 0, NULL},
      {"Cooperlake", TMS_ISA_AVX2, 1, NULL},         {"SapphireRapids", TMS_ISA_AVX512, 1, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = tms_blas_core_replacement(cases[i].core, cases[i].path, cases[i].bf16);
    const char *want = cases[i].want;
    CHECK(got == want || (got && want && strcmp(got, want) == 0),
          "core %s, path %s, bf16 %d: replacement %s, want %s", cases[i].core, tms_isa_name(cases[i].path),
          cases[i].bf16, got ? got : "(keep)", want ? want : "(keep)");
  }
}

static void check_process(void) {
  const char *before = getenv("TMS_TEST_BLAS_CORE_BEFORE");
  const char *core = tms_kernels_blas_core();
  const tms_isa path = tms_isa_current();
  printf("OPENBLAS_CORETYPE at start %s, now %s; OpenBLAS core %s; kernels path %s\n", before,
         getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "(unset)", core, tms_isa_name(path));
  if (strcmp(before, "(unset)") != 0) {
    const char *now = getenv("OPENBLAS_CORETYPE");
    CHECK(now && strcmp(now, before) == 0, "OPENBLAS_CORETYPE was %s at start and is %s now: a set value is kept",
          before, now ? now : "(unset)");
    return;
  }
  const char *fell = tms_blas_core_fell_back();
  if (fell) /* restarted: OpenBLAS's own choice was narrow, and the core now is the rules' replacement for it */
    CHECK(!is_wide(fell) && strcmp(core, tms_blas_core_replacement(fell, path, 1)) * strcmp(core,
          tms_blas_core_replacement(fell, path, 0)) == 0, "restarted from OpenBLAS's %s onto %s on path %s: want a "
          "narrow core replaced by the rules' choice", fell, core, tms_isa_name(path));
  if (path >= TMS_ISA_AVX2)
    CHECK(is_wide(core), "kernels path %s with OPENBLAS_CORETYPE unset at start: OpenBLAS runs core %s, want one "
          "of AVX2 or wider (Haswell, Zen, SkylakeX, Cooperlake, SapphireRapids)", tms_isa_name(path), core);
}

int main(int argc, char **argv) {
  (void)argc;
  if (!getenv("TMS_TEST_BLAS_CORE_BEFORE")) { /* first start: remember what the environment asked for */
    const char *v = getenv("OPENBLAS_CORETYPE");
    setenv("TMS_TEST_BLAS_CORE_BEFORE", v ? v : "(unset)", 1);
  }
  tms_blas_core_ensure("test_blas_core", argv); /* may exec this program again: every check runs after it */
  check_rules();
  check_process();
  return tms_check_finish("blas_core");
}
