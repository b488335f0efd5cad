/* grid_seeds_stable: a point's seed is a function of the master seed and the point's values, never its index:
 * appending an axis value, reordering values or adding an axis at its default value keeps existing seeds.
 * The config hash is of the expanded values: equal for re-spelled or re-commented text, different for a
 * different seed, values or exclude. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config/config.h"
#include "config/grid.h"

static int parse(tms_sweep *sw, const char *text) {
  tms_error e;
  char msg[1024];
  tms_status s = tms_sweep_parse(sw, text, strlen(text), "seeds.yaml", &e);
  tms_error_format(&e, msg, sizeof msg);
  CHECK(s == TMS_OK, "sweep parses, got %s\n%s", s ? msg : "", text);
  return s == TMS_OK;
}

static uint64_t seed_of(const tms_sweep *sw, size_t index) {
  tms_spec s;
  tms_error e;
  if (tms_grid_spec(sw, index, &s, &e) != TMS_OK) return 0;
  return s.seed;
}

/* The seed of the point whose spec has n_features = n, lr = lr, replicate r (searching the grid). */
static uint64_t seed_where(const tms_sweep *sw, int n, double lr, size_t r, int *found) {
  size_t dims[8];
  tms_grid_shape(sw, dims);
  int rank = tms_grid_rank(sw);
  for (size_t i = 0; i < tms_grid_count(sw); i++) {
    size_t c[8];
    tms_spec s;
    tms_error e;
    tms_grid_coords(sw, i, c);
    if (c[rank - 1] != r || tms_grid_spec(sw, i, &s, &e) != TMS_OK) continue;
    if (s.n_features == n && s.lr == lr) {
      *found = 1;
      return s.seed;
    }
  }
  *found = 0;
  return 0;
}

#define HEAD "schema: tms-sweep/1\nname: s\nseed: 11\nfixed: {n_hidden: 2, density: 0.5}\n"

static void appended_values(void) {
  tms_sweep a, b, c, d;
  int ok = parse(&a, HEAD "axes:\n  n_features: {values: [3, 4]}\n  lr: {values: [0.001, 0.002]}\nreplicates: 2\n");
  ok &= parse(&b, HEAD "axes:\n  n_features: {values: [3, 4, 5]}\n  lr: {values: [0.001, 0.002, 0.004]}\nreplicates: 3\n");
  ok &= parse(&c, HEAD "axes:\n  lr: {values: [0.002, 0.001]}\n  n_features: {values: [4, 3]}\nreplicates: 2\n");
  ok &= parse(&d, HEAD "axes:\n  n_features: {values: [3, 4]}\n  weight_decay: {values: [0.01]}\n"
                       "  lr: {values: [0.001, 0.002]}\nreplicates: 2\n");
  if (!ok) return;
  const int ns[] = {3, 4};
  const double lrs[] = {0.001, 0.002};
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++)
      for (size_t r = 0; r < 2; r++) {
        int fa, fb, fc, fd;
        uint64_t sa = seed_where(&a, ns[i], lrs[j], r, &fa), sb = seed_where(&b, ns[i], lrs[j], r, &fb),
                 sc = seed_where(&c, ns[i], lrs[j], r, &fc), sd = seed_where(&d, ns[i], lrs[j], r, &fd);
        CHECK(fa && fb && fc && fd, "point n=%d lr=%g r=%zu found in every grid", ns[i], lrs[j], r);
        CHECK(sa == sb, "appending values keeps the seed of n=%d lr=%g r=%zu: %016llx vs %016llx", ns[i], lrs[j], r,
              (unsigned long long)sa, (unsigned long long)sb);
        CHECK(sa == sc, "reordering axes and values keeps the seed of n=%d lr=%g r=%zu: %016llx vs %016llx", ns[i],
              lrs[j], r, (unsigned long long)sa, (unsigned long long)sc);
        CHECK(sa == sd, "an added axis at the default value keeps the seed of n=%d lr=%g r=%zu", ns[i], lrs[j], r);
      }
  /* all seeds of b distinct (different values or replicates) */
  size_t n = tms_grid_count(&b);
  uint64_t *seeds = malloc(n * sizeof *seeds);
  int dups = 0;
  for (size_t i = 0; i < n; i++) {
    seeds[i] = seed_of(&b, i);
    for (size_t j = 0; j < i; j++) dups += seeds[i] == seeds[j];
  }
  CHECK(dups == 0, "the %zu seeds of a grid are distinct, %d collisions", n, dups);
  free(seeds);
  /* the seed is a function of the values: the same point twice gives the same seed */
  CHECK(seed_of(&b, 5) == seed_of(&b, 5) && seed_of(&b, 5) != 0, "seed is deterministic");
  tms_sweep_free(&a);
  tms_sweep_free(&b);
  tms_sweep_free(&c);
  tms_sweep_free(&d);
}

