/* tms-post: the command-line entry point of the post-processing: a results file -> a post file (+ CSV), or the
 * closed-form phase diagram (`tms-post theory`). Serial: never initialises MPI (the parallel HDF5 library works on
 * default property lists without it). Only this file prints and picks exit codes. */
#define _POSIX_C_SOURCE 200809L /* mkdir, stat */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h> /* sysconf */

#include "core/version.h"
#include "post/post.h"
#include "post/theory.h"

enum { EXIT_OK = 0, EXIT_USAGE = 2, EXIT_IO = 3 };

int tms_post_cmd_check(int argc, char **argv);  /* cmd_check.c */
int tms_post_cmd_layout(int argc, char **argv); /* cmd_layout.c */

static void usage(FILE *out) {
  fprintf(out,
          "tms-post %s (%s): derived products of a tms results file\n"
          "\n"
          "usage:\n"
          "  tms-post RESULTS.h5 -o POST.h5 [--csv DIR] [--feature I] [--drop-worst] [--attack-batch N]\n"
          "           [--attack-budget L] [--no-vulnerability] [--threads N] [--force] [--verbose]\n"
          "  tms-post theory --n N --m M --importance-logspace START STOP NUM --density-logspace START STOP NUM\n"
          "           -o THEORY.h5 [--csv DIR] [--force]\n"
          "  tms-post check RESULTS.h5 [--experiment eN] [--quiet]\n"
          "  tms-post layout --json | --markdown results|post\n"
          "  tms-post --help | --version\n"
          "\n"
          "products (RESULTS.h5 must have schema tms-results/1; POST.h5 gets schema tms-post/1):\n"
          "  /phase/class_per_seed  class of the classified feature per point: 0 not represented (||W_x||^2 < 0.5),\n"
          "                         1 dedicated (D_x >= 0.75), 2 superposition, -1 no data (status != done)\n"
          "  /phase/fraction        class fractions per cell (grid without replicate), /phase/class the majority\n"
          "                         (ties: the class holding the lowest-loss seed), /phase/seeds_used\n"
          "  /phase/theory_class    closed form O4/O5 for relu_out n=2,m=1 and n=3,m=2 cells, with attributes\n"
          "                         agreement, agreement_away_from_boundary (cells whose neighbours, 8 in 2-D, of\n"
          "                         the same n, m share their theory class), agreement_cells(_away), pooled; and\n"
          "                         per size (n, m) size_* for the majority and the lowest-loss seed; printed\n"
          "                         per size. /phase/best_class, /phase/away_from_boundary per cell\n"
          "                         Cells exactly on a boundary (a tie, e.g. r = 1) get -1 and are not compared\n"
          "  /summary/              loss_best, loss_mean, dstar_mean, best_replicate per cell (all done seeds);\n"
          "                         dstar, represented (# ||W_i|| > 0.5), total_interference (sum of s_i over represented features) per point\n"
          "  /features/             geometry (index into attribute names; tol 0.02; -1 other/none), norm,\n"
          "                         interference, dimensionality per point and feature\n"
          "  /vulnerability/        value (batch argmax), per_example: linear and relu_out points only, NaN\n"
          "                         otherwise; per_example_absolute (with --attack-budget); features_per_dim\n"
          "                         (1/D*) for every done point\n"
          "  /neurons/              polysemantic, features_per_neuron (relu_hidden, abs); W1_scaled, W2_scaled (abs)\n"
          "  /axes/                 copied from the results file\n"
          "  root attributes        schema, source, source_config_hash, grid_shape and dim_names (without replicate),\n"
          "                         feature (-1 when 'last' differs between points), feature_rule, tool_version\n"
          "\n"
          "options:\n"
          "  -o, --output FILE      output file (required)\n"
          "  --csv DIR              also write DIR/phase.csv (per cell), summary.csv (per point), features.csv\n"
          "                         (per point and feature); DIR is created if missing. Default: no CSV\n"
          "  --feature I            feature to classify (0-based). Default: the last feature of each point\n"
          "  --drop-worst           drop each cell's highest-loss done seed before the fractions (as the paper),\n"
          "                         if the cell has at least 2 done seeds. Default: off\n"
          "  --attack-batch N       samples per vulnerability evaluation. Default: 65536\n"
          "  --attack-budget L      also attack each example with the absolute L2 norm L (input units) instead of\n"
          "                         0.1 E||x|| (/vulnerability/per_example_absolute; doubles the attack's cost).\n"
          "                         Default: not computed (NaN); `check` uses 0.1 for e7\n"
          "  --threads N            threads of the per-point and per-cell stages (the attack, metrics, classes,\n"
          "                         theory); the products do not depend on N. Default: every online core\n"
          "                         (cost: n+1 forward passes of N samples per point; on large phase sweeps\n"
          "                         use a smaller N or --no-vulnerability)\n"
          "  --no-vulnerability     skip the attack (/vulnerability/value, per_example all NaN). Default: computed\n"
          "  --force                overwrite an existing output file. Default: refuse\n"
          "  --verbose              print the time of every stage: wall clock, CPU on one thread, CPU and wall\n"
          "                         clock in the parallel loops, and the time on 16 threads computed from them\n"
          "  theory: --n, --m       2 1 (O4) or 3 2 (O5), required; importances (1, r) or (1, 1, r)\n"
          "  --importance-logspace START STOP NUM   r = 10^linspace(START, STOP, NUM) (endpoints included)\n"
          "  --density-logspace START STOP NUM      p = 10^linspace(START, STOP, NUM), each in (0, 1]\n"
          "  theory writes /phase/class on (last_importance, density) and /axes (ties on a boundary go to the\n"
          "  less represented class); --csv DIR gives DIR/phase.csv\n"
          "\n"
          "check: the quantitative must-show items of the file's experiment (e0..e9, from the sweep name, e.g.\n"
          "  e3-uniform-quick -> e3, or --experiment), one line each: PASS/FAIL/INFO, what is measured, the value\n"
          "  of the lowest-loss seed of the cell [the range over its seeds], the threshold. --quiet prints only\n"
          "  failures and the summary. Exit 1 when an item fails. The items and thresholds: analysis/SCIENCE.md\n"
          "\n"
          "layout: the schema's tables of both files (every dataset with type, shape and meaning, every attribute):\n"
          "  --json (what analysis/tms_layout.json holds) or --markdown (the tables of sweeps/*-layout.md)\n"
          "\n"
          "exit codes: 0 done, 1 check: an item failed, 2 bad usage or the file lacks data a product needs (wrong schema, missing dataset,\n"
          "            output exists), 3 I/O or HDF5 error\n",
          tms_version(), tms_git_commit());
}

