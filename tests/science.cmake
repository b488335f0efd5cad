# science: end-to-end reproductions of the paper's quantitative claims at CI size. Each case runs the real pipeline
# (tms-sweep run on a small sweep file in tests/science/, tms-post where it has products to check) and a C checker
# that reads the HDF5 files with the HDF5 C API and prints what differed and by how much.
# Thresholds and their calibration: tests/science/README.md.
set(SCI_DIR ${TMS_TEST_DIR}/science)
foreach(chk check_phase check_linear check_dstar check_e1)
  add_executable(sci_${chk} ${SCI_DIR}/${chk}.c ${SCI_DIR}/sci_h5.c)
  target_link_libraries(sci_${chk} PRIVATE hdf5::hdf5 MPI::MPI_C tms_flags m)
endforeach()

tms_script_test(NAME science_phase_n2m1 COMMAND bash ${SCI_DIR}/phase_n2m1.sh $<TARGET_FILE:sci_check_phase>
                LABELS science TIMEOUT 240)
tms_script_test(NAME science_linear_o2 COMMAND bash ${SCI_DIR}/linear_o2.sh $<TARGET_FILE:sci_check_linear>
                LABELS science TIMEOUT 240)
tms_script_test(NAME science_dstar COMMAND bash ${SCI_DIR}/dstar.sh $<TARGET_FILE:sci_check_dstar>
                LABELS science slow TIMEOUT 400)
tms_script_test(NAME science_e1_superposition_grows COMMAND bash ${SCI_DIR}/e1_superposition.sh
                $<TARGET_FILE:sci_check_e1> LABELS science TIMEOUT 240)

# Experiment checks at CI size: a small sweep, then `tms-post check` (the experiment's must-show items).
foreach(case e0_intro:e0 e2_n3m2:e2 e4_perturb:e4 e5_pairs:e5 e5_local:e5 e6_dynamics:e6 e7_rise:e7 e8_neurons:e8
             e9_exact:e9)
  string(REPLACE ":" ";" parts ${case})
  list(GET parts 0 yaml)
  list(GET parts 1 exp)
  tms_script_test(NAME science_${yaml} COMMAND bash ${SCI_DIR}/check_experiment.sh science_${yaml}
                  ${SCI_DIR}/${yaml}.yaml ${exp} LABELS science TIMEOUT 240)
endforeach()
