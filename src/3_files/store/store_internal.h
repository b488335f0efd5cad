/* store_internal: what the files of the store module share (store.c: lifecycle and commits; layout.c: the
 * metadata written once at creation; h5.c: small HDF5 helpers). Not a public interface.
 * Invariant: ds[k] is open for every dataset of the schema's results table present in the file, -1 otherwise. */
#ifndef TMS_STORE_INTERNAL_H
#define TMS_STORE_INTERNAL_H
#include <hdf5.h>

#include "core/spec.h"
#include "schema/schema_h5.h"
#include "store/reuse.h"
#include "store/store.h"

struct tms_store {
  char path[1024];
  hid_t file;
  hid_t ds[TMS_DS_COUNT]; /* -1 when absent (W2 without abs points, W_history without snapshots, ...) */
  tms_schema_extent ext;  /* grid and padding extents of this sweep */
  size_t count;
  uint8_t *status;
  int32_t *attempts, *errors;
  size_t retrain; /* done or failed points a forced resume put back to pending (their parameters changed) */
};

/* An old results file given to --reuse (reuse.h), open read-only, with the index of its done points. */
typedef struct {
  uint64_t key; /* store_reuse_key of the point's /params values and seed */
  size_t old;   /* its index in the old file */
} store_reuse_key;

struct tms_reuse_src {
  char path[1024];
  hid_t file;
  hid_t ds[TMS_DS_COUNT]; /* -1 when absent from the old file */
  hid_t *pd;              /* /params/<key> by registry index; -1 for the parameter that is not stored */
  int np;                 /* tms_param_count() */
  tms_schema_extent ext;  /* the old file's extents (validated) */
  size_t count, done;
  store_reuse_key *keys; /* the done points, sorted by key */
  char git_commit[64], kernels_isa[32];
};

/* ---- reuse.c ---- */
/* Key of a point: a hash of its /params values (np of them by registry index, NaN for the one not stored; every
 * NaN counts as one value) and its seed. Equal points have equal keys; the copy compares the values themselves. */
uint64_t store_reuse_key_of(const double *vals, int np, uint64_t seed);
/* The /params values of spec by registry index (vals has np entries). */
void store_reuse_values(const tms_spec *spec, double *vals, int np);
/* Reads /params values and seeds of the old points [a, a + len) into vals (len x np, point-major) and seed. */
int store_reuse_read_params(const tms_reuse_src *src, size_t a, size_t len, double *vals, double *col,
                            uint64_t *seed);

/* ---- h5.c ---- */
tms_status store_h5fail(tms_error *err, const char *path, const char *what);
int store_attr_write(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank, const hsize_t *dims,
                     const void *buf);
int store_attr_str(hid_t loc, const char *name, const char *s);
int store_attr_strs(hid_t loc, const char *name, const char *const *s, size_t n);
int store_attr_i64(hid_t loc, const char *name, int64_t v);
int store_attr_u64(hid_t loc, const char *name, uint64_t v);
/* Reads a scalar string attribute (variable or fixed length) into buf; -1 if absent or not a string. */
int store_attr_read_str(hid_t loc, const char *name, char *buf, size_t size);
/* Contiguous dataset, allocated early at full size, filled with *fill (if not NULL); creates intermediate groups. */
hid_t store_dataset_create(hid_t file, const char *name, hid_t ftype, int rank, const hsize_t *dims, hid_t fill_mtype,
                           const void *fill);
/* Writes (write = 1) or reads the rows of the len consecutive points from point a (C order over the grid of e),
 * all trailing elements, of dataset d from/into buf: one H5Dwrite/H5Dread of at most 2 x rank blocks. */
int store_run_io(hid_t d, const tms_schema_extent *e, hid_t mtype, size_t a, size_t len, void *buf, int write);
int store_write_all(hid_t d, hid_t mtype, const void *buf);
hid_t store_open_fapl(void); /* MPI-IO on MPI_COMM_SELF */

/* ---- layout.c ---- */
/* Root attributes, per the schema's table. */
tms_status store_write_root_attrs(tms_store *st, const tms_sweep *sweep, const tms_store_provenance *prov,
                                  tms_error *err);
/* /params/<key> for every registry parameter except sparsity, and /points/seed; all points. With create = 0 the
 * datasets exist already (forced resume) and only their data is rewritten. With create, the new datasets are
 * appended to attach (for the dimension scales); the caller closes them. */
tms_status store_write_params(tms_store *st, const tms_sweep *sweep, int create, hid_t *attach, int *n_attach,
                              tms_error *err);
/* /axes: one dimension scale per grid dim, attached to every grid-shaped dataset in attach[0..n_attach). */
tms_status store_write_axes(tms_store *st, const tms_sweep *sweep, const hid_t *attach, int n_attach,
                            tms_error *err);

#endif
