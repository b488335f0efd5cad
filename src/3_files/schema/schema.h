/* schema: every byte tms puts on disk. The results file of `tms-sweep run` / `tms-sweep train --out` (schema
 * "tms-results/1") and the post file of `tms-post` (schema "tms-post/1"): dataset paths, HDF5 types, shapes in terms
 * of the grid and the padding extents, what each holds, the attribute names, the point-status values and the one
 * limit on the grid's rank. The store, tms-post, the test fixtures and (through `tms-post layout --json`, which
 * prints these tables) the Python readers all take names, types and shapes from here; sweeps/results-layout.md and
 * sweeps/post-layout.md are generated from these tables and checked by a test (tests/post.cmake: layout_docs).
 * Not here: how values are computed or when they are written (store: kill-safety; post: products).
 * Invariants: a dataset's shape is its lead (the whole grid incl. replicate, or the cells = grid without replicate)
 * followed by at most TMS_SCHEMA_MAX_TRAIL named trailing dims; the tables are the only place a path is spelled. */
#ifndef TMS_SCHEMA_H
#define TMS_SCHEMA_H
#include <stddef.h>
#include <stdint.h>

#include "config/grid.h" /* TMS_GRID_MAX_RANK: the sweep layer defines the limit, the files layer re-exports it */
#include "core/status.h"

#define TMS_RESULTS_SCHEMA "tms-results/1"
#define TMS_POST_SCHEMA "tms-post/1"

/* Grid rank (axes + replicate) that every file may hold: the sweep definition refuses more axes, so a sweep that
 * runs is always one the store can write and tms-post can read. */
#define TMS_SCHEMA_MAX_RANK TMS_GRID_MAX_RANK
#define TMS_SCHEMA_MAX_TRAIL 3
/* The name of the last grid dim (always present). */
#define TMS_SCHEMA_REPLICATE "replicate"

/* /points/status values. Only a done point has results; everything else holds the fill values (NaN). */
enum { TMS_POINT_PENDING = 0, TMS_POINT_DONE = 1, TMS_POINT_FAILED = 2, TMS_POINT_SKIPPED = 3 };
static inline int tms_point_done(uint8_t status) { return status == TMS_POINT_DONE; }

/* Element types on disk (little-endian). */
typedef enum {
  TMS_SCHEMA_U8, TMS_SCHEMA_I8, TMS_SCHEMA_I32, TMS_SCHEMA_I64, TMS_SCHEMA_U64, TMS_SCHEMA_F32, TMS_SCHEMA_F64,
  TMS_SCHEMA_STR,  /* attributes: one variable-length UTF-8 string */
  TMS_SCHEMA_STRS, /* attributes: a 1-D array of variable-length UTF-8 strings */
  TMS_SCHEMA_TYPE_COUNT
} tms_schema_type;

/* Dims after the lead. Their sizes come from the extent; their names are the netCDF/xarray dimension names. */
typedef enum {
  TMS_DIM_NONE = 0,
  TMS_DIM_CURVE,    /* curve_len: entries of the training loss curve */
  TMS_DIM_FEATURE,  /* n_max */
  TMS_DIM_HIDDEN,   /* m_max */
  TMS_DIM_SNAPSHOT, /* snapshot_len */
  TMS_DIM_EVAL,     /* eval_len */
  TMS_DIM_CLASS,    /* "phase_class": the three phase classes (not "class": /phase/class is a variable) */
  TMS_DIM_COUNT
} tms_schema_dim;

typedef enum { TMS_LEAD_GRID = 0, TMS_LEAD_CELLS = 1 } tms_schema_lead;

/* When a dataset exists: always, or only for sweeps that need it. */
typedef enum {
  TMS_WHEN_ALWAYS = 0,
  TMS_WHEN_W2,        /* some point is `abs` (results: has_w2) */
  TMS_WHEN_SNAPSHOTS, /* snapshot_len > 0 */
  TMS_WHEN_EVAL,      /* eval_len > 0 */
  TMS_WHEN_THEORY,    /* some cell has a closed form (post file) */
  TMS_WHEN_TIMING,    /* a file made by a tms-sweep that records evaluation times (results: has_eval_s); files made
                         before it lack the dataset and are still read, resumed and reused without it */
  TMS_WHEN_COUNT
} tms_schema_when;

typedef struct {
  const char *path;
  tms_schema_type type;
  tms_schema_lead lead;
  tms_schema_dim trail[TMS_SCHEMA_MAX_TRAIL]; /* TMS_DIM_NONE-terminated */
  tms_schema_when when;
  const char *meaning;
} tms_schema_dataset;

typedef struct {
  const char *name;
  tms_schema_type type;
  int required; /* validation refuses a file without it */
  const char *meaning;
} tms_schema_attr;