static uint64_t hash_of(const char *text) {
  tms_sweep sw;
  if (!parse(&sw, text)) return 0;
  uint64_t h = tms_grid_config_hash(&sw);
  tms_sweep_free(&sw);
  return h;
}

static void config_hash(void) {
  const char *base = HEAD "axes:\n  n_features: {values: [3, 4]}\n  lr: {logspace: {start: -3, stop: -2, num: 3}}\n"
                          "replicates: 2\nexclude: [{n_features: 4, lr: 0.01}]\n";
  const char *respelled = "# a comment\nschema:   tms-sweep/1\nname: s   # trailing comment\nseed: 11\n\n"
                          "fixed:\n  n_hidden: 2\n  density: 0.5\naxes:\n  n_features:\n    values:\n      - 3\n      - 4\n"
                          "  lr: {logspace: {start: -3.0, stop: -2, num: 3}}\nreplicates: 2\n"
                          "exclude:\n  - {lr: 1e-2, n_features: 4}\n";
  const char *other_seed = "schema: tms-sweep/1\nname: s\nseed: 12\nfixed: {n_hidden: 2, density: 0.5}\n"
                           "axes:\n  n_features: {values: [3, 4]}\n  lr: {logspace: {start: -3, stop: -2, num: 3}}\n"
                           "replicates: 2\nexclude: [{n_features: 4, lr: 0.01}]\n";
  const char *other_values = HEAD "axes:\n  n_features: {values: [3, 5]}\n  lr: {logspace: {start: -3, stop: -2, num: 3}}\n"
                                  "replicates: 2\nexclude: [{n_features: 3, lr: 0.01}]\n";
  const char *other_exclude = HEAD "axes:\n  n_features: {values: [3, 4]}\n  lr: {logspace: {start: -3, stop: -2, num: 3}}\n"
                                   "replicates: 2\nexclude: [{n_features: 3, lr: 0.01}]\n";
  const char *other_reps = HEAD "axes:\n  n_features: {values: [3, 4]}\n  lr: {logspace: {start: -3, stop: -2, num: 3}}\n"
                                "replicates: 3\nexclude: [{n_features: 4, lr: 0.01}]\n";
  const char *other_run = HEAD "axes:\n  n_features: {values: [3, 4]}\n  lr: {logspace: {start: -3, stop: -2, num: 3}}\n"
                               "replicates: 2\nexclude: [{n_features: 4, lr: 0.01}]\nrun: {max_attempts: 5}\n";
  uint64_t h = hash_of(base);
  CHECK(h != 0, "hash of the base sweep");
  CHECK(hash_of(base) == h, "same text, same hash");
  CHECK(hash_of(respelled) == h, "comments, whitespace, flow/block style and number spelling keep the hash: %016llx vs %016llx",
        (unsigned long long)hash_of(respelled), (unsigned long long)h);
  CHECK(hash_of(other_seed) != h, "a different master seed changes the hash");
  CHECK(hash_of(other_values) != h, "different axis values change the hash");
  CHECK(hash_of(other_exclude) != h, "a different exclude changes the hash");
  CHECK(hash_of(other_reps) != h, "different replicates change the hash");
  CHECK(hash_of(other_run) == h, "run settings (attempts, timeouts) do not change what is computed, nor the hash");
  /* snapshot_every is logging: seeds never depend on it; the hash does once it is on (the file layout changes) */
  const char *snap0 = "schema: tms-sweep/1\nname: s\nseed: 11\nfixed: {n_hidden: 2, density: 0.5, snapshot_every: 0}\n"
                      "axes:\n  n_features: {values: [3, 4]}\n  lr: {logspace: {start: -3, stop: -2, num: 3}}\n"
                      "replicates: 2\nexclude: [{n_features: 4, lr: 0.01}]\n";
  const char *snap50 = HEAD "axes:\n  n_features: {values: [3, 4]}\n  lr: {logspace: {start: -3, stop: -2, num: 3}}\n"
                            "  snapshot_every: {values: [50]}\nreplicates: 2\nexclude: [{n_features: 4, lr: 0.01}]\n";
  CHECK(hash_of(snap50) != h, "snapshot_every 50 changes the hash");
  tms_sweep a, b;
  if (parse(&a, base) && parse(&b, snap50)) {
    int differ = 0;
    for (size_t i = 0; i < tms_grid_count(&a); i++) differ += seed_of(&a, i) != seed_of(&b, i);
    CHECK(differ == 0 && tms_grid_count(&a) == tms_grid_count(&b),
          "snapshot_every does not change any seed (%d of %zu differ)", differ, tms_grid_count(&a));
    tms_sweep_free(&a);
    tms_sweep_free(&b);
  }
  CHECK(hash_of(snap0) == h, "snapshot_every 0 (the default) keeps the hash of files made before it existed");
  /* eval_every (the evaluation curve) is logging too: the same two rules */
  const char *eval0 = "schema: tms-sweep/1\nname: s\nseed: 11\nfixed: {n_hidden: 2, density: 0.5, eval_every: 0}\n"
                      "axes:\n  n_features: {values: [3, 4]}\n  lr: {logspace: {start: -3, stop: -2, num: 3}}\n"
                      "replicates: 2\nexclude: [{n_features: 4, lr: 0.01}]\n";
  const char *eval50 = HEAD "axes:\n  n_features: {values: [3, 4]}\n  lr: {logspace: {start: -3, stop: -2, num: 3}}\n"
                            "  eval_every: {values: [50]}\nreplicates: 2\nexclude: [{n_features: 4, lr: 0.01}]\n";
  CHECK(hash_of(eval50) != h, "eval_every 50 changes the hash");
  if (parse(&a, base) && parse(&b, eval50)) {
    int differ = 0;
    for (size_t i = 0; i < tms_grid_count(&a); i++) differ += seed_of(&a, i) != seed_of(&b, i);
    CHECK(differ == 0 && tms_grid_count(&a) == tms_grid_count(&b),
          "eval_every does not change any seed (%d of %zu differ)", differ, tms_grid_count(&a));
    tms_sweep_free(&a);
    tms_sweep_free(&b);
  }
  CHECK(hash_of(eval0) == h, "eval_every 0 (the default) keeps the hash of files made before it existed");
}

