/*
 * compat32: the revision's freeze interface called by a 32-bit process
 * (/ioctl32, rig/guest/ioctl32.c), one ioctl per exec. Each 32-bit call is
 * independent of the others: a thaw is tried on a fs frozen by the 64-bit
 * interface when the 32-bit freeze failed, a reset on a 64-bit freeze with
 * a timeout. Reports freeze32, thaw32, reset32, xfs-freeze32, xfs-thaw32
 * with the call's result and errno; the manifest says what each must do.
 */
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helper.h"

extern const int have_fifreeze, have_reset_timeout, have_ext3_freeze;
extern const unsigned long nr_fifreeze, nr_fithaw, nr_reset_timeout;
extern const unsigned long nr_ext3_freeze, nr_ext3_thaw;

/* xfsprogs' numbers, as in freeze-ops.c: an int, the same for 32 and 64 bits */
#define XFS_IOC_FREEZE	_IOWR('X', 119, int)
#define XFS_IOC_THAW	_IOWR('X', 120, int)

/* The size field of an ioctl number on x86: 14 bits from bit 16 (asm-generic/ioctl.h). */
#define IOC_SIZE_SHIFT	16
#define IOC_SIZE_MASK	0x3fffUL

/* A number as a 32-bit caller computes it: the argument's size is 4 (a long is 4 bytes on i386). */
static unsigned long as_32bit(unsigned long nr)
{
	return (nr & ~(IOC_SIZE_MASK << IOC_SIZE_SHIFT)) | (4UL << IOC_SIZE_SHIFT);
}

/* Runs /ioctl32 MNT cmd arg; its result as a system call's: 0, or -1 with errno. */
static int ioctl32(unsigned long cmd, int arg, double *ms)
{
	char c[24], a[16];
	char *argv[] = { "/ioctl32", MNT, c, a, NULL };
	double t0 = now_ms();
	int status = 0;
	pid_t pid;

	snprintf(c, sizeof(c), "%lx", cmd);
	snprintf(a, sizeof(a), "%d", arg);
	pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(203);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		*ms = now_ms() - t0;
		errno = ECHILD;
		return -1;
	}
	*ms = now_ms() - t0;
	status = WEXITSTATUS(status);
	if (status >= 200) {
		/* the program did not get to the ioctl: the rig's problem */
		check("ioctl32-ran", 0, status, *ms);
		errno = ENOEXEC;
		return -1;
	}
	errno = status;
	return status ? -1 : 0;
}

static int call32(const char *name, unsigned long cmd, int arg)
{
	double ms;
	int r = ioctl32(cmd, arg, &ms);

	check(name, r, errno, ms);
	return r;
}

/* Freeze, then thaw, each by a 32-bit caller; a 64-bit freeze stands in for a failed 32-bit one. */
static void freeze_thaw32(const char *freeze, const char *thaw, unsigned long nr_freeze,
			  unsigned long nr_thaw, int arg, int fd)
{
	if (call32(freeze, nr_freeze, arg) < 0 && freeze_checked("freeze64", fd, 0) < 0)
		return;
	if (call32(thaw, nr_thaw, arg) < 0)
		thaw_checked("thaw64", fd);
}

void compat32(void)
{
	const char *path = MNT "/compat32.dat";
	int fd;

	if (prepare(path, "") < 0)
		return;
	fd = fs_open();
	switch (iface) {
	case IFACE_GENERIC:
		if (!have_fifreeze)
			break;
		freeze_thaw32("freeze32", "thaw32", nr_fifreeze, nr_fithaw, 0, fd);
		/* a reset needs a freeze with a timeout to reset; the thaw ends it either way */
		if (have_reset_timeout && have_timeout && freeze_checked("freeze64", fd, 3 * TIMEOUT_S) == 0) {
			call32("reset32", nr_reset_timeout, 3 * TIMEOUT_S);
			thaw_checked("thaw64", fd);
		}
		break;
	case IFACE_EXT3:
		if (have_ext3_freeze)
			freeze_thaw32("freeze32", "thaw32", as_32bit(nr_ext3_freeze), as_32bit(nr_ext3_thaw), 0, fd);
		break;
	default:
		break;
	}
	/* 32-bit xfs_freeze: the legacy numbers with a level of 1 */
	if (strcmp(fsname, "xfs") == 0 && (iface == IFACE_XFS_LEGACY || iface == IFACE_GENERIC))
		freeze_thaw32("xfs-freeze32", "xfs-thaw32", XFS_IOC_FREEZE, XFS_IOC_THAW, 1, fd);
	check("writable-after", writable_within(path, 1000), 0, 0);
	close(fd);
}
