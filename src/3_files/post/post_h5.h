/* post_h5: the small HDF5 helpers the post module shares (private to src/3_files/post; no hid_t in public headers).
 * Every helper returns a tms_status and names the object it failed on; none prints. HDF5's automatic error
 * printing is suppressed around probes that are expected to fail.
 * Not here: any knowledge of which datasets a results or post file holds. */
#ifndef TMS_POST_H5_H
#define TMS_POST_H5_H
#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "schema/schema_h5.h" /* tms_schema_h5_exists */

int post_h5_attr_exists(hid_t obj, const char *name);

/* Shape of a dataset: rank and dims (dims holds up to 32). */
tms_status post_h5_shape(hid_t file, const char *path, int *rank, hsize_t *dims, tms_error *err);
/* Reads the whole dataset into buf as memtype; its element count must be count. */
tms_status post_h5_read(hid_t file, const char *path, hid_t memtype, void *buf, size_t count, tms_error *err);

/* Strings of an attribute (is_attr) or dataset, fixed- or variable-length; *out gets count malloc'ed strings. */
tms_status post_h5_read_strings(hid_t obj, int is_attr, const char *what, char ***out, size_t *count,
                                tms_error *err);
tms_status post_h5_attr_strings(hid_t obj, const char *name, char ***out, size_t *count, tms_error *err);
/* First string of an attribute into buf. */
tms_status post_h5_attr_text(hid_t obj, const char *name, char *buf, size_t size, tms_error *err);
void post_free_strings(char **s, size_t count);

/* Creates path (refusing an existing file unless force) with default property lists: serial, no MPI. */
tms_status post_h5_create(const char *path, int force, hid_t *file, tms_error *err);
/* Writes a new dataset, creating intermediate groups. */
tms_status post_h5_write(hid_t file, const char *path, hid_t memtype, int rank, const hsize_t *dims, const void *buf,
                         tms_error *err);
tms_status post_h5_write_attr_text(hid_t obj, const char *name, const char *text, tms_error *err);
tms_status post_h5_write_attr_texts(hid_t obj, const char *name, const char *const *texts, size_t count,
                                    tms_error *err);
tms_status post_h5_write_attr_i64s(hid_t obj, const char *name, const int64_t *v, size_t count, tms_error *err);
tms_status post_h5_write_attr_i64(hid_t obj, const char *name, int64_t v, tms_error *err); /* scalar */
tms_status post_h5_write_attr_doubles(hid_t obj, const char *name, const double *v, size_t count, tms_error *err);
tms_status post_h5_write_attr_double(hid_t obj, const char *name, double v, tms_error *err);
/* Copies group path of src (datasets and subgroups, values and dtypes, no attributes) into dst at the same path. */
tms_status post_h5_copy_group(hid_t src, hid_t dst, const char *path, tms_error *err);

/* Root attributes of a post file (schema, source, source_config_hash, grid_shape, dim_names of grid', feature,
 * tool_version, created); shared by the empirical and the theory writers. */
tms_status post_write_root(hid_t file, const char *source, const char *config_hash, int rank, const size_t *dims,
                           const char *const *names, long feature, tms_error *err);

#endif
