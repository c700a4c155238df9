/*
 * Device-mapper through its ioctls, as LVM drives it: glibc's dmsetup and
 * libdevmapper cannot run on 2.6.27 (a static glibc refuses a kernel that
 * old), and this is all dm-snapshot needs. The structures and numbers come
 * from the revision's exported <linux/dm-ioctl.h>. Like kernel-ioctls.c,
 * this file sees only the kernel's headers (their <linux/types.h> clashes
 * with musl's), so it declares the two libc calls it makes.
 */
#include <linux/ioctl.h>
#include <linux/dm-ioctl.h>
#include "dm.h"

extern int ioctl(int fd, int req, ...);
extern int *__errno_location(void);

/* The header every dm ioctl starts with, for device `name`, in a buffer of `size`. */
static struct dm_ioctl *header(void *buf, unsigned size, const char *name)
{
	struct dm_ioctl *io = buf;

	__builtin_memset(buf, 0, size);
	io->version[0] = DM_VERSION_MAJOR;	/* 4; minor 0: what every 4.x kernel takes */
	io->data_size = size;
	io->data_start = sizeof(*io);
	__builtin_strncpy(io->name, name, sizeof(io->name) - 1);
	return io;
}

int dm_command(int control, enum dm_cmd cmd, const char *name, unsigned long long *dev)
{
	static const unsigned flags[] = {
		[DMC_SUSPEND] = DM_SUSPEND_FLAG,
		[DMC_SUSPEND_NOLOCKFS] = DM_SUSPEND_FLAG | DM_SKIP_LOCKFS_FLAG,
	};
	struct dm_ioctl io;
	unsigned long nr = cmd == DMC_CREATE ? DM_DEV_CREATE : cmd == DMC_REMOVE ? DM_DEV_REMOVE : DM_DEV_SUSPEND;

	header(&io, sizeof(io), name);
	io.flags = flags[cmd];
	if (ioctl(control, (int)nr, &io) < 0)
		return -1;
	if (dev)
		*dev = io.dev;	/* the kernel's new dev_t encoding, which musl's makedev shares */
	return 0;
}

int dm_table_load(int control, const char *name, unsigned long long length, const char *type, const char *params)
{
	union {
		struct dm_ioctl io;
		char bytes[sizeof(struct dm_ioctl) + sizeof(struct dm_target_spec) + 256];
	} buf;
	struct dm_ioctl *io = header(&buf, sizeof(buf), name);
	struct dm_target_spec *t = (struct dm_target_spec *)(buf.bytes + sizeof(*io));

	if (__builtin_strlen(params) >= 256 - 8) {
		*__errno_location() = 7;	/* E2BIG */
		return -1;
	}
	io->target_count = 1;
	t->sector_start = 0;
	t->length = length;
	__builtin_strncpy(t->target_type, type, sizeof(t->target_type) - 1);
	__builtin_strcpy((char *)(t + 1), params);
	return ioctl(control, (int)DM_TABLE_LOAD, io);
}
