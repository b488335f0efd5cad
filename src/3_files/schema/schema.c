/* schema: the tables of schema.h and the shape arithmetic on them. The meanings are the contract text that
 * `tms-post layout` prints and the layout documents repeat (checked by a test), so edit them here first.
 * Invariant: the tables are indexed by the enums of schema.h (designated initialisers), so an id always names its
 * own row. */
#include "schema/schema.h"

#include <stdio.h>
#include <string.h>

#define G TMS_LEAD_GRID
#define C TMS_LEAD_CELLS
#define NONE {TMS_DIM_NONE}

static const tms_schema_dataset results_ds[TMS_DS_COUNT] = {
    [TMS_DS_STATUS] = {"/points/status", TMS_SCHEMA_U8, G, NONE, TMS_WHEN_ALWAYS,
                       "0 pending, 1 done, 2 failed, 3 skipped (excluded by the sweep)"},
    [TMS_DS_ATTEMPTS] = {"/points/attempts", TMS_SCHEMA_I32, G, NONE, TMS_WHEN_ALWAYS,
                         "training attempts so far (all runs and resumes)"},
    [TMS_DS_ERROR] = {"/points/error", TMS_SCHEMA_I32, G, NONE, TMS_WHEN_ALWAYS,
                      "status code of the last attempt (0 ok, 6 diverged, 7 timeout; see core/status.h)"},
    [TMS_DS_WALL] = {"/points/wall_s", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS,
                     "seconds of the last attempt (in a bundle: the bundle's time divided evenly)"},
    [TMS_DS_EVAL_S] = {"/points/eval_s", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_TIMING,
                       "seconds of the last attempt's final evaluation, included in wall_s (an equal share of the "
                       "evaluation of the models of a bundle scored on one draw); 0 when the attempt ended before it; "
                       "absent from files made before it was recorded"},
    [TMS_DS_SEED] = {"/points/seed", TMS_SCHEMA_U64, G, NONE, TMS_WHEN_ALWAYS,
                     "the point's seed (from the master seed and the point's values, not its index or rank)"},
    [TMS_DS_LOSS] = {"/results/loss", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS,
                     "final loss on eval_batch samples of the evaluation set of the point's data law (the same "
                     "samples for every seed and optimizer of a cell)"},
    [TMS_DS_LOSS_SE] = {"/results/loss_se", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS,
                        "standard error of /results/loss over its evaluation samples"},
    [TMS_DS_CURVE] = {"/results/loss_curve", TMS_SCHEMA_F32, G, {TMS_DIM_CURVE}, TMS_WHEN_ALWAYS,
                      "training loss; entry k is step min(k*log_every, steps-1); NaN padded"},
    [TMS_DS_W] = {"/results/W", TMS_SCHEMA_F32, G, {TMS_DIM_FEATURE, TMS_DIM_HIDDEN}, TMS_WHEN_ALWAYS,
                  "row i = W_i, the embedding of feature i; zero padded"},
    [TMS_DS_W2] = {"/results/W2", TMS_SCHEMA_F32, G, {TMS_DIM_FEATURE, TMS_DIM_HIDDEN}, TMS_WHEN_W2,
                   "read-out W2 of the abs model, row i = weights into output i (only when some point is abs); "
                   "zero padded; NaN for points of other variants"},
    [TMS_DS_W_HISTORY] = {"/results/W_history", TMS_SCHEMA_F32, G,
                          {TMS_DIM_SNAPSHOT, TMS_DIM_FEATURE, TMS_DIM_HIDDEN}, TMS_WHEN_SNAPSHOTS,
                          "W over training (only when some point has snapshot_every > 0): entry k is W before the "
                          "update of step min(k*snapshot_every, steps-1), the last entry of a point its final W; "
                          "NaN beyond the point's own length"},
    [TMS_DS_EVAL_CURVE] = {"/results/eval_curve", TMS_SCHEMA_F32, G, {TMS_DIM_EVAL}, TMS_WHEN_EVAL,
                           "loss on one fixed batch of eval_batch samples before the update of step "
                           "min(k*eval_every, steps-1) (only when some point has eval_every > 0); NaN padded"},
    [TMS_DS_B] = {"/results/b", TMS_SCHEMA_F32, G, {TMS_DIM_FEATURE}, TMS_WHEN_ALWAYS, "bias; zero padded"},
    [TMS_DS_NORM] = {"/metrics/norm", TMS_SCHEMA_F64, G, {TMS_DIM_FEATURE}, TMS_WHEN_ALWAYS,
                     "||W_i||; NaN beyond n"},
    [TMS_DS_INTERFERENCE] = {"/metrics/interference", TMS_SCHEMA_F64, G, {TMS_DIM_FEATURE}, TMS_WHEN_ALWAYS,
                             "s_i = sum over j != i of (W_i/||W_i|| . W_j)^2; NaN beyond n"},
    [TMS_DS_DIMENSIONALITY] = {"/metrics/dimensionality", TMS_SCHEMA_F64, G, {TMS_DIM_FEATURE}, TMS_WHEN_ALWAYS,
                               "D_i = ||W_i||^2 / sum_j (W_i/||W_i|| . W_j)^2; NaN beyond n"},
    [TMS_DS_DSTAR] = {"/metrics/dstar", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS, "D* = m / ||W||_F^2"},
};

