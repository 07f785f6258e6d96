/*
 * Force-included into every PHP source file of the wasm32-wasi build (see build.py).
 *
 * Why: wasi-libc has no processes, users, sockets, file modes or signals, yet PHP's
 * sources reference those functions unconditionally in places.  This header declares
 * them (and the few constants PHP needs to compile); compat/wasi_stubs.c implements each
 * one as a failure with ENOSYS, so PHP reports a clean error at run time ("popen(): ...
 * Function not implemented") instead of the build breaking.  Nothing here adds a
 * capability: the wasm module can only import what the host gives it.
 */
#ifndef PROVHOST_WASI_COMPAT_H
#define PROVHOST_WASI_COMPAT_H
#ifdef __wasi__

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h> /* with -D_WASI_EMULATED_MMAN: declarations only; wasi_mmap.c implements */

/* No unix-domain sockets: PHP registers the unix:// transports only if AF_UNIX exists. */
#undef AF_UNIX
#undef PF_UNIX

#ifdef __cplusplus
extern "C" {
#endif

/* processes and users */
FILE *popen(const char *command, const char *mode);
int pclose(FILE *stream);
mode_t umask(mode_t mask);
int chown(const char *path, uid_t owner, gid_t group);
int lchown(const char *path, uid_t owner, gid_t group);
int fchown(int fd, uid_t owner, gid_t group);
uid_t getuid(void);
uid_t geteuid(void);
gid_t getgid(void);
gid_t getegid(void);
int getgroups(int size, gid_t list[]);
int dup(int fd);
int dup2(int fd, int fd2);
int getdtablesize(void);
char *mktemp(char *template_);

/* sockets: wasi-libc (preview 1) declares only accept/recv/send/shutdown */
int socket(int domain, int type, int protocol);
int connect(int fd, const struct sockaddr *addr, socklen_t len);
int bind(int fd, const struct sockaddr *addr, socklen_t len);
int listen(int fd, int backlog);
int getsockname(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len);
int getpeername(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len);
ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
               socklen_t len);
ssize_t recvfrom(int fd, void *__restrict buf, size_t n, int flags,
                 struct sockaddr *__restrict addr, socklen_t *__restrict len);
int setsockopt(int fd, int level, int name, const void *value, socklen_t len);

/* Fibers need stack switching, which WebAssembly (without the stack-switching proposal)
 * cannot do; Zend/zend_fibers.c is patched to refuse before it would get here. */
typedef struct __ucontext {
    struct __ucontext *uc_link;
    struct { void *ss_sp; size_t ss_size; int ss_flags; } uc_stack;
} ucontext_t;
int getcontext(struct __ucontext *ucp);
void makecontext(struct __ucontext *ucp, void (*func)(), int argc, ...);
int swapcontext(struct __ucontext *oucp, const struct __ucontext *ucp);

#ifdef __cplusplus
}
#endif

#ifndef SO_ERROR
#define SO_ERROR 4
#endif
#ifndef MSG_OOB
#define MSG_OOB 0x0001
#endif
#ifndef SOL_IP
#define SOL_IP 0
#endif
#ifndef POLLPRI
#define POLLPRI 0x0200 /* never reported by WASI's poll */
#endif
/* record locks: fcntl() answers these commands with EINVAL, so flock() fails cleanly */
#ifndef F_RDLCK
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#endif
#ifndef F_SETLK
#define F_SETLK 6
#define F_SETLKW 7
#endif

#endif /* __wasi__ */
#endif /* PROVHOST_WASI_COMPAT_H */
