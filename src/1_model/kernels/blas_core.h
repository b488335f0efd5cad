/* blas_core: OpenBLAS's kernels matched to the CPU before any training starts.
 * Why: OpenBLAS picks its kernels ("core") from a table of the CPU models it knows, once, when it loads. A CPU newer
 * than the library misses the table and gets Prescott, its SSE3 kernels: Debian 12's OpenBLAS 0.3.21 does this on
 * Intel's Emerald Rapids (family 6, model 207), where sgemm then runs at a third of its AVX-512 rate (bench/README.md,
 * "OpenBLAS on CPUs it does not know"). OpenBLAS reads OPENBLAS_CORETYPE only at load, so a program that finds such a
 * fallback sets the variable and starts itself again: same process id, arguments and (but for that variable)
 * environment, before it has read a file or started MPI.
 * Rules: never overrides an OPENBLAS_CORETYPE that is set (the bench/ and test environments, a user's choice); acts
 * only when the core is not one of AVX2 or wider (Haswell, Zen, SkylakeX, Cooperlake, SapphireRapids) while the
 * kernels path in use (TMS_ISA, isa/isa.h) is avx2 or avx512; picks what OpenBLAS picks for the nearest CPU it does
 * know: Cooperlake for AVX-512 with BF16 (as for Sapphire Rapids), SkylakeX for other AVX-512, Haswell for AVX2.
 * The core in use is part of a result's provenance (tms_kernels_blas_core), so the choice is recorded either way. */
#ifndef TMS_BLAS_CORE_H
#define TMS_BLAS_CORE_H
#include "isa/isa.h"

/* The core to start again with, or NULL to keep `core`: `path` is the kernels path in use, has_bf16 whether the CPU
 * has AVX512_BF16. Pure: the rules above, nothing read from the machine. */
const char *tms_blas_core_replacement(const char *core, tms_isa path, int has_bf16);

/* Applies the rules: returns if nothing is to change or OPENBLAS_CORETYPE is set; otherwise sets it (and
 * TMS_BLAS_CORE_FELL_BACK to OpenBLAS's own choice, for tms_blas_core_fell_back) and execs /proc/self/exe with argv
 * (main's argv, NULL-terminated), so it does not return. Silent, so that an error stays the one line on stderr it
 * is; `tms-sweep train` names both cores in its first line. If exec fails it unsets both variables, says why in one
 * line (once per job: only where no MPI/Slurm rank or rank 0) and returns: the program runs on OpenBLAS's own
 * choice. `prog` names the program in that line. */
void tms_blas_core_ensure(const char *prog, char **argv);

/* The environment variable naming the core OpenBLAS chose before tms_blas_core_ensure started the program again. */
#define TMS_BLAS_CORE_FELL_BACK "TMS_OPENBLAS_FELL_BACK_FROM"
/* That core, or NULL where OpenBLAS's core is its own choice or OPENBLAS_CORETYPE's. */
const char *tms_blas_core_fell_back(void);

#endif
