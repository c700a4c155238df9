/*
 * Freeze, thaw and reset through the interface the revision's manifest
 * names for this filesystem. The numbers come from kernel-ioctls.c (the
 * revision's own headers); only XFS's legacy numbers are spelled here,
 * because fs/xfs/xfs_fs.h is not exported in 2.6.27: these are xfsprogs'
 * definitions, exactly as xfs_freeze issues them.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include "helper.h"

extern const int have_fifreeze, have_reset_timeout, have_ext3_freeze;
extern const unsigned long nr_fifreeze, nr_fithaw, nr_reset_timeout;
extern const unsigned long nr_ext3_freeze, nr_ext3_thaw;

#define XFS_IOC_FREEZE	_IOWR('X', 119, int)
#define XFS_IOC_THAW	_IOWR('X', 120, int)

enum iface iface = IFACE_NONE;
int have_timeout;

int fs_open(void)
{
	return open(MNT, O_RDONLY | O_DIRECTORY);
}

/* The interface is missing from the headers: say so the same way each time. */
static int absent(void)
{
	errno = ENOSYS;
	return -1;
}

/*
 * FIFREEZE reads an int, EXT3_IOC_FREEZE a long; both through a pointer.
 * TARG_INT1_GARBAGE is an int 1 followed by non-zero bytes: what a kernel
 * that reads a long where the number declares an int would misread.
 */
static int freeze_with(int fd, enum targ t, int seconds)
{
	union { int i; long l; unsigned char b[8]; } arg;
	void *p = &arg;

	memset(&arg, 0, sizeof(arg));
	switch (t) {
	case TARG_ZERO: break;
	case TARG_ONE: if (iface == IFACE_EXT3) arg.l = 1; else arg.i = 1; break;
	case TARG_NULL: p = NULL; break;
	case TARG_INT1_GARBAGE: arg.i = 1; memset(arg.b + 4, 0xff, 4); break;
	case TARG_SECONDS: if (iface == IFACE_EXT3) arg.l = seconds; else arg.i = seconds; break;
	}
	switch (iface) {
	case IFACE_GENERIC:
		return have_fifreeze ? ioctl(fd, nr_fifreeze, p) : absent();
	case IFACE_EXT3:
		return have_ext3_freeze ? ioctl(fd, nr_ext3_freeze, p) : absent();
	case IFACE_XFS_LEGACY:
		return legacy_freeze(fd);
	default:
		return absent();
	}
}

int freeze_fd(int fd, int seconds)
{
	/* "no timeout": 0 for the interfaces that take one; XFS takes a level */
	return freeze_with(fd, seconds ? TARG_SECONDS : TARG_ZERO, seconds);
}

int freeze_arg(int fd, enum targ t)
{
	return freeze_with(fd, t, 0);
}

int thaw_fd(int fd)
{
	int zero = 0;

	switch (iface) {
	case IFACE_GENERIC:
		return have_fifreeze ? ioctl(fd, nr_fithaw, &zero) : absent();
	case IFACE_EXT3: {
		long lzero = 0;

		return have_ext3_freeze ? ioctl(fd, nr_ext3_thaw, &lzero) : absent();
	}
	case IFACE_XFS_LEGACY:
		return legacy_thaw(fd);
	default:
		return absent();
	}
}

int reset_fd(int fd, int seconds)
{
	if (iface != IFACE_GENERIC || !have_reset_timeout)
		return absent();
	return ioctl(fd, nr_reset_timeout, &seconds);
}

int legacy_freeze(int fd)
{
	int level = 1;

	return ioctl(fd, XFS_IOC_FREEZE, &level);
}

int legacy_thaw(int fd)
{
	int level = 1;

	return ioctl(fd, XFS_IOC_THAW, &level);
}
