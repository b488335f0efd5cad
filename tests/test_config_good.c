/* config_good_files: the example of sweeps/FORMAT.md parses to the values it promises; every generator materialises
 * exactly (endpoints included, num points); a zip group is one dimension placed where it is written; defaults
 * fill what a file leaves out; a sweep parsed from memory equals the one loaded from its file. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "config/config.h"
#include "config/grid.h"

#define GOOD TMS_TEST_DIR "/sweeps/good/"

static double rel(double got, double want) { return fabs(got - want) / fmax(fabs(want), 1e-300); }

static void check_values(const char *what, const tms_sweep_param *p, const double *want, int n) {
  CHECK(p->count == n, "%s: %d values, want %d", what, p->count, n);
  for (int i = 0; i < n && i < p->count; i++)
    CHECK(!p->values[i].is_string && rel(p->values[i].num, want[i]) <= 1e-14,
          "%s: value #%d is %.17g, want %.17g (rel diff %.3g)", what, i, p->values[i].num, want[i],
          rel(p->values[i].num, want[i]));
}

static void load(tms_sweep *sw, const char *path) {
  tms_error e;
  char msg[1024];
  tms_status s = tms_sweep_load(sw, path, &e);
  tms_error_format(&e, msg, sizeof msg);
  CHECK(s == TMS_OK, "%s loads, got %s", path, s ? msg : "");
}

static void design_example(void) {
  tms_sweep sw;
  load(&sw, GOOD "design_example.yaml");
  if (!sw.text) return;
  CHECK(strcmp(sw.schema, "tms-sweep/1") == 0, "schema '%s'", sw.schema);
  CHECK(strcmp(sw.name, "phase-n2m1") == 0, "name '%s'", sw.name);
  CHECK(sw.seed == 2022, "seed %llu, want 2022", (unsigned long long)sw.seed);
  CHECK(sw.n_fixed == 5, "5 fixed parameters, got %d", sw.n_fixed);
  CHECK(sw.n_axes == 2, "2 axes, got %d", sw.n_axes);
  CHECK(sw.replicates == 10, "replicates 10, got %d", sw.replicates);
  CHECK(sw.n_excludes == 1 && sw.excludes[0].n_conds == 2, "one exclude pattern with two conditions");
  CHECK(sw.run.max_attempts == 2 && sw.run.point_timeout_s == 600 && sw.run.progress_every_s == 10,
        "run settings as written: %d %g %g", sw.run.max_attempts, sw.run.point_timeout_s, sw.run.progress_every_s);
  CHECK(sw.run.stop_grace_s == 30 && sw.run.max_output_gb == 50 && sw.run.bundle == 0,
        "run defaults: stop_grace_s %g (30), max_output_gb %g (50), bundle %d (0)", sw.run.stop_grace_s,
        sw.run.max_output_gb, sw.run.bundle);
  CHECK(sw.text_len > 0 && strstr(sw.text, "phase-n2m1") != NULL, "text kept verbatim");
  if (sw.n_axes == 2) {
    CHECK(strcmp(sw.axes[0].name, "last_importance") == 0 && strcmp(sw.axes[1].name, "density") == 0,
          "axes in the order written: %s, %s", sw.axes[0].name, sw.axes[1].name);
    const tms_sweep_param *li = &sw.axes[0].params[0], *de = &sw.axes[1].params[0];
    CHECK(li->count == 64 && de->count == 64, "64 values each: %d, %d", li->count, de->count);
    CHECK(li->values[0].num == 0.1 && li->values[63].num == 10.0, "last_importance endpoints exactly 0.1 and 10: %.17g %.17g",
          li->values[0].num, li->values[63].num);
    CHECK(de->values[0].num == 1.0 && de->values[63].num == 0.01, "density endpoints exactly 1 and 0.01: %.17g %.17g",
          de->values[0].num, de->values[63].num);
    for (int i = 0; i < 64; i++) {
      double e = -1.0 + 2.0 * i / 63.0;
      CHECK(rel(li->values[i].num, pow(10.0, e)) <= 1e-14, "last_importance #%d = %.17g, want 10^%.6f", i, li->values[i].num, e);
    }
    CHECK(li->line == 7 && li->col == 3, "last_importance written at 7:3, recorded %d:%d", li->line, li->col);
  }
  size_t dims[3];
  CHECK(tms_grid_rank(&sw) == 3, "rank 3 (two axes + replicate), got %d", tms_grid_rank(&sw));
  tms_grid_shape(&sw, dims);
  CHECK(dims[0] == 64 && dims[1] == 64 && dims[2] == 10, "shape 64x64x10, got %zux%zux%zu", dims[0], dims[1], dims[2]);
  CHECK(tms_grid_count(&sw) == 40960, "40960 points, got %zu", tms_grid_count(&sw));
  size_t excluded = 0;
  for (size_t i = 0; i < tms_grid_count(&sw); i++) excluded += (size_t)tms_grid_excluded(&sw, i);
  CHECK(excluded == 10, "the exclude pattern removes one cell = 10 points, removed %zu", excluded);
  /* cell (63, 0) is last_importance 10, density 1 */
  CHECK(tms_grid_excluded(&sw, (63 * 64 + 0) * 10 + 3), "point at (63, 0, 3) is excluded");
  CHECK(!tms_grid_excluded(&sw, (63 * 64 + 1) * 10 + 3), "point at (63, 1, 3) is not excluded");
  tms_spec spec;
  tms_error e;
  CHECK(tms_grid_spec(&sw, (5 * 64 + 7) * 10 + 2, &spec, &e) == TMS_OK, "spec of a point");
  CHECK(spec.variant == TMS_RELU_OUT && spec.n_features == 2 && spec.n_hidden == 1 && spec.steps == 10000 &&
            spec.batch_size == 1024,
        "fixed values reach the spec");
  CHECK(spec.last_importance == sw.axes[0].params[0].values[5].num && spec.density == sw.axes[1].params[0].values[7].num,
        "axis values reach the spec: last_importance %g density %g", spec.last_importance, spec.density);
  CHECK(spec.lr == 1e-3 && spec.weight_decay == 0.01 && spec.log_every == 100 && spec.optimizer == TMS_ADAMW,
        "registry defaults for what the file leaves out (lr %g, wd %g, log_every %d)", spec.lr, spec.weight_decay,
        spec.log_every);
  tms_sweep_free(&sw);
  tms_sweep_free(&sw); /* twice: safe */
}

