/* log.h — diagnostics on stderr in the house format "prog: subject: reason".
 *
 * Only tools call these; library code reports through aderr.  The program name is set
 * once by log_init.  Messages are one line, lower case, no trailing period. */
#ifndef AZD_LOG_H
#define AZD_LOG_H

void log_init(const char *prog);
const char *log_prog(void);
/* "prog: <fmt>" on stderr. */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only when verbose was set with log_set_verbose. */
void log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_verbose(int on);

#endif
