/*
 * ioctl32: one ioctl from a 32-bit process, as a 32-bit backup tool
 * (xfs_freeze, an LVM of 2008) issues it on an x86_64 kernel with
 * IA32_EMULATION. The kernel then takes the call through
 * compat_sys_ioctl(), where a series must list its new ioctls.
 *
 *   ioctl32 PATH CMD ARG     CMD in hex, ARG a decimal int passed by pointer
 *
 * Exit status: 0 when the ioctl returned 0, else its errno; 200 + n when
 * the program could not get that far (usage, open). Freestanding i386: no
 * libc (Debian's musl-tools is amd64 only), system calls by int $0x80.
 * The ioctl numbers come from the 64-bit helper, which has the revision's
 * exported headers.
 */
#define SYS_exit	1
#define SYS_open	5
#define SYS_ioctl	54
#define O_RDONLY	0

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

static void __attribute__((noreturn)) die(int status)
{
	sys3(SYS_exit, status, 0, 0);
	for (;;)
		;
}

static int parse(const char *s, unsigned base, unsigned long *out)
{
	unsigned long v = 0;
	int neg = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d = *s >= '0' && *s <= '9' ? (unsigned)(*s - '0')
			   : *s >= 'a' && *s <= 'f' ? (unsigned)(*s - 'a' + 10) : 99;

		if (d >= base)
			return -1;
		v = v * base + d;
	}
	*out = neg ? -v : v;
	return 0;
}

/* Called by _start with the initial stack: argc, then argv. */
void __attribute__((used, noreturn)) start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	unsigned long cmd, arg;
	int value;
	long fd, r;

	if (argc != 4 || parse(argv[2], 16, &cmd) < 0 || parse(argv[3], 10, &arg) < 0)
		die(201);
	fd = sys3(SYS_open, (long)argv[1], O_RDONLY, 0);
	if (fd < 0)
		die(202);
	value = (int)arg;
	r = sys3(SYS_ioctl, fd, (long)cmd, (long)&value);
	die(r < 0 ? (int)-r : 0);
}

__asm__(".globl _start\n"
	"_start:\n"
	"	movl %esp, %eax\n"
	"	andl $-16, %esp\n"
	"	subl $12, %esp\n"
	"	pushl %eax\n"
	"	call start_c\n");
