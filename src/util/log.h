/* log.h: one-line log records on stderr, prefixed with UTC time and level. */
#ifndef OPSTASKS_LOG_H
#define OPSTASKS_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
