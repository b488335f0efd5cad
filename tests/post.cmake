# post: closed forms (O4/O5) and the tms-post products on small hand-made results files (tests/post/results_file.c
# writes them following the results-file contract, so these cases do not need tms-sweep).
set(_post_libs tms_post tms_metrics tms_core hdf5::hdf5)
tms_test(NAME theory_o4_boundaries SOURCES ${TMS_TEST_DIR}/test_post_theory.c LIBS ${_post_libs} LABELS unit ARGS o4)
tms_test(NAME theory_o5_classes SOURCES ${TMS_TEST_DIR}/test_post_theory.c LIBS ${_post_libs} LABELS unit ARGS o5)
set(_post_fixture ${TMS_TEST_DIR}/post/post_fixture.c ${TMS_TEST_DIR}/post/results_file.c)
set(_post_test_src ${TMS_TEST_DIR}/test_post.c ${_post_fixture})
tms_test(NAME post_phase_fractions SOURCES ${_post_test_src} LIBS ${_post_libs} LABELS unit ARGS phase)
tms_test(NAME post_missing_data SOURCES ${_post_test_src} LIBS ${_post_libs} LABELS unit
         ARGS missing $<TARGET_FILE:tms-post>)
tms_test(NAME post_csv SOURCES ${_post_test_src} LIBS ${_post_libs} LABELS unit ARGS csv)
tms_test(NAME post_neurons SOURCES ${_post_test_src} LIBS ${_post_libs} LABELS unit ARGS neurons)
tms_test(NAME post_theory_agreement SOURCES ${TMS_TEST_DIR}/test_post_agreement.c ${_post_fixture} LIBS ${_post_libs}
         LABELS unit)
# E6's jump/drop alignment on hand-made W histories and evaluation curves with known jump and drop steps
tms_test(NAME post_dynamics SOURCES ${TMS_TEST_DIR}/test_post_dynamics.c ${TMS_TEST_DIR}/post/results_file.c
         LIBS ${_post_libs} LABELS unit)
# end to end (runs tms-sweep as a singleton MPI program, so labelled mpi)
tms_script_test(NAME post_e2e COMMAND bash ${TMS_TEST_DIR}/post/e2e.sh LABELS mpi TIMEOUT 60)
tms_script_test(NAME files_netcdf_xarray COMMAND bash ${TMS_TEST_DIR}/post/netcdf.sh LABELS unit TIMEOUT 120)
# the layout tables outside C (analysis/tms_layout.json, sweeps/*-layout.md) equal the schema module's
tms_script_test(NAME layout_docs COMMAND bash ${TMS_TEST_DIR}/post/layout_docs.sh $<TARGET_FILE:tms-post> ${PROJECT_SOURCE_DIR}
                LABELS unit TIMEOUT 30)
