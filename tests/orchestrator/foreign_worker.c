/* foreign_worker: a rank launched beside tms-sweep (MPMD: `mpirun -np 2 tms-sweep run A.yaml ... : -np 1
 * foreign_worker B.yaml`) to make a real MPI call of the binary fail (issue 10 item 3, tests/orchestrator/
 * mpi_failure.sh). It takes part in `tms-sweep run`'s start-up collectives (src/5_bin/sweep/cmd_run.c: the sweep's
 * length and text, two status reductions, the bad-input flag), then runs the real scheduler's worker on its own
 * sweep B, whose points have more features than the root's: the root's MPI_Recv of its results fails with
 * MPI_ERR_TRUNCATE. It then joins the closing broadcast of the exit code and prints it. Exit 0 when it saw the
 * whole protocol through (whatever the code), 1 otherwise.
 * It mirrors cmd_run's collectives by hand: when those change, this program must follow (the test then times out
 * or fails with the step that did not match). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/grid.h"
#include "scheduler/scheduler.h"

static int agree(int v) { /* cmd_run.c's agree(): the worst status of every rank */
  int worst = 0;
  return MPI_Allreduce(&v, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD) == MPI_SUCCESS ? worst : -1;
}

static int fail(const char *step) {
  fprintf(stderr, "foreign_worker: %s\n", step);
  MPI_Finalize();
  return 1;
}

int main(int argc, char **argv) {
  int provided = 0, rank = 0;
  if (argc != 2) return fprintf(stderr, "usage: foreign_worker SWEEP.yaml (a rank > 0 beside tms-sweep)\n"), 2;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) return 1;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) return fail("must not be rank 0 (the root is tms-sweep)");
  tms_sweep own;
  tms_error err;
  memset(&own, 0, sizeof own);
  memset(&err, 0, sizeof err);
  if (tms_sweep_load(&own, argv[1], &err) != TMS_OK) return fail(err.msg);
  /* load_sweep: the root's sweep text, taken and dropped (this rank trains its own sweep), then its status. */
  long len = -1;
  if (MPI_Bcast(&len, 1, MPI_LONG, 0, MPI_COMM_WORLD) != MPI_SUCCESS || len < 0) return fail("the sweep's length");
  char *text = malloc((size_t)len + 1);
  if (!text || MPI_Bcast(text, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD) != MPI_SUCCESS) return fail("the sweep's text");
  free(text);
  if (agree(TMS_OK) != TMS_OK) return fail("the sweep was refused");
  /* open_phase: the results file's status, then the bad-input flag. */
  int bad_input = 0;
  if (agree(TMS_OK) != TMS_OK) return fail("the root could not open its results file");
  if (MPI_Bcast(&bad_input, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS) return fail("the bad-input flag");
  /* The real worker, on points whose records are larger than the root expects. */
  tms_sched_summary sum;
  tms_status s = tms_sched_run(MPI_COMM_WORLD, &own, NULL, NULL, &sum, &err);
  printf("foreign_worker: rank %d's scheduler returned %s%s%s\n", rank, tms_status_name(s), s ? ": " : "",
         s ? err.msg : "");
  tms_sched_summary_free(&sum);
  int code = -1;
  if (MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS) return fail("the exit code's broadcast");
  printf("foreign_worker: the root's exit code: %d\n", code);
  tms_sweep_free(&own);
  MPI_Finalize();
  return 0;
}
