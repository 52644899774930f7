/*
 * LeakSanitizer's defaults for the tools that run scripts (the asan build):
 * CPython keeps its interned strings, type caches and arenas until the
 * process ends, by design, and a script's interpreter is never finalised.
 * The suppression matches any allocation with libpython on its stack, so
 * what mitmproxy._c allocates while a script calls it is not checked for
 * leaks either; everything else is. The tools link the whole library, so
 * this file is in them; the unit tests carry their own.
 *
 * With a script loaded, LeakSanitizer also reports OpenSSL's per-thread
 * caches (the error queue, the public and private DRBGs) of the thread-pool
 * thread that signs leaf certificates, which OpenSSL frees only when that
 * thread ends. They match only with full malloc stacks
 * (ASAN_OPTIONS=fast_unwind_on_malloc=0, as the TLS script tests run).
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
    return "leak:libpython3.11.so\n"
           "leak:ERR_set_mark\n"
           "leak:RAND_get0_public\n"
           "leak:RAND_get0_private\n";
}

/* Without this, every run under LeakSanitizer ends with the table of
 * suppressed CPython allocations. */
const char *__lsan_default_options(void);
const char *
__lsan_default_options(void)
{
    return "print_suppressions=0";
}