static int exit_code(tms_status st) {
  switch (st) {
    case TMS_OK: return EXIT_OK;
    case TMS_ERR_USAGE:
    case TMS_ERR_SCHEMA:
    case TMS_ERR_MISSING:
    case TMS_ERR_EXISTS:
    case TMS_ERR_CONFIG: return EXIT_USAGE;
    default: return EXIT_IO;
  }
}

static int fail(const tms_error *err) {
  char buf[1024];
  tms_error_format(err, buf, sizeof buf);
  fprintf(stderr, "tms-post: %s: %s\n", tms_status_name(err->status), buf);
  return exit_code(err->status);
}

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "tms-post: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(see tms-post --help)\n");
  return EXIT_USAGE;
}

static int parse_double(const char *s, double *out) {
  char *end;
  errno = 0;
  *out = strtod(s, &end);
  return s[0] && *end == '\0' && errno == 0 && isfinite(*out);
}

static int parse_int(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  *out = strtol(s, &end, 10);
  return s[0] && *end == '\0' && errno == 0 && *out >= lo && *out <= hi;
}

static int ensure_dir(const char *dir) {
  struct stat sb;
  if (stat(dir, &sb) == 0) return S_ISDIR(sb.st_mode);
  return mkdir(dir, 0777) == 0;
}

/* 10^linspace(start, stop, num) from argv[i+1..i+3]. */
static double *logspace_arg(char **argv, int argc, int i, size_t *num, const char *flag, int *code) {
  double a, b;
  long k;
  if (i + 3 >= argc) {
    *code = usage_error("%s needs START STOP NUM", flag);
    return NULL;
  }
  if (!parse_double(argv[i + 1], &a) || !parse_double(argv[i + 2], &b) || !parse_int(argv[i + 3], 1, 100000000, &k)) {
    *code = usage_error("%s: START and STOP must be numbers and NUM an integer >= 1", flag);
    return NULL;
  }
  double *v = malloc((size_t)k * sizeof *v);
  if (!v) {
    *code = EXIT_IO;
    return NULL;
  }
  for (long j = 0; j < k; j++) v[j] = pow(10.0, k == 1 ? a : a + (b - a) * (double)j / (double)(k - 1));
  *num = (size_t)k;
  return v;
}

