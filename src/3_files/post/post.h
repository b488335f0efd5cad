/* post: derived products of a results file (schema "tms-results/1") -> a post file (schema "tms-post/1") + CSV.
 * Reads the whole results file into memory (W of a large sweep is tens of MB), computes per point the phase class
 * of one feature, D*, geometry labels, represented features, interference, vulnerability and neuron data, and per
 * grid cell (grid without the replicate dim) the class fractions, majority class, summaries and, for relu_out
 * n=2,m=1 / n=3,m=2 models, the closed-form class of post_theory.h and the agreement with it.
 * Not here: training, MPI, plotting. Serial HDF5 calls on the default property lists (no MPI_Init needed), on the
 * calling thread only; the per-point and per-cell stages run on opt->threads threads (post_parallel.h), each index
 * by one thread, so the products are the same on any number of threads.
 * Invariants: a point that is not done (tms_point_done) gets class -1 and NaN everywhere; a product that needs data the
 * file lacks fails with TMS_ERR_MISSING naming the dataset and the product, never silently. */
#ifndef TMS_POST_H
#define TMS_POST_H
#include <stddef.h>
#include <stdint.h>

#include "core/spec.h"
#include "core/status.h"
#include "post/timing.h"
#include "schema/schema.h" /* schema strings, TMS_SCHEMA_MAX_RANK, TMS_POINT_* and the file tables */
/* A feature is "represented" when ||W_i|| exceeds this (SCIENCE.md E1). */
#define TMS_POST_REPRESENTED_NORM 0.5
/* Geometry labels: nearest reference fraction within this tolerance. */
#define TMS_POST_GEOMETRY_TOL 0.02
/* Neuron stack: a weight counts when |w| >= this * max |w| of the neuron (SCIENCE.md 4.9). */
#define TMS_POST_NEURON_REL 0.1
/* E6 dynamics (post/dynamics.c): a large jump is a change of some D_i by >= TMS_POST_JUMP_DIM over
 * TMS_POST_JUMP_SPAN snapshots; "late" starts when the evaluation loss first comes within TMS_POST_LATE_FRAC of its
 * final value; a drop is aligned with the jump when their steps differ by <= TMS_POST_ALIGN_STEPS. */
#define TMS_POST_JUMP_DIM 0.1
#define TMS_POST_JUMP_SPAN 4
#define TMS_POST_LATE_FRAC 0.01
#define TMS_POST_ALIGN_STEPS 100
/* Default samples of the vulnerability: its own, because the attack costs O(samples n^2) per point. */
#define TMS_POST_ATTACK_BATCH 65536
/* The absolute attack budget that `tms-post check` uses for E7 (keltin13's replication uses 0.1, in input units). */
#define TMS_POST_ATTACK_BUDGET 0.1

/* One CSV column of a grid dimension: a plain axis has one (its values); a zip group has its index column and
 * one per member key. Values are kept as text because axes may hold words. */
typedef struct {
  char name[96];
  char **text; /* (size of the dim) */
} tms_post_column;

typedef struct {
  char name[64];
  size_t size;
  int n_columns;
  tms_post_column *columns;
} tms_post_axis;

/* One /params/<key> dataset: numbers as float64, words as codes with their names. */
typedef struct {
  char key[64];
  double *values;  /* (P) */
  char **choices;  /* words: names in code order; NULL for numbers */
  int n_choices;
} tms_post_param;

/* A results file in memory. P = points (grid incl. replicate), C = cells (grid without replicate). */
typedef struct {
  char path[1024];
  char config_hash[64];
  int rank;                              /* grid rank including the replicate dim (last) */
  size_t dims[TMS_SCHEMA_MAX_RANK];
  tms_post_axis axes[TMS_SCHEMA_MAX_RANK]; /* one per dim, in grid order */
  size_t points, cells, replicates;
  int n_max, m_max;
  uint8_t *status; /* (P) TMS_POINT_PENDING, _DONE, _FAILED, _SKIPPED */
  uint64_t *seed;  /* (P) or NULL if absent */
  double *loss;    /* (P) or NULL if absent */
  float *W;        /* (P, n_max, m_max) or NULL if absent */
  float *W2;       /* (P, n_max, m_max) or NULL if absent */
  float *b;        /* (P, n_max) or NULL if absent */
  int n_params;
  tms_post_param *params;
  /* Set by the reader, for tms_post_point_shape without a lookup by name per call (a million points are asked
   * for several times each): the shape params and the variant of each code of /params/variant. */
  int shape_ready;
  const tms_post_param *param_variant, *param_n, *param_m;
  int n_variant_codes;
  tms_variant *variant_of_code;
} tms_post_results;

