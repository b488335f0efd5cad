/* tms-sweep: the command-line entry point. Dispatches to train (one model from flags), plan (dry run of a
 * sweep file) and run (the MPI sweep). Only run initialises MPI. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static void usage(FILE *out) {
  fprintf(out,
          "tms-sweep %s (%s): toy models of superposition, trained as sweeps\n"
          "\n"
          "usage:\n"
          "  tms-sweep train [flags]                one model from flags; prints loss and a per-feature table\n"
          "  tms-sweep plan SWEEP.yaml              dry run: axes, point count, seeds, cost, config hash\n"
          "  [mpirun -np N] tms-sweep run SWEEP.yaml -o OUT.h5 [--resume] [--force]\n"
          "                                         train every point into one HDF5 results file\n"
          "  tms-sweep COMMAND --help               flags of one command\n"
          "\n"
          "exit codes: 0 done, 1 some points failed, 2 bad input (nothing started),\n"
          "            3 runtime error (committed results kept), 75 interrupted (resume with --resume)\n",
          TMS_VERSION, TMS_GIT_COMMIT);
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
    printf("tms-sweep %s (%s)\n", TMS_VERSION, TMS_GIT_COMMIT);
    return TMS_EXIT_OK;
  }
  if (strcmp(cmd, "train") == 0) return tms_cmd_train(argc - 1, argv + 1);
  if (strcmp(cmd, "plan") == 0) return tms_cmd_plan(argc - 1, argv + 1);
  if (strcmp(cmd, "run") == 0) return tms_cmd_run(argc - 1, argv + 1);
  fprintf(stderr, "tms-sweep: unknown command '%s'\n\n", cmd);
  usage(stderr);
  return TMS_EXIT_USAGE;
}