static int cmd_theory(int argc, char **argv) {
  long n = 0, m = 0;
  double *imp = NULL, *dens = NULL;
  size_t ni = 0, nd = 0;
  const char *out = NULL, *csv = NULL;
  int force = 0, code = EXIT_OK;
  for (int i = 1; i < argc && code == EXIT_OK; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      free(imp);
      free(dens);
      return EXIT_OK;
    } else if (strcmp(a, "--n") == 0 && i + 1 < argc) {
      if (!parse_int(argv[++i], 1, 1000000, &n)) code = usage_error("--n: not a positive integer: '%s'", argv[i]);
    } else if (strcmp(a, "--m") == 0 && i + 1 < argc) {
      if (!parse_int(argv[++i], 1, 1000000, &m)) code = usage_error("--m: not a positive integer: '%s'", argv[i]);
    } else if (strcmp(a, "--importance-logspace") == 0) {
      free(imp);
      imp = logspace_arg(argv, argc, i, &ni, a, &code);
      i += 3;
    } else if (strcmp(a, "--density-logspace") == 0) {
      free(dens);
      dens = logspace_arg(argv, argc, i, &nd, a, &code);
      i += 3;
    } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
      out = argv[++i];
    } else if (strcmp(a, "--csv") == 0 && i + 1 < argc) {
      csv = argv[++i];
    } else if (strcmp(a, "--force") == 0) {
      force = 1;
    } else {
      code = usage_error("theory: unknown or incomplete argument '%s'", a);
    }
  }
  if (code == EXIT_OK && (!n || !m)) code = usage_error("theory: --n and --m are required%s", "");
  if (code == EXIT_OK && !imp) code = usage_error("theory: --importance-logspace is required%s", "");
  if (code == EXIT_OK && !dens) code = usage_error("theory: --density-logspace is required%s", "");
  if (code == EXIT_OK && !out) code = usage_error("theory: -o THEORY.h5 is required%s", "");
  if (code == EXIT_OK && csv && !ensure_dir(csv)) code = usage_error("cannot create the CSV directory '%s'", csv);
  if (code == EXIT_OK) {
    tms_error err;
    tms_status st = tms_theory_write_file(out, (int)n, (int)m, imp, ni, dens, nd, force, csv, &err);
    if (st != TMS_OK) code = fail(&err);
    else printf("tms-post: wrote %s: theory %s (n=%ld, m=%ld) on %zu x %zu cells\n", out, n == 2 ? "O4" : "O5", n, m,
                ni, nd);
  }
  free(imp);
  free(dens);
  return code;
}

/* The stage times of --verbose, and the time on T threads they imply: the serial CPU plus the parallel loops' CPU
 * shared by T threads (what the loops reach when their chunks balance; bench/README.md checks it at 1 and 2). */
static void print_timing(const tms_post_timing *t, int threads) {
  printf("tms-post: stage times on %d thread(s), seconds: wall | serial CPU | parallel CPU (wall) [threads]\n", threads);
  double wall = 0, serial = 0, par = 0;
  for (int s = 0; s < TMS_POST_STAGES; s++) {
    if (t->wall_s[s] <= 0) continue;
    printf("tms-post:   %-14s %8.3f | %8.3f | %8.3f (%.3f) [%d]\n", tms_post_stage_name((tms_post_stage)s), t->wall_s[s],
           t->serial_cpu_s[s], t->par_cpu_s[s], t->par_wall_s[s], t->threads[s]);
    wall += t->wall_s[s], serial += t->serial_cpu_s[s], par += t->par_cpu_s[s];
  }
  printf("tms-post:   %-14s %8.3f | %8.3f | %8.3f\n", "total", wall, serial, par);
  static const int at[] = {1, 2, 4, 8, 16, 32};
  printf("tms-post: computed (serial CPU + parallel CPU / T), seconds:");
  for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) printf(" T=%d %.1f", at[k], serial + par / at[k]);
  printf("\n");
}

/* The theory agreement per model size: the two classes (majority, lowest-loss seed), two cell sets. */
static void print_agreement(const tms_post_products *pp) {
  for (int q = 0; pp->theory_class && q < pp->sizes; q++) {
    const tms_post_size_agreement *e = &pp->by_size[q];
    printf("tms-post: n=%d m=%d theory agreement: majority of seeds %.4f over %zu cells (away from boundaries "
           "%.4f over %zu); lowest-loss seed %.4f over %zu (away %.4f over %zu)\n", e->n, e->m, e->agreement[0],
           e->cells[0], e->agreement_away[0], e->cells_away[0], e->agreement[1], e->cells[1], e->agreement_away[1],
           e->cells_away[1]);
  }
}

