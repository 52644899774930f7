/* Random version-4 UUIDs: flow and connection ids, as mitmproxy makes them. */
#ifndef MP_UTIL_UUID_H
#define MP_UTIL_UUID_H

#define UUID_STR_LEN 37 /* 36 characters and the NUL */

/* Writes a lower-case "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" into out. */
void uuid_new(char out[UUID_STR_LEN]);

#endif
