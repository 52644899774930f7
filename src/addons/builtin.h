/*
 * The built-in addons, one header each; a tool includes this one to build
 * its chain (mitmdump: block, save, then dumper, in mitmproxy's order).
 */
#ifndef MP_ADDONS_BUILTIN_H
#define MP_ADDONS_BUILTIN_H

#include "addons/block.h"
#include "addons/dumper.h"
#include "addons/readfile.h"
#include "addons/save.h"

#endif
