/* cmd_run: `[mpirun -np N] tms-sweep run SWEEP.yaml -o OUT.h5 [--resume | --force-resume | --force]
 * [--reuse OLD.h5]... [--quiet]`.
 * Order matters: every rank parses the command line and the sweep (the root reads the file and broadcasts its
 * text) and validates it BEFORE any output file is created or opened, so bad input never starts a run nor
 * touches a file. Then the root validates the --reuse files (run_reuse.c), creates (or opens, to resume) the
 * results file, copies the reused points into it, the scheduler runs, and the
 * root prints a summary. Every collective phase ends with all ranks agreeing on one status (Allreduce/Bcast),
 * so an error on one rank never leaves the others waiting in a collective call.
 * Not here: the file layout (store) and the protocol (scheduler). */
#define _POSIX_C_SOURCE 200809L /* getenv */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config/config.h"
#include "config/grid.h"
#include "isa/isa.h"
#include "kernels/kernels.h"
#include "scheduler/scheduler.h"
#include "store/lock.h"
#include "store/space.h"
#include "store/store.h"

#include "paths_line.h"
#include "run_reuse.h"

/* OpenBLAS extensions (the build links OpenBLAS, see CMakeLists.txt); declared here to avoid cblas.h. */
char *openblas_get_config(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int n);

typedef struct {
  const char *sweep_path, *out_path;
  int resume, force, force_resume, quiet, help;
  const char *reuse[TMS_RUN_MAX_REUSE];
  int n_reuse;
} run_args;

static void run_usage(FILE *out) {
  fprintf(out,
          "usage: [mpirun -np N] tms-sweep run SWEEP.yaml -o OUT.h5 [--resume | --force-resume | --force]\n"
          "                                [--reuse OLD.h5]... [--quiet]\n"
          "\n"
          "Trains every point of the sweep into one HDF5 results file (layout: sweeps/results-layout.md).\n"
          "Rank 0 dispatches points (longest first, points of one shape bundled) and writes the file; the other\n"
          "ranks train. Run alone (without mpirun) rank 0 trains too. Results do not depend on the rank count.\n"
          "\n"
          "  -o, --output OUT.h5  results file (required; --output=OUT.h5 too). Never overwritten without --force.\n"
          "  --resume             continue OUT.h5: train only points not done (failed ones are retried);\n"
          "                       refuses if the sweep's config hash differs from the file's.\n"
          "  --force-resume       --resume even if the config hash differs (the grid shape must still match;\n"
          "                       /params and the excluded points are rewritten; done points keep their results\n"
          "                       unless their parameters or seed changed: those are trained again).\n"
          "  --force              replace an existing OUT.h5: the new file is built as OUT.h5.creating and renamed\n"
          "                       over it once created, before training starts. Not with --resume.\n"
          "  --reuse OLD.h5       copy every done point of OLD.h5 whose parameters (every /params value: shape,\n"
          "                       density, steps, lr, ...) and seed equal a point of this sweep, instead of\n"
          "                       training it; train only the rest. Repeatable (earlier files first). OUT.h5 is\n"
          "                       then bitwise what a run from scratch writes (wall times and provenance aside),\n"
          "                       since a point's results depend only on its parameters and seed: refine an axis\n"
          "                       (new values between the old ones) or add replicates, and only the new points\n"
          "                       train. OLD.h5 is opened read-only and validated as for --resume; a file that is\n"
          "                       not a tms results file is refused (exit 2), another sweep's file just matches\n"
          "                       fewer points. With --resume: the points OUT.h5 has done stay, OLD.h5 fills\n"
          "                       those still pending or failed.\n"
          "  -q, --quiet          no progress lines on stderr (OUT.h5.progress is still written).\n"
          "  -h, --help           this text.\n"
          "\n"
          "Progress: every run.progress_every_s seconds a line on stderr (done, failed, pending, running, points/s,\n"
          "ETA) and the same as key=value lines in OUT.h5.progress (replaced atomically). Run alone, the lines\n"
          "also come while a long point or bundle trains, with the share of it done: \"running 3 (40%%)\".\n"
          "Signals: SIGTERM, SIGUSR1 or SIGINT: stop dispatching, let running points finish within\n"
          "run.stop_grace_s (then abandon them: they stay pending), commit, close, exit 75. Under mpirun send\n"
          "SIGUSR1 to mpirun: Open MPI forwards it to every rank and exits 75; on SIGTERM mpirun stops the job\n"
          "the same way but exits 1. Failed points (diverged, timed out after run.point_timeout_s) are retried up\n"
          "to run.max_attempts times and listed at the end.\n"
          "\n"
          "One writer per file: OUT.h5.lock names the run writing it; a second run is refused (exit 2); a lock\n"
          "left by a killed run on this host (or by an earlier run of a requeued Slurm job) is replaced.\n"
          "\n"
          "exit codes: 0 every point done; 1 finished but some points failed; 2 bad command line or sweep file,\n"
          "            existing output without --force, a file locked by another run, or a resume that does not\n"
          "            match (nothing was written); 3 runtime error (I/O, HDF5, MPI, not enough free space or a\n"
          "            full disk; committed points are kept); 75 interrupted or points\n"
          "            left pending (ranks abandoned after the grace period): continue with --resume.\n");
}

