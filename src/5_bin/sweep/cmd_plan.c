/* tms-sweep plan: the dry run of a sweep file. Loads and validates it exactly as `run` would, then prints the
 * grid (dims, sizes, values), the fixed parameters, the point and exclusion counts, the first and last points
 * with their seeds, the cost (model-steps) and results-file size estimates, and the config hash.
 * Not a run: nothing is trained and no file is written; no MPI. A bad file prints its error and exits 2. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config/config.h"
#include "config/grid.h"

static void plan_usage(FILE *out) {
  fprintf(out,
          "usage: tms-sweep plan SWEEP.yaml\n"
          "\n"
          "Validates a sweep file and prints what `tms-sweep run` would do: grid dimensions and their values,\n"
          "fixed parameters, point count, excluded points, the first and last points with their seeds, the\n"
          "estimated model-steps and results-file size, and the config hash. Trains nothing, writes nothing.\n"
          "\n"
          "exit codes: 0 the file is valid, 2 bad file or usage (the message names file:line:col and key)\n");
}

static void value_text(const tms_value *v, char *buf, size_t size) {
  if (v->is_string)
    snprintf(buf, size, "%s", v->str);
  else
    snprintf(buf, size, "%.6g", v->num);
}

/* "a, b, c, ..., y, z (N values)": the list abbreviated to its first and last values when long. */
static void print_values(const tms_sweep_param *p) {
  const int head = 4, tail = 2;
  for (int i = 0; i < p->count; i++) {
    if (p->count > head + tail + 1 && i == head) {
      printf(", ...");
      i = p->count - tail - 1;
      continue;
    }
    char t[48];
    value_text(&p->values[i], t, sizeof t);
    printf("%s%s", i ? ", " : "", t);
  }
}

static void print_point(const tms_sweep *sw, size_t index) {
  tms_spec spec;
  tms_error err;
  size_t coords[32];
  tms_grid_coords(sw, index, coords);
  printf("  #%-10zu", index);
  if (tms_grid_spec(sw, index, &spec, &err) != TMS_OK) {
    printf("  (invalid: %s)\n", err.msg);
    return;
  }
  for (int d = 0; d < sw->n_axes; d++)
    for (int j = 0; j < sw->axes[d].n_params; j++) {
      char t[48];
      value_text(&sw->axes[d].params[j].values[coords[d]], t, sizeof t);
      printf(" %s=%s", sw->axes[d].params[j].key, t);
    }
  printf(" replicate=%zu  seed=%016llx%s\n", coords[sw->n_axes], (unsigned long long)spec.seed,
         tms_grid_excluded(sw, index) ? "  (excluded)" : "");
}

static void print_bytes(double bytes) {
  const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (bytes >= 1000 && u < 5) bytes /= 1000, u++;
  printf("%.3g %s", bytes, units[u]);
}

/* The command line: the one sweep file into *path. Returns -1 to go on, else the exit code. */
static int plan_args(int argc, char **argv, const char **path) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      plan_usage(stdout);
      return TMS_EXIT_OK;
    }
    if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "tms-sweep plan: unknown flag '%s'\n\n", argv[i]);
      plan_usage(stderr);
      return TMS_EXIT_USAGE;
    }
    if (*path) {
      fprintf(stderr, "tms-sweep plan: one sweep file only (got '%s' and '%s')\n\n", *path, argv[i]);
      plan_usage(stderr);
      return TMS_EXIT_USAGE;
    }
    *path = argv[i];
  }
  if (!*path) {
    plan_usage(stderr);
    return TMS_EXIT_USAGE;
  }
  return -1;
}

