/*
 * The GraphQL view and its checks, including the shapes on which 8.1.1's
 * checks raise (the body then falls back to Raw).
 */
#include "cvtest.h"

TEST(cv_graphql_query_then_its_text)
{
    EXPECT_VIEW(CV_VIEW_AUTO, "application/json",
                "{\"query\": \"query Q($id: ID!) {\\n  user(id: $id) { name }\\n}\", "
                "\"variables\": {\"id\": \"42\", \"caf\\u00e9\": true}, \"operationName\": \"Q\"}",
                "GraphQL",
                "{\n"
                "  \"query\": \"...\",\n"
                "  \"variables\": {\n"
                "    \"id\": \"42\",\n"
                "    \"caf\\u00e9\": true\n"
                "  },\n"
                "  \"operationName\": \"Q\"\n"
                "}\n"
                "---\n"
                "query Q($id: ID!) {\n"
                "  user(id: $id) { name }\n"
                "}\n");
}

TEST(cv_graphql_batch)
{
    EXPECT_VIEW(CV_VIEW_AUTO, "application/json",
                "[{\"query\": \"{\\n a }\"}, {\"query\": \"{ b }\", \"x\": [1.5, 1e+16]}]",
                "GraphQL",
                "--- 0/1\n"
                "{\n"
                "  \"query\": \"...\"\n"
                "}\n"
                "---\n"
                "{\n"
                " a }\n"
                "--- 1/1\n"
                "{\n"
                "  \"query\": \"...\",\n"
                "  \"x\": [\n"
                "    1.5,\n"
                "    1e+16\n"
                "  ]\n"
                "}\n"
                "---\n"
                "{ b }\n");
}

TEST(cv_graphql_query_that_is_a_list_prints_its_repr)
{
    EXPECT_VIEW(CV_VIEW_AUTO, "application/json",
                "{\"query\": [\"\\n\", 1, null, true, 2.5, {\"k\": \"v'\"}], \"a\": 1}", "GraphQL",
                "{\n"
                "  \"query\": \"...\",\n"
                "  \"a\": 1\n"
                "}\n"
                "---\n"
                "['\\n', 1, None, True, 2.5, {'k': \"v'\"}]\n");
}

TEST(cv_graphql_query_without_newline_is_json)
{
    EXPECT_VIEW(CV_VIEW_AUTO, "application/json", "{\"query\": \"{ a }\"}", "JSON",
                "{\n"
                "    \"query\": \"{ a }\"\n"
                "}\n");
}

TEST(cv_graphql_duplicate_query_keeps_first_place)
{
    EXPECT_VIEW(CV_VIEW_GRAPHQL, "application/json",
                "{\"a\": 1, \"query\": \"x\", \"b\": 2, \"query\": \"y\\nz\"}", "GraphQL",
                "{\n"
                "  \"a\": 1,\n"
                "  \"query\": \"...\",\n"
                "  \"b\": 2\n"
                "}\n"
                "---\n"
                "y\n"
                "z\n");
}

TEST(cv_graphql_numeric_query_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_AUTO, "application/json", "{\"query\": 5}");
}

TEST(cv_graphql_batch_item_without_query_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_GRAPHQL, "application/json", "[{\"query\": \"a\"}, {\"x\": 1}]");
}

TEST(cv_graphql_not_graphql_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_GRAPHQL, "application/json", "{\"a\": 1}");
}

/* The same in the header, where keys keep their order. */
TEST(cv_graphql_keys_after_a_list_of_objects)
{
    EXPECT_VIEW(CV_VIEW_GRAPHQL, "application/json",
                "{\"query\": \"{\\n a }\", \"v\": [{\"x\": 1}], \"w\": {\"y\": [{}]}, \"z\": 5}",
                "GraphQL",
                "{\n"
                "  \"query\": \"...\",\n"
                "  \"v\": [\n"
                "    {\n"
                "      \"x\": 1\n"
                "    }\n"
                "  ],\n"
                "  \"w\": {\n"
                "    \"y\": [\n"
                "      {}\n"
                "    ]\n"
                "  },\n"
                "  \"z\": 5\n"
                "}\n"
                "---\n"
                "{\n"
                " a }\n");
}
