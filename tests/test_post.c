/* post products on hand-made results files (tests/post/results_file.c writes them per the contract).
 *   phase     classes per seed, fractions, --drop-worst, majority (ties: lowest-loss seed), skipped points,
 *             per-point summaries, and the same values read back from the written post file;
 *   missing   no /results/W, wrong schema, abs without /results/W2, no file: clear errors naming the dataset,
 *             and the exit codes of the binary (argv[2] = tms-post);
 *   csv       headers and row counts of phase.csv, summary.csv, features.csv;
 *   neurons   polysemantic / features per neuron (relu_hidden, abs) and the abs rescaling.
 * (The theory agreement: test_post_agreement.c; the fixture and readers: post/post_fixture.c.) */
#define _POSIX_C_SOURCE 200809L
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "metrics/attack.h"
#include "metrics/metrics.h"
#include "post/post_fixture.h"

static void check_fraction(const tms_post_products *pp, size_t c, double f0, double f1, double f2, int cls,
                           int used, const char *mode) {
  const double *fr = pp->fraction + c * 3;
  char what[128];
  double want[3] = {f0, f1, f2};
  for (int k = 0; k < 3; k++) {
    snprintf(what, sizeof what, "%s cell %zu fraction of class %d", mode, c, k);
    if (isnan(want[k])) CHECK(isnan(fr[k]), "%s: got %g, want NaN", what, fr[k]);
    else CHECK_CLOSE(what, fr[k], want[k], 1e-12);
  }
  CHECK(pp->cell_class[c] == cls, "%s cell %zu majority: got %d, want %d", mode, c, pp->cell_class[c], cls);
  CHECK(pp->seeds_used[c] == used, "%s cell %zu seeds used: got %d, want %d", mode, c, pp->seeds_used[c], used);
}

/* The per-point summaries of the phase fixture f's products pp: losses, D*, represented, interference, geometry,
 * vulnerability (the same numbers as the attack from the point's own spec), neurons and theory. */
static void phase_summaries(const tms_post_products *pp, const fixture *f) {
  tms_error err;
  memset(&err, 0, sizeof err);
  CHECK_CLOSE("loss_best cell 1", pp->loss_best[1], 0.1, 1e-15);
  CHECK(pp->best_replicate[1] == 1, "best replicate of cell 1: got %lld", (long long)pp->best_replicate[1]);
  CHECK_CLOSE("loss_mean cell 2 (done seeds only)", pp->loss_mean[2], 0.25, 1e-15);
  CHECK(isnan(pp->loss_best[6]) && pp->best_replicate[6] == -1, "empty cell has no best loss");
  CHECK_CLOSE("dstar of an antipodal pair", pp->dstar[0], 0.5, 1e-7);
  CHECK_CLOSE("dstar of one dedicated feature (+ a 1e-3 weight)", pp->dstar[2], 1.0 / (1.0 + 1e-6), 1e-9);
  CHECK_CLOSE("dstar of W = 0", pp->dstar[12], 0.0, 0);
  CHECK_CLOSE("dstar_mean cell 0", pp->dstar_mean[0], (0.5 + 0.5 + 1.0 / (1.0 + 1e-6)) / 3, 1e-9);
  CHECK(isnan(pp->dstar[8]), "a pending point has NaN D*, got %g", pp->dstar[8]);
  CHECK(pp->represented[0] == 2 && pp->represented[2] == 1 && pp->represented[12] == 0 && pp->represented[8] == -1,
        "represented: antipodal %d (2), A %d (1), zero %d (0), pending %d (-1)", pp->represented[0], pp->represented[2],
        pp->represented[12], pp->represented[8]);
  CHECK_CLOSE("total interference of an antipodal pair", pp->total_interference[0], 2.0, 1e-6);
  CHECK_CLOSE("total interference of A (unlearned feature 2 excluded)", pp->total_interference[2], 1e-6, 1e-9);
  CHECK_CLOSE("features per dim of the pair (1/D*)", pp->features_per_dim[0], 2.0, 1e-6);
  int half = tms_metric_geometry_index(0.5, 0.02);
  CHECK(half >= 0 && pp->geometry[0] == half && pp->geometry[1] == half, "antipodal features labelled %d %d, want %d",
        pp->geometry[0], pp->geometry[1], half);
  CHECK(pp->geometry[8 * 2] == -1, "pending point has no geometry label");
  /* point 2 (W = [1, 1e-3], b = 0) has a non-zero clean loss, so its vulnerability is a finite number > -1 */
  CHECK(isfinite(pp->vulnerability[2]) && pp->vulnerability[2] > -1 && isfinite(pp->vulnerability_per_example[2]),
        "vulnerability of a done relu_out point is finite: %g %g", pp->vulnerability[2], pp->vulnerability_per_example[2]);
  CHECK(isnan(pp->vulnerability[8]), "vulnerability of a pending point is NaN");
  {
    /* the spec rebuilt from /params and /points/seed is the one the point had: same attack numbers, bit for bit */
    float w[2] = {1, 1e-3f}, bias[2] = {0, 0};
    tms_params params = {.n = 2, .m = 1, .W = w, .W2 = NULL, .b = bias};
    double vb = NAN, ve = NAN;
    tms_status ast = tms_attack_vulnerability(&vb, &ve, &f->spec[2], &params, TMS_POST_ATTACK_BATCH, &err);
    CHECK(ast == TMS_OK && vb == pp->vulnerability[2] && ve == pp->vulnerability_per_example[2],
          "vulnerability of point 2 from the original spec: %.17g %.17g, post: %.17g %.17g", vb, ve,
          pp->vulnerability[2], pp->vulnerability_per_example[2]);
  }
  CHECK(pp->polysemantic[0] == -1, "relu_out points have no neuron data");
  CHECK(pp->theory_class != NULL, "n=2 m=1 relu_out cells get a theory class");
}

