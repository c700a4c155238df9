/*
 * freeze-helper: shared declarations of the guest helper's parts.
 *
 *   freeze-helper.c  PID 1: set-up, the scenario loop and its watchdog
 *   report.c         the result lines the host parses
 *   freeze-ops.c     freeze, thaw and reset through the revision's interface
 *   probes.c         real processes that do one file operation each
 *   scenarios.c      the scenario table (from contract.h) and the plain scenarios
 *   timeouts.c       the timeout scenarios: expiry, reset, argument forms, rescue, races
 *   mounts.c         umount, remount and lazy umount of a frozen fs
 *   compat32.c       the interface called by a 32-bit process (/ioctl32, ioctl32.c)
 *   backup.c         the backup scenarios: snapshot while frozen, device writes
 *   writer-kinds.c   no-device-writes' windows for mmap, O_DIRECT, splice, atime
 *   disks.c          a scenario's own disks, and the copy the host checks
 *   dmsnap.c         dm-snapshot: LVM-style snapshots of a fs on device-mapper
 *   ioerror.c        freeze-io-error: the freeze's flush meets write errors
 *   isolation.c      frozen-isolation: another fs's writes during a 10 s freeze
 *   dm.c, dm.h       device-mapper's ioctls (<linux/dm-ioctl.h>)
 *   host.c           the handshake with the host (asks on the console, answers on ttyS1)
 *   kernel-ioctls.c  ioctl numbers from the kernel's exported headers
 */
#ifndef FREEZE_HELPER_H
#define FREEZE_HELPER_H

#include <sys/types.h>
#include "contract.h"	/* written by the rig from src/scenarios/catalogue.ts */

#define MNT "/mnt"
#define DEV "/dev/vda"
#define HOST_TTY "/dev/ttyS1"

/* ---- report.c ---- */
extern const char *fsname;		/* "ext3" or "xfs" */
extern const char *current_scenario;
extern double scenario_t0;
/* tcdrain(1) that also re-arms a lost UART transmit interrupt (report.c) */
void drain_console(void);
void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One observation: a system call's result, errno and duration (ms). */
void check(const char *name, int ret, int err, double ms);
/* The same with a value (a count, a requested time, a variant index). */
void checkv(const char *name, int ret, int err, double ms, double value);
double now_ms(void);
void write_proc(const char *path, const char *value);	/* a /proc or /sys value; a warning if it fails */
void sleep_ms(int ms);

/* ---- freeze-ops.c ---- */
enum iface { IFACE_NONE, IFACE_GENERIC, IFACE_XFS_LEGACY, IFACE_EXT3 };
extern enum iface iface;
extern int have_timeout;		/* the interface takes a timeout */
/* The argument variants of timeout-compat-args. */
enum targ { TARG_ZERO, TARG_ONE, TARG_NULL, TARG_INT1_GARBAGE, TARG_SECONDS };
int fs_open(void);			/* an fd on the mount's root */
int freeze_fd(int fd, int seconds);	/* freeze; 0 = no timeout */
int freeze_arg(int fd, enum targ t);	/* freeze with one argument variant */
int thaw_fd(int fd);
int reset_fd(int fd, int seconds);	/* FIFREEZE_RESET_TIMEOUT */
int legacy_freeze(int fd);		/* 'X' 119 with an int 1, as xfs_freeze */
int legacy_thaw(int fd);
/* Time a call: sets *ms, returns ret, errno preserved. */
#define TIMED(ms, call) ({ double t0_ = now_ms(); int r_ = (call); int e_ = errno; \
			   *(ms) = now_ms() - t0_; errno = e_; r_; })

/* ---- probes.c ---- */
enum op { OP_WRITE_FSYNC, OP_CREATE, OP_MKDIR, OP_RENAME, OP_UNLINK, OP_STAT, OP_READ };
struct probe {
	pid_t pid;
	int fd;			/* read end: one byte when the operation returned */
	double started;		/* now_ms() at start */
	double finished;	/* now_ms() when seen done, or 0 */
	int ok;			/* the operation succeeded */
	int err;		/* else its errno */
};
/* Starts a process doing op on path (path2 for rename). */
void probe_start(struct probe *p, enum op op, const char *path, const char *path2);
/* 1 if the operation returned within ms; records when. */
int probe_wait(struct probe *p, int ms);
void probe_reap(struct probe *p);
extern const char probe_payload[];	/* what OP_WRITE_FSYNC appends */
/*
 * A system call that may block (a umount, a remount, a dm suspend, a
 * freeze of a dm-frozen fs), run in a child of its own so that a scenario
 * can wait for it with a bound ("still blocked after 1.2 s") and go on.
 */