static int cmd_post(int argc, char **argv) {
  tms_post_options opt;
  tms_post_options_default(&opt);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  opt.threads = cpus < 1 ? 1 : cpus > 256 ? 256 : (int)cpus; /* the attack's threads: every core by default */
  const char *in = NULL, *out = NULL, *csv = NULL;
  int verbose = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    long v;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return EXIT_OK;
    } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
      out = argv[++i];
    } else if (strcmp(a, "--csv") == 0 && i + 1 < argc) {
      csv = argv[++i];
    } else if (strcmp(a, "--feature") == 0 && i + 1 < argc) {
      if (!parse_int(argv[++i], 0, 100000000, &v)) return usage_error("--feature: not an index >= 0: '%s'", argv[i]);
      opt.feature = (int)v;
    } else if (strcmp(a, "--attack-batch") == 0 && i + 1 < argc) {
      if (!parse_int(argv[++i], 1, 100000000, &v)) return usage_error("--attack-batch: not a count >= 1: '%s'", argv[i]);
      opt.attack_batch = (int)v;
    } else if (strcmp(a, "--attack-budget") == 0 && i + 1 < argc) {
      double b;
      if (!parse_double(argv[++i], &b) || !(b > 0) || !isfinite(b))
        return usage_error("--attack-budget: not a norm > 0: '%s'", argv[i]);
      opt.attack_budget = b;
    } else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
      if (!parse_int(argv[++i], 1, 256, &v)) return usage_error("--threads: not a count in 1..256: '%s'", argv[i]);
      opt.threads = (int)v;
    } else if (strcmp(a, "--drop-worst") == 0) {
      opt.drop_worst = 1;
    } else if (strcmp(a, "--no-vulnerability") == 0) {
      opt.no_vulnerability = 1;
    } else if (strcmp(a, "--force") == 0) {
      opt.force = 1;
    } else if (strcmp(a, "--verbose") == 0) {
      verbose = 1;
    } else if (a[0] == '-' && a[1]) {
      return usage_error("unknown or incomplete option '%s'", a);
    } else if (!in) {
      in = a;
    } else {
      return usage_error("more than one results file ('%s')", a);
    }
  }
  if (!in) return usage_error("no results file given%s", "");
  if (!out) return usage_error("-o POST.h5 is required%s", "");
  if (strcmp(in, out) == 0) return usage_error("the output must not be the results file ('%s')", out);
  if (csv && !ensure_dir(csv)) return usage_error("cannot create the CSV directory '%s'", csv);

  tms_error err;
  tms_post_results res;
  tms_post_timing timing;
  tms_post_timing_init(&timing);
  opt.timing = &timing;
  tms_post_timing_begin(&timing, TMS_POST_STAGE_READ);
  tms_status st = tms_post_results_read(&res, in, &err);
  tms_post_timing_end(&timing);
  if (st != TMS_OK) return fail(&err);
  tms_post_products pp;
  st = tms_post_compute(&pp, &res, &opt, &err);
  tms_post_timing_begin(&timing, TMS_POST_STAGE_WRITE);
  if (st == TMS_OK) st = tms_post_write(out, &res, &pp, opt.force, &err);
  tms_post_timing_begin(&timing, TMS_POST_STAGE_CSV);
  if (st == TMS_OK && csv) st = tms_post_write_csv(csv, &res, &pp, &err);
  tms_post_timing_end(&timing);
  if (st == TMS_OK && verbose) print_timing(&timing, opt.threads);
  if (st == TMS_OK) {
    size_t done = 0;
    for (size_t p = 0; p < res.points; p++) done += tms_point_done(res.status[p]);
    printf("tms-post: wrote %s: %zu cells x %zu replicates, %zu of %zu points done\n", out, res.cells,
           res.replicates, done, res.points);
    print_agreement(&pp);
  }
  tms_post_products_free(&pp);
  tms_post_results_free(&res);
  return st == TMS_OK ? EXIT_OK : fail(&err);
}

int main(int argc, char **argv) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported once, by us, with the dataset named */
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("tms-post %s (%s)\n", tms_version(), tms_git_commit());
    return EXIT_OK;
  }
  if (strcmp(argv[1], "theory") == 0) return cmd_theory(argc - 1, argv + 1);
  if (strcmp(argv[1], "check") == 0) return tms_post_cmd_check(argc - 1, argv + 1);
  if (strcmp(argv[1], "layout") == 0) return tms_post_cmd_layout(argc - 1, argv + 1);
  return cmd_post(argc, argv);
}
