/* Minimal TAP producer for the C unit tests (run by prove).
 * Each test binary calls tap_plan() or ends with tap_done(); ok()/is_int()/is_str()
 * print "ok N - name" or "not ok N - name" plus a diagnostic. */
#ifndef TAP_H
#define TAP_H
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

#define ok(cond, ...) tap_ok_((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...)                                                     \
    do {                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                   \
        if (!ok(g_ == w_, __VA_ARGS__))                                            \
            printf("#   got: %lld\n#   expected: %lld\n", g_, w_);                 \
    } while (0)
#define is_str(got, want, ...)                                                     \
    do {                                                                           \
        const char *g_ = (got), *w_ = (want);                                      \
        if (!ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__))                     \
            printf("#   got: '%s'\n#   expected: '%s'\n", g_ ? g_ : "(null)",      \
                   w_ ? w_ : "(null)");                                            \
    } while (0)

__attribute__((format(printf, 4, 5))) static int tap_ok_(int pass, const char *file, int line,
                                                         const char *fmt, ...);
#include <stdarg.h>
static int tap_ok_(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    tap_count++;
    printf("%sok %d - ", pass ? "" : "not ", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!pass) {
        tap_failed++;
        printf("#   Failed test at %s line %d\n", file, line);
    }
    fflush(stdout);
    return pass;
}

static inline int tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}
#endif