/* Opens path, checks the schema attribute, reads grid, axes, params, status and whatever of seed/loss/W/W2/b
 * exists. Fails with TMS_ERR_SCHEMA (wrong or no schema) or TMS_ERR_MISSING (grid metadata, /points/status,
 * /params/{variant,n_features,n_hidden} or an axis missing). */
tms_status tms_post_results_read(tms_post_results *res, const char *path, tms_error *err);
void tms_post_results_free(tms_post_results *res); /* safe on a zeroed struct */

/* The parameter of that key, or NULL. */
const tms_post_param *tms_post_param_find(const tms_post_results *res, const char *key);
/* Variant, n and m of a point from /params. */
void tms_post_point_shape(const tms_post_results *res, size_t point, tms_variant *variant, int *n, int *m);
/* Rebuilds the training spec of a point from /params (every registry key but "sparsity") and /points/seed (seed
 * left 0 when the file has none: callers that need it check res->seed); TMS_ERR_MISSING names the first absent
 * dataset, product names the product that needs it. */
tms_status tms_post_point_spec(tms_spec *spec, const tms_post_results *res, size_t point, const char *product,
                               tms_error *err);
/* Copies the point's padded W (or W2 if second) into a compact (n, m) array. */
void tms_post_point_weights(float *out /* (N, M) */, const tms_post_results *res, size_t point, int second);

typedef struct {
  int feature;          /* feature whose phase is classified; -1 = the last feature of each point */
  int drop_worst;       /* drop the highest-loss done seed of each cell before the fractions (if >= 2 done) */
  int attack_batch;     /* samples for the vulnerability; 0 = TMS_POST_ATTACK_BATCH */
  int force;            /* overwrite an existing output file */
  int no_vulnerability; /* skip the attack (NaN everywhere) */
  int threads;          /* threads of every per-point/per-cell stage (<= 1: the caller's thread only); the
                           products do not depend on it */
  tms_post_timing *timing; /* stage times (timing.h), or NULL */
  double attack_budget; /* > 0: also the per-example attack with this absolute L2 norm; 0 = not computed (NaN) */
} tms_post_options;

void tms_post_options_default(tms_post_options *opt);

/* E2's agreement with the closed form for one model size (n, m): index 0 the paper's majority of seeds
 * (/phase/class), 1 the lowest-loss seed's class (/phase/best_class); over every compared cell and over those away
 * from the boundaries (tms_post_away_from_boundary). NaN when no cell was compared. */
#define TMS_POST_MAX_SIZES 8
typedef struct {
  int n, m;
  size_t cells[2], cells_away[2];
  double agreement[2], agreement_away[2];
} tms_post_size_agreement;

