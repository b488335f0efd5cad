/* config: a sweep file (YAML, schema tms-sweep/1) read with libyaml into a plain struct, fully validated.
 * Every key, type and range is checked here, with file:line:col of the offending key, before anything runs.
 * Knows nothing of MPI or HDF5. The grid (grid.h) turns the struct into points. */
#ifndef TMS_CONFIG_H
#define TMS_CONFIG_H
#include <stddef.h>
#include <stdint.h>

#include "core/spec.h"
#include "core/status.h"

/* One parameter with its values: one value in `fixed`, the materialised list in an axis or zip member. */
typedef struct {
  char key[32];
  tms_value *values;
  int count;
  int line, col; /* where the key was written */
} tms_sweep_param;

/* A grid dimension: a plain axis (one param, name = key) or a zip group (several params of equal length). */
typedef struct {
  char name[32];
  int is_zip;
  tms_sweep_param *params;
  int n_params;
  int size;
  int line, col;
} tms_axis;

/* A point is excluded when every condition matches (numbers compared with relative tolerance 1e-9). */
typedef struct {
  tms_sweep_param *conds; /* each with count 1 */
  int n_conds;
  int line, col;
} tms_exclude;

typedef struct {
  int max_attempts;        /* tries per point, >= 1 (default 2) */
  double point_timeout_s;  /* 0 = none (default 0) */
  double progress_every_s; /* progress line cadence (default 10) */
  double stop_grace_s;     /* after SIGTERM/SIGUSR1, how long running points may finish (default 30) */
  double max_output_gb;    /* refuse grids whose results file would be larger (default 50) */
  int bundle;              /* points of one shape sent together (default 0 = automatic) */
} tms_run_settings;

typedef struct {
  char path[512];
  char *text;              /* the file verbatim (stored in results files) */
  size_t text_len;
  char schema[32];
  char name[64];
  uint64_t seed;
  tms_sweep_param *fixed;
  int n_fixed;
  tms_axis *axes;
  int n_axes;
  int replicates;          /* >= 1, default 1; the last grid dimension */
  tms_exclude *excludes;
  int n_excludes;
  tms_run_settings run;
  void *grid_cache;        /* private to grid.c (base spec, canonical bytes of unswept parameters); built by
                              tms_sweep_parse, freed by tms_sweep_free; NULL only makes the grid slower */
} tms_sweep;

/* Reads and validates path; on error nothing is left allocated and err names file:line:col and key. */
tms_status tms_sweep_load(tms_sweep *sweep, const char *path, tms_error *err);
/* The same from text in memory; path is used in messages. */
tms_status tms_sweep_parse(tms_sweep *sweep, const char *text, size_t len, const char *path, tms_error *err);
void tms_sweep_free(tms_sweep *sweep); /* safe on a zeroed struct */

#endif
