/*
 * palette.c: 8.1.1's palettes as urwid shows them on 256 and on 16 or 8
 * colours, transparent or on the palette's background.
 */
#include "../lib/test.h"
#include "console/internal.h"

#define ASSERT_COLOUR(c, f, b, bo)                                                                 \
    do {                                                                                           \
        struct console_colour c_ = (c);                                                            \
        ASSERT_EQ(c_.fg, f);                                                                       \
        ASSERT_EQ(c_.bg, b);                                                                       \
        ASSERT_EQ(c_.bold, bo);                                                                    \
    } while (0)

TEST(console_palette_names)
{
    static const char *const all[] = {"dark",     "light",          "lowdark",
                                      "lowlight", "solarized_dark", "solarized_light"};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        ASSERT(console__palette_find(all[i]) >= 0);
    ASSERT_EQ(console__palette_find("neon"), -1);
    ASSERT_EQ(console__palette_find(NULL), -1);
}

TEST(console_palette_colours)
{
    /* solarized_dark, the default: heading_inactive is (h245, h235) on 256
     * colours and (dark gray, light gray) on 16, LowDark's. */
    ASSERT_COLOUR(console__palette_colour("solarized_dark", 1, ST_HEADING_INACTIVE, 256), 245, 235,
                  0);
    ASSERT_COLOUR(console__palette_colour("solarized_dark", 1, ST_HEADING_INACTIVE, 16), 8, 7, 0);
    /* On 8 colours dark gray is black in bold, light gray stays grey. */
    ASSERT_COLOUR(console__palette_colour("solarized_dark", 1, ST_HEADING_INACTIVE, 8), 0, 7, 1);
    ASSERT_COLOUR(console__palette_colour("solarized_dark", 1, ST_FOCUSFIELD, 256), 244, 235, 0);
    /* dark: intercepted flows in #f60, the cube's 202. */
    ASSERT_COLOUR(console__palette_colour("dark", 1, ST_INTERCEPT, 256), 202, -1, 0);
    ASSERT_COLOUR(console__palette_colour("dark", 1, ST_HEADING_INACTIVE, 256), 246, 234, 0);
    /* light: heading_key "#0ff,bold" on "#08f". */
    ASSERT_COLOUR(console__palette_colour("light", 1, ST_HEADING_KEY, 256), 51, 33, 1);
    /* Not transparent: default backgrounds take the palette's (light's g100,
     * lowdark's black); transparent, the terminal's own. */
    ASSERT_COLOUR(console__palette_colour("light", 0, ST_TEXT, 256), 8, 231, 0);
    ASSERT_COLOUR(console__palette_colour("light", 1, ST_TEXT, 256), 8, -1, 0);
    ASSERT_COLOUR(console__palette_colour("light", 0, -1, 256), 0, 231, 0);
    ASSERT_COLOUR(console__palette_colour("light", 1, -1, 256), -1, -1, 0);
    ASSERT_COLOUR(console__palette_colour("lowdark", 0, ST_METHOD_GET, 16), 10, 0, 0);
    ASSERT_COLOUR(console__palette_colour("lowdark", 1, ST_TITLE, 16), 15, -1, 1);
    /* The gradients, as urwid resolves 8.1.1's gradient_73: dark cyan, and
     * in solarized_dark on 256 colours #0fe of its ramp, the cube's 51; the
     * background is "default", so the palette's when not transparent. */
    ASSERT_COLOUR(console__palette_colour("solarized_dark", 1, ST_GRADIENT_73, 256), 51, -1, 0);
    ASSERT_COLOUR(console__palette_colour("solarized_dark", 0, ST_GRADIENT_73, 256), 51, 234, 0);
    ASSERT_COLOUR(console__palette_colour("solarized_dark", 0, ST_GRADIENT_73, 16), 6, 0, 0);
    ASSERT_COLOUR(console__palette_colour("light", 0, ST_GRADIENT_73, 256), 6, 231, 0);
    ASSERT_COLOUR(console__palette_colour("light", 0, ST_GRADIENT_73, 16), 6, 15, 0);
    ASSERT_COLOUR(console__palette_colour("dark", 1, ST_GRADIENT_73, 256), 6, -1, 0);
    /* The ramp's ends, and light red on 8 colours: red in bold. */
    ASSERT_COLOUR(console__palette_colour("solarized_dark", 1, ST_GRADIENT_00, 256), 196, -1, 0);
    ASSERT_COLOUR(console__palette_colour("solarized_dark", 1, ST_GRADIENT_96, 256), 21, -1, 0);
    ASSERT_COLOUR(console__palette_colour("dark", 1, ST_GRADIENT_00, 8), 1, -1, 1);
    ASSERT_COLOUR(console__palette_colour("lowlight", 1, ST_GRADIENT_96, 256), 4, -1, 0);
    /* An unknown palette or style falls back rather than reading past the
     * table: solarized_dark, and the background. */
    ASSERT_COLOUR(console__palette_colour("neon", 1, ST_HEADING_INACTIVE, 256), 245, 235, 0);
    ASSERT_COLOUR(console__palette_colour(NULL, 1, ST__COUNT + 7, 256), -1, -1, 0);
}
