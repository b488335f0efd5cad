/* csv: spreadsheet copies of the post products, one header row each, axis values as leading columns:
 *   phase.csv    one row per cell (grid without replicate): majority class, fractions, theory class, summaries;
 *   summary.csv  one row per point (grid incl. replicate): status, loss, D*, class, counts, vulnerability;
 *   features.csv one row per point and feature i < n of that point: norm, s_i, D_i, geometry label.
 * A zip group contributes its index column and one column per member. Missing values are written as "nan".
 * Not here: HDF5. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"
#include "post/post.h"

/* Writes a field, quoted when it holds a comma, quote or newline. */
static void field(FILE *f, const char *s) {
  if (strpbrk(s, ",\"\n")) {
    fputc('"', f);
    for (; *s; s++) {
      if (*s == '"') fputc('"', f);
      fputc(*s, f);
    }
    fputc('"', f);
  } else {
    fputs(s, f);
  }
}

static void num(FILE *f, double v) {
  if (isnan(v)) {
    fputs(",nan", f);
    return;
  }
  char t[64];
  for (int prec = 6; prec <= 17; prec++) {
    snprintf(t, sizeof t, "%.*g", prec, v);
    if (strtod(t, NULL) == v) break;
  }
  fprintf(f, ",%s", t);
}

static void header_axes(FILE *f, const tms_post_results *res, int dims) {
  int first = 1;
  for (int k = 0; k < dims; k++)
    for (int c = 0; c < res->axes[k].n_columns; c++) {
      if (!first) fputc(',', f);
      field(f, res->axes[k].columns[c].name);
      first = 0;
    }
}

/* Axis columns of the flat index idx over the first dims dims. */
static void row_axes(FILE *f, const tms_post_results *res, int dims, size_t idx) {
  size_t coord[TMS_SCHEMA_MAX_RANK];
  for (int k = dims - 1; k >= 0; k--) {
    coord[k] = idx % res->dims[k];
    idx /= res->dims[k];
  }
  int first = 1;
  for (int k = 0; k < dims; k++)
    for (int c = 0; c < res->axes[k].n_columns; c++) {
      if (!first) fputc(',', f);
      field(f, res->axes[k].columns[c].text[coord[k]]);
      first = 0;
    }
}

static tms_status open_csv(FILE **f, const char *dir, const char *name, char *path, size_t size, tms_error *err) {
  snprintf(path, size, "%s/%s", dir, name);
  *f = fopen(path, "w");
  if (!*f) return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot write: %s", strerror(errno));
  return TMS_OK;
}

static tms_status close_csv(FILE *f, const char *path, tms_error *err) {
  int bad = ferror(f);
  if (fclose(f) != 0 || bad) return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "write failed");
  return TMS_OK;
}

static const char *class_name(int k) { return k < 0 ? "none" : tms_phase_name((tms_phase)k); }

tms_status tms_post_write_csv(const char *dir, const tms_post_results *res, const tms_post_products *pp,
                              tms_error *err) {
  char path[2048];
  FILE *f;
  int cd = res->rank - 1, pd = res->rank;
  size_t N = (size_t)res->n_max;
  tms_status st = open_csv(&f, dir, "phase.csv", path, sizeof path, err);
  if (st != TMS_OK) return st;
  header_axes(f, res, cd);
  fputs(cd ? "," : "", f);
  fputs("class,class_name,fraction_not_represented,fraction_dedicated,fraction_superposition,seeds_used", f);
  if (pp->theory_class) fputs(",theory_class", f);
  fputs(",loss_best,loss_mean,dstar_mean,best_replicate\n", f);
  for (size_t c = 0; c < res->cells; c++) {
    row_axes(f, res, cd, c);
    fprintf(f, "%s%d,%s", cd ? "," : "", pp->cell_class[c], class_name(pp->cell_class[c]));
    for (int k = 0; k < 3; k++) num(f, pp->fraction[c * 3 + (size_t)k]);
    fprintf(f, ",%d", pp->seeds_used[c]);
    if (pp->theory_class) fprintf(f, ",%d", pp->theory_class[c]);
    num(f, pp->loss_best[c]);
    num(f, pp->loss_mean[c]);
    num(f, pp->dstar_mean[c]);
    fprintf(f, ",%lld\n", (long long)pp->best_replicate[c]);
  }
  if ((st = close_csv(f, path, err)) != TMS_OK) return st;

  if ((st = open_csv(&f, dir, "summary.csv", path, sizeof path, err)) != TMS_OK) return st;
  header_axes(f, res, pd);
  fputs(",status,loss,dstar,features_per_dim,class,represented,total_interference,vulnerability,"
        "vulnerability_per_example\n",
        f);
  for (size_t p = 0; p < res->points; p++) {
    row_axes(f, res, pd, p);
    fprintf(f, ",%d", res->status[p]);
    num(f, tms_point_done(res->status[p]) && res->loss ? res->loss[p] : NAN);
    num(f, pp->dstar[p]);
    num(f, pp->features_per_dim[p]);
    fprintf(f, ",%d,%d", pp->class_per_seed[p], pp->represented[p]);
    num(f, pp->total_interference[p]);
    num(f, pp->vulnerability[p]);
    num(f, pp->vulnerability_per_example[p]);
    fputc('\n', f);
  }
  if ((st = close_csv(f, path, err)) != TMS_OK) return st;

  if ((st = open_csv(&f, dir, "features.csv", path, sizeof path, err)) != TMS_OK) return st;
  header_axes(f, res, pd);
  fputs(",feature,norm,interference,dimensionality,geometry\n", f);
  for (size_t p = 0; p < res->points; p++) {
    tms_variant v;
    int n, m;
    tms_post_point_shape(res, p, &v, &n, &m);
    for (int i = 0; i < n; i++) {
      size_t k = p * N + (size_t)i;
      row_axes(f, res, pd, p);
      fprintf(f, ",%d", i);
      num(f, pp->norm[k]);
      num(f, pp->interference[k]);
      num(f, pp->dimensionality[k]);
      fputc(',', f);
      field(f, pp->geometry[k] >= 0 ? tms_geometry_name_at(pp->geometry[k])
                                    : (isnan(pp->dimensionality[k]) ? "none" : "other"));
      fputc('\n', f);
    }
  }
  return close_csv(f, path, err);
}
