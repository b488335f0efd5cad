/* theory_file: `tms-post theory`: the closed-form phase diagram (O4 for n=2, m=1; O5 for n=3, m=2) on a grid of
 * last-feature importance r x density p, written in the post schema (/phase/class, /axes) so the analysis scripts
 * plot theory and experiment with one code path. Importances are (1, r) and (1, 1, r) as in the paper. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "post_h5.h"
#include "metrics/metrics.h"
#include "post/post.h"
#include "post/theory.h"
#include "schema/schema_h5.h"

static tms_status write_csv(const char *dir, const double *importance, size_t ni, const double *density, size_t nd,
                            const int8_t *klass, tms_error *err) {
  char path[2048];
  snprintf(path, sizeof path, "%s/phase.csv", dir);
  FILE *f = fopen(path, "w");
  if (!f) return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot write: %s", strerror(errno));
  fputs("last_importance,density,class,class_name\n", f);
  for (size_t i = 0; i < ni; i++)
    for (size_t j = 0; j < nd; j++) {
      int k = klass[i * nd + j];
      fprintf(f, "%.17g,%.17g,%d,%s\n", importance[i], density[j], k,
              k < 0 ? "none" : tms_phase_name((tms_phase)k));
    }
  int bad = ferror(f);
  if (fclose(f) != 0 || bad) return tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "write failed");
  return TMS_OK;
}

tms_status tms_theory_write_file(const char *path, int n, int m, const double *importance, size_t ni,
                                 const double *density, size_t nd, int force, const char *csv_dir, tms_error *err) {
  if (!((n == 2 && m == 1) || (n == 3 && m == 2)))
    return tms_error_set(err, TMS_ERR_USAGE, NULL, 0, 0, "n", "closed forms exist for n=2 m=1 (O4) and n=3 m=2 (O5), "
                         "not n=%d m=%d", n, m);
  if (ni == 0 || nd == 0) return tms_error_set(err, TMS_ERR_USAGE, NULL, 0, 0, NULL, "empty grid");
  for (size_t j = 0; j < nd; j++)
    if (!(density[j] > 0 && density[j] <= 1))
      return tms_error_set(err, TMS_ERR_USAGE, NULL, 0, 0, "density", "density %g is outside (0, 1]", density[j]);
  for (size_t i = 0; i < ni; i++)
    if (!(importance[i] > 0))
      return tms_error_set(err, TMS_ERR_USAGE, NULL, 0, 0, "last_importance", "importance %g is not positive",
                           importance[i]);
  int8_t *klass = malloc(ni * nd);
  if (!klass) return tms_error_set(err, TMS_ERR_NOMEM, NULL, 0, 0, NULL, "no memory");
  for (size_t i = 0; i < ni; i++)
    for (size_t j = 0; j < nd; j++) {
      double imp[3] = {1.0, n == 3 ? 1.0 : importance[i], importance[i]};
      klass[i * nd + j] = (int8_t)tms_theory_class(n, imp, density[j]);
    }
  hid_t file;
  tms_status st = post_h5_create(path, force, &file, err);
  if (st != TMS_OK) {
    free(klass);
    return st;
  }
  size_t dims[2] = {ni, nd};
  const char *names[2] = {"last_importance", "density"};
  char source[96];
  snprintf(source, sizeof source, "theory: closed form %s (n=%d, m=%d)", n == 2 ? "O4" : "O5", n, m);
  st = post_write_root(file, source, "", 2, dims, names, n - 1, err);
  hsize_t hd[2] = {ni, nd}, hi = ni, hn = nd;
  if (st == TMS_OK) st = post_h5_write(file, "/phase/class", H5T_NATIVE_INT8, 2, hd, klass, err);
  if (st == TMS_OK) st = post_h5_write(file, "/axes/last_importance", H5T_NATIVE_DOUBLE, 1, &hi, importance, err);
  if (st == TMS_OK) st = post_h5_write(file, "/axes/density", H5T_NATIVE_DOUBLE, 1, &hn, density, err);
  if (st == TMS_OK) { /* the netCDF-4 view: class(last_importance, density) with its coordinates */
    tms_schema_extent e = {.rank = 3, .dims = {ni, nd, 1}};
    const char *all[3] = {names[0], names[1], TMS_SCHEMA_REPLICATE};
    st = tms_schema_h5_netcdf(file, path, TMS_FILE_POST, &e, all, err);
  }
  if (H5Fclose(file) < 0 && st == TMS_OK)
    st = tms_error_set(err, TMS_ERR_IO, path, 0, 0, NULL, "cannot close (flush) the file");
  if (st == TMS_OK && csv_dir) st = write_csv(csv_dir, importance, ni, density, nd, klass, err);
  free(klass);
  return st;
}