static const tms_schema_dataset post_ds[TMS_PDS_COUNT] = {
    [TMS_PDS_CLASS_PER_SEED] = {"/phase/class_per_seed", TMS_SCHEMA_I8, G, NONE, TMS_WHEN_ALWAYS,
                                "phase class of the classified feature per point (0 not represented, 1 dedicated, "
                                "2 superposed), -1 not done"},
    [TMS_PDS_FRACTION] = {"/phase/fraction", TMS_SCHEMA_F64, C, {TMS_DIM_CLASS}, TMS_WHEN_ALWAYS,
                          "fraction of a cell's done seeds in each class; NaN when none is done"},
    [TMS_PDS_CLASS] = {"/phase/class", TMS_SCHEMA_I8, C, NONE, TMS_WHEN_ALWAYS, "majority class of a cell, -1 no data"},
    [TMS_PDS_SEEDS_USED] = {"/phase/seeds_used", TMS_SCHEMA_I32, C, NONE, TMS_WHEN_ALWAYS,
                            "seeds counted in the fractions"},
    [TMS_PDS_THEORY_CLASS] = {"/phase/theory_class", TMS_SCHEMA_I8, C, NONE, TMS_WHEN_THEORY,
                              "closed-form class (O4 for n=2 m=1, O5 for n=3 m=2 relu_out), -1 none; attributes "
                              "agreement, agreement_away_from_boundary, agreement_cells, agreement_cells_away "
                              "(pooled over sizes, majority) and per size (n, m) size_* (majority and lowest-loss "
                              "seed)"},
    [TMS_PDS_BEST_CLASS] = {"/phase/best_class", TMS_SCHEMA_I8, C, NONE, TMS_WHEN_ALWAYS,
                            "class of a cell's lowest-loss done seed, -1 no data"},
    [TMS_PDS_AWAY_FROM_BOUNDARY] = {"/phase/away_from_boundary", TMS_SCHEMA_I8, C, NONE, TMS_WHEN_THEORY,
                                    "1 if every neighbour cell of the same n, m has the cell's theory class, 0 if "
                                    "not, -1 no theory class"},
    [TMS_PDS_LOSS_BEST] = {"/summary/loss_best", TMS_SCHEMA_F64, C, NONE, TMS_WHEN_ALWAYS,
                           "lowest final loss of a cell's done seeds"},
    [TMS_PDS_LOSS_MEAN] = {"/summary/loss_mean", TMS_SCHEMA_F64, C, NONE, TMS_WHEN_ALWAYS,
                           "mean final loss of a cell's done seeds"},
    [TMS_PDS_DSTAR_MEAN] = {"/summary/dstar_mean", TMS_SCHEMA_F64, C, NONE, TMS_WHEN_ALWAYS,
                            "mean D* of a cell's done seeds"},
    [TMS_PDS_BEST_REPLICATE] = {"/summary/best_replicate", TMS_SCHEMA_I64, C, NONE, TMS_WHEN_ALWAYS,
                                "replicate of the lowest loss, -1 no data"},
    [TMS_PDS_DSTAR] = {"/summary/dstar", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS, "D* per point"},
    [TMS_PDS_REPRESENTED] = {"/summary/represented", TMS_SCHEMA_I32, G, NONE, TMS_WHEN_ALWAYS,
                             "features with ||W_i|| > 0.5, -1 no data"},
    [TMS_PDS_TOTAL_INTERFERENCE] = {"/summary/total_interference", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS,
                                    "sum of s_i over represented features"},
    [TMS_PDS_GEOMETRY] = {"/features/geometry", TMS_SCHEMA_I8, G, {TMS_DIM_FEATURE}, TMS_WHEN_ALWAYS,
                          "polytope label index of each feature (attribute names), -1 none"},
    [TMS_PDS_NORM] = {"/features/norm", TMS_SCHEMA_F64, G, {TMS_DIM_FEATURE}, TMS_WHEN_ALWAYS,
                      "||W_i||; NaN beyond n or not done"},
    [TMS_PDS_INTERFERENCE] = {"/features/interference", TMS_SCHEMA_F64, G, {TMS_DIM_FEATURE}, TMS_WHEN_ALWAYS,
                              "s_i; NaN beyond n or not done"},
    [TMS_PDS_DIMENSIONALITY] = {"/features/dimensionality", TMS_SCHEMA_F64, G, {TMS_DIM_FEATURE}, TMS_WHEN_ALWAYS,
                                "D_i; NaN beyond n or not done"},
    [TMS_PDS_VULNERABILITY] = {"/vulnerability/value", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS,
                               "loss increase under the analytic L2 attack (batch argmax); NaN unless linear or "
                               "relu_out and done"},
    [TMS_PDS_VULNERABILITY_PER_EXAMPLE] = {"/vulnerability/per_example", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS,
                                           "the same with the per-example argmax"},
    [TMS_PDS_VULNERABILITY_ABSOLUTE] = {"/vulnerability/per_example_absolute", TMS_SCHEMA_F64, G, NONE,
                                        TMS_WHEN_ALWAYS,
                                        "per-example argmax with an absolute attack norm (attribute budget; tms-post "
                                        "--attack-budget); NaN when not asked for"},
    [TMS_PDS_ATTACK_CLEAN_LOSS] = {"/vulnerability/clean_loss", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS,
                                   "L(x) of the attack's clean batch (the denominator of value and per_example: "
                                   "per_example x clean_loss = the loss increase); NaN where no attack ran"},
    [TMS_PDS_FEATURES_PER_DIM] = {"/vulnerability/features_per_dim", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS,
                                  "1 / D*"},
    [TMS_PDS_POLYSEMANTIC] = {"/neurons/polysemantic", TMS_SCHEMA_I8, G, {TMS_DIM_HIDDEN}, TMS_WHEN_ALWAYS,
                              "1 polysemantic, 0 monosemantic, -1 not a neuron model or padding"},
    [TMS_PDS_FEATURES_PER_NEURON] = {"/neurons/features_per_neuron", TMS_SCHEMA_I32, G, {TMS_DIM_HIDDEN},
                                     TMS_WHEN_ALWAYS, "features with |w| >= 0.1 max |w| of the neuron, -1 likewise"},
    [TMS_PDS_W1_SCALED] = {"/neurons/W1_scaled", TMS_SCHEMA_F32, G, {TMS_DIM_FEATURE, TMS_DIM_HIDDEN}, TMS_WHEN_W2,
                           "W1 of abs points scaled for the neuron stack plot; NaN for other points"},
    [TMS_PDS_W2_SCALED] = {"/neurons/W2_scaled", TMS_SCHEMA_F32, G, {TMS_DIM_FEATURE, TMS_DIM_HIDDEN}, TMS_WHEN_W2,
                           "W2 likewise"},
    [TMS_PDS_DYN_JUMP_STEP] = {"/dynamics/jump_step", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS,
                               "E6: step of the last large jump of any D_i (a change >= 0.1 over 4 snapshots, at "
                               "its steepest snapshot interval); NaN without W history or jump"},
    [TMS_PDS_DYN_DROP_STEP] = {"/dynamics/drop_step", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS,
                               "step of the largest late fall of ln(eval loss) (after the loss is within 1% of its "
                               "final value); NaN without evaluation curve"},
    [TMS_PDS_DYN_DROP] = {"/dynamics/drop", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS,
                          "that fall of ln(eval loss) over one evaluation interval"},
    [TMS_PDS_DYN_CHANCE] = {"/dynamics/chance", TMS_SCHEMA_F64, G, NONE, TMS_WHEN_ALWAYS,
                            "share of the late evaluation intervals within 100 steps of the jump (the chance that a "
                            "randomly placed drop counts as aligned)"},
    [TMS_PDS_DYN_DIMENSIONALITY] = {"/dynamics/dimensionality_history", TMS_SCHEMA_F32, G,
                                    {TMS_DIM_SNAPSHOT, TMS_DIM_FEATURE},
                                    TMS_WHEN_SNAPSHOTS,
                                    "D_i of every feature at every snapshot of /results/W_history (the series the "
                                    "jump is found in; only when the results file has a W history); NaN padded"},
};

