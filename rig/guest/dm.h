/*
 * Device-mapper's ioctls (dm.c), in plain C types only: dm.c sees the
 * kernel's exported headers, whose <linux/types.h> clashes with musl's, so
 * it and the rest of the helper share nothing else.
 */
#ifndef FREEZE_RIG_DM_H
#define FREEZE_RIG_DM_H

enum dm_cmd {
	DMC_CREATE,		/* a device without a table; *dev: its dev_t */
	DMC_SUSPEND,		/* with lockfs: dm freezes the fs on it (freeze_bdev) */
	DMC_SUSPEND_NOLOCKFS,
	DMC_RESUME,		/* swaps in a loaded table; thaws what the suspend froze */
	DMC_REMOVE,
};

/* One command on device `name` through the control node's fd; 0 or -1 (errno). */
int dm_command(int control, enum dm_cmd cmd, const char *name, unsigned long long *dev);
/* Loads one target ("linear", "snapshot", ...) of `length` sectors into name's inactive table. */
int dm_table_load(int control, const char *name, unsigned long long length, const char *type, const char *params);

#endif
