/* File-system paths as mitmproxy's options take them. */
#ifndef MP_UTIL_PATH_H
#define MP_UTIL_PATH_H

/*
 * "~" and "~/x" become the home directory and the home directory + "/x", as
 * Python's os.path.expanduser: $HOME, else the password database; a
 * trailing slash of the home directory is dropped. "~user" and every other
 * path are returned unchanged. Returns a malloc'd string; caller frees.
 */
char *path_expand_home(const char *path);

#endif
