/* cmd_check: `tms-post check RESULTS.h5 [--experiment eN] [--quiet]`: the must-show items of the file's experiment
 * (post/check.h), one line each: verdict, what is measured, value [spread over seeds], threshold.
 * Exit 0 when every judged item passes, 1 when one fails, 2 bad usage or a file without the data, 3 I/O. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h> /* sysconf */

#include "post/check.h"
#include "post/post.h"

int tms_post_cmd_check(int argc, char **argv);

static void print_line(const tms_check_report *rep, const tms_check_line *l) {
  static const char *verdict[3] = {"PASS", "FAIL", "INFO"};
  char spread[64] = "";
  if (isfinite(l->lo) && isfinite(l->hi) && !(l->lo == l->value && l->hi == l->value))
    snprintf(spread, sizeof spread, " [seeds %.4g .. %.4g]", l->lo, l->hi);
  printf("%s %s  %s: %.4g%s", rep->experiment, verdict[l->verdict], l->what, l->value, spread);
  if (l->want[0]) printf("  (want %s)", l->want);
  printf("\n");
}

static void check_help(void) {
  printf("usage: tms-post check RESULTS.h5 [--experiment eN] [--quiet]\n"
         "\n"
         "The quantitative must-show items of the file's experiment, one line each: PASS/FAIL/INFO, what is\n"
         "measured, the value of the cell's lowest-loss seed [the range over its seeds], the threshold.\n"
         "\n"
         "  --experiment eN   e0 .. e9; default: from the sweep name (e3-uniform-quick -> e3)\n"
         "  --quiet           print only the failed items and the summary line\n"
         "  -h, --help        this text\n"
         "\n"
         "The items and their thresholds: analysis/SCIENCE.md section 5.\n"
         "exit codes: 0 every judged item passed, 1 an item failed, 2 bad usage or the file lacks data an item\n"
         "needs, 3 I/O or HDF5 error\n");
}

static int check_usage(const char *msg, const char *arg) {
  fprintf(stderr, "tms-post check: ");
  fprintf(stderr, msg, arg);
  fprintf(stderr, "\n(see tms-post --help)\n");
  return 2;
}

int tms_post_cmd_check(int argc, char **argv) {
  const char *in = NULL, *exp = NULL;
  int quiet = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      check_help();
      return 0;
    } else if (strcmp(argv[i], "--experiment") == 0 && i + 1 < argc) exp = argv[++i];
    else if (strcmp(argv[i], "--quiet") == 0) quiet = 1;
    else if (argv[i][0] == '-') return check_usage("unknown or incomplete option '%s'", argv[i]);
    else if (!in) in = argv[i];
    else return check_usage("more than one results file ('%s')", argv[i]);
  }
  if (!in) return check_usage("no results file given%s", "");
  tms_error err;
  memset(&err, 0, sizeof err);
  char name[256] = "", which[8] = "";
  if (!exp) {
    if (tms_check_sweep_name(in, name, sizeof name, &err) != TMS_OK || !tms_check_experiment_of(name, which, sizeof which))
      return check_usage("cannot tell the experiment from the sweep name '%s': pass --experiment eN", name);
    exp = which;
  }
  tms_post_results res;
  tms_status st = tms_post_results_read(&res, in, &err);
  tms_post_products pp;
  memset(&pp, 0, sizeof pp);
  tms_post_options opt;
  tms_post_options_default(&opt);
  opt.no_vulnerability = strcmp(exp, "e7") != 0; /* the attack is only needed by E7 */
  if (!opt.no_vulnerability) opt.attack_budget = TMS_POST_ATTACK_BUDGET; /* E7 reports the absolute budget too */
  opt.drop_worst = strcmp(exp, "e2") == 0;       /* E2's majority is the paper's: worst seed of a cell dropped */
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);      /* every core, as tms-post itself (same products on any count) */
  opt.threads = cpus < 1 ? 1 : cpus > 256 ? 256 : (int)cpus;
  if (st == TMS_OK) st = tms_post_compute(&pp, &res, &opt, &err);
  static tms_check_report rep;
  if (st == TMS_OK) st = tms_post_check(&rep, exp, &res, &pp, &err);
  tms_post_products_free(&pp);
  tms_post_results_free(&res);
  if (st != TMS_OK) {
    char buf[1024];
    tms_error_format(&err, buf, sizeof buf);
    fprintf(stderr, "tms-post check: %s: %s\n", tms_status_name(err.status), buf);
    return st == TMS_ERR_IO || st == TMS_ERR_NOMEM ? 3 : 2;
  }
  int failed = 0;
  for (int i = 0; i < rep.count; i++) {
    failed += rep.line[i].verdict == TMS_CHECK_FAIL;
    if (!quiet || rep.line[i].verdict == TMS_CHECK_FAIL) print_line(&rep, &rep.line[i]);
  }
  printf("%s: %d items, %d failed (%s)\n", exp, rep.count, failed, in);
  return failed ? 1 : 0;
}
