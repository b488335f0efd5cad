/* status: names and messages of the status codes, and filling/formatting error records. */
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *tms_status_name(tms_status s) {
  static const char *names[] = {
#define TMS_X_NAME(code, msg) #code,
      TMS_STATUS_LIST(TMS_X_NAME)
#undef TMS_X_NAME
  };
  return (unsigned)s < TMS_STATUS_COUNT ? names[s] : "TMS_UNKNOWN";
}

const char *tms_status_message(tms_status s) {
  static const char *messages[] = {
#define TMS_X_MSG(code, msg) msg,
      TMS_STATUS_LIST(TMS_X_MSG)
#undef TMS_X_MSG
  };
  return (unsigned)s < TMS_STATUS_COUNT ? messages[s] : "unknown status";
}

tms_status tms_error_set(tms_error *err, tms_status status, const char *file, int line, int col, const char *key,
                         const char *fmt, ...) {
  if (!err) return status;
  memset(err, 0, sizeof *err);
  err->status = status;
  err->line = line;
  err->col = col;
  if (file) snprintf(err->file, sizeof err->file, "%s", file);
  if (key) snprintf(err->key, sizeof err->key, "%s", key);
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  } else {
    snprintf(err->msg, sizeof err->msg, "%s", tms_status_message(status));
  }
  return status;
}

/* Appends to buf without overflowing; keeps *used at most size - 1. */
static void append(char *buf, size_t size, size_t *used, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t size, size_t *used, const char *fmt, ...) {
  if (*used + 1 >= size) return;
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(buf + *used, size - *used, fmt, ap);
  va_end(ap);
  if (w > 0) *used = (*used + (size_t)w < size) ? *used + (size_t)w : size - 1;
}

void tms_error_format(const tms_error *err, char *buf, size_t size) {
  size_t used = 0;
  if (size == 0) return;
  buf[0] = '\0';
  if (err->file[0]) {
    append(buf, size, &used, "%s", err->file);
    if (err->line > 0) append(buf, size, &used, ":%d", err->line);
    if (err->col > 0) append(buf, size, &used, ":%d", err->col);
    append(buf, size, &used, ": ");
  }
  if (err->key[0]) append(buf, size, &used, "%s: ", err->key);
  append(buf, size, &used, "%s", err->msg[0] ? err->msg : tms_status_message(err->status));
}
