/* Copying a directory tree as it is: owners, modes, times, extended attributes (file
 * capabilities, ACLs, labels), symlinks, device nodes and hard links (one inode stays one
 * inode); each file reflinked (FICLONE) where the file system can, else copied. */
#pragma once
#include <stdbool.h>

/* The contents of the directory src into the (empty) directory dst, and src's own owner, mode
 * and xattrs onto dst. bar: a progress bar on stderr. */
int copy_tree_into(int src, int dst, bool bar);
