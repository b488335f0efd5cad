/* schema_h5: the HDF5 side of the schema, for the modules of the files layer (store, post) only: the HDF5 type of
 * each schema type, and the validation of a file that is already open (the store opens with MPI-IO, tms-post
 * serially). Not a public interface above src/3_files: nothing outside the files layer holds an hid_t.
 * Invariant: a type written with tms_schema_h5_file_type reads back through tms_schema_h5_mem_type unchanged. */
#ifndef TMS_SCHEMA_H5_H
#define TMS_SCHEMA_H5_H
#include <hdf5.h>

#include "schema/schema.h"

hid_t tms_schema_h5_file_type(tms_schema_type t); /* little-endian file type; numeric types only */
hid_t tms_schema_h5_mem_type(tms_schema_type t);  /* native memory type; numeric types only */
/* 1 if the dataset's stored type is the schema type (class, size and sign; byte order free). */
int tms_schema_h5_type_is(hid_t dtype, tms_schema_type t);

/* 1 if every link of path exists below loc, else 0 (h5link.c; never prints an HDF5 error). */
int tms_schema_h5_exists(hid_t loc, const char *path);
/* 1 if path is a dataset, 2 if it exists but is something else, 0 if it does not exist. */
int tms_schema_h5_dataset_at(hid_t loc, const char *path);

/* tms_schema_check_file on an open file; path only names it in errors. */
tms_status tms_schema_check_h5(hid_t file, const char *path, tms_schema_file kind, int strict,
                               tms_schema_extent *out, tms_error *err);

/* The netCDF-4 view (netcdf.c): dimension scales for every dim of every dataset of the table present in the file,
 * named dim_names[0..rank) for the grid and feature, hidden, curve, snapshot, eval, class after it, linked into the
 * root and each group that uses them; string scales get _Encoding. The grid scales /axes/<dim> must exist. */
tms_status tms_schema_h5_netcdf(hid_t file, const char *path, tms_schema_file kind, const tms_schema_extent *e,
                                const char *const *dim_names, tms_error *err);

#endif
