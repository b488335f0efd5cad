# Issue 10 item 4: the installed prefix works for a separate project (find_package(tms), tms::tms).
add_test(NAME install_consumer COMMAND bash ${TMS_TEST_DIR}/install/install_consumer.sh ${PROJECT_BINARY_DIR})
set_tests_properties(install_consumer PROPERTIES LABELS "unit" TIMEOUT 300 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
if(TARGET tms-sweep)
  add_test(NAME build_time_commit COMMAND bash ${TMS_TEST_DIR}/install/commit.sh $<TARGET_FILE:tms-sweep>
           ${PROJECT_SOURCE_DIR})
  set_tests_properties(build_time_commit PROPERTIES LABELS "unit")
endif()