/* The post file written from res and pp holds the same classes and fractions, the schema and source hash, the axes;
 * an existing file is refused without force. */
static void phase_file(const char *out, const tms_post_results *res, const tms_post_products *pp,
                       const int want_seed[24]) {
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = tms_post_write(out, res, pp, 1, &err);
  CHECK(st == TMS_OK, "post file written: %s", err.msg);
  signed char cls[8], seeds[24];
  double frac[24], want_frac[24];
  CHECK(read_i8(out, "/phase/class", cls) >= 0 && read_i8(out, "/phase/class_per_seed", seeds) >= 0 &&
            read_f64(out, "/phase/fraction", frac) >= 0,
        "read back /phase");
  memcpy(want_frac, pp->fraction, sizeof want_frac);
  for (int c = 0; c < 8; c++) CHECK(cls[c] == pp->cell_class[c], "file /phase/class[%d] = %d", c, cls[c]);
  for (int p = 0; p < 24; p++) CHECK(seeds[p] == want_seed[p], "file /phase/class_per_seed[%d] = %d", p, seeds[p]);
  for (int k = 0; k < 24; k++)
    CHECK((isnan(frac[k]) && isnan(want_frac[k])) || frac[k] == want_frac[k], "file fraction[%d] = %g", k, frac[k]);
  char schema[64], source_hash[64];
  read_root_text(out, "schema", schema, sizeof schema);
  read_root_text(out, "source_config_hash", source_hash, sizeof source_hash);
  CHECK(strcmp(schema, "tms-post/1") == 0, "post schema: '%s'", schema);
  CHECK(strcmp(source_hash, "0123456789abcdef") == 0, "source_config_hash: '%s'", source_hash);
  double dens[4];
  CHECK(read_f64(out, "/axes/density", dens) >= 0 && dens[3] == 1.0, "axes copied into the post file");
  st = tms_post_write(out, res, pp, 0, &err);
  CHECK(st == TMS_ERR_EXISTS, "existing post file refused without force: %s", tms_status_name(st));
}