static void generators(void) {
  tms_sweep sw;
  load(&sw, GOOD "generators.yaml");
  if (!sw.text) return;
  CHECK(sw.n_axes == 5, "zip group + 4 axes = 5 dims, got %d", sw.n_axes);
  if (sw.n_axes != 5) {
    tms_sweep_free(&sw);
    return;
  }
  const tms_axis *z = &sw.axes[0];
  CHECK(z->is_zip && strcmp(z->name, "size") == 0 && z->n_params == 2 && z->size == 2,
        "first dim is the zip group 'size' (written first) with 2 members of 2 values");
  double nf[] = {20, 80}, nh[] = {5, 20};
  check_values("zip n_features", &z->params[0], nf, 2);
  check_values("zip n_hidden (range, stop excluded)", &z->params[1], nh, 2);
  double geo[] = {1, 0.5, 0.25, 0.125}, lg[] = {1, 0.1, 0.01}, lin[] = {0.001, 0.002, 0.003, 0.004, 0.005},
         rng[] = {64, 128, 192};
  check_values("geomspace importance_decay", &sw.axes[1].params[0], geo, 4);
  check_values("logspace density", &sw.axes[2].params[0], lg, 3);
  check_values("linspace lr", &sw.axes[3].params[0], lin, 5);
  check_values("range batch_size", &sw.axes[4].params[0], rng, 3);
  CHECK(sw.axes[3].params[0].values[0].num == 0.001 && sw.axes[3].params[0].values[4].num == 0.005,
        "linspace endpoints exact");
  CHECK(sw.axes[1].params[0].values[3].num == 0.125, "geomspace endpoint exact");
  CHECK(tms_grid_count(&sw) == 2 * 4 * 3 * 5 * 3, "count 360, got %zu", tms_grid_count(&sw));
  CHECK(sw.replicates == 1, "replicates default 1, got %d", sw.replicates);
  CHECK(sw.run.max_attempts == 2 && sw.run.point_timeout_s == 0 && sw.run.progress_every_s == 10 &&
            sw.run.stop_grace_s == 5 && sw.run.max_output_gb == 1 && sw.run.bundle == 4,
        "run: defaults plus the three given");
  int n_max, m_max, w2;
  size_t curve;
  tms_grid_extent(&sw, &n_max, &m_max, &curve, &w2);
  CHECK(n_max == 80 && m_max == 20 && w2 == 1, "extent n_max %d (80) m_max %d (20) has_w2 %d (1)", n_max, m_max, w2);
  CHECK(curve == 5, "curve length of 200 steps every 50 = steps 0,50,100,150,199 = 5, got %zu", curve);
  /* point 0: size #0, everything at index 0 */
  tms_spec s;
  tms_error e;
  CHECK(tms_grid_spec(&sw, 0, &s, &e) == TMS_OK && s.n_features == 20 && s.n_hidden == 5 && s.variant == TMS_ABS,
        "point 0: n 20, m 5, abs");
  CHECK(tms_grid_spec(&sw, tms_grid_count(&sw) - 1, &s, &e) == TMS_OK && s.n_features == 80 && s.n_hidden == 20 &&
            s.batch_size == 192 && s.lr == 0.005 && s.density == 0.01 && s.importance_decay == 0.125,
        "last point: zip members move together and every axis at its last value");
  double bytes = tms_grid_output_bytes(&sw);
  CHECK(bytes >= 360.0 * (80 * 20 * 4 * 2 + 80 * 4 + 5 * 4 + 3 * 80 * 8), "output estimate %g covers W, W2, b, curve, metrics", bytes);
  CHECK(tms_grid_model_steps(&sw) == 360.0 * 200, "model-steps 72000, got %g", tms_grid_model_steps(&sw));
  tms_sweep_free(&sw);
}

