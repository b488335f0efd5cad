/* sci_h5: the few HDF5 reads the science checkers need, each returning float64 whatever the stored type.
 * Not a reader of the whole results layout (that is src/3_files/store and src/3_files/post); these helpers open one dataset or
 * attribute by path, so a checker can read a results or post file written by the real binaries.
 * Invariant: every function prints what failed (file, path) and returns NULL / nonzero; callers just exit 1. */
#ifndef TMS_SCI_H5_H
#define TMS_SCI_H5_H
#include <stddef.h>

#define SCI_MAX_RANK 8

typedef struct {
  double *v;                  /* row-major values, converted to double */
  int rank;
  size_t dims[SCI_MAX_RANK];
  size_t count;               /* product of dims */
} sci_array;

/* Reads dataset `path` of `file` (whole) into a, converted to double. Returns 0 on success. */
int sci_read(sci_array *a, const char *file, const char *path);
void sci_free(sci_array *a);
/* Reads a scalar numeric attribute `name` of object `obj` ("/" for the root). Returns 0 on success. */
int sci_read_attr(double *out, const char *file, const char *obj, const char *name);
/* Index of `word` in the string-array attribute `choices` of dataset `path` (the int8 word codes of
 * /params/<key>); -1 if absent (printed). */
int sci_choice_code(const char *file, const char *path, const char *word);
/* Requires a to have the given rank and, for each dims[k] >= 0, that size; prints what differed. */
int sci_expect_shape(const sci_array *a, const char *what, int rank, const long *dims);

#endif
