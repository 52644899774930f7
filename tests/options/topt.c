/* Helpers for the options' tests (topt.h). */
#include <stdio.h>

#include "topt.h"

char *
topt_dump(const struct options *o, size_t *len)
{
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    opt_dump(o, f);
    fclose(f);
    if (len != NULL)
        *len = n;
    return p;
}
