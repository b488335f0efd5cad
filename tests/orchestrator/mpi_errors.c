/* mpi_errors (3 ranks): the scheduler runs on the communicator it is given and MPI failures come back as
 * statuses, never as an abort.
 *  1. MPI_COMM_NULL: TMS_ERR_MPI on every rank, nothing hangs.
 *  2. A split communicator: ranks {0, 1} run one sweep (root + worker) while rank 2 runs the same sweep alone on
 *     its own communicator, at the same time; both finish every point.
 *  3. A real MPI failure mid-run: the workers hold a sweep whose records are larger than the root's (n_features
 *     4 instead of 2), so the root's MPI_Recv of their results fails with MPI_ERR_TRUNCATE. Every rank gets
 *     TMS_ERR_MPI, the root's message names the call and MPI's error, the store still closes, and no point is
 *     marked done. Without MPI_ERRORS_RETURN on the scheduler's communicator this run would abort the job. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config/config.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

static const char *sweep_text(int n) {
  static char buf[512];
  snprintf(buf, sizeof buf,
           "schema: tms-sweep/1\nname: mpi-errors\nseed: 3\n"
           "fixed: {n_features: %d, n_hidden: 1, steps: 5, batch_size: 16, eval_batch: 16}\n"
           "axes:\n  density: {values: [1.0, 0.5, 0.2, 0.1]}\nreplicates: 8\n"
           "run: {max_attempts: 1, progress_every_s: 100, stop_grace_s: 1}\n",
           n);
  return buf;
}

static int parse(tms_sweep *sw, int n) {
  tms_error e;
  const char *t = sweep_text(n);
  tms_status s = tms_sweep_parse(sw, t, strlen(t), "mpi_errors.yaml", &e);
  CHECK(s == TMS_OK, "sweep n=%d parses: %s", n, e.msg);
  return s == TMS_OK;
}

static tms_store *create(const char *path, const tms_sweep *sw) {
  tms_store_provenance prov = {"t", "g", "mpi", "blas", 1, 1, "generic", "Haswell"};
  tms_error e;
  tms_store *st = NULL;
  remove(path);
  tms_status s = tms_store_create(&st, path, sw, &prov, 1, &e);
  CHECK(s == TMS_OK, "create %s: %s", path, e.msg);
  return st;
}

static void null_comm(const tms_sweep *sw, int rank) {
  tms_sched_summary sum;
  tms_error e;
  memset(&e, 0, sizeof e);
  tms_status s = tms_sched_run(MPI_COMM_NULL, sw, NULL, NULL, &sum, &e);
  CHECK(s == TMS_ERR_MPI, "rank %d: MPI_COMM_NULL gives %s, want TMS_ERR_MPI", rank, tms_status_name(s));
  tms_sched_summary_free(&sum);
}

static void split_comm(const tms_sweep *sw, int rank) {
  MPI_Comm sub;
  CHECK(MPI_Comm_split(MPI_COMM_WORLD, rank < 2 ? 0 : 1, rank, &sub) == MPI_SUCCESS, "MPI_Comm_split");
  int sub_rank = -1;
  MPI_Comm_rank(sub, &sub_rank);
  char path[64];
  snprintf(path, sizeof path, "mpi_errors_split%d.h5", rank);
  tms_store *st = sub_rank == 0 ? create(path, sw) : NULL;
  tms_sched_summary sum;
  tms_error e;
  memset(&e, 0, sizeof e);
  tms_status s = tms_sched_run(sub, sw, st, NULL, &sum, &e);
  CHECK(s == TMS_OK, "rank %d on its split communicator: %s (%s)", rank, tms_status_name(s), e.msg);
  if (sub_rank == 0) {
    CHECK(sum.done == 32 && sum.pending == 0, "rank %d's run: %zu done, %zu pending, want 32 and 0", rank, sum.done,
          sum.pending);
    CHECK(tms_store_close(st, &e) == TMS_OK, "close %s", path);
    remove(path);
  }
  tms_sched_summary_free(&sum);
  MPI_Comm_free(&sub);
}

static void truncated(const tms_sweep *root_sw, const tms_sweep *worker_sw, int rank) {
  tms_store *st = rank == 0 ? create("mpi_errors_trunc.h5", root_sw) : NULL;
  tms_sched_summary sum;
  tms_error e;
  memset(&e, 0, sizeof e);
  tms_status s = tms_sched_run(MPI_COMM_WORLD, rank == 0 ? root_sw : worker_sw, st, NULL, &sum, &e);
  CHECK(s == TMS_ERR_MPI, "rank %d: records larger than the root expects give %s, want TMS_ERR_MPI", rank,
        tms_status_name(s));
  if (rank == 0) {
    CHECK(strstr(e.msg, "MPI_Recv of results failed") && strstr(e.msg, "TRUNCATE"),
          "the root's message names the call and MPI's error, got: %s", e.msg);
    CHECK(sum.done == 0 && sum.pending == 32, "no point done: %zu done, %zu pending", sum.done, sum.pending);
    CHECK(tms_store_close(st, &e) == TMS_OK, "the store closes after the failure: %s", e.msg);
    remove("mpi_errors_trunc.h5");
  }
  tms_sched_summary_free(&sum);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != 3) {
    if (rank == 0) fprintf(stderr, "mpi_errors: run with 3 ranks (got %d)\n", size);
    MPI_Finalize();
    return 77;
  }
  tms_signals_install(1);
  tms_sweep small, large;
  if (!parse(&small, 2) || !parse(&large, 4)) return 1;
  null_comm(&small, rank);
  split_comm(&small, rank);
  MPI_Barrier(MPI_COMM_WORLD);
  truncated(&small, &large, rank);
  tms_sweep_free(&small);
  tms_sweep_free(&large);
  char name[32];
  snprintf(name, sizeof name, "mpi_errors rank %d", rank);
  int rc = tms_check_finish(name), worst = 0;
  MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst;
}
