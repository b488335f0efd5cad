/* mpi_check: MPI return codes turned into statuses. The scheduler runs on a duplicate of the communicator it is
 * given with MPI_ERRORS_RETURN set on it, so a failing MPI call returns here instead of aborting the job, and the
 * failure travels up as TMS_ERR_MPI with what failed and MPI's own words for it. Not here: deciding what a failure
 * means for the run (dispatch.c, worker.c, scheduler.c). */
#include <mpi.h>

#include "sched_internal.h"

tms_status tms_mpi_check(int rc, tms_error *err, const char *what) {
  if (rc == MPI_SUCCESS) return TMS_OK;
  char text[MPI_MAX_ERROR_STRING] = "";
  int len = 0, cls = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) text[0] = 0;
  if (MPI_Error_class(rc, &cls) != MPI_SUCCESS) cls = rc;
  return tms_error_set(err, TMS_ERR_MPI, NULL, 0, 0, NULL, "%s failed: %s (MPI error class %d)", what,
                       text[0] ? text : "unknown MPI error", cls);
}
