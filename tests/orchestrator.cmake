# Orchestrator: the results store, the MPI scheduler and `tms-sweep run` end to end.
# Script tests get the path of orch_check (tests/orchestrator/orch_check.c, a consistency checker) as argument.
tms_test(NAME store_layout SOURCES ${TMS_TEST_DIR}/test_store.c LIBS tms_store tms_config tms_rng LABELS unit TIMEOUT 60)
tms_test(NAME run_progress_signals SOURCES ${TMS_TEST_DIR}/test_store_progress.c LIBS tms_scheduler tms_rng
         LABELS unit TIMEOUT 30)
tms_test(NAME sched_mpi_errors SOURCES ${TMS_TEST_DIR}/orchestrator/mpi_errors.c LIBS tms_scheduler tms_store
         tms_config tms_rng LABELS mpi unit PROCS 3 TIMEOUT 60)

add_executable(orch_check ${TMS_TEST_DIR}/orchestrator/orch_check.c)
target_link_libraries(orch_check PRIVATE hdf5::hdf5 MPI::MPI_C tms_flags m)
add_executable(foreign_worker ${TMS_TEST_DIR}/orchestrator/foreign_worker.c)
target_link_libraries(foreign_worker PRIVATE tms_scheduler tms_config MPI::MPI_C tms_flags)

set(ORCH_DIR ${TMS_TEST_DIR}/orchestrator)
if(TARGET tms-sweep)
  tms_script_test(NAME run_bad_input COMMAND bash ${ORCH_DIR}/bad_input.sh $<TARGET_FILE:orch_check>
                  LABELS unit mpi TIMEOUT 120)
  tms_script_test(NAME run_ranks_identical COMMAND bash ${ORCH_DIR}/ranks_identical.sh $<TARGET_FILE:orch_check>
                  LABELS mpi TIMEOUT 120)
  tms_script_test(NAME run_progress_alone COMMAND bash ${ORCH_DIR}/progress_alone.sh $<TARGET_FILE:orch_check>
                  LABELS mpi TIMEOUT 60)
  tms_script_test(NAME run_failures COMMAND bash ${ORCH_DIR}/failures.sh $<TARGET_FILE:orch_check>
                  LABELS mpi TIMEOUT 120)
  tms_script_test(NAME run_kill_resume COMMAND bash ${ORCH_DIR}/kill_resume.sh $<TARGET_FILE:orch_check>
                  LABELS mpi slow TIMEOUT 180)
  tms_script_test(NAME run_signals COMMAND bash ${ORCH_DIR}/signals.sh $<TARGET_FILE:orch_check>
                  LABELS mpi slow TIMEOUT 180)
  # A real single-node Slurm (munge, slurmctld, slurmd) under a temp dir: time limit -> requeue -> resume -> equal to
  # a direct run, and the afterok post job. Skips (77) where Slurm is not installed.
  tms_script_test(NAME slurm_requeue COMMAND bash ${TMS_TEST_DIR}/slurm/requeue.sh $<TARGET_FILE:orch_check>
                  LABELS slurm slow TIMEOUT 900)
  # 12 SIGKILLs (group, root, worker in turn) of 3-rank runs, each resumed, rounds bitwise equal; `bash
  # tests/orchestrator/kill_soak.sh ORCH_CHECK 100` is the long soak.
  tms_script_test(NAME run_kill_soak COMMAND bash ${ORCH_DIR}/kill_soak.sh $<TARGET_FILE:orch_check> 12 3
                  LABELS mpi slow TIMEOUT 400)
  # --reuse: refined sweeps copy the shared points and equal runs from scratch (1 and 3 ranks).
  tms_script_test(NAME run_reuse COMMAND bash ${ORCH_DIR}/reuse.sh $<TARGET_FILE:orch_check>
                  LABELS mpi TIMEOUT 300)
  # /points/eval_s in new files; a file made before it (no such dataset) is read, resumed and reused.
  tms_script_test(NAME run_eval_s_old_file COMMAND bash ${ORCH_DIR}/old_file.sh $<TARGET_FILE:orch_check>
                  LABELS mpi TIMEOUT 200)
  # Issue 11 item 5: one worker SIGKILLed mid-run: mpirun exits 137, committed points intact, --resume identical.
  tms_script_test(NAME run_worker_killed COMMAND bash ${ORCH_DIR}/worker_kill.sh $<TARGET_FILE:orch_check>
                  LABELS mpi slow TIMEOUT 150)
  # Issue 10 item 3: a real MPI failure of the binary (a foreign rank whose records are larger) gives exit 3.
  tms_script_test(NAME run_mpi_failure COMMAND bash ${ORCH_DIR}/mpi_failure.sh $<TARGET_FILE:orch_check>
                  $<TARGET_FILE:foreign_worker> LABELS mpi TIMEOUT 200)
  # Damaged, foreign, read-only and missing results files given to --resume, --reuse and tms-post.
  tms_script_test(NAME run_hostile_files COMMAND bash ${ORCH_DIR}/hostile_files.sh $<TARGET_FILE:orch_check>
                  LABELS mpi TIMEOUT 300)
endif()
tms_test(NAME schema_tables_check SOURCES ${TMS_TEST_DIR}/test_schema.c LIBS tms_store tms_schema tms_config tms_rng
         LABELS unit TIMEOUT 60)
if(TARGET tms-sweep)
  tms_script_test(NAME run_lock COMMAND bash ${ORCH_DIR}/lock.sh $<TARGET_FILE:orch_check> LABELS mpi TIMEOUT 120)
endif()
if(TARGET tms-sweep)
  tms_script_test(NAME run_disk_full COMMAND bash ${ORCH_DIR}/disk_full.sh $<TARGET_FILE:orch_check> LABELS mpi
                  TIMEOUT 120)
endif()
if(TARGET tms-sweep)
  tms_script_test(NAME run_check_detects_corruption COMMAND bash ${ORCH_DIR}/corrupt.sh $<TARGET_FILE:orch_check>
                  LABELS unit TIMEOUT 120)
endif()
if(TARGET tms-sweep AND TARGET tms-store-bench)
  tms_script_test(NAME store_coalesce_post_threads COMMAND bash ${ORCH_DIR}/coalesce_threads.sh
                  $<TARGET_FILE:orch_check> LABELS unit TIMEOUT 180)
  set_property(TEST store_coalesce_post_threads APPEND PROPERTY ENVIRONMENT
               "TMS_STORE_BENCH=$<TARGET_FILE:tms-store-bench>")
endif()
