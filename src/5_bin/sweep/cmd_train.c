/* cmd_train: `tms-sweep train`, one model from command-line flags, for trying a point before sweeping it.
 * The flags are generated from the parameter registry (one per parameter, underscores -> dashes), so they can never
 * drift from the sweep-file keys; --help lists every one with its default. Prints progress to stderr (every ~2 s),
 * then the eval loss and a per-feature table to stdout; --out writes an ordinary results file of one point
 * (train_out.c), which tms-post and the analysis scripts read. Not MPI: this command never initialises MPI. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "metrics/metrics.h"
#include "core/spec.h"
#include "isa/isa.h"
#include "paths_line.h"
#include "trainer/trainer.h"
#include "train_out.h"

static volatile sig_atomic_t train_stop;
static void on_signal(int sig) {
  (void)sig;
  train_stop = 1;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* "n_features" -> "--n-features" */
static void flag_of(const char *key, char *out, size_t size) {
  snprintf(out, size, "--%s", key);
  for (char *c = out + 2; *c; c++)
    if (*c == '_') *c = '-';
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: tms-sweep train --n-features N --n-hidden M (--density P | --sparsity S) [flags]\n"
          "Trains one model and prints its eval loss and a per-feature table (norm, interference s_i,\n"
          "dimensionality D_i, phase class, geometry). Every sweep-file key is a flag (underscores -> dashes).\n\n");
  for (int i = 0; i < tms_param_count(); i++) {
    const tms_param_info *p = tms_param_at(i);
    char flag[80], arg[160] = "";
    flag_of(p->key, flag, sizeof flag);
    if (p->kind == TMS_PARAM_ENUM) {
      for (int c = 0; p->choices[c]; c++) {
        strncat(arg, c ? "|" : "", sizeof arg - strlen(arg) - 1);
        strncat(arg, p->choices[c], sizeof arg - strlen(arg) - 1);
      }
    } else {
      snprintf(arg, sizeof arg, "%s", p->kind == TMS_PARAM_INT ? "INT" : "REAL");
    }
    fprintf(out, "  %s %s\n      %s (default: %s)\n", flag, arg, p->help, p->default_text);
  }
  fprintf(out,
          "  --seed INT\n      seed of the model's init, data and eval streams (default: 0)\n"
          "  --out FILE.h5\n      write a results file of one point (schema tms-results/1, as tms-sweep run writes;\n"
          "      tms-post reads it; overwrites)\n"
          "  --quiet\n      no progress lines on stderr\n"
          "  --help\n      this text\n\n"
          "exit codes: 0 trained, 1 training diverged, 2 bad flags, 3 runtime error (memory, file),\n"
          "            75 interrupted by a signal\n");
}

/* Parses one value for registry parameter p into v; words for enums, numbers otherwise. */
static int parse_value(const tms_param_info *p, const char *text, tms_value *v, const char *flag) {
  memset(v, 0, sizeof *v);
  if (p->kind == TMS_PARAM_ENUM) {
    if (strlen(text) >= sizeof v->str) {
      fprintf(stderr, "tms-sweep train: %s: '%s' is too long to be a valid choice\n", flag, text);
      return 0;
    }
    v->is_string = 1;
    snprintf(v->str, sizeof v->str, "%s", text);
    return 1;
  }
  char *end = NULL;
  errno = 0;
  v->num = strtod(text, &end);
  if (end == text || *end != '\0' || errno == ERANGE) {
    fprintf(stderr, "tms-sweep train: %s: expected a number, got '%s'\n", flag, text);
    return 0;
  }
  return 1;
}

typedef struct {
  int quiet;
  double t0, last;
} progress_state;

static void on_progress(void *ctx, long step, long steps, double loss) {
  progress_state *ps = ctx;
  const double t = now_s();
  if (ps->quiet || t - ps->last < 2.0) return;
  ps->last = t;
  fprintf(stderr, "  step %ld/%ld  loss %.6g  (%.1f s)\n", step, steps, loss, t - ps->t0);
}

static void print_table(const tms_train_output *o) {
  const tms_spec *s = o->spec;
  printf("final loss (evaluation set of this data law, %d samples, mean over batch and features): %.6g +- %.2g"
         " (%.2f%%)\n", s->eval_batch, o->res->final_loss, o->res->loss_se,
         100.0 * o->res->loss_se / o->res->final_loss);
  printf("  (sum over features: %.6g; %ld steps in %.2f s, of which evaluation %.2f s)\n",
         o->res->final_loss * s->n_features, o->res->steps_done, o->res->wall_s, o->res->eval_s);
  printf("%4s %10s %9s %9s %9s %8s %9s  %-16s %s\n", "i", "importance", "density", "||W_i||", "s_i", "D_i", "b_i",
         "class", "geometry");
  for (int i = 0; i < s->n_features; i++) {
    const double norm = o->norm[i], D = o->dimensionality[i];
    printf("%4d %10.4g %9.4g %9.4f %9.4f %8.4f %9.4f  %-16s %s\n", i, o->importance[i], o->density[i], norm,
           o->interference[i], D, o->res->b[i], tms_phase_name(tms_metric_phase(norm * norm, D)),
           tms_metric_geometry(D, 0.02));
  }
  printf("D* = %.4f dimensions per feature (%.3g features per dimension)\n", o->dstar,
         o->dstar > 0 ? 1.0 / o->dstar : INFINITY);
}