/* The results file's per-point datasets (the /params/<key> family and /axes are described apart, below). */
typedef enum {
  TMS_DS_STATUS, TMS_DS_ATTEMPTS, TMS_DS_ERROR, TMS_DS_WALL, TMS_DS_EVAL_S, TMS_DS_SEED,
  TMS_DS_LOSS, TMS_DS_LOSS_SE, TMS_DS_CURVE, TMS_DS_W, TMS_DS_W2, TMS_DS_W_HISTORY, TMS_DS_EVAL_CURVE, TMS_DS_B,
  TMS_DS_NORM, TMS_DS_INTERFERENCE, TMS_DS_DIMENSIONALITY, TMS_DS_DSTAR,
  TMS_DS_COUNT
} tms_results_ds;

/* The post file's datasets (/axes is copied from the results file). */
typedef enum {
  TMS_PDS_CLASS_PER_SEED, TMS_PDS_FRACTION, TMS_PDS_CLASS, TMS_PDS_SEEDS_USED, TMS_PDS_THEORY_CLASS,
  TMS_PDS_BEST_CLASS, TMS_PDS_AWAY_FROM_BOUNDARY,
  TMS_PDS_LOSS_BEST, TMS_PDS_LOSS_MEAN, TMS_PDS_DSTAR_MEAN, TMS_PDS_BEST_REPLICATE,
  TMS_PDS_DSTAR, TMS_PDS_REPRESENTED, TMS_PDS_TOTAL_INTERFERENCE,
  TMS_PDS_GEOMETRY, TMS_PDS_NORM, TMS_PDS_INTERFERENCE, TMS_PDS_DIMENSIONALITY,
  TMS_PDS_VULNERABILITY, TMS_PDS_VULNERABILITY_PER_EXAMPLE, TMS_PDS_VULNERABILITY_ABSOLUTE,
  TMS_PDS_ATTACK_CLEAN_LOSS, TMS_PDS_FEATURES_PER_DIM,
  TMS_PDS_POLYSEMANTIC, TMS_PDS_FEATURES_PER_NEURON, TMS_PDS_W1_SCALED, TMS_PDS_W2_SCALED,
  TMS_PDS_DYN_JUMP_STEP, TMS_PDS_DYN_DROP_STEP, TMS_PDS_DYN_DROP, TMS_PDS_DYN_CHANCE, TMS_PDS_DYN_DIMENSIONALITY,
  TMS_PDS_COUNT
} tms_post_ds;

typedef enum { TMS_FILE_RESULTS = 0, TMS_FILE_POST = 1 } tms_schema_file;

const tms_schema_dataset *tms_schema_datasets(tms_schema_file kind, int *count);
const tms_schema_dataset *tms_schema_results_ds(tms_results_ds id);
const tms_schema_dataset *tms_schema_post_ds(tms_post_ds id);
/* Root attributes of each kind of file, in the order they are written. */
const tms_schema_attr *tms_schema_root_attrs(tms_schema_file kind, int *count);
/* Attributes on datasets: the table of (dataset path or family, attribute). */
typedef struct {
  const char *on;
  tms_schema_attr attr;
} tms_schema_ds_attr;
const tms_schema_ds_attr *tms_schema_dataset_attrs(int *count);

