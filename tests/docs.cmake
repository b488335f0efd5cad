# Documentation checked against the code: sweeps/FORMAT.md lists every key the parser accepts, and no file of a
# clone points outside the repository (issue 8 item 7).
if(TARGET tms-sweep)
  add_test(NAME sweep_format_doc COMMAND /usr/bin/python3 ${TMS_TEST_DIR}/docs/format_doc.py $<TARGET_FILE:tms-sweep>
           ${PROJECT_SOURCE_DIR}/src/2_sweep/config/config.c ${PROJECT_SOURCE_DIR}/sweeps/FORMAT.md)
  set_tests_properties(sweep_format_doc PROPERTIES LABELS "unit")
endif()
add_test(NAME docs_self_contained COMMAND /usr/bin/python3 ${TMS_TEST_DIR}/docs/self_contained.py ${PROJECT_SOURCE_DIR})
set_tests_properties(docs_self_contained PROPERTIES LABELS "unit")
