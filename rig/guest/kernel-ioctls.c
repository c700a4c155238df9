/*
 * The only file of the guest helper that sees the kernel's exported headers
 * (make headers_install of the revision under test). It turns the ioctl
 * numbers the revision defines into constants; musl's own headers define
 * the same macros differently, so the two never meet in one file.
 */
#include <linux/fs.h>

#ifdef FIFREEZE
const int have_fifreeze = 1;
const unsigned long nr_fifreeze = FIFREEZE;
const unsigned long nr_fithaw = FITHAW;
#else
const int have_fifreeze;
const unsigned long nr_fifreeze;
const unsigned long nr_fithaw;
#endif

#ifdef FIFREEZE_RESET_TIMEOUT
const int have_reset_timeout = 1;
const unsigned long nr_reset_timeout = FIFREEZE_RESET_TIMEOUT;
#else
const int have_reset_timeout;
const unsigned long nr_reset_timeout;
#endif
