/* grid_expansion: shape, count, C order (last axis fastest, replicate innermost), coordinates, exclusion, and
 * that every point's spec carries the values of its coordinates; a zip group is one dimension whose members
 * move together; cross-field errors name the point and the line of the key. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "config/config.h"
#include "config/grid.h"

static int parse(tms_sweep *sw, const char *text) {
  tms_error e;
  char msg[1024];
  tms_status s = tms_sweep_parse(sw, text, strlen(text), "grid.yaml", &e);
  tms_error_format(&e, msg, sizeof msg);
  CHECK(s == TMS_OK, "sweep parses, got %s", s ? msg : "");
  return s == TMS_OK;
}

static void product(void) {
  const char *text = "schema: tms-sweep/1\nname: g\nseed: 1\n"
                     "fixed: {n_hidden: 2, density: 0.5}\n"
                     "axes:\n"
                     "  n_features: {values: [3, 4, 5]}\n"
                     "  variant: {values: [relu_out, linear]}\n"
                     "replicates: 2\n"
                     "exclude: [{n_features: 4, variant: linear}]\n";
  tms_sweep sw;
  if (!parse(&sw, text)) return;
  size_t dims[3], coords[3];
  CHECK(tms_grid_rank(&sw) == 3, "rank 3, got %d", tms_grid_rank(&sw));
  tms_grid_shape(&sw, dims);
  CHECK(dims[0] == 3 && dims[1] == 2 && dims[2] == 2, "shape 3x2x2, got %zux%zux%zu", dims[0], dims[1], dims[2]);
  CHECK(tms_grid_count(&sw) == 12, "12 points, got %zu", tms_grid_count(&sw));
  const int nf[] = {3, 4, 5};
  const tms_variant var[] = {TMS_RELU_OUT, TMS_LINEAR};
  size_t index = 0, n_excluded = 0;
  for (size_t a = 0; a < 3; a++)
    for (size_t b = 0; b < 2; b++)
      for (size_t r = 0; r < 2; r++, index++) {
        tms_grid_coords(&sw, index, coords);
        CHECK(coords[0] == a && coords[1] == b && coords[2] == r, "index %zu -> (%zu,%zu,%zu), want (%zu,%zu,%zu)",
              index, coords[0], coords[1], coords[2], a, b, r);
        tms_spec s;
        tms_error e;
        CHECK(tms_grid_spec(&sw, index, &s, &e) == TMS_OK, "spec of point %zu", index);
        CHECK(s.n_features == nf[a] && s.variant == var[b] && s.n_hidden == 2 && s.density == 0.5,
              "point %zu: n_features %d (want %d), variant %d (want %d)", index, s.n_features, nf[a], (int)s.variant,
              (int)var[b]);
        int want_ex = (a == 1 && b == 1);
        CHECK(tms_grid_excluded(&sw, index) == want_ex, "point %zu excluded %d, want %d", index,
              tms_grid_excluded(&sw, index), want_ex);
        n_excluded += (size_t)want_ex;
      }
  CHECK(n_excluded == 2, "2 excluded points");
  CHECK(tms_grid_model_steps(&sw) == 10.0 * 10000, "model-steps of 10 non-excluded points x 10000, got %g",
        tms_grid_model_steps(&sw));
  int n_max, m_max, w2;
  size_t curve;
  tms_grid_extent(&sw, &n_max, &m_max, &curve, &w2);
  CHECK(n_max == 5 && m_max == 2 && !w2 && curve == 101, "extent n %d m %d w2 %d curve %zu (want 5 2 0 101)", n_max,
        m_max, w2, curve);
  /* the estimate follows the documented layout: per point W, b, curve, 3 metrics, scalars, params */
  double per = 5 * 2 * 4 + 5 * 4 + 101 * 4 + 3 * 5 * 8;
  double got = tms_grid_output_bytes(&sw) / 12.0;
  CHECK(got >= per && got <= per + 400, "bytes per point %g, want %g plus scalars and params (< 400)", got, per);
  tms_sweep_free(&sw);
}