/* Root attribute names (the tables above list them with types and meanings). */
#define TMS_A_SCHEMA "schema"
#define TMS_A_TOOL_VERSION "tool_version"
#define TMS_A_GIT_COMMIT "git_commit"
#define TMS_A_CREATED "created"
#define TMS_A_SWEEP_NAME "sweep_name"
#define TMS_A_SWEEP_PATH "sweep_path"
#define TMS_A_SWEEP_YAML "sweep_yaml"
#define TMS_A_CONFIG_HASH "config_hash"
#define TMS_A_SEED "seed"
#define TMS_A_MPI_VERSION "mpi_version"
#define TMS_A_HDF5_VERSION "hdf5_version"
#define TMS_A_OPENBLAS_CONFIG "openblas_config"
#define TMS_A_OPENBLAS_THREADS "openblas_num_threads"
#define TMS_A_KERNELS_ISA "kernels_isa"
#define TMS_A_OPENBLAS_CORE "openblas_core"
#define TMS_A_RANKS "ranks"
#define TMS_A_GRID_SHAPE "grid_shape"
#define TMS_A_DIM_NAMES "dim_names"
#define TMS_A_POINT_COUNT "point_count"
#define TMS_A_N_MAX "n_max"
#define TMS_A_M_MAX "m_max"
#define TMS_A_CURVE_LEN "curve_len"
#define TMS_A_SNAPSHOT_LEN "snapshot_len"
#define TMS_A_EVAL_LEN "eval_len"
/* post file */
#define TMS_A_SOURCE "source"
#define TMS_A_SOURCE_HASH "source_config_hash"
#define TMS_A_FEATURE "feature"
#define TMS_A_FEATURE_RULE "feature_rule"
/* on datasets */
#define TMS_A_CHOICES "choices"
#define TMS_A_NAMES "names"
#define TMS_A_TOLERANCE "tolerance"
#define TMS_A_AGREEMENT "agreement"
#define TMS_A_AGREEMENT_AWAY "agreement_away_from_boundary"
#define TMS_A_AGREEMENT_CELLS "agreement_cells"
#define TMS_A_AGREEMENT_CELLS_AWAY "agreement_cells_away"
#define TMS_A_THRESHOLD "threshold"
#define TMS_A_BUDGET "budget"
/* per model size (arrays, one entry per size, on /phase/theory_class) */
#define TMS_A_SIZE_N "size_n"
#define TMS_A_SIZE_M "size_m"
#define TMS_A_SIZE_AGREEMENT_MAJORITY "size_agreement_majority"
#define TMS_A_SIZE_AGREEMENT_MAJORITY_AWAY "size_agreement_majority_away"
#define TMS_A_SIZE_AGREEMENT_BEST "size_agreement_best"
#define TMS_A_SIZE_AGREEMENT_BEST_AWAY "size_agreement_best_away"
#define TMS_A_SIZE_CELLS_MAJORITY "size_cells_majority"
#define TMS_A_SIZE_CELLS_MAJORITY_AWAY "size_cells_majority_away"
#define TMS_A_SIZE_CELLS_BEST "size_cells_best"
#define TMS_A_SIZE_CELLS_BEST_AWAY "size_cells_best_away"
#define TMS_A_NORM_SQ_THRESHOLD "norm_sq_threshold"
#define TMS_A_DEDICATED_THRESHOLD "dedicated_threshold"

/* Group prefixes of the families not in the dataset tables. */
#define TMS_SCHEMA_PARAMS "/params"
#define TMS_SCHEMA_AXES "/axes"
/* A parameter of the registry that is never stored (density = 1 - sparsity is). */
#define TMS_SCHEMA_NOT_STORED "sparsity"

/* The sizes a file's shapes are made of. */
typedef struct {
  int rank;                          /* grid rank incl. the replicate dim (last) */
  size_t dims[TMS_SCHEMA_MAX_RANK];
  size_t n_max, m_max, curve_len, snapshot_len, eval_len;
  int has_w2, has_theory;
  int has_eval_s; /* results: /points/eval_s exists (every file a tms-sweep of this version makes; not older ones) */
} tms_schema_extent;

size_t tms_schema_dim_size(tms_schema_dim d, const tms_schema_extent *e);
const char *tms_schema_dim_name(tms_schema_dim d); /* "feature", ... (netCDF dimension name) */
const char *tms_schema_dim_extent(tms_schema_dim d); /* what sizes it: "n_max", ..., "3" */
const char *tms_schema_type_name(tms_schema_type t); /* numpy spelling: "uint8", ..., "str" */
size_t tms_schema_type_size(tms_schema_type t);
/* Whether the dataset exists in a file of extent e. */
int tms_schema_present(const tms_schema_dataset *d, const tms_schema_extent *e);
/* Fills dims (TMS_SCHEMA_MAX_RANK + TMS_SCHEMA_MAX_TRAIL entries) and returns the rank. A post file of a grid of
 * replicates only has no cells: a cell-led dataset then has one element (as the writer writes it). */
int tms_schema_shape(const tms_schema_dataset *d, const tms_schema_extent *e, size_t *dims);
/* "grid x n_max x m_max" */
void tms_schema_shape_text(const tms_schema_dataset *d, char *buf, size_t size);
/* Points of the grid: the product of e->dims. */
size_t tms_schema_points(const tms_schema_extent *e);

/* Validates a file against its table (serial HDF5, no MPI): the schema attribute, the required root attributes,
 * the grid (grid_shape, dim_names ending in "replicate", rank 1..TMS_SCHEMA_MAX_RANK), then every dataset the file
 * holds or must hold, by type and shape, and /params and /axes. strict: every dataset the extent calls for must
 * exist (what --resume needs); otherwise absent datasets are left to the products, which name what they miss.
 * On success *out (may be NULL) gets the file's extent. Errors are one line: TMS_ERR_SCHEMA naming the file, the
 * object and what differs. */
tms_status tms_schema_check_file(const char *path, tms_schema_file kind, int strict, tms_schema_extent *out,
                                 tms_error *err);

#endif
