/* version: which tms this is: the release version and the git commit the library was built from.
 * Invariant: tms_git_commit() is `git describe --always --dirty` taken at BUILD time (cmake/git_commit.cmake
 * regenerates the source behind it at every build), so it names the code actually compiled, "-dirty" when tracked
 * files had uncommitted edits, "unknown" outside a git checkout. */
#ifndef TMS_VERSION_H
#define TMS_VERSION_H

const char *tms_version(void);    /* "0.1.0" (project version in CMakeLists.txt) */
const char *tms_git_commit(void); /* "b70f56d1a2b3" or "b70f56d1a2b3-dirty" */

#endif
