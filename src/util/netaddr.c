#include <arpa/inet.h>
#include <stdint.h>

#include "util/netaddr.h"

int
netaddr_is_ip(const char *host)
{
    uint8_t a[16];
    return host && (inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1);
}
