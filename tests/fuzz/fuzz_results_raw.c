/* fuzz_results_raw: libFuzzer harness feeding raw bytes as a results file to tms-post's reader, --reuse's and the resume
 * check (invariants in results_check.h). Seeds: results files made by tms-sweep (tests/fuzz/run.sh). This exposes
 * HDF5's own file parser, which is uninstrumented system code: its crashes and hangs on corrupt files are HDF5's
 * (recorded in tests/fuzz/README.md), so this harness is run by hand; CTest runs the structured fuzz_results. */
#include <stdint.h>
#include <unistd.h>

#include "results_check.h"

static tms_sweep g_sweep;
static char g_path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_results_init(&g_sweep);
  fuzz_results_path(g_path, sizeof g_path, "raw");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (fuzz_write_file(g_path, data, size) != 0) return 0;
  fuzz_results_check(g_path, &g_sweep, data, size);
  unlink(g_path);
  return 0;
}