/* grid_cache only skips work: with it removed, every spec, seed and the hash are the same. */
static void cache_is_transparent(void) {
  tms_sweep sw;
  if (!parse(&sw, "schema: tms-sweep/1\nname: s\nseed: 11\nfixed: {n_hidden: 2}\naxes:\n  n_features: {values: [3, 4]}\n  sparsity: {values: [0.1, 0.9]}\n"
                      "zip:\n  opt: {lr: {values: [0.001, 0.01]}, optimizer: {values: [adam, adamw]}}\nreplicates: 2\n"))
    return;
  CHECK(sw.grid_cache != NULL, "tms_sweep_parse builds the grid cache");
  size_t n = tms_grid_count(&sw);
  uint64_t fast[64], h_fast = tms_grid_config_hash(&sw);
  for (size_t i = 0; i < n && i < 64; i++) fast[i] = seed_of(&sw, i);
  void *cache = sw.grid_cache;
  sw.grid_cache = NULL;
  int differ = 0;
  for (size_t i = 0; i < n && i < 64; i++) differ += seed_of(&sw, i) != fast[i];
  CHECK(differ == 0, "%d of %zu seeds differ without the cache", differ, n);
  CHECK(tms_grid_config_hash(&sw) == h_fast, "config hash the same without the cache");
  sw.grid_cache = cache;
  tms_sweep_free(&sw);
}

int main(void) {
  cache_is_transparent();
  appended_values();
  config_hash();
  return tms_check_finish("grid_seeds_stable");
}
