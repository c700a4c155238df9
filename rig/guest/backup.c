/*
 * The backup story: what a backup tool relies on a freeze for. While the
 * fs is frozen the host snapshots the disk (snapshot-consistent) or reads
 * the device's write counters (no-device-writes); the guest asks for both
 * through host.c. The guest reports facts, including the checksum of every
 * file it fsync'ed; the host checks the snapshot and judges.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helper.h"

#define FILES		1000		/* per writer: each name written once, so its content never changes */
#define FILE_BYTES	(8 * 1024)
#define DIRTY_BYTES	(8 << 20)	/* written without fsync just before the freeze: the freeze must flush it */
#define CONTROLS	3		/* unfrozen snapshots, for comparison */
#define CONTROL_GAP_MS	300
#define HOLD_MS		3000		/* no-device-writes: the frozen window under load */

struct load {
	volatile int stop;
	volatile long done[WRITERS];			/* files written and fsync'ed */
	volatile uint64_t sum[WRITERS][FILES];		/* their checksums */
};

/* FNV-1a, 64 bits: the host computes the same over what it reads back. */
static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * Content that differs per file, so that a block of one file in another is
 * caught: xorshift32, four bytes a step (a byte a step was 8 M steps of a
 * TCG guest's CPU for the 8 MiB snapshot-consistent writes unsynced).
 */
static void fill(unsigned char *buf, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i += 4) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		memcpy(buf + i, &x, n - i < 4 ? n - i : 4);
	}
}

static void writer(struct load *l, const char *dir, int w)
{
	static unsigned char buf[FILE_BYTES];
	char path[96];
	long k;

	for (k = 0; !l->stop && k < FILES; k++) {
		int fd;

		snprintf(path, sizeof(path), "%s/w%d-%03ld", dir, w, k);
		fill(buf, sizeof(buf), w * FILES + k);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) || fsync(fd) < 0)
			_exit(1);
		close(fd);
		l->sum[w][k] = fnv1a(buf, sizeof(buf));
		__sync_synchronize();
		l->done[w] = k + 1;
	}
	while (!l->stop)
		sleep_ms(20);
}

struct load *start_writers(const char *dir, pid_t pids[WRITERS])
{
	struct load *l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int w;

	if (l == MAP_FAILED)
		return NULL;
	memset((void *)l, 0, sizeof(*l));
	mkdir(dir, 0755);
	for (w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			writer(l, dir, w);
			_exit(0);
		}
	}
	return l;
}

long completed(struct load *l)
{
	long n = 0;
	int w;

	for (w = 0; w < WRITERS; w++)
		n += l->done[w];
	return n;
}

/* Stops the writers; 1 if all of them exited within 10 s. */
int stop_writers(struct load *l, pid_t pids[WRITERS])
{
	double t0 = now_ms();
	int w, left = WRITERS;

	l->stop = 1;
	while (left && now_ms() - t0 < 10000) {
		for (w = 0; w < WRITERS; w++)
			if (pids[w] > 0 && waitpid(pids[w], NULL, WNOHANG) == pids[w]) {
				pids[w] = 0;
				left--;
			}
		if (left)
			sleep_ms(20);
	}
	return left == 0;
}

/*
 * Tells the host about each file fsync'ed since the last call: its path
 * under the mount point `root`, size and checksum. The host expects every
 * file reported before an ask (or an export) in the snapshot it takes.
 */
void report_files(struct load *l, const char *root, const char *dir, long reported[WRITERS])
{
	int w;

	for (w = 0; w < WRITERS; w++) {
		long done = l->done[w];

		__sync_synchronize();
		for (; reported[w] < done; reported[w]++)
			emit("{\"event\":\"file\",\"fs\":\"%s\",\"scenario\":\"%s\",\"path\":\"%s/w%d-%03ld\","
			     "\"bytes\":%d,\"fnv\":\"%016llx\"}",
			     fsname, current_scenario, dir + strlen(root), w, reported[w], FILE_BYTES,
			     (unsigned long long)l->sum[w][reported[w]]);
	}
}

