/*
 * A scenario's own disks (dm-snapshot, freeze-io-error), which the host
 * attaches after vda and lists on the kernel command line as
 * freeze_rig.disks=ID:N,... (the scenario's first disk is the Nth, vda
 * being 0). 2.6.27 has no devtmpfs: nodes are made from sysfs. The copy
 * puts a device's content on a disk the host checks after the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "helper.h"

#define COPY_BYTES	(1 << 20)
#define ZERO_BYTES	(64 << 10)	/* the copy skips all-zero blocks: the export disks are sparse */

/* The index of the current scenario's first disk, from freeze_rig.disks (env DISKS), or -1. */
static int first_disk(void)
{
	const char *list = getenv("DISKS");
	size_t n = strlen(current_scenario);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, current_scenario, n) && p[n] == ':')
			return atoi(p + n + 1);
	return -1;
}

int scenario_disk(int i, struct disk *d)
{
	int first = first_disk();
	char path[64];
	unsigned maj, min;
	FILE *f;
	int n;

	if (first < 1 || first + i > 25) {
		errno = ENODEV;		/* the host attached no disks for this scenario */
		return -1;
	}
	d->index = first + i;
	snprintf(d->dev, sizeof(d->dev), "/dev/vd%c", 'a' + d->index);
	snprintf(path, sizeof(path), "/sys/block/vd%c/dev", 'a' + d->index);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%u:%u", &maj, &min);
	fclose(f);
	if (n != 2) {
		errno = EINVAL;
		return -1;
	}
	snprintf(d->majmin, sizeof(d->majmin), "%u:%u", maj, min);
	if (mknod(d->dev, S_IFBLK | 0600, makedev(maj, min)) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

void emit_export(const char *label, const struct disk *d)
{
	emit("{\"event\":\"export\",\"fs\":\"%s\",\"scenario\":\"%s\",\"label\":\"%s\",\"disk\":%d}",
	     fsname, current_scenario, label, d->index);
}

/* 8 bytes a step: musl's memcmp goes a byte a step, 320 M steps of a TCG vCPU for an XFS image. */
static int all_zero(const char *p, size_t len)
{
	const unsigned long long *w = (const void *)p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

/*
 * Copies a snapshot device onto an export disk, all-zero blocks skipped;
 * MiB written, or -1. O_DIRECT reads: through the page cache, 4 KiB at a
 * time, a TCG guest read a 320 MiB XFS snapshot at ~20 MiB/s.
 */
int copy_device(const char *from, const char *to)
{
	static char buf[COPY_BYTES] __attribute__((aligned(4096)));
	int in = open(from, O_RDONLY | O_DIRECT), out = open(to, O_WRONLY);
	long long off = 0, written = 0;
	ssize_t n;
	int r = 0;

	if (in < 0 || out < 0)
		r = -1;
	while (!r && (n = read(in, buf, sizeof(buf))) > 0) {
		ssize_t i;

		for (i = 0; i < n; i += ZERO_BYTES) {
			size_t len = n - i < ZERO_BYTES ? n - i : ZERO_BYTES;

			if (all_zero(buf + i, len))
				continue;
			if (pwrite(out, buf + i, len, off + i) != (ssize_t)len) {
				r = -1;
				break;
			}
			written += len;
		}
		off += n;
	}
	if (!r && (n < 0 || fsync(out) < 0))
		r = -1;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return r < 0 ? -1 : (int)(written >> 20);
}