static int parse_args(run_args *a, int argc, char **argv, char *msg, size_t size) {
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) a->help = 1;
    else if (strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0) {
      if (i + 1 >= argc) {
        snprintf(msg, size, "%s needs a file name", s);
        return -1;
      }
      a->out_path = argv[++i];
    } else if (strncmp(s, "--output=", 9) == 0) a->out_path = s + 9;
    else if (strcmp(s, "--resume") == 0) a->resume = 1;
    else if (strcmp(s, "--force-resume") == 0) a->resume = a->force_resume = 1;
    else if (strcmp(s, "--force") == 0) a->force = 1;
    else if (strcmp(s, "--reuse") == 0 || strncmp(s, "--reuse=", 8) == 0) {
      const char *f = s[7] == '=' ? s + 8 : i + 1 < argc ? argv[++i] : NULL;
      if (!f || !f[0]) {
        snprintf(msg, size, "--reuse needs a results file");
        return -1;
      }
      if (a->n_reuse == TMS_RUN_MAX_REUSE) {
        snprintf(msg, size, "at most %d --reuse files", TMS_RUN_MAX_REUSE);
        return -1;
      }
      a->reuse[a->n_reuse++] = f;
    }
    else if (strcmp(s, "--quiet") == 0 || strcmp(s, "-q") == 0) a->quiet = 1;
    else if (s[0] == '-' && s[1] != 0) {
      snprintf(msg, size, "unknown option '%s'", s);
      return -1;
    } else if (!a->sweep_path) a->sweep_path = s;
    else {
      snprintf(msg, size, "unexpected argument '%s' (one sweep file per run)", s);
      return -1;
    }
  }
  if (a->help) return 0;
  if (!a->sweep_path) {
    snprintf(msg, size, "missing the sweep file");
    return -1;
  }
  if (!a->out_path) {
    snprintf(msg, size, "missing -o OUT.h5");
    return -1;
  }
  if (a->resume && a->force) {
    snprintf(msg, size, "--%s and --force contradict each other (continue the file, or replace it?)",
             a->force_resume ? "force-resume" : "resume");
    return -1;
  }
  return 0;
}

typedef struct {
  char path[1100];
  int quiet;
  int warned; /* the progress file could not be written: said once, not at every report */
} progress_ctx;

static void on_progress(const tms_progress *p, void *user) {
  progress_ctx *c = user;
  if (!c->quiet) {
    char line[256];
    tms_progress_format(p, line, sizeof line);
    fprintf(stderr, "tms-sweep run: %s\n", line);
  }
  tms_error e;
  if (tms_progress_write_file(c->path, p, &e) != TMS_OK && !c->quiet && !c->warned) {
    c->warned = 1;
    char buf[800];
    tms_error_format(&e, buf, sizeof buf);
    fprintf(stderr, "tms-sweep run: warning: %s\n", buf);
  }
}

static void print_error(const char *what, const tms_error *e) {
  char buf[1200];
  tms_error_format(e, buf, sizeof buf);
  fprintf(stderr, "tms-sweep run: %s%s\n", what, buf);
}

