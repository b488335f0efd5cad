/* paths_line: the line `tms-sweep train` and `run` start with, naming the kernels path and the OpenBLAS core that
 * run and who chose each (paths_line.c). */
#ifndef TMS_PATHS_LINE_H
#define TMS_PATHS_LINE_H

/* Prints "<prog>: kernels K (who), OpenBLAS core C (who)<suffix>" on stderr. */
void tms_print_paths_line(const char *prog, const char *suffix);

#endif
