/*
 * freeze-helper: PID 1 of the freeze-rig guest.
 *
 * Runs inside a Linux 2.6.27 guest under QEMU. It sets up the little it
 * needs (2.6.27 has no devtmpfs), reports on the serial console, and powers
 * the machine off. Every line meant for the host starts with RESULT_PREFIX
 * followed by one JSON object, so the host can parse the console strictly
 * and ignore everything the kernel prints around it.
 *
 * Built with musl-gcc -static: glibc static binaries refuse to start on a
 * kernel this old ("FATAL: kernel too old").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#define RESULT_PREFIX "@freeze-rig "

/* One JSON line for the host. Values are written by the caller's format. */
static void emit(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* one write: the line is never interleaved with kernel messages */
	dprintf(1, RESULT_PREFIX "%s\n", buf);
}

static void mknod_if_missing(const char *path, mode_t mode, int major, int minor)
{
	if (mknod(path, mode, makedev(major, minor)) < 0 && errno != EEXIST)
		emit("{\"event\":\"warn\",\"what\":\"mknod %s\",\"errno\":%d}", path, errno);
}

static void setup(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/mnt", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL) < 0)
		emit("{\"event\":\"warn\",\"what\":\"mount /proc\",\"errno\":%d}", errno);
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
		emit("{\"event\":\"warn\",\"what\":\"mount /sys\",\"errno\":%d}", errno);
	mknod_if_missing("/dev/null", S_IFCHR | 0666, 1, 3);
	/* virtio block devices: major 254, 16 minors each */
	mknod_if_missing("/dev/vda", S_IFBLK | 0600, 254, 0);
	mknod_if_missing("/dev/vdb", S_IFBLK | 0600, 254, 16);
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* reboot() only returns on failure; PID 1 must not exit (panic) */
	for (;;)
		pause();
}

int main(void)
{
	struct utsname u;

	setup();
	if (uname(&u) < 0) {
		emit("{\"event\":\"error\",\"what\":\"uname\",\"errno\":%d}", errno);
		power_off();
	}
	emit("{\"event\":\"hello\",\"release\":\"%s\",\"version\":\"%s\",\"machine\":\"%s\",\"pid\":%d}",
	     u.release, u.version, u.machine, (int)getpid());
	emit("{\"event\":\"done\"}");
	power_off();
	return 0;
}
