/* log.h - logging at the edge: stderr with sd-daemon <N> priority prefixes,
 * which journald turns into priorities. Never log names or identity numbers. */
#ifndef BACKAD_LOG_H
#define BACKAD_LOG_H

#include <syslog.h>

/* Set the program name and whether to prefix lines with <N> (under systemd). */
void log_init(const char *prog, int journal_prefix);
/* Messages below this priority (numerically greater) are dropped. */
void log_set_level(int level);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
