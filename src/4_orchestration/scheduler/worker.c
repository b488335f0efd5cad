/* worker: a worker rank's loop: wait for a unit (polling, so a stop signal while idle can be noted to the root),
 * train it, send its records back, until TMS_TAG_STOP. Not here: training (unit.c), deciding anything about
 * failures or retries (the root does). Invariants: one TMS_TAG_RESULT of k records per TMS_TAG_WORK of k points;
 * at most one TMS_TAG_NOTE per run; a unit received after a stop signal is answered untrained (interrupted). */
#include <mpi.h>
#include <stdlib.h>

#include "sched_internal.h"

void tms_worker_run(const tms_sweep *sweep) {
  MPI_Comm comm = MPI_COMM_WORLD;
  tms_rec_layout L;
  tms_rec_layout_init(&L, sweep);
  int noted = 0;
  unsigned char *buf = NULL;
  int64_t *idx = NULL;
  int cap = 0;
  for (;;) {
    int flag = 0;
    MPI_Status ms;
    while (!flag) {
      MPI_Iprobe(0, MPI_ANY_TAG, comm, &flag, &ms);
      if (flag) break;
      if (tms_signals_stop_requested() && !noted) {
        MPI_Send(NULL, 0, MPI_BYTE, 0, TMS_TAG_NOTE, comm);
        noted = 1;
      }
      tms_sched_nap();
    }
    if (ms.MPI_TAG != TMS_TAG_WORK) {
      MPI_Recv(NULL, 0, MPI_BYTE, 0, ms.MPI_TAG, comm, MPI_STATUS_IGNORE);
      if (ms.MPI_TAG == TMS_TAG_STOP) break;
      continue;
    }
    int k = 0;
    MPI_Get_count(&ms, MPI_INT64_T, &k);
    if (k > cap) {
      int64_t *ni = realloc(idx, (size_t)k * sizeof *ni);
      unsigned char *nb = realloc(buf, (size_t)k * L.bytes);
      if (ni) idx = ni;
      if (nb) buf = nb;
      if (!ni || !nb) MPI_Abort(comm, 3); /* cannot even report: the root would wait forever */
      cap = k;
    }
    MPI_Recv(idx, k, MPI_INT64_T, 0, TMS_TAG_WORK, comm, MPI_STATUS_IGNORE);
    if (tms_signals_stop_requested()) {
      for (int j = 0; j < k; j++) {
        tms_rec_blank(&L, buf + (size_t)j * L.bytes, idx[j], TMS_ERR_INTERRUPTED);
        tms_rec_at(&L, buf, j)->flags = TMS_REC_SIGNALED;
      }
    } else {
      tms_sched_train_unit(sweep, &L, idx, k, buf, NULL);
      if (tms_signals_stop_requested())
        for (int j = 0; j < k; j++) tms_rec_at(&L, buf, j)->flags = TMS_REC_SIGNALED;
    }
    MPI_Send(buf, (int)((size_t)k * L.bytes), MPI_BYTE, 0, TMS_TAG_RESULT, comm);
  }
  free(buf);
  free(idx);
}
