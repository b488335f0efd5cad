# Issue 11 item 6, in the sanitizer build only (-DTMS_SANITIZE=ON, the second build of tests/run.sh): a multi-rank
# run, a resume, a lone run, train and tms-post under ASan's leak checker report nothing; a canary shows the checker on.
if(TMS_SANITIZE)
  add_executable(leak_canary ${TMS_TEST_DIR}/sanitize/leak_canary.c)
  target_link_libraries(leak_canary PRIVATE tms_flags)
  tms_script_test(NAME sanitize_no_leaks COMMAND bash ${TMS_TEST_DIR}/sanitize/no_leaks.sh $<TARGET_FILE:leak_canary>
                  LABELS sanitize mpi TIMEOUT 150)
endif()
# The science cases the sanitizer pass of tests/run.sh runs (it leaves out the rest of the science label: why there).
if(TMS_SANITIZE)
  foreach(t eval_e0_precision science_e0_intro science_e4_perturb science_e9_exact)
    set_property(TEST ${t} APPEND PROPERTY LABELS sanitize)
  endforeach()
endif()
