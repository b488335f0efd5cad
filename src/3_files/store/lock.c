/* lock: the writer's lock beside a results file (see lock.h for the rules and what they rely on).
 * Not here: when the lock is taken (cmd_run takes it before creating or opening the file), the file itself.
 * Invariants: the lock file is created with O_EXCL and complete (written, fsynced) before anyone reads it as ours;
 * we remove only a lock whose text is still exactly what we wrote; a stale lock is replaced only after re-reading
 * it and finding it unchanged, so a run that took it over in between is not robbed. */
#define _POSIX_C_SOURCE 200809L /* gethostname, fsync, gmtime_r */
#include "store/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define LOCK_SCHEMA "tms-lock/1"

typedef struct {
  char host[256], start[32], boot_id[64], slurm_job[32];
  long pid;
  long slurm_restart; /* SLURM_RESTART_COUNT: how often the job was requeued (-1 outside Slurm) */
  unsigned long long proc_start; /* clock ticks after boot (/proc/PID/stat field 22); 0 unknown */
} holder;

static void read_small(const char *path, char *buf, size_t size) {
  buf[0] = 0;
  FILE *f = fopen(path, "r");
  if (!f) return;
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = 0;
  fclose(f);
  buf[strcspn(buf, "\n")] = 0;
}

/* /proc/PID/stat after the command name (which may hold spaces and parentheses): " S ppid ...", or -1. */
static int proc_stat_tail(long pid, char *buf, size_t size, const char **tail) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, size - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *p = strrchr(buf, ')');
  if (!p || p[1] != ' ' || !p[2]) return -1;
  *tail = p + 1;
  return 0;
}

/* A killed process whose parent has not reaped it (an orphaned MPI rank under a container's init that never
 * reaps) still answers kill(pid, 0): it is dead all the same. */
static int proc_is_zombie(long pid) {
  char buf[1024];
  const char *p;
  if (proc_stat_tail(pid, buf, sizeof buf, &p) != 0) return 0;
  return p[1] == 'Z' || p[1] == 'X';
}