static void minimal(void) {
  tms_sweep sw;
  load(&sw, GOOD "minimal.yaml");
  if (!sw.text) return;
  CHECK(sw.n_axes == 0 && tms_grid_rank(&sw) == 1 && tms_grid_count(&sw) == 1, "no axes: rank 1, one point");
  tms_spec s;
  tms_error e;
  CHECK(tms_grid_spec(&sw, 0, &s, &e) == TMS_OK, "spec of the only point");
  CHECK_CLOSE("density from sparsity 0.9", s.density, 0.1, 1e-15);
  CHECK(s.steps == 10000 && s.batch_size == 1024 && s.variant == TMS_RELU_OUT && s.correlation == TMS_INDEPENDENT,
        "defaults: steps %ld batch %d", s.steps, s.batch_size);
  CHECK(tms_grid_spec(&sw, 1, &s, &e) != TMS_OK, "index past the grid is refused");
  tms_sweep_free(&sw);

  /* from memory: the same, with flow/block spelling changes */
  const char *text = "schema: tms-sweep/1\nname: minimal\nseed: 0\nfixed:\n  n_features: 5\n  n_hidden: 2\n"
                     "  sparsity: 0.9\n";
  CHECK(tms_sweep_parse(&sw, text, strlen(text), "mem.yaml", &e) == TMS_OK, "parse from memory");
  CHECK(strcmp(sw.path, "mem.yaml") == 0, "path kept for messages");
  tms_sweep_free(&sw);
}

int main(void) {
  design_example();
  generators();
  minimal();
  return tms_check_finish("config_good_files");
}