/* --drop-worst and --feature on the phase fixture's results res. */
static void phase_options(const tms_post_results *res, tms_post_options *opt) {
  const double h = 0.5;
  tms_post_products pp;
  tms_error err;
  memset(&err, 0, sizeof err);
  /* --drop-worst */
  opt->drop_worst = 1;
  tms_status st = tms_post_compute(&pp, res, opt, &err);
  CHECK(st == TMS_OK, "post --drop-worst: %s", err.msg);
  if (st == TMS_OK) {
    check_fraction(&pp, 0, 0, 0, 1, 2, 2, "drop-worst");    /* A (0.3) dropped */
    check_fraction(&pp, 1, h, h, 0, 1, 2, "drop-worst");    /* C (0.9) dropped; tie A/B -> B (0.1) */
    check_fraction(&pp, 2, 0, 1, 0, 1, 1, "drop-worst");
    check_fraction(&pp, 3, 0, 1, 0, 1, 1, "drop-worst");    /* the only done seed is kept */
    check_fraction(&pp, 4, 0, 0, 1, 2, 2, "drop-worst");    /* zero W (0.4) dropped */
    check_fraction(&pp, 5, 1, 0, 0, 0, 1, "drop-worst");
    check_fraction(&pp, 6, NAN, NAN, NAN, -1, 0, "drop-worst");
    check_fraction(&pp, 7, h, h, 0, 1, 2, "drop-worst");    /* A (0.3) dropped; tie A/B -> B (0.1) */
    CHECK_CLOSE("drop-worst leaves the loss summary alone", pp.loss_mean[0], 0.2, 1e-15);
  }
  tms_post_products_free(&pp);
  /* --feature 0: the first feature is represented in A, C; not in B */
  opt->drop_worst = 0;
  opt->feature = 0;
  st = tms_post_compute(&pp, res, opt, &err);
  CHECK(st == TMS_OK && pp.class_per_seed[2] == 1 && pp.class_per_seed[4] == 0 && pp.class_per_seed[0] == 2,
        "--feature 0 classes: A %d (1), B %d (0), C %d (2)", pp.class_per_seed[2], pp.class_per_seed[4],
        pp.class_per_seed[0]);
  CHECK(pp.theory_class == NULL, "no theory comparison when the classified feature is not the last");
  tms_post_products_free(&pp);
  opt->feature = 5;
  st = tms_post_compute(&pp, res, opt, &err);
  CHECK(st == TMS_ERR_USAGE, "--feature 5 on n=2 rejected: %s", tms_status_name(st));
}

static void test_phase(void) {
  static fixture f;
  phase_fixture(&f);
  const char *path = "post_phase_results.h5", *out = "post_phase_post.h5";
  CHECK(test_write_results(path, &f.t) == 0, "results file written");
  tms_post_options opt;
  tms_post_options_default(&opt);
  tms_post_results res;
  tms_post_products pp;
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status st = run_post(&pp, &res, path, &opt, &err);
  CHECK(st == TMS_OK, "post of the phase fixture: %s %s", tms_status_name(st), err.msg);
  if (st != TMS_OK) return;
  /* per seed */
  static const int want_seed[24] = {2, 2, 0, 0, 1, 2, 1, 1, -1, -1, 1, -1, 0, 2, 2, 2, 0, -1, -1, -1, -1, 0, 0, 1};
  for (size_t p = 0; p < 24; p++)
    CHECK(pp.class_per_seed[p] == want_seed[p], "class of point %zu: got %d, want %d", p, pp.class_per_seed[p],
          want_seed[p]);
  const double t3 = 1.0 / 3, h = 0.5;
  check_fraction(&pp, 0, t3, 0, 2 * t3, 2, 3, "all");
  check_fraction(&pp, 1, t3, t3, t3, 1, 3, "all");      /* 3-way tie: the lowest-loss seed (B, 0.1) decides */
  check_fraction(&pp, 2, 0, 1, 0, 1, 2, "all");         /* pending point skipped */
  check_fraction(&pp, 3, 0, 1, 0, 1, 1, "all");         /* pending and failed skipped */
  check_fraction(&pp, 4, t3, 0, 2 * t3, 2, 3, "all");
  check_fraction(&pp, 5, h, 0, h, 0, 2, "all");         /* tie: A has the lower loss */
  check_fraction(&pp, 6, NAN, NAN, NAN, -1, 0, "all");  /* nothing done */
  check_fraction(&pp, 7, 2 * t3, t3, 0, 0, 3, "all");
  phase_summaries(&pp, &f);
  phase_file(out, &res, &pp, want_seed);
  tms_post_products_free(&pp);
  phase_options(&res, &opt);
  tms_post_results_free(&res);
}

static int run_binary(const char *bin, const char *args, const char *errfile) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>'%s'", bin, args, errfile);
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int file_contains(const char *path, const char *needle) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char buf[8192];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return strstr(buf, needle) != NULL;
}