/* Start time of process pid in clock ticks after boot, or 0 when unknown (no /proc, or no such process). */
static unsigned long long proc_start_ticks(long pid) {
  char buf[1024];
  const char *p;
  if (proc_stat_tail(pid, buf, sizeof buf, &p) != 0) return 0;
  for (int field = 3; field < 22 && p; field++) { /* field 3 follows ')'; starttime is field 22 */
    p = strchr(p + 1, ' ');
  }
  return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void holder_self(holder *h) {
  memset(h, 0, sizeof *h);
  if (gethostname(h->host, sizeof h->host - 1) != 0) snprintf(h->host, sizeof h->host, "unknown");
  h->pid = (long)getpid();
  time_t t = time(NULL);
  struct tm tmv;
  gmtime_r(&t, &tmv);
  strftime(h->start, sizeof h->start, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  read_small("/proc/sys/kernel/random/boot_id", h->boot_id, sizeof h->boot_id);
  h->proc_start = proc_start_ticks(h->pid);
  const char *job = getenv("SLURM_JOB_ID");
  snprintf(h->slurm_job, sizeof h->slurm_job, "%s", job ? job : "");
  const char *restart = getenv("SLURM_RESTART_COUNT");
  h->slurm_restart = job ? (restart ? strtol(restart, NULL, 10) : 0) : -1;
}

static void holder_format(const holder *h, char *buf, size_t size) {
  snprintf(buf, size,
           "%s\nhost=%s\npid=%ld\nstart=%s\nboot_id=%s\nproc_start=%llu\nslurm_job=%s\nslurm_restart=%ld\n",
           LOCK_SCHEMA, h->host, h->pid, h->start, h->boot_id, h->proc_start, h->slurm_job, h->slurm_restart);
}

/* Parses a lock's text; 0 when it is one of ours. Unknown lines are ignored (a later version may add some). */
static int holder_parse(holder *h, const char *text) {
  memset(h, 0, sizeof *h);
  h->slurm_restart = -1;
  if (strncmp(text, LOCK_SCHEMA "\n", strlen(LOCK_SCHEMA) + 1) != 0) return -1;
  const char *line = text;
  while (line && *line) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char kv[320];
    snprintf(kv, sizeof kv, "%.*s", (int)(len < sizeof kv ? len : sizeof kv - 1), line);
    char *eq = strchr(kv, '=');
    if (eq) {
      *eq = 0;
      const char *v = eq + 1;
      if (strcmp(kv, "host") == 0) snprintf(h->host, sizeof h->host, "%s", v);
      else if (strcmp(kv, "pid") == 0) h->pid = strtol(v, NULL, 10);
      else if (strcmp(kv, "start") == 0) snprintf(h->start, sizeof h->start, "%s", v);
      else if (strcmp(kv, "boot_id") == 0) snprintf(h->boot_id, sizeof h->boot_id, "%s", v);
      else if (strcmp(kv, "proc_start") == 0) h->proc_start = strtoull(v, NULL, 10);
      else if (strcmp(kv, "slurm_job") == 0) snprintf(h->slurm_job, sizeof h->slurm_job, "%s", v);
      else if (strcmp(kv, "slurm_restart") == 0) h->slurm_restart = strtol(v, NULL, 10);
    }
    line = end ? end + 1 : NULL;
  }
  return h->pid > 0 ? 0 : -1;
}

/* Why the holder is known to be dead, or NULL when it may be alive (or cannot be checked). */
static const char *stale_reason(const holder *old, const holder *me) {
  /* A requeued job runs again only after its earlier incarnation was ended (possibly on another node). */
  if (old->slurm_job[0] && strcmp(old->slurm_job, me->slurm_job) == 0 && old->slurm_restart < me->slurm_restart)
    return "it was taken by an earlier run of this Slurm job, since requeued";
  if (strcmp(old->host, me->host) != 0) return NULL;
  if (old->boot_id[0] && me->boot_id[0] && strcmp(old->boot_id, me->boot_id) != 0)
    return "its host has rebooted since";
  if (old->pid == me->pid) return "it was taken by a process of this pid that no longer exists";
  if (kill((pid_t)old->pid, 0) != 0 && errno == ESRCH) return "its process no longer exists";
  if (proc_is_zombie(old->pid)) return "its process was killed (a zombie not yet reaped)";
  unsigned long long now_start = proc_start_ticks(old->pid);
  if (old->proc_start && now_start && now_start != old->proc_start)
    return "its pid now belongs to another process";
  return NULL;
}

static int read_file(const char *path, char *buf, size_t size) {
  buf[0] = 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  return 0;
}

/* One O_EXCL attempt: 0 taken, 1 exists, -1 other error (errno kept). */
static int try_create(tms_lock *lk) {
  int fd = open(lk->path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return errno == EEXIST ? 1 : -1;
  size_t len = strlen(lk->text);
  int ok = write(fd, lk->text, len) == (ssize_t)len && fsync(fd) == 0;
  int saved = errno;
  close(fd);
  if (!ok) {
    unlink(lk->path);
    errno = saved;
    return -1;
  }
  return 0;
}

static tms_status refuse(tms_lock *lk, const holder *old, const char *raw, tms_error *err) {
  char path[1100];
  snprintf(path, sizeof path, "%s", lk->path);
  lk->path[0] = 0;
  if (!old)
    return tms_error_set(err, TMS_ERR_LOCKED, path, 0, 0, NULL,
                         "lock file of another program or unreadable (%.60s); remove it if no run writes the file",
                         raw[0] ? raw : "empty");
  return tms_error_set(err, TMS_ERR_LOCKED, path, 0, 0, NULL,
                       "the results file is being written by another run: host %s, pid %ld, started %s%s%s "
                       "(if that run is dead, remove this lock file and resume)",
                       old->host, old->pid, old->start, old->slurm_job[0] ? ", Slurm job " : "", old->slurm_job);
}

tms_status tms_lock_acquire(tms_lock *lk, const char *results_path, int *took_stale, tms_error *err) {
  memset(lk, 0, sizeof *lk);
  if (took_stale) *took_stale = 0;
  holder me;
  holder_self(&me);
  holder_format(&me, lk->text, sizeof lk->text);
  snprintf(lk->path, sizeof lk->path, "%s.lock", results_path);
  for (int attempt = 0; attempt < 3; attempt++) {
    int rc = try_create(lk);
    if (rc == 0) return TMS_OK;
    if (rc < 0) {
      tms_status s = tms_error_set(err, errno == ENOSPC ? TMS_ERR_NOSPACE : TMS_ERR_IO, lk->path, 0, 0, NULL,
                                   "cannot create the lock file: %s", strerror(errno));
      lk->path[0] = 0;
      return s;
    }
    char raw[512], again[512];
    if (read_file(lk->path, raw, sizeof raw) != 0) continue; /* removed meanwhile: try again */
    holder old;
    if (holder_parse(&old, raw) != 0) return refuse(lk, NULL, raw, err);
    if (!stale_reason(&old, &me)) return refuse(lk, &old, raw, err);
    /* Stale: remove it only if it is still the same lock (another resumer may have replaced it just now). */
    if (read_file(lk->path, again, sizeof again) == 0 && strcmp(raw, again) == 0) unlink(lk->path);
    if (took_stale) *took_stale = 1;
  }
  lk->path[0] = 0;
  return tms_error_set(err, TMS_ERR_LOCKED, results_path, 0, 0, NULL,
                       "could not take the lock file (other runs keep replacing it)");
}

void tms_lock_release(tms_lock *lk) {
  if (!lk || !lk->path[0]) return;
  char now[512];
  if (read_file(lk->path, now, sizeof now) == 0 && strcmp(now, lk->text) == 0) unlink(lk->path);
  lk->path[0] = 0;
}
