/* netcdf: the netCDF-4 reading of a results or post file (xarray with engine="h5netcdf", ncdump). Every dim of
 * every dataset in the tables gets an HDF5 dimension scale: the grid dims are /axes/<dim> (written by the store or
 * copied by tms-post), the trailing dims are index scales /axes/feature, /axes/hidden, ... made here. netCDF finds
 * a dimension in the variable's group or an ancestor, and xarray takes coordinates from the opened group only, so
 * each scale is also hard-linked (the same object, no copy) into the root group and into every group holding a
 * dataset that uses it. Fixed-length string scales (parallel HDF5 cannot write variable-length data) carry
 * _Encoding = "utf-8", which xarray decodes to str.
 * Invariant: called once, while the file's metadata is being created (before the store's first flush). */
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema_h5.h"

/* A post file of a grid of replicates only has one cell; cell-led datasets are 1-D of size 1 along it. */
#define NC_ONE_CELL "cell"

typedef struct {
  hid_t file;
  const char *path;
  const tms_schema_extent *e;
  char names[TMS_SCHEMA_MAX_RANK][96]; /* grid dim names */
  tms_error *err;
} nc_ctx;

static tms_status fail(nc_ctx *c, const char *what, const char *obj) {
  return tms_error_set(c->err, TMS_ERR_HDF5, c->path, 0, 0, obj, "cannot %s %s (netCDF dimensions)", what, obj);
}

/* Links /axes/<dim> as <group>/<dim> unless something of that name is there already. */
static tms_status link_scale(nc_ctx *c, const char *group, const char *dim) {
  char src[160], dst[640];
  snprintf(src, sizeof src, TMS_SCHEMA_AXES "/%s", dim);
  snprintf(dst, sizeof dst, "%s/%s", group, dim);
  if (tms_schema_h5_exists(c->file, dst) || !tms_schema_h5_exists(c->file, src)) return TMS_OK;
  return H5Lcreate_hard(c->file, src, c->file, dst, H5P_DEFAULT, H5P_DEFAULT) < 0 ? fail(c, "link", dst) : TMS_OK;
}

/* A fixed-length string dataset gets _Encoding = "utf-8" (netCDF's convention), which xarray decodes to str. */
static tms_status mark_utf8(nc_ctx *c, const char *path) {
  hid_t d = H5Dopen2(c->file, path, H5P_DEFAULT);
  if (d < 0) return fail(c, "open", path);
  hid_t t = H5Dget_type(d);
  int is_str = H5Tget_class(t) == H5T_STRING, marked = H5LTfind_attribute(d, "_Encoding") > 0;
  H5Tclose(t);
  H5Dclose(d);
  if (!is_str || marked) return TMS_OK;
  return H5LTset_attribute_string(c->file, path, "_Encoding", "utf-8") < 0 ? fail(c, "mark the encoding of", path)
                                                                           : TMS_OK;
}

/* /axes/<dim> becomes a dimension scale (a string one gets _Encoding); trailing dims are created as 0..size-1. */
static tms_status make_scale(nc_ctx *c, const char *dim, size_t size, int create) {
  char path[160];
  snprintf(path, sizeof path, TMS_SCHEMA_AXES "/%s", dim);
  if (!tms_schema_h5_exists(c->file, path)) {
    if (!create || size == 0) return TMS_OK; /* an absent dim (no W history, no replicates in a theory file) */
    int64_t *idx = malloc(size * sizeof *idx);
    if (!idx) return tms_error_set(c->err, TMS_ERR_NOMEM, c->path, 0, 0, NULL, "no memory for %s", path);
    for (size_t i = 0; i < size; i++) idx[i] = (int64_t)i;
    hsize_t n = size;
    herr_t rc = H5LTmake_dataset(c->file, path, 1, &n, H5T_NATIVE_INT64, idx);
    free(idx);
    if (rc < 0) return fail(c, "create", path);
  }
  hid_t d = H5Dopen2(c->file, path, H5P_DEFAULT);
  if (d < 0) return fail(c, "open", path);
  tms_status st = TMS_OK;
  if (H5DSis_scale(d) <= 0 && H5DSset_scale(d, dim) < 0) st = fail(c, "make a scale of", path);
  H5Dclose(d);
  return st == TMS_OK ? mark_utf8(c, path) : st;
}

/* Attaches scale `dim` to dimension k of dataset path and, when link, links the scale into the dataset's group. */
static tms_status attach_scale(nc_ctx *c, const char *path, unsigned k, const char *dim, int link) {
  char scale[160], group[400];
  snprintf(scale, sizeof scale, TMS_SCHEMA_AXES "/%s", dim);
  if (!tms_schema_h5_exists(c->file, scale)) return TMS_OK;
  hid_t d = H5Dopen2(c->file, path, H5P_DEFAULT), s = H5Dopen2(c->file, scale, H5P_DEFAULT);
  tms_status st = TMS_OK;
  if (d < 0 || s < 0) st = fail(c, "open", path);
  else if (H5DSis_attached(d, s, k) <= 0 && H5DSattach_scale(d, s, k) < 0) st = fail(c, "attach a scale to", path);
  if (d >= 0) H5Dclose(d);
  if (s >= 0) H5Dclose(s);
  snprintf(group, sizeof group, "%s", path);
  char *slash = strrchr(group, '/');
  if (slash) *slash = '\0';
  if (st == TMS_OK && link && group[0]) st = link_scale(c, group, dim);
  return st;
}