/* The same status on every rank: the worst one (TMS_ERR_MPI when the reduction itself fails). */
static tms_status agree(tms_status s) {
  int v = (int)s, worst = 0;
  if (MPI_Allreduce(&v, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS) return TMS_ERR_MPI;
  return (tms_status)worst;
}

static int finish(int code) {
  MPI_Finalize();
  return code;
}

/* Reads and validates the sweep on every rank: the root loads the file, the others parse its broadcast text. */
static tms_status load_sweep(tms_sweep *sweep, const char *path, int rank, tms_error *err) {
  tms_status s = TMS_OK;
  long len = -1;
  if (rank == 0) {
    s = tms_sweep_load(sweep, path, err);
    if (s == TMS_OK) len = (long)sweep->text_len;
  }
  if (MPI_Bcast(&len, 1, MPI_LONG, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
    return tms_error_set(err, TMS_ERR_MPI, path, 0, 0, NULL, "MPI_Bcast of the sweep's length failed");
  if (len < 0) return agree(rank == 0 ? s : TMS_ERR_CONFIG);
  char *text = rank == 0 ? sweep->text : malloc((size_t)len + 1);
  if (!text) { /* cannot take part in the broadcast: nothing sensible is left to do */
    fprintf(stderr, "tms-sweep run: rank %d: no memory for the sweep text\n", rank);
    MPI_Abort(MPI_COMM_WORLD, TMS_EXIT_ERROR);
  }
  if (MPI_Bcast(text, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD) != MPI_SUCCESS) {
    if (rank != 0) free(text);
    return tms_error_set(err, TMS_ERR_MPI, path, 0, 0, NULL, "MPI_Bcast of the sweep's text failed");
  }
  if (rank != 0) text[len] = 0;
  if (rank != 0) {
    s = tms_sweep_parse(sweep, text, (size_t)len, path, err);
    free(text);
  }
  if (s == TMS_OK) s = tms_grid_validate(sweep, err);
  if (s == TMS_OK) {
    double bytes = tms_grid_output_bytes(sweep);
    if (sweep->run.max_output_gb > 0 && bytes > sweep->run.max_output_gb * 1e9)
      s = tms_error_set(err, TMS_ERR_TOO_LARGE, path, 0, 0, "run.max_output_gb",
                        "the results file would take %.3g GB, more than run.max_output_gb = %g", bytes / 1e9,
                        sweep->run.max_output_gb);
  }
  return agree(s);
}

/* Phase 2 on the root: the --reuse files (validated before anything is written: *bad_input when one is refused),
 * the writer's lock, then the results file (created after a free-space check, or opened to resume), then the
 * reused points copied into it. The lock is released again when the file cannot be had. */
static tms_status open_results(const run_args *a, const tms_sweep *sweep, int size, int blas_threads,
                               tms_store **store, tms_lock *lock, size_t *reused, int *bad_input, tms_error *err) {
  tms_reuse_src *srcs[TMS_RUN_MAX_REUSE] = {0};
  int stale = 0;
  tms_status s = tms_run_reuse_open(a->reuse, a->n_reuse, a->out_path, srcs, err);
  if (s != TMS_OK) {
    *bad_input = 1;
    return s;
  }
  s = tms_lock_acquire(lock, a->out_path, &stale, err);
  if (s != TMS_OK) {
    tms_run_reuse_close(srcs, a->n_reuse);
    return s;
  }
  if (stale) /* worth a line even with --quiet: someone may wonder where the old lock went */
    fprintf(stderr, "tms-sweep run: note: replaced the stale lock %s (the run that left it is gone)\n", lock->path);
  if (a->resume) {
    s = tms_store_open_resume(store, a->out_path, sweep, a->force_resume, err);
    if (s == TMS_OK && tms_store_forced_retrain(*store) > 0) /* even with --quiet: finished work is redone */
      fprintf(stderr, "tms-sweep run: note: --force-resume: %zu finished points of %s have other parameters or seeds "
                      "in this sweep and will be trained again\n", tms_store_forced_retrain(*store), a->out_path);
  } else {
    char mpi_ver[MPI_MAX_LIBRARY_VERSION_STRING] = "";
    int len = 0;
    MPI_Get_library_version(mpi_ver, &len);
    mpi_ver[strcspn(mpi_ver, "\n")] = 0;
    const char *cfg = openblas_get_config();
    tms_store_provenance prov = {tms_version(), tms_git_commit(), mpi_ver, cfg ? cfg : "unknown", blas_threads, size,
                                 tms_kernels_isa(), tms_kernels_blas_core()};
    s = tms_space_check(a->out_path, sweep, err);
    if (s == TMS_OK) s = tms_store_create(store, a->out_path, sweep, &prov, a->force, err);
  }
  if (s != TMS_OK) {
    tms_run_reuse_close(srcs, a->n_reuse);
    tms_lock_release(lock);
    return s;
  }
  /* A failed copy is a runtime error: the points copied so far are committed, the run stops (exit 3). */
  s = tms_run_reuse_copy(srcs, a->n_reuse, *store, sweep, a->quiet, reused, err);
  if (s != TMS_OK) {
    tms_error cerr;
    tms_store_close(*store, &cerr);
    *store = NULL;
    tms_lock_release(lock);
  }
  return s;
}

/* Where point i sits in the grid, as "axis=value ..." */
static void point_where(const tms_sweep *sweep, size_t i, char *where, size_t size) {
  where[0] = 0;
  int r = tms_grid_rank(sweep);
  size_t coords[64];
  if (r > 64) return;
  tms_grid_coords(sweep, i, coords);
  size_t off = 0;
  for (int d = 0; d < r && off < size; d++) {
    const char *sep = d ? " " : "";
    const tms_axis *ax = d < sweep->n_axes ? &sweep->axes[d] : NULL;
    if (ax && !ax->is_zip && ax->params[0].values[coords[d]].is_string)
      off += (size_t)snprintf(where + off, size - off, "%s%s=%s", sep, ax->name, ax->params[0].values[coords[d]].str);
    else if (ax && !ax->is_zip)
      off += (size_t)snprintf(where + off, size - off, "%s%s=%g", sep, ax->name, ax->params[0].values[coords[d]].num);
    else
      off += (size_t)snprintf(where + off, size - off, "%s%s=#%zu", sep, ax ? ax->name : "replicate", coords[d]);
  }
}

static void print_failed(const tms_sweep *sweep, const tms_sched_summary *sum) {
  if (sum->n_failed == 0) return;
  fprintf(stderr, "tms-sweep run: %zu point(s) failed:\n", sum->failed);
  for (size_t k = 0; k < sum->n_failed && k < 20; k++) {
    char where[256];
    point_where(sweep, sum->failed_index[k], where, sizeof where);
    fprintf(stderr, "  point %zu (%s): %s after %d attempt(s)\n", sum->failed_index[k], where,
            tms_status_name((tms_status)sum->failed_error[k]), sum->failed_attempts[k]);
  }
  if (sum->failed > 20) fprintf(stderr, "  ... and %zu more (see /points/status and /points/error)\n", sum->failed - 20);
}

/* Phase 4 on the root: close the file, release the lock, say what happened; returns the exit code. */
static int finish_root(const run_args *a, const tms_sweep *sweep, tms_store *store, tms_lock *lock,
                       const tms_sched_summary *sum, size_t reused, tms_status s, const tms_error *err) {
  if (s != TMS_OK) print_error("error: ", err);
  tms_error cerr;
  memset(&cerr, 0, sizeof cerr);
  if (tms_store_close(store, &cerr) != TMS_OK) {
    print_error("error: ", &cerr);
    if (s == TMS_OK) s = cerr.status;
  }
  tms_lock_release(lock);
  print_failed(sweep, sum);
  if (!a->quiet || s != TMS_OK || sum->interrupted)
  {
    char re[64] = "";
    if (a->n_reuse) snprintf(re, sizeof re, " (%zu reused)", reused);
    fprintf(stderr, "tms-sweep run: %s: %zu done%s, %zu failed, %zu pending, %zu skipped%s\n", a->out_path,
            sum->done, re, sum->failed, sum->pending, sum->skipped,
            sum->interrupted ? " (interrupted: continue with --resume)" : "");
  }
  if (s != TMS_OK) return TMS_EXIT_ERROR;
  if (sum->interrupted || sum->pending > 0 || sum->workers_abandoned) return TMS_EXIT_INCOMPLETE;
  if (sum->failed > 0) return TMS_EXIT_FAILED;
  return TMS_EXIT_OK;
}

/* Phase 2: the lock and the results file (root only), the reused points copied in. Returns -1 to go on, else the
 * exit code, the same on every rank (2 for bad input: a refused --reuse file, an existing or mismatching output). */
static int open_phase(const run_args *a, const tms_sweep *sweep, int rank, int size, int blas_threads,
                      tms_store **store, tms_lock *lock, size_t *reused) {
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status s = TMS_OK;
  int bad_input = 0;
  if (rank == 0) {
    s = open_results(a, sweep, size, blas_threads, store, lock, reused, &bad_input, &err);
    if (s != TMS_OK) print_error("", &err);
  }
  s = agree(s);
  if (MPI_Bcast(&bad_input, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS) bad_input = 0;
  if (s == TMS_OK) return -1;
  int input_problem = bad_input || s == TMS_ERR_EXISTS || s == TMS_ERR_MISMATCH || s == TMS_ERR_SCHEMA ||
                      s == TMS_ERR_LOCKED || (s == TMS_ERR_IO && a->resume);
  return input_problem ? TMS_EXIT_USAGE : TMS_EXIT_ERROR;
}

/* Phase 1 on every rank: the command line and the sweep. Returns -1 to go on, else the exit code. */
static int start(run_args *a, int argc, char **argv, int rank, tms_sweep *sweep) {
  char msg[256] = "";
  if (parse_args(a, argc, argv, msg, sizeof msg) != 0) {
    if (rank == 0) {
      fprintf(stderr, "tms-sweep run: %s\n\n", msg);
      run_usage(stderr);
    }
    return TMS_EXIT_USAGE;
  }
  if (a->help) {
    if (rank == 0) run_usage(stdout);
    return TMS_EXIT_OK;
  }
  /* Nothing is created or opened for writing before the input passed. */
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status s = load_sweep(sweep, a->sweep_path, rank, &err);
  if (s != TMS_OK) {
    if (rank == 0) print_error("", &err);
    tms_sweep_free(sweep);
    return s == TMS_ERR_MPI || s == TMS_ERR_NOMEM ? TMS_EXIT_ERROR : TMS_EXIT_USAGE;
  }
  return -1;
}

/* The signal handlers go in before MPI's start-up (seconds under a sanitizer or on a busy node): a SIGUSR1/SIGTERM
 * forwarded by the launcher in that window stops the run (exit 75) instead of killing the rank. */
int tms_cmd_run(int argc, char **argv) {
  int provided = 0, rank = 0, size = 1;
  tms_signals_install_early();
  if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    fprintf(stderr, "tms-sweep run: MPI_Init_thread failed\n");
    return TMS_EXIT_ERROR;
  }
  /* Errors return (the scheduler sets the same on its own communicator): an MPI failure becomes exit 3. */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  run_args a;
  tms_sweep sweep;
  memset(&sweep, 0, sizeof sweep);
  int early = start(&a, argc, argv, rank, &sweep);
  if (early >= 0) return finish(early);
  {
    tms_error ierr;
    memset(&ierr, 0, sizeof ierr);
    if (tms_isa_select(&ierr) != TMS_OK) { /* every rank: TMS_ISA must name a path this CPU has */
      fprintf(stderr, "tms-sweep run: rank %d: %s: %s\n", rank, ierr.key, ierr.msg);
      tms_sweep_free(&sweep);
      return finish(TMS_EXIT_USAGE);
    }
  }

  /* One BLAS thread per rank unless the user asked for more: the products are small, and ranks fill the cores. */
  if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
  int blas_threads = openblas_get_num_threads();
  if (rank == 0 && size > 1 && blas_threads > 1)
    fprintf(stderr,
            "tms-sweep run: warning: OPENBLAS_NUM_THREADS=%d with %d ranks oversubscribes the cores; "
            "leave it unset (tms-sweep then uses 1) or set it to 1\n",
            blas_threads, size);
  tms_signals_set_grace(sweep.run.stop_grace_s);

  /* Phase 2: the lock and the results file (root only). */
  tms_store *store = NULL;
  tms_lock lock;
  memset(&lock, 0, sizeof lock);
  size_t reused = 0;
  int opened = open_phase(&a, &sweep, rank, size, blas_threads, &store, &lock, &reused);
  if (opened >= 0) {
    tms_sweep_free(&sweep);
    return finish(opened);
  }
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status s;

  /* Phase 3: the sweep. The root's path and core (what the file records; workers on other nodes may differ). */
  if (rank == 0 && !a.quiet) tms_print_paths_line("tms-sweep run", size > 1 ? " on rank 0" : "");
  progress_ctx pc;
  memset(&pc, 0, sizeof pc);
  snprintf(pc.path, sizeof pc.path, "%s.progress", a.out_path);
  pc.quiet = a.quiet;
  tms_sched_options opt = {on_progress, &pc};
  tms_sched_summary sum;
  s = tms_sched_run(MPI_COMM_WORLD, &sweep, store, &opt, &sum, &err);

  int code = TMS_EXIT_OK;
  if (rank == 0) {
    code = finish_root(&a, &sweep, store, &lock, &sum, reused, s, &err);
    if (sum.workers_abandoned) {
      fprintf(stderr, "tms-sweep run: some ranks did not stop within run.stop_grace_s; aborting them "
                      "(the file is closed and consistent)\n");
      tms_sched_summary_free(&sum);
      tms_sweep_free(&sweep);
      MPI_Abort(MPI_COMM_WORLD, TMS_EXIT_INCOMPLETE);
      return TMS_EXIT_INCOMPLETE;
    }
  }
  tms_sched_summary_free(&sum);
  if (MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS) code = TMS_EXIT_ERROR;
  tms_sweep_free(&sweep);
  return finish(code);
}