static void test_missing(const char *bin) {
  static fixture f;
  tms_post_options opt;
  tms_post_options_default(&opt);
  tms_post_results res;
  tms_post_products pp;
  tms_error err;

  phase_fixture(&f);
  f.t.omit_W = 1;
  CHECK(test_write_results("post_missing_W.h5", &f.t) == 0, "results file without W written");
  tms_status st = run_post(&pp, &res, "post_missing_W.h5", &opt, &err);
  CHECK(st == TMS_ERR_MISSING && strstr(err.msg, "/results/W"), "no W: got %s '%s'", tms_status_name(st), err.msg);
  if (st == TMS_OK) tms_post_products_free(&pp);
  tms_post_results_free(&res);

  phase_fixture(&f);
  f.t.schema = "tms-results/0";
  CHECK(test_write_results("post_wrong_schema.h5", &f.t) == 0, "results file with another schema written");
  st = tms_post_results_read(&res, "post_wrong_schema.h5", &err);
  CHECK(st == TMS_ERR_SCHEMA && strstr(err.msg, "tms-results/0") && strstr(err.msg, "tms-results/1"),
        "wrong schema: got %s '%s'", tms_status_name(st), err.msg);
  tms_post_results_free(&res);

  /* abs points need W2 */
  phase_fixture(&f);
  for (size_t p = 0; p < 24; p++) f.spec[p].variant = TMS_ABS;
  CHECK(test_write_results("post_missing_W2.h5", &f.t) == 0, "abs results file without W2 written");
  st = run_post(&pp, &res, "post_missing_W2.h5", &opt, &err);
  CHECK(st == TMS_ERR_MISSING && strstr(err.msg, "/results/W2") && strstr(err.msg, "abs"),
        "abs without W2: got %s '%s'", tms_status_name(st), err.msg);
  if (st == TMS_OK) tms_post_products_free(&pp);
  tms_post_results_free(&res);

  st = tms_post_results_read(&res, "post_no_such_file.h5", &err);
  CHECK(st == TMS_ERR_IO, "missing file: got %s", tms_status_name(st));

  if (!bin) return;
  int rc = run_binary(bin, "post_missing_W.h5 -o post_missing_out.h5 --force", "post_missing_err.txt");
  CHECK(rc == 2, "binary on a file without W exits 2, got %d", rc);
  CHECK(file_contains("post_missing_err.txt", "/results/W") && file_contains("post_missing_err.txt", "TMS_ERR_MISSING"),
        "binary names /results/W and TMS_ERR_MISSING on stderr");
  rc = run_binary(bin, "post_wrong_schema.h5 -o post_missing_out.h5 --force", "post_missing_err.txt");
  CHECK(rc == 2 && file_contains("post_missing_err.txt", "TMS_ERR_SCHEMA"), "binary on a wrong schema exits 2 (%d)",
        rc);
  rc = run_binary(bin, "post_no_such_file.h5 -o post_missing_out.h5 --force", "post_missing_err.txt");
  CHECK(rc == 3, "binary on a missing file exits 3, got %d", rc);
  rc = run_binary(bin, "post_missing_W.h5", "post_missing_err.txt");
  CHECK(rc == 2, "binary without -o exits 2, got %d", rc);
  rc = run_binary(bin, "post_missing_W.h5 -o x.h5 --bogus", "post_missing_err.txt");
  CHECK(rc == 2, "binary with an unknown flag exits 2, got %d", rc);
  rc = run_binary(bin, "--help", "post_missing_err.txt");
  CHECK(rc == 0, "--help exits 0, got %d", rc);
}

static int count_lines(const char *path, char *first, size_t size) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  int n = 0;
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    if (n == 0) snprintf(first, size, "%s", line);
    n++;
  }
  fclose(f);
  return n;
}