static const tms_schema_attr results_attrs[] = {
    {TMS_A_SCHEMA, TMS_SCHEMA_STR, 1, "\"" TMS_RESULTS_SCHEMA "\""},
    {TMS_A_TOOL_VERSION, TMS_SCHEMA_STR, 1, "version of the tms-sweep that created the file"},
    {TMS_A_GIT_COMMIT, TMS_SCHEMA_STR, 1, "its git commit"},
    {TMS_A_CREATED, TMS_SCHEMA_STR, 1, "ISO-8601 UTC, e.g. 2026-11-21T11:01:31Z"},
    {TMS_A_SWEEP_NAME, TMS_SCHEMA_STR, 1, "name: of the sweep file"},
    {TMS_A_SWEEP_PATH, TMS_SCHEMA_STR, 1, "the path it was read from"},
    {TMS_A_SWEEP_YAML, TMS_SCHEMA_STR, 1, "the sweep file verbatim"},
    {TMS_A_CONFIG_HASH, TMS_SCHEMA_STR, 1, "16 hex chars, hash of the expanded canonical config (what --resume checks)"},
    {TMS_A_SEED, TMS_SCHEMA_U64, 1, "master seed"},
    {TMS_A_MPI_VERSION, TMS_SCHEMA_STR, 1, "MPI library in use"},
    {TMS_A_HDF5_VERSION, TMS_SCHEMA_STR, 1, "HDF5 library in use"},
    {TMS_A_OPENBLAS_CONFIG, TMS_SCHEMA_STR, 1, "OpenBLAS build in use"},
    {TMS_A_OPENBLAS_THREADS, TMS_SCHEMA_I64, 1, "OpenBLAS threads in effect per rank"},
    {TMS_A_KERNELS_ISA, TMS_SCHEMA_STR, 0, "instruction-set path of the kernels (avx512, avx2, generic; TMS_ISA forces one)"},
    {TMS_A_OPENBLAS_CORE, TMS_SCHEMA_STR, 0, "OpenBLAS core in use (openblas_get_corename; follows OPENBLAS_CORETYPE)"},
    {TMS_A_RANKS, TMS_SCHEMA_I64, 1, "MPI ranks of the run that created the file (a resume may use another count)"},
    {TMS_A_GRID_SHAPE, TMS_SCHEMA_I64, 1, "grid dimensions (int64[rank])"},
    {TMS_A_DIM_NAMES, TMS_SCHEMA_STRS, 1, "their names (axis key, zip group name, replicate)"},
    {TMS_A_POINT_COUNT, TMS_SCHEMA_I64, 1, "product of grid_shape (excluded points included)"},
    {TMS_A_N_MAX, TMS_SCHEMA_I64, 1, "padding extent over features (largest n_features)"},
    {TMS_A_M_MAX, TMS_SCHEMA_I64, 1, "padding extent over hidden dims (largest n_hidden)"},
    {TMS_A_CURVE_LEN, TMS_SCHEMA_I64, 1, "entries of /results/loss_curve"},
    {TMS_A_SNAPSHOT_LEN, TMS_SCHEMA_I64, 1, "entries of /results/W_history; 0: no W history, the dataset is absent"},
    {TMS_A_EVAL_LEN, TMS_SCHEMA_I64, 1, "entries of /results/eval_curve; 0: no evaluation curve, the dataset is absent"},
};

