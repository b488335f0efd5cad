/* signals: SIGTERM/SIGUSR1/SIGINT handlers that only set flags, as async-signal safety demands.
 * The first stop signal arms alarm(stop_grace_s); SIGALRM then raises the abandon flag, which trainers watch
 * (tms_train_control.stop), so running points finish or are abandoned within the grace period.
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

static void on_alarm(int sig) {
  (void)sig;
  g_abandon = 1;
}

static void on_stop(int sig) {
  if (!g_stop) {
    g_stop = sig;
    if (g_grace_s == 0) g_abandon = 1;
    else alarm(g_grace_s); /* async-signal-safe */
  }
}

void tms_signals_install(double stop_grace_s) {
  g_stop = 0;
  g_abandon = 0;
  /* alarm() counts whole seconds: round up so the grace is never shorter than asked. */
  g_grace_s = stop_grace_s <= 0 ? 0 : (unsigned)ceil(stop_grace_s);
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

int tms_signals_stop_requested(void) { return g_stop != 0; }

volatile sig_atomic_t *tms_signals_abandon_flag(void) { return &g_abandon; }

void tms_signals_request_stop(void) { on_stop(SIGTERM); }