/* Everything tms-post derives. Arrays indexed by point p (grid order) or cell c = p / replicates. */
typedef struct {
  size_t points, cells, replicates;
  int n_max, m_max;
  int feature;                 /* as asked (-1 = last) */
  int8_t *class_per_seed;      /* (P) tms_phase or -1 */
  double *fraction;            /* (C, 3) NaN when a cell has no done seed */
  int8_t *cell_class;          /* (C) majority, -1 no data */
  int32_t *seeds_used;         /* (C) seeds counted in the fractions */
  int8_t *theory_class;        /* (C) closed form or -1; NULL when no cell has one */
  double agreement, agreement_away;   /* NaN when no cell could be compared (majority, pooled over sizes) */
  size_t agreement_cells, agreement_cells_away;
  int8_t *best_class;          /* (C) class of the lowest-loss done seed, -1 no data */
  int8_t *away_from_boundary;  /* (C) 1/0 for cells with a theory class, -1 otherwise; NULL with theory_class */
  int sizes;                   /* entries of by_size (model sizes with a theory class, in order of first cell) */
  tms_post_size_agreement by_size[TMS_POST_MAX_SIZES];
  double *dstar;               /* (P) */
  double *loss_best, *loss_mean, *dstar_mean; /* (C) */
  int64_t *best_replicate;     /* (C) -1 no data */
  int32_t *represented;        /* (P) -1 no data */
  double *total_interference;  /* (P) */
  double *norm, *interference, *dimensionality; /* (P, n_max) NaN beyond n / not done */
  int8_t *geometry;            /* (P, n_max) geometry index, -1 none */
  double *vulnerability;       /* (P) batch-argmax variant; NaN unless linear/relu_out and done */
  double *vulnerability_per_example; /* (P) per-example argmax variant */
  double *vulnerability_absolute; /* (P) per-example argmax at the absolute budget attack_budget; NaN if none */
  double attack_budget;        /* that budget (0: not computed) */
  double *attack_clean_loss;   /* (P) L(x) of the attack's clean batch: vulnerability x it = the loss increase */
  double *features_per_dim;    /* (P) 1 / D* */
  int8_t *polysemantic;        /* (P, m_max) 1/0, -1 not a neuron model / padding */
  int32_t *features_per_neuron; /* (P, m_max) -1 likewise */
  float *W1_scaled, *W2_scaled; /* (P, n_max, m_max) when the file has W2; NaN for non-abs points */
  double *dyn_jump_step;       /* (P) E6: step of the last large D_i jump; NaN none / no W history */
  double *dyn_drop_step;       /* (P) step of the largest late drop of the evaluation curve; NaN none */
  double *dyn_drop;            /* (P) that drop as a fall of ln(loss) */
  double *dyn_chance;          /* (P) share of the late intervals within TMS_POST_ALIGN_STEPS of the jump */
  float *dyn_dimensionality;   /* (P, dyn_snapshots, n_max) D_i at every snapshot, NaN padded; NULL: no history */
  size_t dyn_snapshots;        /* snapshot extent of /results/W_history (0: none) */
} tms_post_products;

/* Computes every product; TMS_ERR_MISSING if the file lacks data one of them needs. */
tms_status tms_post_compute(tms_post_products *pp, const tms_post_results *res, const tms_post_options *opt,
                            tms_error *err);
void tms_post_products_free(tms_post_products *pp); /* safe on a zeroed struct */

/* The steps of tms_post_compute in this order, each filling its part of an allocated pp (exposed for tests):
 * summary computes the per-point metrics (norm, D_i, D*) that phase and the others read. */
tms_status tms_post_products_alloc(tms_post_products *pp, const tms_post_results *res, tms_error *err);
tms_status tms_post_summary(tms_post_products *pp, const tms_post_results *res, const tms_post_options *opt,
                            tms_error *err);
tms_status tms_post_phase(tms_post_products *pp, const tms_post_results *res, const tms_post_options *opt,
                          tms_error *err);
tms_status tms_post_vulnerability(tms_post_products *pp, const tms_post_results *res, const tms_post_options *opt,
                                  tms_error *err);
tms_status tms_post_neurons(tms_post_products *pp, const tms_post_results *res, const tms_post_options *opt,
                            tms_error *err);
/* E6's jump/drop alignment from /results/W_history and /results/eval_curve (read from res->path; a file without
 * them leaves every value NaN). */
tms_status tms_post_dynamics(tms_post_products *pp, const tms_post_results *res, tms_error *err);
/* theory_class and agreement for cells whose model has a closed form (post_theory.h). */
tms_status tms_post_theory_agreement(tms_post_products *pp, const tms_post_results *res, const tms_post_options *opt,
                                     tms_error *err);

/* Writes the post file (refuses an existing file with TMS_ERR_EXISTS unless force). */
tms_status tms_post_write(const char *path, const tms_post_results *res, const tms_post_products *pp, int force,
                          tms_error *err);
/* Writes phase.csv (per cell), summary.csv (per point), features.csv (per point and feature) into dir. */
tms_status tms_post_write_csv(const char *dir, const tms_post_results *res, const tms_post_products *pp,
                              tms_error *err);

#endif
