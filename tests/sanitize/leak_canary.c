/* leak_canary: loses a block on purpose. Built only in the sanitizer build; no_leaks.sh runs it to show that the
 * leak checker is on and that the suppressions do not hide a leak made by our own code (a "no leaks" verdict on
 * tms-sweep and tms-post means something only if this one is caught). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile keep;

int main(void) {
  char *p = malloc(4096);
  if (!p) return 1;
  memset(p, 1, 4096);
  keep = p;
  keep = NULL; /* the only pointer is gone: a definite leak of 4096 bytes */
  printf("leak_canary: dropped a 4096-byte block\n");
  return 0;
}
