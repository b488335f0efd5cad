/* status: every status code tms returns, and the error record that carries file:line:col context.
 * Library code returns a tms_status and fills a tms_error; only src/bin prints errors and picks exit codes.
 * The list is one X-macro, so enum, names and messages can never drift apart. */
#ifndef TMS_STATUS_H
#define TMS_STATUS_H
#include <stddef.h>

#define TMS_STATUS_LIST(X)                                                       \
  X(TMS_OK, "ok")                                                                \
  X(TMS_ERR_NOMEM, "out of memory")                                              \
  X(TMS_ERR_IO, "cannot read or write a file")                                   \
  X(TMS_ERR_PARSE, "not valid YAML")                                             \
  X(TMS_ERR_CONFIG, "invalid configuration")                                     \
  X(TMS_ERR_USAGE, "invalid command-line usage")                                 \
  X(TMS_ERR_DIVERGED, "training diverged (loss became NaN or infinite)")         \
  X(TMS_ERR_TIMEOUT, "point exceeded its time limit")                            \
  X(TMS_ERR_INTERRUPTED, "stopped by a signal before finishing")                 \
  X(TMS_ERR_HDF5, "HDF5 call failed")                                            \
  X(TMS_ERR_MPI, "MPI call failed")                                              \
  X(TMS_ERR_EXISTS, "output file exists (use --force to overwrite)")             \
  X(TMS_ERR_MISMATCH, "results file belongs to a different sweep")               \
  X(TMS_ERR_SCHEMA, "file is not a tms results file of a supported schema")      \
  X(TMS_ERR_MISSING, "results file lacks data this product needs")               \
  X(TMS_ERR_TOO_LARGE, "results file would exceed the size limit")                \
  X(TMS_ERR_LOCKED, "results file is being written by another run")             \
  X(TMS_ERR_NOSPACE, "no space left on the file system of the results file")

typedef enum {
#define TMS_X_ENUM(code, msg) code,
  TMS_STATUS_LIST(TMS_X_ENUM)
#undef TMS_X_ENUM
  TMS_STATUS_COUNT
} tms_status;

const char *tms_status_name(tms_status s);    /* "TMS_ERR_CONFIG" */
const char *tms_status_message(tms_status s); /* "invalid configuration" */

/* Where and why something failed. line/col are 1-based; 0 means unknown. */
typedef struct {
  tms_status status;
  char file[256];
  int line, col;
  char key[64];
  char msg[512];
} tms_error;

/* Fills err (if not NULL) and returns status. file/key may be NULL. */
tms_status tms_error_set(tms_error *err, tms_status status, const char *file, int line, int col, const char *key,
                         const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* "file:line:col: key: msg" (parts that are unknown are left out). */
void tms_error_format(const tms_error *err, char *buf, size_t size);

#endif