static const tms_schema_attr post_attrs[] = {
    {TMS_A_SCHEMA, TMS_SCHEMA_STR, 1, "\"" TMS_POST_SCHEMA "\""},
    {TMS_A_SOURCE, TMS_SCHEMA_STR, 1, "path of the results file it was derived from"},
    {TMS_A_SOURCE_HASH, TMS_SCHEMA_STR, 1, "config_hash of that results file"},
    {TMS_A_GRID_SHAPE, TMS_SCHEMA_I64, 1, "dimensions of the cells (the grid without replicate)"},
    {TMS_A_DIM_NAMES, TMS_SCHEMA_STRS, 1, "their names"},
    {TMS_A_FEATURE, TMS_SCHEMA_I64, 1, "feature whose phase is classified (-1: the last one, which differs by point)"},
    {TMS_A_TOOL_VERSION, TMS_SCHEMA_STR, 1, "version of the tms-post that wrote it"},
    {TMS_A_CREATED, TMS_SCHEMA_STR, 1, "ISO-8601 UTC"},
    {TMS_A_FEATURE_RULE, TMS_SCHEMA_STR, 0, "\"fixed\" (--feature K) or \"last\" (each point's last feature)"},
};

static const tms_schema_ds_attr ds_attrs[] = {
    {"/params/<word parameter>", {TMS_A_CHOICES, TMS_SCHEMA_STRS, 1, "the words, in code order"}},
    {"/phase/class_per_seed", {TMS_A_NAMES, TMS_SCHEMA_STRS, 1, "class names, in code order from 0"}},
    {"/phase/class_per_seed",
     {TMS_A_NORM_SQ_THRESHOLD, TMS_SCHEMA_F64, 1, "not represented when ||W_x||^2 is below it"}},
    {"/phase/class_per_seed",
     {TMS_A_DEDICATED_THRESHOLD, TMS_SCHEMA_F64, 1, "else dedicated when D_x is at least it, else superposition"}},
    {"/vulnerability/per_example_absolute",
     {TMS_A_BUDGET, TMS_SCHEMA_F64, 1, "L2 norm of the attack in input units; 0: not computed"}},
    {"/summary/represented", {TMS_A_THRESHOLD, TMS_SCHEMA_F64, 1, "a feature is represented when ||W_i|| exceeds it"}},
    {"/features/geometry", {TMS_A_NAMES, TMS_SCHEMA_STRS, 1, "polytope labels, in index order"}},
    {"/features/geometry", {TMS_A_TOLERANCE, TMS_SCHEMA_F64, 1, "fraction tolerance of the labels"}},
    {"/phase/theory_class", {TMS_A_AGREEMENT, TMS_SCHEMA_F64, 1, "fraction of compared cells that agree"}},
    {"/phase/theory_class", {TMS_A_AGREEMENT_AWAY, TMS_SCHEMA_F64, 1, "the same away from the boundaries"}},
    {"/phase/theory_class", {TMS_A_AGREEMENT_CELLS, TMS_SCHEMA_I64, 1, "cells compared"}},
    {"/phase/theory_class", {TMS_A_AGREEMENT_CELLS_AWAY, TMS_SCHEMA_I64, 1, "cells compared away from boundaries"}},
    {"/phase/theory_class", {TMS_A_SIZE_N, TMS_SCHEMA_I64, 1, "per model size (one entry each): n"}},
    {"/phase/theory_class", {TMS_A_SIZE_M, TMS_SCHEMA_I64, 1, "m"}},
    {"/phase/theory_class",
     {TMS_A_SIZE_AGREEMENT_MAJORITY, TMS_SCHEMA_F64, 1, "agreement of /phase/class, all compared cells of the size"}},
    {"/phase/theory_class", {TMS_A_SIZE_AGREEMENT_MAJORITY_AWAY, TMS_SCHEMA_F64, 1, "the same away from boundaries"}},
    {"/phase/theory_class", {TMS_A_SIZE_AGREEMENT_BEST, TMS_SCHEMA_F64, 1, "agreement of /phase/best_class"}},
    {"/phase/theory_class", {TMS_A_SIZE_AGREEMENT_BEST_AWAY, TMS_SCHEMA_F64, 1, "the same away from boundaries"}},
    {"/phase/theory_class", {TMS_A_SIZE_CELLS_MAJORITY, TMS_SCHEMA_I64, 1, "cells compared (majority)"}},
    {"/phase/theory_class", {TMS_A_SIZE_CELLS_MAJORITY_AWAY, TMS_SCHEMA_I64, 1, "... away from boundaries"}},
    {"/phase/theory_class", {TMS_A_SIZE_CELLS_BEST, TMS_SCHEMA_I64, 1, "cells compared (lowest-loss seed)"}},
    {"/phase/theory_class", {TMS_A_SIZE_CELLS_BEST_AWAY, TMS_SCHEMA_I64, 1, "... away from boundaries"}},
};

