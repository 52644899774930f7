/*
 * LeakSanitizer's defaults for the tools that run scripts (the asan build):
 * CPython keeps its interned strings, type caches and arenas until the
 * process ends, by design, and a script's interpreter is never finalised.
 * The suppression matches any allocation with libpython on its stack, so
 * what mitmproxy._c allocates while a script calls it is not checked for
 * leaks either; everything else is. The tools link the whole library, so
 * this file is in them; the unit tests carry their own.
 *
 * OpenSSL's per-thread state of the pool threads that sign leaf
 * certificates needs no suppression: the tools end the pool before they
 * return (server_library_shutdown), which frees it.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
    return "leak:libpython3.11.so\n";
}

/* Without this, every run under LeakSanitizer ends with the table of
 * suppressed CPython allocations. */
const char *__lsan_default_options(void);
const char *
__lsan_default_options(void)
{
    return "print_suppressions=0";
}