/* A /proc/meminfo field ("Dirty", "MemFree"), in kB, or -1. */
long meminfo_kb(const char *field)
{
	char line[128], name[32];
	long kb = -1, v;
	FILE *f = fopen("/proc/meminfo", "r");

	while (kb < 0 && f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31[^:]: %ld kB", name, &v) == 2 && !strcmp(name, field))
			kb = v;
	if (f)
		fclose(f);
	return kb;
}

/* Writes path (under `root`) with DIRTY_BYTES of known content and no fsync; reports it like a file. */
int write_dirty(const char *root, const char *path)
{
	unsigned char *buf = malloc(DIRTY_BYTES);
	int fd, ok;

	if (!buf)
		return -1;
	fill(buf, DIRTY_BYTES, 0xd1e7);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ok = fd >= 0 && write(fd, buf, DIRTY_BYTES) == DIRTY_BYTES;
	if (fd >= 0)
		close(fd);
	if (ok)
		emit("{\"event\":\"file\",\"fs\":\"%s\",\"scenario\":\"%s\",\"path\":\"%s\",\"bytes\":%d,"
		     "\"fnv\":\"%016llx\",\"buffered\":true}",
		     fsname, current_scenario, path + strlen(root), DIRTY_BYTES,
		     (unsigned long long)fnv1a(buf, DIRTY_BYTES));
	free(buf);
	return ok ? 0 : -1;
}

/* ms until the writers complete another file, or -1 if they do not within WAKE_MS. */
double writers_wake(struct load *l, double since)
{
	long before = completed(l);

	while (now_ms() - since < WAKE_MS) {
		if (completed(l) > before)
			return now_ms() - since;
		sleep_ms(2);
	}
	return -1;
}

/*
 * snapshot-consistent: with two writers fsync'ing files, the host takes
 * CONTROLS snapshots of the live fs (for comparison), then 8 MiB more are
 * written without fsync, the fs is frozen, the host snapshots it, and the
 * fs is thawed. The host checks each snapshot: fsck clean without journal
 * or log recovery, and every file reported before it present and intact.
 */
void snapshot_consistent(void)
{
	const char *dir = MNT "/snap";
	long reported[WRITERS] = { 0, 0 };
	pid_t pids[WRITERS];
	struct load *l = start_writers(dir, pids);
	char label[16];
	double ms, t_frozen, t_thaw, wake;
	long kb;
	int fd, i, r;

	if (!l) {
		check("setup", -1, errno, 0);
		return;
	}
	for (i = 0; i < CONTROLS; i++) {
		sleep_ms(CONTROL_GAP_MS);
		report_files(l, MNT, dir, reported);
		snprintf(label, sizeof(label), "control%d", i);
		if (ask_checked("snapshot", label) < 0)
			goto out;
	}
	if (write_dirty(MNT, MNT "/snap/buffered") < 0) {
		check("setup", -1, errno, 0);
		goto out;
	}
	report_files(l, MNT, dir, reported);
	kb = meminfo_kb("Dirty");
	fd = fs_open();
	r = TIMED(&ms, freeze_fd(fd, 0));
	/* v: the dirty data the freeze had to write, in kB */
	checkv("freeze", r, errno, ms, kb);
	if (r < 0) {
		close(fd);
		goto out;
	}
	t_frozen = now_ms();
	ask_checked("snapshot", "frozen");
	t_thaw = now_ms();
	check("frozen", 1, 0, t_thaw - t_frozen);
	r = TIMED(&ms, thaw_fd(fd));
	check("thaw", r, errno, ms);
	close(fd);
	wake = writers_wake(l, t_thaw);
	check("writer-resumed", wake >= 0, 0, wake >= 0 ? wake : WAKE_MS);
out:
	check("writers-finished", stop_writers(l, pids), 0, 0);
}

/*
 * no-device-writes: with two writers fsync'ing, the fs is frozen and the
 * host reads the device's write counters (QMP query-blockstats); HOLD_MS
 * later it reads them again, and the fs is thawed. Nothing may reach the
 * device in between: the host compares. Then the same for each writer
 * kind of writer-kinds.c.
 */
void no_device_writes(void)
{
	pid_t pids[WRITERS];
	struct load *l = start_writers(MNT "/ndw", pids);
	double ms, t_frozen, t_thaw, wake;
	long before;
	int fd, r;

	if (!l) {
		check("setup", -1, errno, 0);
		return;
	}
	sleep_ms(500);
	fd = fs_open();
	r = TIMED(&ms, freeze_fd(fd, 0));
	checkv("freeze", r, errno, ms, meminfo_kb("Dirty"));
	if (r < 0) {
		close(fd);
		check("writers-finished", stop_writers(l, pids), 0, 0);
		return;
	}
	t_frozen = now_ms();
	before = completed(l);
	if (ask_checked("blockstats", "frozen") == 0) {
		sleep_ms(HOLD_MS);
		ask_checked("blockstats", "thaw");
	}
	/* v: files the writers completed while frozen (none, if they block) */
	checkv("frozen", 1, 0, now_ms() - t_frozen, completed(l) - before);
	t_thaw = now_ms();
	r = TIMED(&ms, thaw_fd(fd));
	check("thaw", r, errno, ms);
	close(fd);
	wake = writers_wake(l, t_thaw);
	check("writer-resumed", wake >= 0, 0, wake >= 0 ? wake : WAKE_MS);
	check("writers-finished", stop_writers(l, pids), 0, 0);
	/* then the writers that are not write(2) + fsync, one window each (writer-kinds.c) */
	writer_kind_windows();
}
