/* results_check: what the results-file fuzzers (fuzz_results.c: structured edits, fuzz_results_raw.c: raw bytes)
 * check on each file: tms-post's reader, --reuse's reader (tms_reuse_open, then tms_reuse_copy into a fresh file)
 * and the store's resume check must refuse it with a message naming the file or accept it self-consistently, never
 * crash; post and --reuse never change a byte of it, and a refused resume leaves it byte for byte as it was. */
#ifndef TMS_FUZZ_RESULTS_CHECK_H
#define TMS_FUZZ_RESULTS_CHECK_H
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* MPI_Init (the store opens files with MPI-IO), HDF5 errors silenced, the sweep tests/orchestrator/tiny.yaml. */
void fuzz_results_init(tms_sweep *sweep);
/* A scratch path for this process: /dev/shm when writable, else TMPDIR. */
void fuzz_results_path(char *buf, size_t size, const char *tag);
int fuzz_write_file(const char *path, const uint8_t *data, size_t size);
/* The whole file into a malloc'ed buffer (*size bytes); NULL when unreadable. */
uint8_t *fuzz_read_file(const char *path, size_t *size);
/* Runs tms_post_results_read, tms_reuse_open/copy and tms_store_open_resume on path, whose bytes are data; aborts on a broken invariant. */
void fuzz_results_check(const char *path, const tms_sweep *sweep, const uint8_t *data, size_t size);

#endif
