/*
 * Test runner: `unit [prefix...]` runs every registered test whose name
 * starts with one of the prefixes, each in its own child process (re-exec of
 * this binary with --run NAME) with a timeout. Ends with "N passed, N failed".
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

#define MAX_TESTS 4096
#define TIMEOUT_S 60

struct test {
    const char *name;
    test_fn fn;
    const char *file;
    int line;
};

static struct test tests[MAX_TESTS];
static int ntests;

void
test_register(const char *name, test_fn fn, const char *file, int line)
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        abort();
    }
    tests[ntests++] = (struct test){name, fn, file, line};
}

void
test_print_bytes(FILE *f, const void *p, size_t n)
{
    const unsigned char *s = p;
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '\r')
            fputs("\\r", f);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void
test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    exit(1);
}

void
test_fail_mem(const char *file, int line, const char *what, const void *a, size_t alen,
              const void *b, size_t blen)
{
    fprintf(stderr, "%s:%d: %s\n  got      (%zu) ", file, line, what, alen);
    test_print_bytes(stderr, a, alen);
    fprintf(stderr, "\n  expected (%zu) ", blen);
    test_print_bytes(stderr, b, blen);
    fputc('\n', stderr);
    fflush(stderr);
    exit(1);
}

int
test_memeq(const void *a, size_t alen, const void *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static const char *
fixtures_root(void)
{
    const char *root = getenv("MP_FIXTURES");
    return root ? root : "../shared/fixtures";
}

const char *
test_fixture(const char *relpath)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", fixtures_root(), relpath);
    return path;
}

/*
 * Many tests read mitmproxy 8.1.1's reference flows. Without them every
 * such test would fail on its own; say once what is missing instead.
 */
static int
fixtures_present(void)
{
    struct stat st;
    if (stat(test_fixture("flows/all.mitm"), &st) == 0)
        return 1;
    char cwd[PATH_MAX];
    fprintf(stderr,
            "unit: the reference fixtures are missing: %s/flows/all.mitm not found (from %s).\n"
            "unit: they live in ../shared/fixtures beside the repository; run the tests from "
            "the repository root, or set MP_FIXTURES to the fixtures folder.\n",
            fixtures_root(), getcwd(cwd, sizeof(cwd)) ? cwd : "?");
    return 0;
}

static int
run_child(const char *self, const struct test *t)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        alarm(TIMEOUT_S);
        execl(self, self, "--run", t->name, (char *)NULL);
        perror("execl");
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        fprintf(stderr, "  killed by signal %d%s\n", sig,
                sig == SIGALRM ? " (timeout)" : "");
    }
    return 1;
}

static int
matches(const char *name, int nprefix, char **prefixes)
{
    if (nprefix == 0)
        return 1;
    for (int i = 0; i < nprefix; i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(((const struct test *)a)->name, ((const struct test *)b)->name);
}

int
main(int argc, char **argv)
{
    qsort(tests, (size_t)ntests, sizeof(tests[0]), by_name);
    if (argc == 3 && strcmp(argv[1], "--run") == 0) {
        for (int i = 0; i < ntests; i++) {
            if (strcmp(tests[i].name, argv[2]) == 0) {
                tests[i].fn();
                return 0;
            }
        }
        fprintf(stderr, "no test named %s\n", argv[2]);
        return 2;
    }
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < ntests; i++)
            printf("%s\n", tests[i].name);
        return 0;
    }
    if (!fixtures_present()) {
        printf("unit: 0 passed, 1 failed\n");
        return 1;
    }
    int passed = 0, failed = 0;
    for (int i = 0; i < ntests; i++) {
        if (!matches(tests[i].name, argc - 1, argv + 1))
            continue;
        int rc = run_child("/proc/self/exe", &tests[i]);
        if (rc == 0) {
            passed++;
            printf("ok %s\n", tests[i].name);
        } else {
            failed++;
            printf("FAIL %s (%s:%d)\n", tests[i].name, tests[i].file, tests[i].line);
        }
        fflush(stdout);
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