/* What the command line asks for. */
typedef struct {
  tms_spec spec;
  const char *out_path;
  int quiet, have_density, have_sparsity;
} train_args;

/* --seed VALUE: a non-negative integer. Returns -1 to go on, else the exit code. */
static int parse_seed(train_args *t, const char *value) {
  char *end = NULL;
  errno = 0;
  unsigned long long seed = strtoull(value, &end, 10);
  if (end == value || *end != '\0' || errno == ERANGE || value[0] == '-') {
    fprintf(stderr, "tms-sweep train: --seed: expected a non-negative integer, got '%s'\n", value);
    return TMS_EXIT_USAGE;
  }
  t->spec.seed = (uint64_t)seed;
  return -1;
}

/* A registry flag (--n-features 5) set into the spec. Returns -1 to go on, else the exit code. */
static int parse_param(train_args *t, const char *name, const char *value) {
  char key[80];
  tms_error err;
  snprintf(key, sizeof key, "%s", name + 2);
  for (char *c = key; *c; c++)
    if (*c == '-') *c = '_';
  const tms_param_info *p = tms_param_find(key);
  if (!p) {
    fprintf(stderr, "tms-sweep train: unknown flag '%s' (see tms-sweep train --help)\n", name);
    return TMS_EXIT_USAGE;
  }
  tms_value v;
  if (!parse_value(p, value, &v, name)) return TMS_EXIT_USAGE;
  if (tms_spec_set(&t->spec, key, &v, &err) != TMS_OK) {
    fprintf(stderr, "tms-sweep train: %s: %s\n", name, err.msg);
    return TMS_EXIT_USAGE;
  }
  t->have_density |= strcmp(key, "density") == 0;
  t->have_sparsity |= strcmp(key, "sparsity") == 0;
  return -1;
}

/* The argument at argv[*a] (--flag VALUE or --flag=VALUE, --quiet, --help). Returns -1 to go on, else the exit code
 * (0 after --help). */
static int parse_arg(train_args *t, int argc, char **argv, int *a) {
  const char *arg = argv[*a];
  if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
    usage(stdout);
    return TMS_EXIT_OK;
  }
  if (strcmp(arg, "--quiet") == 0) return t->quiet = 1, -1;
  if (strncmp(arg, "--", 2) != 0) {
    fprintf(stderr, "tms-sweep train: unexpected argument '%s' (see tms-sweep train --help)\n", arg);
    return TMS_EXIT_USAGE;
  }
  char name[80];
  const char *eq = strchr(arg, '=');
  const size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
  if (name_len >= sizeof name) {
    fprintf(stderr, "tms-sweep train: unknown flag '%s'\n", arg);
    return TMS_EXIT_USAGE;
  }
  memcpy(name, arg, name_len);
  name[name_len] = '\0';
  const char *value = eq ? eq + 1 : (*a + 1 < argc ? argv[++*a] : NULL);
  if (!value) {
    fprintf(stderr, "tms-sweep train: %s needs a value\n", name);
    return TMS_EXIT_USAGE;
  }
  if (strcmp(name, "--out") == 0) return t->out_path = value, -1;
  if (strcmp(name, "--seed") == 0) return parse_seed(t, value);
  return parse_param(t, name, value);
}

/* The whole command line, then the spec's own validation. Returns -1 to go on, else the exit code. */
static int parse_args(train_args *t, int argc, char **argv) {
  memset(t, 0, sizeof *t);
  tms_spec_defaults(&t->spec);
  for (int a = 1; a < argc; a++) {
    int code = parse_arg(t, argc, argv, &a);
    if (code >= 0) return code;
  }
  if (t->have_density && t->have_sparsity) {
    fprintf(stderr, "tms-sweep train: --density and --sparsity are the same setting (density = 1 - S); give one\n");
    return TMS_EXIT_USAGE;
  }
  tms_error err;
  memset(&err, 0, sizeof err);
  if (tms_spec_validate(&t->spec, &err) != TMS_OK) {
    char flag[80] = "";
    if (err.key[0]) flag_of(err.key, flag, sizeof flag);
    fprintf(stderr, "tms-sweep train: %s%s%s\n", flag, flag[0] ? ": " : "", err.msg);
    return TMS_EXIT_USAGE;
  }
  return -1;
}

/* Everything one run needs, allocated before training: the result arrays and the per-feature metrics. */
typedef struct {
  float *fbuf, *importance, *density;
  double *dbuf; /* norm, interference, dimensionality: n each */
  tms_train_result res;
} train_bufs;