struct call {
	pid_t pid;
	int fd;			/* read end: the call's ret and errno */
	double started;		/* now_ms() at start */
	int done, ret, err;
};
/* Runs fn(arg) in a child; -1 (errno set, c->done with that error) if no child could start. */
int call_start(struct call *c, int (*fn)(const void *arg), const void *arg);
/* 1 once the call returned (c->ret, c->err), 0 if it is still blocked after ms; reaps this child only. */
int call_wait(struct call *c, int ms);
int write_file(const char *path, const char *data);	/* create + fsync */
int file_equals(const char *path, const char *data);
int append_fsync_within(const char *path, int ms);	/* 1 if it returned ok in time */
int append_fsync_outcome(const char *path, int ms, int *err);	/* 0, -1 and *err, or 1: blocked */
/* What /proc/<pid>/stat says of a process (2.6.27 has no /proc/<pid>/comm). */
struct proc_stat {
	char comm[64];
	char state;		/* R, S, D, Z, ... */
	int pgrp;
	long threads;
};
int proc_stat(const char *pid, struct proc_stat *ps);	/* 0, or -1: gone or unreadable */

/* ---- host.c ---- */
extern int ask_timeout_ms;		/* how long an ask waits for the host */
void host_open(void);
/* How many asks to the host are waiting for their answer, in any process. */
int host_asking(void);
/*
 * Asks the host to do `what` (snapshot, blockstats), labelled for its
 * records. 0 when it answered ok; -1 with ETIMEDOUT when it did not answer
 * in time, EIO when it answered err (its text in reply), ENODEV without a
 * channel.
 */
int host_ask(const char *what, const char *label, char *reply, size_t n);
/* The same, reported as the check "ask-<what>-<label>". */
int ask_checked(const char *what, const char *label);

/* ---- scenarios.c: steps the scenario files share ---- */
int prepare(const char *path, const char *data);
int freeze_checked(const char *name, int fd, int seconds);
int thaw_checked(const char *name, int fd);
int freeze_after_prepare(const char *path, const char *data, int seconds);
void writer_blocks_until_thaw(int fd, const char *path, int (*thaw)(int));
int writable_within(const char *path, int ms);

/* ---- timeouts.c ---- */
void timeout_fires(void);
void timeout_reset(void);
void timeout_compat_args(void);
void self_deadlock_rescue(void);
void thaw_timeout_race(void);
void reset_at_expiry(void);

/* ---- compat32.c ---- */
void compat32(void);

/* ---- mounts.c ---- */
void umount_frozen(void);
void remount_frozen(void);
void freeze_read_only(void);
void lazy_umount_frozen(void);

/* ---- backup.c ---- */
void snapshot_consistent(void);
void no_device_writes(void);
/* The load the backup scenarios share: WRITERS processes writing and fsync'ing files under dir. */
#define WRITERS 2
struct load;
struct load *start_writers(const char *dir, pid_t pids[WRITERS]);
long completed(struct load *l);		/* files written and fsync'ed so far */
int stop_writers(struct load *l, pid_t pids[WRITERS]);
/* Reports the files fsync'ed since the last call, by path under the mount point root. */
void report_files(struct load *l, const char *root, const char *dir, long reported[WRITERS]);
int write_dirty(const char *root, const char *path);	/* 8 MiB, no fsync, reported */
double writers_wake(struct load *l, double since);	/* ms until a writer completes a file, or -1 */
long meminfo_kb(const char *field);	/* a /proc/meminfo field in kB ("Dirty"), or -1 */

/* ---- disks.c: a scenario's own disks (freeze_rig.disks) ---- */
struct disk {
	int index;		/* on the QEMU command line: vda is 0 */
	char dev[16];		/* /dev/vdX */
	char majmin[16];	/* "254:16", as dm tables name devices */
};
/* The scenario's disk i (0 = its first), its node made. */
int scenario_disk(int i, struct disk *d);
/* Copies a device onto a disk (O_DIRECT reads, all-zero blocks skipped); MiB written, or -1. */
int copy_device(const char *from, const char *to);
/* Tells the host that disk d now holds a copy labelled `label`, to check like a snapshot. */
void emit_export(const char *label, const struct disk *d);

/* ---- writer-kinds.c ---- */
void writer_kind_windows(void);

/* ---- dmsnap.c ---- */
void dm_snapshot(void);

/* ---- ioerror.c ---- */
void freeze_io_error(void);

/* ---- isolation.c ---- */
void frozen_isolation(void);

/* ---- scenarios.c ---- */
struct scenario {
	const char *id;
	void (*run)(void);
	int budget_s;		/* the watchdog's limit for this scenario */
};
extern const struct scenario scenarios[];
const struct scenario *find_scenario(const char *id);

#endif
