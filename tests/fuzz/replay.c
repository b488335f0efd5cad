/* replay: runs a fuzz harness (linked beside it, built by gcc in the normal build) on every file of the directories
 * given: the crashes the fuzzers found, kept as regression inputs in tests/fuzz/regress/<harness>/. A broken
 * invariant aborts inside the harness, so the test fails naming the file it was on. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  size_t got = buf && n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
  fclose(f);
  if (!buf || got != (size_t)(n > 0 ? n : 0)) {
    free(buf);
    return -1;
  }
  printf("replay %s (%ld bytes)\n", path, n);
  fflush(stdout);
  LLVMFuzzerTestOneInput(buf, got);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  int count = 0;
  for (int i = 1; i < argc; i++) {
    DIR *d = opendir(argv[i]);
    if (!d) {
      fprintf(stderr, "FAIL: cannot open the regression directory %s\n", argv[i]);
      return 1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0) continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
      if (replay_file(path) != 0) {
        fprintf(stderr, "FAIL: cannot read %s\n", path);
        closedir(d);
        return 1;
      }
      count++;
    }
    closedir(d);
  }
  printf("PASS: %d regression inputs replayed, no invariant broken\n", count);
  return 0;
}
