/* tms-sweep: the command-line entry point. Dispatches to train (one model from flags), plan (dry run of a
 * sweep file) and run (the MPI sweep). Only run initialises MPI. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "kernels/blas_core.h"

static void usage(FILE *out) {
  fprintf(out,
          "tms-sweep %s (%s): toy models of superposition, trained as sweeps\n"
          "\n"
          "usage:\n"
          "  tms-sweep train [flags]       one model from flags (every sweep-file key is a flag, plus --seed,\n"
          "                                --out FILE.h5, --quiet); prints its loss and a per-feature table\n"
          "  tms-sweep plan SWEEP.yaml     dry run: axes, point count, seeds, cost, config hash; writes nothing\n"
          "  [mpirun -np N] tms-sweep run SWEEP.yaml -o OUT.h5 [--resume | --force-resume | --force] [--quiet]\n"
          "                                train every point into one HDF5 results file (alone, or rank 0\n"
          "                                dispatching to N-1 training ranks)\n"
          "  tms-sweep COMMAND --help      every flag of one command (-h too)\n"
          "  tms-sweep --help | --version  this text (-h, help) | the version and git commit\n"
          "\n"
          "run flags: -o/--output OUT.h5 (also --output=OUT.h5)  results file, required\n"
          "           --resume        train only the points of OUT.h5 not done (failed ones again)\n"
          "           --force-resume  --resume even if the sweep file changed (its grid shape must not)\n"
          "           --force         replace an existing OUT.h5\n"
          "           -q, --quiet     no progress lines (OUT.h5.progress is still written)\n"
          "\n"
          "environment:\n"
          "  TMS_ISA=avx512|avx2|generic|auto   the kernels' instruction-set path (default auto: the widest)\n"
          "  OPENBLAS_NUM_THREADS               default 1 (one BLAS thread per process)\n"
          "  OPENBLAS_CORETYPE                  OpenBLAS's kernels; if unset and OpenBLAS falls back to pre-AVX2\n"
          "                                     kernels on a CPU it does not know, train and run start again with\n"
          "                                     Cooperlake/SkylakeX (AVX-512 path) or Haswell (AVX2 path)\n"
          "\n"
          "exit codes:\n"
          "  0   everything asked for was done (also for --help and --version)\n"
          "  1   run: finished, but some points failed after run.max_attempts; train: the model diverged\n"
          "  2   bad command line or input file, unknown command; run: also an existing OUT.h5 without --force\n"
          "      or a resume that does not match. Nothing was started or written.\n"
          "  3   runtime error (I/O, HDF5, MPI, memory); what was committed is kept\n"
          "  75  interrupted: SIGTERM, SIGUSR1 or SIGINT (run: also ranks abandoned after run.stop_grace_s;\n"
          "      train: also a timeout). Continue a run with --resume. Under mpirun, send SIGUSR1 to mpirun:\n"
          "      it forwards it and exits 75; on SIGTERM mpirun stops the job the same way but exits 1.\n",
          tms_version(), tms_git_commit());
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return TMS_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return TMS_EXIT_OK;
  }
  if (strcmp(cmd, "--version") == 0) {
    printf("tms-sweep %s (%s)\n", tms_version(), tms_git_commit());
    return TMS_EXIT_OK;
  }
  /* train and run multiply with OpenBLAS: its kernels for this CPU first (may start the program again) */
  if (strcmp(cmd, "train") == 0 || strcmp(cmd, "run") == 0) tms_blas_core_ensure("tms-sweep", argv);
  if (strcmp(cmd, "train") == 0) return tms_cmd_train(argc - 1, argv + 1);
  if (strcmp(cmd, "plan") == 0) return tms_cmd_plan(argc - 1, argv + 1);
  if (strcmp(cmd, "run") == 0) return tms_cmd_run(argc - 1, argv + 1);
  fprintf(stderr, "tms-sweep: unknown command '%s'\n\n", cmd);
  usage(stderr);
  return TMS_EXIT_USAGE;
}
