/*
 * Anonymous mmap/munmap over WebAssembly's memory.grow, for the Zend allocator.
 *
 * Why: zend_alloc wants 2 MiB-aligned chunks; it gets them by over-allocating and
 * unmapping the unaligned head and tail (partial munmap).  wasi-libc's emulated mman is
 * malloc-based and refuses partial unmaps.  Linear memory only grows, so "unmapped"
 * ranges go to a small address-ordered free list and are handed out again (zeroed, as
 * a fresh anonymous mapping would be).  A free range that ends at the top of memory is
 * extended by growing, so aligned requests waste little.  File mappings are refused
 * (PHP then reads files instead).  The store's memory limit makes memory.grow fail,
 * which PHP reports as "Out of memory".
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define WASM_PAGE 65536u
#define MAX_RANGES 512

struct range { uintptr_t start, end; };
static struct range ranges[MAX_RANGES]; /* sorted by start, non-adjacent */
static int nranges;

static uintptr_t memory_end(void) { return (uintptr_t)__builtin_wasm_memory_size(0) * WASM_PAGE; }

static void remove_range(int i) {
    memmove(&ranges[i], &ranges[i + 1], (size_t)(nranges - i - 1) * sizeof ranges[0]);
    nranges--;
}

static void free_range(uintptr_t start, uintptr_t end) {
    int i = 0;
    while (i < nranges && ranges[i].start < start) i++;
    if (i > 0 && ranges[i - 1].end >= start) { /* merge with the previous range */
        i--;
        if (end > ranges[i].end) ranges[i].end = end;
    } else {
        if (nranges == MAX_RANGES) return; /* leak the range rather than corrupt the list */
        memmove(&ranges[i + 1], &ranges[i], (size_t)(nranges - i) * sizeof ranges[0]);
        ranges[i].start = start;
        ranges[i].end = end;
        nranges++;
    }
    while (i + 1 < nranges && ranges[i + 1].start <= ranges[i].end) { /* swallow followers */
        if (ranges[i + 1].end > ranges[i].end) ranges[i].end = ranges[i + 1].end;
        remove_range(i + 1);
    }
}

static void *take(int i, size_t len) {
    uintptr_t p = ranges[i].start;
    ranges[i].start += len;
    if (ranges[i].start >= ranges[i].end) remove_range(i);
    memset((void *)p, 0, len);
    return (void *)p;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    (void)addr; (void)prot; (void)off;
    if (!(flags & MAP_ANONYMOUS) || fd != -1 || (flags & MAP_FIXED) || len == 0) {
        errno = (flags & MAP_ANONYMOUS) ? EINVAL : ENODEV;
        return MAP_FAILED;
    }
    if (len > UINT32_MAX - WASM_PAGE) { errno = ENOMEM; return MAP_FAILED; }
    len = (len + WASM_PAGE - 1) & ~(size_t)(WASM_PAGE - 1);
    for (int i = 0; i < nranges; i++)
        if (ranges[i].end - ranges[i].start >= len) return take(i, len);
    uintptr_t top = memory_end();
    size_t have = 0;
    if (nranges > 0 && ranges[nranges - 1].end == top) have = ranges[nranges - 1].end - ranges[nranges - 1].start;
    size_t pages = (len - have) / WASM_PAGE;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) { errno = ENOMEM; return MAP_FAILED; }
    if (have) {
        ranges[nranges - 1].end = top + pages * WASM_PAGE;
        return take(nranges - 1, len);
    }
    return (void *)top; /* fresh pages are zero */
}

int munmap(void *addr, size_t len) {
    uintptr_t start = (uintptr_t)addr;
    if (len == 0 || start + len > memory_end() || start + len < start) { errno = EINVAL; return -1; }
    free_range(start, start + len);
    return 0;
}

int mprotect(void *addr, size_t len, int prot) {
    (void)addr; (void)len;
    if (prot == (PROT_READ | PROT_WRITE)) return 0;
    errno = ENOSYS; /* no guard pages in linear memory */
    return -1;
}

int madvise(void *addr, size_t len, int advice) { (void)addr; (void)len; (void)advice; return 0; }
int posix_madvise(void *addr, size_t len, int advice) { (void)addr; (void)len; (void)advice; return 0; }
int msync(void *addr, size_t len, int flags) { (void)addr; (void)len; (void)flags; return 0; }
