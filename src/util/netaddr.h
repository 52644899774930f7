/* Host names versus IP address literals. */
#ifndef MP_UTIL_NETADDR_H
#define MP_UTIL_NETADDR_H

/* 1 if host is an IPv4 or IPv6 address literal (no brackets), else 0; NULL is 0. */
int netaddr_is_ip(const char *host);

#endif
