#include <stdlib.h>
#include <string.h>

#include "util/emoji.h"

struct emoji {
    const char *name;
    const char *glyph;
};

static const struct emoji table[] = {
#define EMOJI(name, glyph) {name, glyph},
#include "util/emoji_table.h"
#undef EMOJI
};

static int
by_name(const void *key, const void *elem)
{
    return strcmp(key, ((const struct emoji *)elem)->name);
}

const char *
emoji_glyph(const char *name)
{
    const struct emoji *m =
        bsearch(name, table, sizeof(table) / sizeof(table[0]), sizeof(table[0]), by_name);
    return m ? m->glyph : NULL;
}

size_t
emoji_count(void)
{
    return sizeof(table) / sizeof(table[0]);
}

const char *
emoji_name(size_t index)
{
    return index < emoji_count() ? table[index].name : NULL;
}