#undef G
#undef C
#undef NONE

const tms_schema_dataset *tms_schema_datasets(tms_schema_file kind, int *count) {
  *count = kind == TMS_FILE_RESULTS ? TMS_DS_COUNT : TMS_PDS_COUNT;
  return kind == TMS_FILE_RESULTS ? results_ds : post_ds;
}
const tms_schema_dataset *tms_schema_results_ds(tms_results_ds id) { return &results_ds[id]; }
const tms_schema_dataset *tms_schema_post_ds(tms_post_ds id) { return &post_ds[id]; }

const tms_schema_attr *tms_schema_root_attrs(tms_schema_file kind, int *count) {
  if (kind == TMS_FILE_RESULTS) {
    *count = (int)(sizeof results_attrs / sizeof results_attrs[0]);
    return results_attrs;
  }
  *count = (int)(sizeof post_attrs / sizeof post_attrs[0]);
  return post_attrs;
}

const tms_schema_ds_attr *tms_schema_dataset_attrs(int *count) {
  *count = (int)(sizeof ds_attrs / sizeof ds_attrs[0]);
  return ds_attrs;
}

size_t tms_schema_dim_size(tms_schema_dim d, const tms_schema_extent *e) {
  switch (d) {
  case TMS_DIM_CURVE: return e->curve_len;
  case TMS_DIM_FEATURE: return e->n_max;
  case TMS_DIM_HIDDEN: return e->m_max;
  case TMS_DIM_SNAPSHOT: return e->snapshot_len;
  case TMS_DIM_EVAL: return e->eval_len;
  case TMS_DIM_CLASS: return 3;
  default: return 0;
  }
}

