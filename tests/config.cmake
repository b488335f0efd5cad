# config + grid: sweep files (good and bad), grid expansion, seeds, hashes, and the plan command.
tms_test(NAME config_bad_files SOURCES ${TMS_TEST_DIR}/test_config_bad.c LIBS tms_config tms_rng LABELS unit)
tms_test(NAME config_good_files SOURCES ${TMS_TEST_DIR}/test_config_good.c LIBS tms_config tms_rng LABELS unit)
tms_test(NAME grid_expansion SOURCES ${TMS_TEST_DIR}/test_grid.c LIBS tms_config tms_rng LABELS unit)
tms_test(NAME grid_seeds_stable SOURCES ${TMS_TEST_DIR}/test_grid_seeds.c LIBS tms_config tms_rng LABELS unit)
if(TARGET tms-sweep)
  tms_script_test(NAME plan_smoke COMMAND sh ${TMS_TEST_DIR}/plan_smoke.sh LABELS unit TIMEOUT 30)
  tms_script_test(NAME limits_before_work COMMAND bash ${TMS_TEST_DIR}/limits.sh LABELS unit TIMEOUT 30)
endif()
