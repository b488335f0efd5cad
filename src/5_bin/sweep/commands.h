/* commands: the subcommands of tms-sweep, one file each. Each returns the process exit code. */
#ifndef TMS_SWEEP_COMMANDS_H
#define TMS_SWEEP_COMMANDS_H
#include "core/version.h" /* tms_version(), tms_git_commit() for --version and provenance */

/* Exit codes of tms-sweep (documented in --help and the README). */
enum {
  TMS_EXIT_OK = 0,          /* everything asked for was done */
  TMS_EXIT_FAILED = 1,      /* the run finished but some points failed after all attempts */
  TMS_EXIT_USAGE = 2,       /* bad command line or bad sweep file: nothing was started or written */
  TMS_EXIT_ERROR = 3,       /* a runtime error (I/O, HDF5, MPI); what was committed is kept */
  TMS_EXIT_INCOMPLETE = 75  /* stopped by SIGTERM/SIGUSR1 or a deadline: resume with --resume (EX_TEMPFAIL) */
};

int tms_cmd_train(int argc, char **argv);
int tms_cmd_plan(int argc, char **argv);
int tms_cmd_run(int argc, char **argv);

#endif
