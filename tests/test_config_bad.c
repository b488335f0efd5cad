/* config_bad_files: every file in tests/sweeps/bad/ must be refused, with a message that contains the text of
 * its first line "# expect: <substring>" (which names line:col and key). Also: a nonexistent file, a directory,
 * and that a refused load leaves nothing allocated. Prints every mismatch with the message it got. */
#define _POSIX_C_SOURCE 200809L /* opendir, strdup */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config/config.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void expect_refused(const char *path, const char *expect, const char *label) {
  tms_sweep sw;
  tms_error err;
  memset(&err, 0, sizeof err);
  tms_status s = tms_sweep_load(&sw, path, &err);
  char msg[1024];
  tms_error_format(&err, msg, sizeof msg);
  int ok_status = s == TMS_ERR_CONFIG || s == TMS_ERR_PARSE || s == TMS_ERR_IO;
  CHECK(s != TMS_OK, "%s: was accepted, expected an error containing '%s'", label, expect);
  if (s == TMS_OK) {
    tms_sweep_free(&sw);
    return;
  }
  CHECK(ok_status, "%s: status %s, want TMS_ERR_CONFIG, TMS_ERR_PARSE or TMS_ERR_IO", label, tms_status_name(s));
  CHECK(err.status == s, "%s: err.status %s differs from the returned %s", label, tms_status_name(err.status),
        tms_status_name(s));
  CHECK(strstr(msg, expect) != NULL, "%s:\n    want a message containing: %s\n    got:                       %s", label,
        expect, msg);
  CHECK(sw.text == NULL && sw.axes == NULL && sw.fixed == NULL && sw.excludes == NULL,
        "%s: a refused load left memory in the sweep struct", label);
  tms_sweep_free(&sw); /* safe on the zeroed struct */
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : TMS_TEST_DIR "/sweeps/bad";
  int verbose = argc > 2;
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "cannot open %s\n", dir);
    return 1;
  }
  char *names[512];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 512) {
    size_t len = strlen(e->d_name);
    if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0) names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp_str);
  CHECK(n >= 25, "at least 25 bad sweep files, found %d in %s", n, dir);

  for (int i = 0; i < n; i++) {
    char path[1024], line[512] = "";
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    FILE *f = fopen(path, "rb");
    if (!f || !fgets(line, sizeof line, f)) {
      CHECK(0, "%s: cannot read its first line", names[i]);
      if (f) fclose(f);
      continue;
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    const char *tag = "# expect: ";
    if (strncmp(line, tag, strlen(tag)) != 0 || !line[strlen(tag)]) {
      CHECK(0, "%s: first line must be '# expect: <substring>', got '%s'", names[i], line);
      continue;
    }
    if (verbose) {
      tms_sweep sw;
      tms_error err;
      char msg[1024];
      if (tms_sweep_load(&sw, path, &err) == TMS_OK) {
        printf("%-34s ACCEPTED\n", names[i]);
        tms_sweep_free(&sw);
      } else {
        tms_error_format(&err, msg, sizeof msg);
        printf("%-34s %s\n", names[i], msg);
      }
    }
    expect_refused(path, line + strlen(tag), names[i]);
    free(names[i]);
  }

  expect_refused(TMS_TEST_DIR "/sweeps/bad/no_such_file.yml", "no_such_file.yml: cannot open the sweep file",
                 "nonexistent file");
  expect_refused(TMS_TEST_DIR "/sweeps/bad", "cannot read", "a directory");
  return tms_check_finish("config_bad_files");
}