static void zip_dim(void) {
  const char *text = "schema: tms-sweep/1\nname: z\nseed: 5\n"
                     "fixed: {density: 0.1}\n"
                     "axes:\n  lr: {values: [0.001, 0.01]}\n"
                     "zip:\n  size: {n_features: {values: [20, 80, 100]}, n_hidden: {values: [5, 20, 30]}}\n"
                     "replicates: 3\n"
                     "exclude: [{n_hidden: 20}]\n";
  tms_sweep sw;
  if (!parse(&sw, text)) return;
  size_t dims[3];
  CHECK(tms_grid_rank(&sw) == 3, "axis + zip group + replicate = rank 3, got %d", tms_grid_rank(&sw));
  tms_grid_shape(&sw, dims);
  CHECK(dims[0] == 2 && dims[1] == 3 && dims[2] == 3, "shape 2x3x3 (zip after the axis, as written), got %zux%zux%zu",
        dims[0], dims[1], dims[2]);
  const int nf[] = {20, 80, 100}, nh[] = {5, 20, 30};
  for (size_t i = 0; i < tms_grid_count(&sw); i++) {
    size_t c[3];
    tms_spec s;
    tms_error e;
    tms_grid_coords(&sw, i, c);
    tms_grid_spec(&sw, i, &s, &e);
    CHECK(s.n_features == nf[c[1]] && s.n_hidden == nh[c[1]], "point %zu: zip members together (%d, %d)", i,
          s.n_features, s.n_hidden);
    CHECK(tms_grid_excluded(&sw, i) == (c[1] == 1), "point %zu: exclude by a zip member", i);
  }
  tms_sweep_free(&sw);
}

static void zip_repeats(void) {
  /* a member may repeat a value (the rows still differ); the group's size is its row count */
  const char *text = "schema: tms-sweep/1\nname: z\nseed: 5\nfixed: {density: 0.1}\n"
                     "zip:\n  size: {n_features: {values: [4, 4, 6]}, n_hidden: {values: [2, 3, 2]}}\n";
  tms_sweep sw;
  if (!parse(&sw, text)) return;
  CHECK(tms_grid_count(&sw) == 3, "3 rows = 3 points, got %zu", tms_grid_count(&sw));
  tms_spec s;
  tms_error e;
  CHECK(tms_grid_spec(&sw, 1, &s, &e) == TMS_OK && s.n_features == 4 && s.n_hidden == 3, "row 2 is (4, 3)");
  tms_sweep_free(&sw);
}

static void cross_field(void) {
  /* n_features 3 cannot hold 2 sets of 2; the error names the point and the line of correlated_sets */
  const char *text = "schema: tms-sweep/1\nname: c\nseed: 5\n"
                     "fixed: {n_hidden: 2, density: 0.1, correlation: correlated}\n"
                     "axes:\n"
                     "  n_features: {values: [4, 3]}\n"
                     "  correlated_sets: {values: [1, 2]}\n";
  tms_sweep sw;
  tms_error e;
  char msg[1024];
  tms_status s = tms_sweep_parse(&sw, text, strlen(text), "c.yaml", &e);
  tms_error_format(&e, msg, sizeof msg);
  CHECK(s == TMS_ERR_CONFIG && strstr(msg, "c.yaml:7:3: correlated_sets:") && strstr(msg, "point 3") &&
            strstr(msg, "n_features=3, correlated_sets=2"),
        "cross-field error at 7:3 naming point 3 and its values, got '%s'", msg);
  /* the same, with the bad cell excluded, is fine: exclusion comes before validation */
  char text2[1024];
  snprintf(text2, sizeof text2, "%sexclude: [{n_features: 3, correlated_sets: 2}]\n", text);
  CHECK(parse(&sw, text2), "excluding the invalid cell makes the sweep valid");
  tms_sweep_free(&sw);
}

/* The size computed from the axes alone (grid_limits.c) equals the exact one on every shipped sweep without
 * exclusions and bounds it with them; both the count and the quick size of a 1e10-point grid take no time. */
static void quick_size(void) {
  static const char *const files[] = {"e0_intro_full", "e1_basic_full", "e2_phase_full", "e3_uniform_full",
                                      "e4_perturb_full", "e5_correlated_full", "e5_local_full", "e6_dynamics_full",
                                      "e6_dynamics_quick", "e7_adversarial_full", "e8_neurons_full", "e9_abs_full"};
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/../sweeps/%s.yaml", TMS_TEST_DIR, files[f]);
    tms_sweep sw;
    tms_error e;
    if (tms_sweep_load(&sw, path, &e) != TMS_OK) {
      CHECK(0, "%s loads: %s", files[f], e.msg);
      continue;
    }
    double exact = tms_grid_output_bytes(&sw), quick = tms_grid_output_bytes_quick(&sw);
    if (sw.n_excludes == 0)
      CHECK(quick == exact, "%s: quick size %.17g bytes, exact %.17g", files[f], quick, exact);
    else
      CHECK(quick >= exact, "%s: quick size %.17g bytes is below the exact %.17g", files[f], quick, exact);
    CHECK(tms_grid_points(&sw) == (double)tms_grid_count(&sw), "%s: %g points, count %zu", files[f],
          tms_grid_points(&sw), tms_grid_count(&sw));
    tms_sweep_free(&sw);
  }
}

int main(void) {
  quick_size();
  product();
  zip_dim();
  zip_repeats();
  cross_field();
  return tms_check_finish("grid_expansion");
}