static int bufs_init(train_bufs *B, const tms_spec *spec) {
  const int n = spec->n_features, m = spec->n_hidden;
  const size_t nm = (size_t)n * (size_t)m, curve_len = tms_spec_curve_len(spec);
  const size_t snaps = tms_spec_snapshot_len(spec), evals = tms_spec_eval_len(spec);
  memset(B, 0, sizeof *B);
  B->fbuf = calloc(2 * nm + 3 * (size_t)n + curve_len + snaps * nm + evals, sizeof *B->fbuf);
  B->dbuf = calloc(3 * (size_t)n, sizeof *B->dbuf);
  if (!B->fbuf || !B->dbuf) return -1;
  float *f = B->fbuf;
  B->res = (tms_train_result){.W = f, .W2 = f + nm, .b = f + 2 * nm, .loss_curve = f + 2 * nm + n};
  B->importance = f + 2 * nm + n + curve_len;
  B->density = B->importance + n;
  B->res.W_history = snaps > 0 ? B->density + n : NULL;
  B->res.eval_curve = evals > 0 ? B->density + n + snaps * nm : NULL;
  tms_spec_profile(spec, B->importance, B->density);
  return 0;
}

static void bufs_free(train_bufs *B) {
  free(B->fbuf);
  free(B->dbuf);
}

/* Trains with progress lines, stoppable by SIGINT/SIGTERM (then the run ends as interrupted). */
static tms_status train(const train_args *t, train_bufs *B, tms_error *err) {
  tms_value vv;
  tms_spec_get(&t->spec, "variant", &vv);
  const tms_spec *s = &t->spec;
  if (!t->quiet) {
    tms_print_paths_line("tms-sweep train", "");
    fprintf(stderr, "tms-sweep train: %s n=%d m=%d density=%g %s lr=%g steps=%ld batch=%d seed=%llu\n", vv.str,
            s->n_features, s->n_hidden, s->density, s->optimizer == TMS_ADAMW ? "adamw" : "adam", s->lr, s->steps,
            s->batch_size, (unsigned long long)s->seed);
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  progress_state ps = {t->quiet, now_s(), now_s()};
  tms_train_control ctl = {.stop = &train_stop, .timeout_s = 0};
  tms_status st = tms_train_observed(s, &B->res, &ctl, on_progress, &ps, err);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  return st;
}

/* The per-feature metrics of the trained W (NaN when W is not finite), the table or the error, --out; the exit
 * code. */
static int report(const train_args *t, train_bufs *B, tms_status st, const tms_error *err) {
  const int n = t->spec.n_features, m = t->spec.n_hidden;
  double *d = B->dbuf;
  tms_train_output o = {&t->spec, &B->res, st, B->importance, B->density, d, d + n, d + 2 * n, NAN};
  int finite = 1;
  for (size_t i = 0; i < (size_t)n * (size_t)m; i++) finite &= isfinite(B->res.W[i]) != 0;
  if (finite && tms_metric_point(d, d + n, d + 2 * n, &o.dstar, B->res.W, n, m) != TMS_OK) finite = 0;
  if (!finite)
    for (size_t i = 0; i < 3 * (size_t)n; i++) d[i] = NAN;
  int code = TMS_EXIT_OK;
  char msg[1024];
  if (st == TMS_OK) {
    print_table(&o);
  } else {
    tms_error_format(err, msg, sizeof msg);
    fprintf(stderr, "tms-sweep train: %s: %s\n", tms_status_message(st), msg);
    code = st == TMS_ERR_DIVERGED                              ? TMS_EXIT_FAILED
           : st == TMS_ERR_INTERRUPTED || st == TMS_ERR_TIMEOUT ? TMS_EXIT_INCOMPLETE
                                                                 : TMS_EXIT_ERROR;
  }
  if (t->out_path && (st == TMS_OK || st == TMS_ERR_DIVERGED)) {
    tms_error werr;
    tms_status ws = tms_train_write_results(t->out_path, &o, &werr);
    if (ws == TMS_OK) {
      if (!t->quiet) fprintf(stderr, "tms-sweep train: wrote %s (a results file of one point)\n", t->out_path);
    } else {
      tms_error_format(&werr, msg, sizeof msg);
      fprintf(stderr, "tms-sweep train: %s: %s\n", tms_status_name(ws), msg);
      code = TMS_EXIT_ERROR;
    }
  }
  return code;
}

int tms_cmd_train(int argc, char **argv) {
  train_args t;
  int code = parse_args(&t, argc, argv);
  if (code >= 0) return code;
  train_bufs B;
  if (bufs_init(&B, &t.spec) < 0) {
    bufs_free(&B);
    fprintf(stderr, "tms-sweep train: out of memory for n=%d, m=%d\n", t.spec.n_features, t.spec.n_hidden);
    return TMS_EXIT_ERROR;
  }
  tms_error err;
  memset(&err, 0, sizeof err);
  if (tms_isa_select(&err) != TMS_OK) {
    bufs_free(&B);
    fprintf(stderr, "tms-sweep train: %s: %s\n", err.key, err.msg);
    return TMS_EXIT_USAGE;
  }
  tms_status st = train(&t, &B, &err);
  code = report(&t, &B, st, &err);
  bufs_free(&B);
  return code;
}
