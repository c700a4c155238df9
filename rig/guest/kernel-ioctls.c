/*
 * The only file of the guest helper that sees the kernel's exported headers
 * (make headers_install of the revision under test). It turns the ioctl
 * numbers the revision defines into constants; musl's own headers define
 * the same macros differently, so the two never meet in one file. A
 * revision that does not define an ioctl gives a helper that knows it.
 */
#include <linux/fs.h>
#if __has_include(<linux/ext3_fs.h>)
#include <linux/ext3_fs.h>
#endif

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

#ifdef EXT3_IOC_FREEZE
const int have_ext3_freeze = 1;
const unsigned long nr_ext3_freeze = EXT3_IOC_FREEZE;
const unsigned long nr_ext3_thaw = EXT3_IOC_THAW;
#else
const int have_ext3_freeze;
const unsigned long nr_ext3_freeze;
const unsigned long nr_ext3_thaw;
#endif