/* The grid's dimensions (axes and zip groups with their values, then replicate) and the fixed parameters. */
static void print_dimensions(const tms_sweep *sw) {
  printf("dimensions:   %d (C order, last fastest)\n", tms_grid_rank(sw));
  for (int d = 0; d < sw->n_axes; d++) {
    const tms_axis *a = &sw->axes[d];
    printf("  %-20s %6d  ", a->name, a->size);
    if (a->is_zip) {
      printf("zip {");
      for (int j = 0; j < a->n_params; j++) {
        printf("%s%s: [", j ? "; " : "", a->params[j].key);
        print_values(&a->params[j]);
        printf("]");
      }
      printf("}\n");
    } else {
      printf("[");
      print_values(&a->params[0]);
      printf("]\n");
    }
  }
  printf("  %-20s %6d\n", "replicate", sw->replicates);
  printf("fixed:       ");
  if (sw->n_fixed == 0) printf(" (none)");
  for (int i = 0; i < sw->n_fixed; i++) {
    char t[48];
    value_text(&sw->fixed[i].values[0], t, sizeof t);
    printf(" %s=%s", sw->fixed[i].key, t);
  }
  printf("\n");
}

/* Sizes, cost, run settings and the config hash. */
static void print_totals(const tms_sweep *sw) {
  int n_max, m_max, has_w2;
  size_t curve_max;
  tms_grid_extent(sw, &n_max, &m_max, &curve_max, &has_w2);
  printf("largest:      n_features %d, n_hidden %d, loss curve %zu entries%s", n_max, m_max, curve_max,
         has_w2 ? ", W2 stored (abs)" : "");
  const size_t snapshots = tms_grid_snapshot_max(sw);
  if (snapshots > 0) printf(", W history %zu snapshots", snapshots);
  const size_t evals = tms_grid_eval_max(sw);
  if (evals > 0) printf(", eval curve %zu entries", evals);
  printf("\n");
  printf("model-steps:  %.4g\n", tms_grid_model_steps(sw));
  printf("output size:  ");
  print_bytes(tms_grid_output_bytes(sw));
  printf(" (limit %g GB, run.max_output_gb)\n", sw->run.max_output_gb);
  printf("run:          max_attempts %d, point_timeout_s %g, progress_every_s %g, stop_grace_s %g, bundle %d\n",
         sw->run.max_attempts, sw->run.point_timeout_s, sw->run.progress_every_s, sw->run.stop_grace_s, sw->run.bundle);
  printf("config hash:  %016llx\n", (unsigned long long)tms_grid_config_hash(sw));
}

int tms_cmd_plan(int argc, char **argv) {
  const char *path = NULL;
  int rc = plan_args(argc, argv, &path);
  if (rc >= 0) return rc;

  tms_sweep sw;
  tms_error err;
  if (tms_sweep_load(&sw, path, &err) != TMS_OK) {
    char msg[1024];
    tms_error_format(&err, msg, sizeof msg);
    fprintf(stderr, "tms-sweep plan: %s\n", msg);
    return TMS_EXIT_USAGE;
  }

  size_t count = tms_grid_count(&sw), excluded = 0, dims[32];
  tms_grid_shape(&sw, dims);
  for (size_t i = 0; i < count; i++) excluded += (size_t)tms_grid_excluded(&sw, i);
  printf("sweep:        %s (%s)\n", sw.name, sw.path);
  printf("schema:       %s\n", sw.schema);
  printf("master seed:  %llu\n", (unsigned long long)sw.seed);
  print_dimensions(&sw);
  printf("points:       %zu (", count);
  for (int d = 0; d <= sw.n_axes; d++) printf("%s%zu", d ? " x " : "", dims[d]);
  printf(")\n");
  printf("excluded:     %zu\n", excluded);
  printf("to train:     %zu\n", count - excluded);
  printf("first and last points:\n");
  size_t shown = count < 6 ? count : 3;
  for (size_t i = 0; i < shown; i++) print_point(&sw, i);
  if (count > 6) {
    printf("  ...\n");
    for (size_t i = count - 3; i < count; i++) print_point(&sw, i);
  } else {
    for (size_t i = shown; i < count; i++) print_point(&sw, i);
  }
  print_totals(&sw);
  tms_sweep_free(&sw);
  return TMS_EXIT_OK;
}
