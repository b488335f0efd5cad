/* results_check: the invariants of results_check.h, shared by both results-file fuzzers and their replay test. */
#include "results_check.h"

#include <fcntl.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "post/post.h"
#include "store/reuse.h"
#include "store/store.h"

static void die(const char *what, const tms_error *e) {
  fprintf(stderr, "results fuzzer invariant broken: %s (status %d, msg '%s', file '%s')\n", what,
          e ? (int)e->status : -1, e ? e->msg : "", e ? e->file : "");
  abort();
}

void fuzz_results_init(tms_sweep *sweep) {
  int flag = 0, provided;
  MPI_Initialized(&flag);
  if (!flag) MPI_Init_thread(NULL, NULL, MPI_THREAD_SINGLE, &provided);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  tms_error e;
  if (tms_sweep_load(sweep, TMS_TEST_DIR "/orchestrator/tiny.yaml", &e) != TMS_OK) die("cannot load tiny.yaml", &e);
}

void fuzz_results_path(char *buf, size_t size, const char *tag) {
  const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  snprintf(buf, size, "%s/tms-fuzz-%s-%d.h5", dir, tag, (int)getpid());
}

int fuzz_write_file(const char *path, const uint8_t *data, size_t size) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < size) {
    ssize_t w = write(fd, data + off, size - off);
    if (w <= 0) break;
    off += (size_t)w;
  }
  close(fd);
  return off == size ? 0 : -1;
}

uint8_t *fuzz_read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *size = n > 0 ? (size_t)n : 0;
  return buf;
}

static int file_equals(const char *path, const uint8_t *data, size_t size) {
  size_t n = 0;
  uint8_t *now = fuzz_read_file(path, &n);
  int same = now && n == size && (size == 0 || memcmp(now, data, size) == 0);
  free(now);
  return same;
}

static void check_post(const tms_post_results *r) {
  size_t prod = 1;
  for (int k = 0; k < r->rank; k++) prod *= r->dims[k];
  if (r->rank < 1 || prod != r->points || r->cells * r->replicates != r->points) die("post: inconsistent grid", NULL);
  for (size_t p = 0; p < r->points; p++) {
    tms_variant v;
    int n, m;
    tms_post_point_shape(r, p, &v, &n, &m);
    if (n > r->n_max || m > r->m_max) die("post: a point's shape exceeds the extents", NULL);
    tms_spec spec;
    tms_error e;
    memset(&e, 0, sizeof e);
    if (tms_post_point_spec(&spec, r, p, "fuzz", &e) != TMS_OK && e.msg[0] == '\0')
      die("post: point spec refused without a message", &e);
    if (r->W && n > 0 && m > 0) {
      float *w = malloc((size_t)n * (size_t)m * sizeof *w);
      if (w) tms_post_point_weights(w, r, p, 0);
      free(w);
    }
  }
}

/* --reuse's reader (store/reuse.c, not the resume's): refuses with a message naming the file, or copies at most its
 * done points into a fresh file of the sweep, each of them then done there; the old file is never written. */
static void check_reuse(const char *path, const tms_sweep *sweep, const uint8_t *data, size_t size) {
  tms_reuse_src *src = NULL;
  tms_error e;
  memset(&e, 0, sizeof e);
  if (tms_reuse_open(&src, path, &e) != TMS_OK) {
    if (e.msg[0] == '\0' || strstr(e.file, path) == NULL) die("reuse: refused without a message naming the file", &e);
  } else if (tms_reuse_done(src) == 0) { /* nothing to copy: spare the new file (most inputs; keeps the rate up) */
    tms_reuse_close(src);
  } else {
    char dst_path[600];
    snprintf(dst_path, sizeof dst_path, "%s.new", path);
    tms_store_provenance prov = {"fuzz", "fuzz", "mpi", "blas", 1, 1, "generic", "generic"};
    tms_store *dst = NULL;
    if (tms_store_create(&dst, dst_path, sweep, &prov, 1, &e) != TMS_OK) die("reuse: cannot create a new file", &e);
    tms_reuse_counts c;
    tms_status s = tms_reuse_copy(src, dst, sweep, &c, &e);
    if (s != TMS_OK && e.msg[0] == '\0') die("reuse: copy failed without a message", &e);
    size_t done = 0;
    for (size_t i = 0; i < tms_store_point_count(dst); i++) done += tms_store_status(dst)[i] == TMS_POINT_DONE;
    if (s == TMS_OK && (c.reused > c.old_done || done != c.reused)) die("reuse: counts do not add up", NULL);
    tms_store_close(dst, &e);
    tms_reuse_close(src);
    remove(dst_path);
  }
  if (!file_equals(path, data, size)) die("reuse: the old file was modified", NULL);
}

void fuzz_results_check(const char *path, const tms_sweep *sweep, const uint8_t *data, size_t size) {
  tms_post_results res;
  tms_error e;
  memset(&e, 0, sizeof e);
  if (tms_post_results_read(&res, path, &e) == TMS_OK) {
    check_post(&res);
    tms_post_results_free(&res);
  } else if (e.msg[0] == '\0' || strcmp(e.file, path) != 0) {
    die("post: refused without a message naming the file", &e);
  }
  if (!file_equals(path, data, size)) die("post: the reader modified the file", NULL);
  check_reuse(path, sweep, data, size); /* before the resume, which may write into a file it accepts */
  tms_store *st = NULL;
  memset(&e, 0, sizeof e);
  if (tms_store_open_resume(&st, path, sweep, 0, &e) == TMS_OK) {
    tms_store_close(st, &e);
    return;
  }
  if (e.msg[0] == '\0' || strstr(e.file, path) == NULL) die("resume: refused without a message naming the file", &e);
  if (!file_equals(path, data, size)) die("resume: a refused file was modified", &e);
}
