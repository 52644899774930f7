/*
 * MsgPack: not written yet; a body shown with it falls back to Raw.
 */
#include "contentviews/internal.h"

int
cv__msgpack_priority(struct cv_render *r)
{
    return 0;
}

int
cv__msgpack_render(struct cv_render *r)
{
    return CV__FAIL;
}
