/* fuzz_sweep: libFuzzer harness for the sweep-file parser and the grid expansion (src/2_sweep/config).
 * Input = the bytes of a sweep file. Invariants checked beyond "no crash, no sanitizer report":
 *  - a refused file always carries a message and names the file (the user must learn where and why);
 *  - an accepted file expands: every point has a valid spec, its coords round-trip inside the shape, and the
 *    config hash is the same when the same text is parsed twice (hashes decide whether --resume may continue).
 * Points beyond the first and last FUZZ_POINTS are not expanded, and the hash is compared only for grids of at most
 * FUZZ_HASH_POINTS points (it visits every point), to keep each input fast. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/grid.h"

enum { FUZZ_POINTS = 64, FUZZ_HASH_POINTS = 10000 };

static void die(const char *what, const tms_error *e) {
  fprintf(stderr, "fuzz_sweep invariant broken: %s (status %d, msg '%s', file '%s')\n", what, e ? (int)e->status : -1,
          e ? e->msg : "", e ? e->file : "");
  abort();
}

static void check_point(const tms_sweep *sw, size_t i, int rank, const size_t *dims) {
  size_t coords[64];
  tms_grid_coords(sw, i, coords);
  for (int d = 0; d < rank; d++)
    if (coords[d] >= dims[d]) die("grid coords outside the shape", NULL);
  tms_spec spec;
  tms_error e;
  memset(&e, 0, sizeof e);
  if (tms_grid_spec(sw, i, &spec, &e) != TMS_OK && e.msg[0] == '\0') die("grid_spec failed without a message", &e);
  (void)tms_grid_excluded(sw, i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tms_sweep sw;
  tms_error e;
  memset(&e, 0, sizeof e);
  if (tms_sweep_parse(&sw, (const char *)data, size, "fuzz.yaml", &e) != TMS_OK) {
    if (e.msg[0] == '\0' && e.status != TMS_ERR_NOMEM) die("refused without a message", &e);
    if (strcmp(e.file, "fuzz.yaml") != 0) die("refusal does not name the file", &e);
    tms_sweep_free(&sw); /* must be safe after a failed parse */
    return 0;
  }
  int rank = tms_grid_rank(&sw);
  if (rank < 1 || rank > 64) die("grid rank out of range", NULL);
  size_t dims[64], count = tms_grid_count(&sw);
  tms_grid_shape(&sw, dims);
  size_t prod = 1;
  for (int d = 0; d < rank; d++) prod *= dims[d];
  if (prod != count || count == 0) die("grid count differs from the product of the shape", NULL);
  for (size_t i = 0; i < count && i < FUZZ_POINTS; i++) check_point(&sw, i, rank, dims);
  for (size_t i = count > FUZZ_POINTS ? count - FUZZ_POINTS : count; i < count; i++) check_point(&sw, i, rank, dims);
  int n_max, m_max, has_w2;
  size_t curve_max;
  tms_grid_extent(&sw, &n_max, &m_max, &curve_max, &has_w2);
  if (n_max < 1 || m_max < 1) die("grid extent below 1", NULL);
  (void)tms_grid_snapshot_max(&sw);
  (void)tms_grid_eval_max(&sw);
  (void)tms_grid_model_steps(&sw);
  (void)tms_grid_output_bytes(&sw);
  if (count > FUZZ_HASH_POINTS) {
    tms_sweep_free(&sw);
    return 0;
  }
  uint64_t h = tms_grid_config_hash(&sw);
  tms_sweep again;
  if (tms_sweep_parse(&again, (const char *)data, size, "fuzz.yaml", &e) != TMS_OK) die("second parse refused", &e);
  if (tms_grid_config_hash(&again) != h) die("config hash differs between two parses of the same text", NULL);
  tms_sweep_free(&again);
  tms_sweep_free(&sw);
  return 0;
}
