/* signals: SIGTERM/SIGUSR1/SIGINT handlers that only set flags, as async-signal safety demands.
 * The first stop signal arms alarm(stop_grace_s); SIGALRM then raises the abandon flag, which trainers watch
 * (tms_train_control.stop), so running points finish or are abandoned within the grace period.
 * The handlers go in before MPI_Init (tms_signals_install_early), whose start-up can take seconds, so a stop
 * signal in that window is recorded rather than fatal; the grace period, known once the sweep is read, follows
 * (tms_signals_set_grace) and starts counting then for a signal that came before.
 * Not here: deciding what to do on a stop (the scheduler does). */
#define _POSIX_C_SOURCE 200809L /* sigaction, alarm */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "scheduler/scheduler.h"

static volatile sig_atomic_t g_stop;
static volatile sig_atomic_t g_abandon;
static unsigned g_grace_s;
static volatile sig_atomic_t g_grace_known; /* 0 between install_early and set_grace: a stop arms no alarm yet */

static void on_alarm(int sig) {
  (void)sig;
  g_abandon = 1;
}

static void on_stop(int sig) {
  if (!g_stop) {
    g_stop = sig;
    if (!g_grace_known) return; /* set_grace arms it */
    if (g_grace_s == 0) g_abandon = 1;
    else alarm(g_grace_s); /* async-signal-safe */
  }
}

static void put_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
}

/* alarm() counts whole seconds: round up so the grace is never shorter than asked. */
static unsigned grace_seconds(double stop_grace_s) {
  return stop_grace_s <= 0 ? 0 : (unsigned)ceil(stop_grace_s);
}

void tms_signals_install(double stop_grace_s) {
  g_stop = 0;
  g_abandon = 0;
  g_grace_s = grace_seconds(stop_grace_s);
  g_grace_known = 1;
  put_handlers();
}

void tms_signals_install_early(void) {
  g_stop = 0;
  g_abandon = 0;
  g_grace_known = 0;
  put_handlers();
}

void tms_signals_set_grace(double stop_grace_s) {
  /* The grace is stored before it is marked known, and g_stop is read after: a stop signal either finds the grace
   * known (on_stop arms the alarm) or is seen here (this arms it). Blocking the stop signals in this thread keeps
   * on_stop from running in the middle; another thread taking one can at worst arm the same alarm twice. */
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &old);
  put_handlers(); /* again: in case a library (MPI's start-up) replaced one since install_early */
  g_grace_s = grace_seconds(stop_grace_s);
  g_grace_known = 1;
  if (g_stop) { /* a stop came before the grace was known: it counts from now */
    if (g_grace_s == 0) g_abandon = 1;
    else alarm(g_grace_s);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
}

int tms_signals_stop_requested(void) { return g_stop != 0; }

volatile sig_atomic_t *tms_signals_abandon_flag(void) { return &g_abandon; }
