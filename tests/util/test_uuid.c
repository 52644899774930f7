#include <string.h>

#include "../lib/test.h"
#include "util/uuid.h"

TEST(uuid_new_is_a_lower_case_version_4_uuid)
{
    char prev[UUID_STR_LEN] = "";
    for (int n = 0; n < 1000; n++) {
        char id[UUID_STR_LEN];
        uuid_new(id);
        ASSERT_EQ(strlen(id), 36);
        for (int i = 0; i < 36; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23)
                ASSERT_EQ(id[i], '-');
            else
                ASSERT((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'));
        }
        ASSERT_EQ(id[14], '4');                 /* the version */
        ASSERT(strchr("89ab", id[19]) != NULL); /* the RFC 4122 variant */
        ASSERT(strcmp(id, prev) != 0);
        memcpy(prev, id, sizeof(prev));
    }
}
