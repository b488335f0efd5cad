/* lock: one writer per results file. A run holds "<results>.lock" beside the file from before the file is created
 * (or opened to resume) until it is closed. The lock is a small text file made with open(O_CREAT|O_EXCL), so of two
 * runs racing for it exactly one gets it; it names its holder (host, pid, start time, Slurm job).
 * Stale locks: a lock whose holder is known to be dead is taken over: same host (same boot) and that pid no longer
 * alive, or alive but a different process (its start time differs), or the host rebooted since; or the same Slurm job
 * id as this run with a lower SLURM_RESTART_COUNT (a requeued job restarts only after its earlier incarnation was
 * ended, possibly on another node). A lock held from another host
 * cannot be checked and is never broken: the message names the holder and the file to remove by hand.
 * Shared file systems: relies on O_EXCL create being atomic across clients (NFSv3+ with a server that implements
 * exclusive create, NFSv4, Lustre, GPFS/Spectrum Scale, BeeGFS all do); it does not rely on flock/fcntl locks. */
#ifndef TMS_STORE_LOCK_H
#define TMS_STORE_LOCK_H
#include "core/status.h"

typedef struct {
  char path[1100]; /* the lock file; empty when not held */
  char text[512];  /* what we wrote into it (to check before removing) */
} tms_lock;

/* Takes "<results_path>.lock". TMS_ERR_LOCKED (message names the holder) when another live run holds it;
 * *took_stale (may be NULL) is set when a stale lock was replaced. TMS_ERR_IO when the directory is not writable. */
tms_status tms_lock_acquire(tms_lock *lk, const char *results_path, int *took_stale, tms_error *err);
/* Removes the lock if it is still ours. Safe on a zeroed or never-acquired lock. */
void tms_lock_release(tms_lock *lk);

#endif