/* A word-valued axis (variant): its words in the CSV (written into dir) and copied as strings into the post file. */
static void csv_words(const char *dir, const tms_post_options *opt) {
  static fixture f;
  tms_post_results res;
  tms_post_products pp;
  tms_error err;
  memset(&err, 0, sizeof err);
  static const char *const variants[2] = {"linear", "relu_out"};
  phase_fixture(&f);
  f.t.names[0] = "variant";
  f.t.words[0] = variants;
  for (size_t p = 0; p < 24; p++) f.spec[p].variant = p < 12 ? TMS_LINEAR : TMS_RELU_OUT;
  CHECK(test_write_results("post_csv_words.h5", &f.t) == 0, "results file with a words axis written");
  tms_status st = run_post(&pp, &res, "post_csv_words.h5", opt, &err);
  CHECK(st == TMS_OK, "post with a words axis: %s", err.msg);
  if (st != TMS_OK) return;
  CHECK(tms_post_write_csv(dir, &res, &pp, &err) == TMS_OK, "csv with a words axis: %s", err.msg);
  CHECK(tms_post_write("post_csv_words_post.h5", &res, &pp, 1, &err) == TMS_OK, "post file: %s", err.msg);
  FILE *fp = fopen("post_csv_out/summary.csv", "r");
  char l1[4096] = "", l2[4096] = "";
  if (fp) {
    if (fgets(l1, sizeof l1, fp) && fgets(l2, sizeof l2, fp)) {
    }
    fclose(fp);
  }
  CHECK(strncmp(l1, "variant,density,replicate,", 26) == 0 && strncmp(l2, "linear,0.03,0,1,", 16) == 0,
        "words axis in summary.csv: '%s' / '%s'", l1, l2);
  hid_t h = H5Fopen("post_csv_words_post.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
  char words[2][16];
  memset(words, 0, sizeof words);
  hid_t d = h >= 0 ? H5Dopen2(h, "/axes/variant", H5P_DEFAULT) : -1;
  hid_t vt = H5Tcopy(H5T_C_S1);
  H5Tset_size(vt, 16);
  CHECK(d >= 0 && H5Dread(d, vt, H5S_ALL, H5S_ALL, H5P_DEFAULT, words) >= 0 && strcmp(words[1], "relu_out") == 0,
        "/axes/variant copied as strings: '%s'", words[1]);
  H5Tclose(vt);
  if (d >= 0) H5Dclose(d);
  if (h >= 0) H5Fclose(h);
  CHECK(pp.theory_class && pp.theory_class[0] == -1 && pp.theory_class[3] == -1 && pp.theory_class[4] >= 0,
        "theory class only on the relu_out cells");
  tms_post_products_free(&pp);
  tms_post_results_free(&res);
}

static void test_csv(void) {
  static fixture f;
  phase_fixture(&f);
  CHECK(test_write_results("post_csv_results.h5", &f.t) == 0, "results file written");
  tms_post_options opt;
  tms_post_options_default(&opt);
  tms_post_results res;
  tms_post_products pp;
  tms_error err;
  tms_status st = run_post(&pp, &res, "post_csv_results.h5", &opt, &err);
  CHECK(st == TMS_OK, "post: %s", err.msg);
  if (st != TMS_OK) return;
  const char *dir = "post_csv_out";
  char cmd[256];
  snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
  CHECK(system(cmd) == 0, "mkdir %s", dir);
  st = tms_post_write_csv(dir, &res, &pp, &err);
  CHECK(st == TMS_OK, "csv written: %s", err.msg);
  char head[4096];
  int n = count_lines("post_csv_out/phase.csv", head, sizeof head);
  CHECK(n == 1 + 8, "phase.csv has %d lines, want 1 header + 8 cells", n);
  const char *want_phase = "last_importance,density,class,class_name,fraction_not_represented,fraction_dedicated,"
                           "fraction_superposition,seeds_used,theory_class,loss_best,loss_mean,dstar_mean,"
                           "best_replicate\n";
  CHECK(strcmp(head, want_phase) == 0, "phase.csv header:\n got  %s want %s", head, want_phase);
  n = count_lines("post_csv_out/summary.csv", head, sizeof head);
  CHECK(n == 1 + 24, "summary.csv has %d lines, want 1 header + 24 points", n);
  const char *want_summary = "last_importance,density,replicate,status,loss,dstar,features_per_dim,class,"
                             "represented,total_interference,vulnerability,vulnerability_per_example\n";
  CHECK(strcmp(head, want_summary) == 0, "summary.csv header:\n got  %s want %s", head, want_summary);
  n = count_lines("post_csv_out/features.csv", head, sizeof head);
  CHECK(n == 1 + 24 * 2, "features.csv has %d lines, want 1 header + 24 points x 2 features", n);
  const char *want_features = "last_importance,density,replicate,feature,norm,interference,dimensionality,geometry\n";
  CHECK(strcmp(head, want_features) == 0, "features.csv header:\n got  %s want %s", head, want_features);
  /* a data row: cell 0 (r=0.5, p=0.03), majority superposition */
  FILE *fp = fopen("post_csv_out/phase.csv", "r");
  char line[4096] = "";
  if (fp) {
    if (fgets(line, sizeof line, fp) && fgets(line, sizeof line, fp)) {
    }
    fclose(fp);
  }
  CHECK(strncmp(line, "0.5,0.03,2,superposition,", 25) == 0, "first phase row: '%s'", line);
  tms_post_products_free(&pp);
  tms_post_results_free(&res);

  csv_words(dir, &opt);
}

/* abs and relu_hidden points: neuron classes from W (W1) and the abs rescaling W1/alpha, W2*alpha. */
static void test_neurons(void) {
  static fixture f;
  static float W2[128 * 2];
  phase_fixture(&f);
  for (size_t p = 0; p < 24; p++) {
    f.spec[p].variant = p % 2 ? TMS_RELU_HIDDEN : TMS_ABS;
    W2[p * 2] = 0.5f;
    W2[p * 2 + 1] = -3.0f;
  }
  f.W[0] = 2.0f; /* point 0 (abs): W1 column [2, -1] -> alpha 2 */
  f.W[1] = -1.0f;
  f.W[6] = 1.0f; /* point 3 (relu_hidden): [1, 0.05], the second weight is below 0.1 of the first */
  f.W[7] = 0.05f;
  f.t.W2 = W2;
  CHECK(test_write_results("post_neurons.h5", &f.t) == 0, "results file written");
  tms_post_options opt;
  tms_post_options_default(&opt);
  tms_post_results res;
  tms_post_products pp;
  tms_error err;
  tms_status st = run_post(&pp, &res, "post_neurons.h5", &opt, &err);
  CHECK(st == TMS_OK, "post of abs/relu_hidden points: %s", err.msg);
  if (st != TMS_OK) return;
  CHECK(pp.polysemantic[0] == 1 && pp.features_per_neuron[0] == 2, "abs [2,-1]: polysemantic %d, features %d",
        pp.polysemantic[0], pp.features_per_neuron[0]);
  CHECK(pp.polysemantic[3] == 0 && pp.features_per_neuron[3] == 1, "relu_hidden [1,0.05]: polysemantic %d, features %d",
        pp.polysemantic[3], pp.features_per_neuron[3]);
  CHECK(pp.polysemantic[8] == -1, "pending point has no neuron data");
  CHECK(pp.W1_scaled && pp.W2_scaled, "abs points give rescaled weights");
  if (pp.W1_scaled) {
    CHECK_CLOSE("W1s[0] = 2/2", pp.W1_scaled[0], 1.0, 1e-7);
    CHECK_CLOSE("W1s[1] = -1/2", pp.W1_scaled[1], -0.5, 1e-7);
    CHECK_CLOSE("W2s[0] = 0.5*2", pp.W2_scaled[0], 1.0, 1e-7);
    CHECK_CLOSE("W2s[1] = -3*2", pp.W2_scaled[1], -6.0, 1e-7);
    CHECK(isnan(pp.W1_scaled[3 * 2]), "relu_hidden point has NaN rescaled weights, got %g", pp.W1_scaled[6]);
  }
  CHECK(isnan(pp.vulnerability[0]), "abs points get no vulnerability (NaN)");
  CHECK(pp.theory_class == NULL, "no theory for abs/relu_hidden");
  st = tms_post_write("post_neurons_post.h5", &res, &pp, 1, &err);
  CHECK(st == TMS_OK, "post file with neuron data written: %s", err.msg);
  tms_post_products_free(&pp);
  tms_post_results_free(&res);
}

int main(int argc, char **argv) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  const char *mode = argc > 1 ? argv[1] : "phase";
  if (strcmp(mode, "phase") == 0) test_phase();
  else if (strcmp(mode, "missing") == 0) test_missing(argc > 2 ? argv[2] : NULL);
  else if (strcmp(mode, "csv") == 0) test_csv();
  else if (strcmp(mode, "neurons") == 0) test_neurons();
  else {
    fprintf(stderr, "usage: test_post phase|missing BIN|csv|neurons\n");
    return 2;
  }
  char name[64];
  snprintf(name, sizeof name, "post_%s", mode);
  return tms_check_finish(name);
}