static tms_status attach(nc_ctx *c, const char *path, unsigned k, const char *dim) {
  return attach_scale(c, path, k, dim, 1);
}

/* Every dim of one table row, if the row is in the file. */
static tms_status attach_row(nc_ctx *c, const tms_schema_dataset *d) {
  if (!tms_schema_h5_exists(c->file, d->path)) return TMS_OK;
  int lead = d->lead == TMS_LEAD_CELLS ? c->e->rank - 1 : c->e->rank;
  tms_status st = TMS_OK;
  for (int k = 0; k < lead && st == TMS_OK; k++) st = attach(c, d->path, (unsigned)k, c->names[k]);
  for (int t = 0; t < TMS_SCHEMA_MAX_TRAIL && d->trail[t] != TMS_DIM_NONE && st == TMS_OK; t++)
    st = attach(c, d->path, (unsigned)(lead + t), tms_schema_dim_name(d->trail[t]));
  if (lead == 0 && d->trail[0] == TMS_DIM_NONE && st == TMS_OK) st = attach(c, d->path, 0, NC_ONE_CELL);
  return st;
}

/* Whether some row of the table present in the file has trailing dim t (a results file has no phase_class). */
static int dim_used(nc_ctx *c, const tms_schema_dataset *tab, int count, tms_schema_dim t) {
  for (int i = 0; i < count; i++)
    for (int k = 0; k < TMS_SCHEMA_MAX_TRAIL && tab[i].trail[k] != TMS_DIM_NONE; k++)
      if (tab[i].trail[k] == t && tms_schema_h5_exists(c->file, tab[i].path)) return 1;
  return 0;
}

typedef struct {
  nc_ctx *c;
  const char *dim;
  char group[200];
  tms_status st;
} members_ctx;

static herr_t attach_member(hid_t g, const char *name, const H5L_info_t *info, void *op) {
  (void)g;
  (void)info;
  members_ctx *m = op;
  char path[400];
  snprintf(path, sizeof path, "%s/%s", m->group, name);
  m->st = attach_scale(m->c, path, 0, m->dim, 0); /* no link while the group is being iterated */
  if (m->st == TMS_OK) m->st = mark_utf8(m->c, path);
  return m->st == TMS_OK ? 0 : -1;
}

/* The members of a zip group (/axes/<dim>_members/<key>, 1-D along the group's dim) get its scale, so the
 * members group opens in xarray with the dim named after the group. */
static tms_status attach_members(nc_ctx *c, const char *dim) {
  members_ctx m = {c, dim, {0}, TMS_OK};
  snprintf(m.group, sizeof m.group, TMS_SCHEMA_AXES "/%s_members", dim);
  if (!tms_schema_h5_exists(c->file, m.group)) return TMS_OK;
  hid_t g = H5Gopen2(c->file, m.group, H5P_DEFAULT);
  if (g < 0) return fail(c, "open", m.group);
  hsize_t idx = 0;
  herr_t rc = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, attach_member, &m);
  H5Gclose(g);
  if (m.st == TMS_OK && rc < 0) return fail(c, "list", m.group);
  return m.st; /* no link into the members group: readers list its members */
}

tms_status tms_schema_h5_netcdf(hid_t file, const char *path, tms_schema_file kind, const tms_schema_extent *e,
                                const char *const *dim_names, tms_error *err) {
  nc_ctx c = {file, path, e, {{0}}, err};
  for (int k = 0; k < e->rank; k++) snprintf(c.names[k], sizeof c.names[k], "%s", dim_names[k]);
  int count;
  const tms_schema_dataset *tab = tms_schema_datasets(kind, &count);
  tms_status st = TMS_OK;
  for (int k = 0; k < e->rank && st == TMS_OK; k++) st = make_scale(&c, c.names[k], e->dims[k], 0);
  for (int t = TMS_DIM_CURVE; t < TMS_DIM_COUNT && st == TMS_OK; t++)
    if (dim_used(&c, tab, count, (tms_schema_dim)t))
      st = make_scale(&c, tms_schema_dim_name((tms_schema_dim)t), tms_schema_dim_size((tms_schema_dim)t, e), 1);
  if (kind == TMS_FILE_POST && e->rank == 1 && st == TMS_OK) st = make_scale(&c, NC_ONE_CELL, 1, 1);
  for (int i = 0; i < count && st == TMS_OK; i++) st = attach_row(&c, &tab[i]);
  for (int k = 0; k < e->rank && st == TMS_OK; k++) st = attach_members(&c, c.names[k]);
  /* the root sees every dim, so groups without their own links (/params) resolve them too */
  for (int k = 0; k < e->rank && st == TMS_OK; k++) st = link_scale(&c, "", c.names[k]);
  if (st == TMS_OK) st = link_scale(&c, "", NC_ONE_CELL);
  for (int t = TMS_DIM_CURVE; t < TMS_DIM_COUNT && st == TMS_OK; t++)
    st = link_scale(&c, "", tms_schema_dim_name((tms_schema_dim)t)); /* skips the dims this file lacks */
  return st;
}