const char *tms_schema_dim_name(tms_schema_dim d) {
  static const char *const names[TMS_DIM_COUNT] = {"", "curve", "feature", "hidden", "snapshot", "eval", "phase_class"};
  return d < TMS_DIM_COUNT ? names[d] : "";
}

static const char *const dim_extent_names[TMS_DIM_COUNT] = {"",         "curve_len", "n_max", "m_max",
                                                            "snapshot_len", "eval_len", "3"};

const char *tms_schema_dim_extent(tms_schema_dim d) { return d < TMS_DIM_COUNT ? dim_extent_names[d] : ""; }

const char *tms_schema_type_name(tms_schema_type t) {
  static const char *const names[TMS_SCHEMA_TYPE_COUNT] = {"uint8", "int8",    "int32", "int64", "uint64",
                                                           "float32", "float64", "str", "str[]"};
  return t < TMS_SCHEMA_TYPE_COUNT ? names[t] : "?";
}

size_t tms_schema_type_size(tms_schema_type t) {
  static const size_t sizes[TMS_SCHEMA_TYPE_COUNT] = {1, 1, 4, 8, 8, 4, 8, 0, 0};
  return t < TMS_SCHEMA_TYPE_COUNT ? sizes[t] : 0;
}

int tms_schema_present(const tms_schema_dataset *d, const tms_schema_extent *e) {
  switch (d->when) {
  case TMS_WHEN_W2: return e->has_w2;
  case TMS_WHEN_SNAPSHOTS: return e->snapshot_len > 0;
  case TMS_WHEN_EVAL: return e->eval_len > 0;
  case TMS_WHEN_THEORY: return e->has_theory;
  case TMS_WHEN_TIMING: return e->has_eval_s;
  default: return 1;
  }
}

int tms_schema_shape(const tms_schema_dataset *d, const tms_schema_extent *e, size_t *dims) {
  int r = d->lead == TMS_LEAD_CELLS ? e->rank - 1 : e->rank;
  if (r < 0) r = 0;
  for (int k = 0; k < r; k++) dims[k] = e->dims[k];
  for (int t = 0; t < TMS_SCHEMA_MAX_TRAIL && d->trail[t] != TMS_DIM_NONE; t++)
    dims[r++] = tms_schema_dim_size(d->trail[t], e);
  if (r == 0) dims[r++] = 1; /* a grid of replicates only: one cell */
  return r;
}

void tms_schema_shape_text(const tms_schema_dataset *d, char *buf, size_t size) {
  snprintf(buf, size, "%s", d->lead == TMS_LEAD_CELLS ? "cells" : "grid");
  for (int t = 0; t < TMS_SCHEMA_MAX_TRAIL && d->trail[t] != TMS_DIM_NONE; t++) {
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, " x %s", dim_extent_names[d->trail[t]]);
  }
}

size_t tms_schema_points(const tms_schema_extent *e) {
  size_t p = 1;
  for (int k = 0; k < e->rank; k++) p *= e->dims[k];
  return p;
}
