/*
 * The JSON view: Python's json.loads() grammar and json.dumps(indent=4,
 * sort_keys=True, ensure_ascii=False), styled chunk by chunk as 8.1.1's
 * format_json does; malformed bodies fall back to Raw as in 8.1.1.
 */
#include "cvtest.h"

TEST(cv_json_sorted_indented_and_styled)
{
    EXPECT_STYLED(CV_VIEW_JSON, "application/json",
                  "{\"b\": [1, 2.5, -3, \"x\\u00e9\\n\", true, null, {}, []], \"a\": {\"z\": 1}}",
                  "JSON",
                  "[text]{[text]\n"
                  "[text]    [json_string]\"a\"[text]: [text]{[text]\n"
                  "[text]        [json_string]\"z\"[text]: [json_number]1[text]\n"
                  "[text]    [text]}[text],\n"
                  "[text]    [json_string]\"b\"[text]: [text][\n"
                  "[json_number]        1[text],\n"
                  "[json_number]        2.5[text],\n"
                  "[text]        -3[text],\n"
                  "[json_string]        \"xé\\n\"[text],\n"
                  "[json_boolean]        true[text],\n"
                  "[json_boolean]        null[text],\n"
                  "[text]        [text]{}[text],\n"
                  "[text]        [text][][text]\n"
                  "[text]    [text]][text]\n"
                  "[text][text]}\n");
}

TEST(cv_json_numbers_as_python_prints_them)
{
    EXPECT_VIEW(CV_VIEW_JSON, "application/json",
                "[1e400, -1e400, NaN, -0.0, -0, 1E5, 1e16, 1e-5, 0.0001, "
                "123456789012345678901234567890, 0.1, 5e-324]",
                "JSON",
                "[\n"
                "    Infinity,\n"
                "    -Infinity,\n"
                "    NaN,\n"
                "    -0.0,\n"
                "    0,\n"
                "    100000.0,\n"
                "    1e+16,\n"
                "    1e-05,\n"
                "    0.0001,\n"
                "    123456789012345678901234567890,\n"
                "    0.1,\n"
                "    5e-324\n"
                "]\n");
}

TEST(cv_json_duplicate_keys_keep_the_last_value)
{
    EXPECT_VIEW(CV_VIEW_JSON, "application/json", "{\"a\": 1, \"b\": 2, \"a\": 3}", "JSON",
                "{\n"
                "    \"a\": 3,\n"
                "    \"b\": 2\n"
                "}\n");
}

TEST(cv_json_strings_escaped_as_python_dumps)
{
    EXPECT_VIEW(CV_VIEW_JSON, "application/json",
                "[\"\\u0000\\u001f\\b\\f\\\"\\\\\\/\", \"\\ud83d\\ude00 😀\", \"\x7f\"]", "JSON",
                "[\n"
                "    \"\\u0000\\u001f\\b\\f\\\"\\\\/\",\n"
                "    \"😀 😀\",\n"
                "    \".\"\n"
                "]\n");
}

TEST(cv_json_scalar_document)
{
    EXPECT_VIEW(CV_VIEW_JSON, "application/json", "  \"just a string\"  ", "JSON",
                "\"just a string\"\n");
}

TEST(cv_auto_picks_json_for_plus_json)
{
    EXPECT_VIEW(CV_VIEW_AUTO, "application/vnd.api+json", "{\"x\": [true, false]}", "JSON",
                "{\n"
                "    \"x\": [\n"
                "        true,\n"
                "        false\n"
                "    ]\n"
                "}\n");
}

TEST(cv_auto_ignores_json_for_text_plain)
{
    EXPECT_VIEW(CV_VIEW_AUTO, "text/plain", "{\"x\": 1}", "Raw", "{\"x\": 1}\n");
}

TEST(cv_json_truncated_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_JSON, "application/json", "{\"a\": [1, 2");
}

TEST(cv_json_trailing_data_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_JSON, "application/json", "{} {}");
}

TEST(cv_json_invalid_utf8_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_JSON, "application/json", "[\"\xff\"]");
}

TEST(cv_json_control_character_in_string_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_JSON, "application/json",
                        "[\"a\x01"
                        "b\"]");
}

TEST(cv_json_leading_zero_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_JSON, "application/json", "[01]");
}

TEST(cv_json_trailing_comma_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_JSON, "application/json", "[1,]");
}

TEST(cv_json_bad_escape_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_JSON, "application/json", "[\"\\x41\"]");
}

TEST(cv_json_bom_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_JSON, "application/json", "\xef\xbb\xbf{}");
}

TEST(cv_json_empty_list_falls_back_through_graphql)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_AUTO, "application/json", "[ ]");
}

/* How deep json.loads() may nest before Python's recursion limit stops it,
 * as measured in mitmdump 8.1.1 (see cv__json_depth). */
static int
pretty_at_depth(enum cv_view view, const char *ctype, int depth)
{
    struct buf b = BUF_INIT;
    for (int i = 0; i < depth; i++)
        buf_append(&b, "[", 1);
    for (int i = 0; i < depth; i++)
        buf_append(&b, "]", 1);
    struct cv_meta m = {.content_type = ctype};
    struct cv_render *r = cv_render_new(view, &b, &m);
    struct cv_lines l = CV_LINES_INIT;
    cv_render_all(r, &l, 1);
    int pretty = cv_render_view(r) != CV_VIEW_RAW;
    cv_lines_clear(&l);
    cv_render_free(r);
    return pretty;
}

TEST(cv_json_nesting_limit_is_811s)
{
    ASSERT(pretty_at_depth(CV_VIEW_AUTO, "application/json", 965));
    ASSERT(!pretty_at_depth(CV_VIEW_AUTO, "application/json", 966));
    ASSERT(pretty_at_depth(CV_VIEW_AUTO, "application/foo+json", 966));
    ASSERT(!pretty_at_depth(CV_VIEW_AUTO, "application/foo+json", 967));
    ASSERT(pretty_at_depth(CV_VIEW_JSON, NULL, 968));
    ASSERT(!pretty_at_depth(CV_VIEW_JSON, NULL, 969));
}

/* Keys after a list of objects: the encoder's item stack survives the list. */
TEST(cv_json_keys_after_a_list_of_objects)
{
    EXPECT_VIEW(
        CV_VIEW_JSON, "application/json",
        "{\"a\": [{\"x\": 1}, {\"y\": [{\"z\": 2}]}], \"b\": {\"c\": [], \"d\": 3}, \"e\": 4}",
        "JSON",
        "{\n"
        "    \"a\": [\n"
        "        {\n"
        "            \"x\": 1\n"
        "        },\n"
        "        {\n"
        "            \"y\": [\n"
        "                {\n"
        "                    \"z\": 2\n"
        "                }\n"
        "            ]\n"
        "        }\n"
        "    ],\n"
        "    \"b\": {\n"
        "        \"c\": [],\n"
        "        \"d\": 3\n"
        "    },\n"
        "    \"e\": 4\n"
        "}\n");
}
