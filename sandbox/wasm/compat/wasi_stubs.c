/*
 * The POSIX functions wasi-libc lacks but PHP's sources call (declared in wasi_compat.h).
 * Every one fails with ENOSYS or answers the only truthful value a WASI program has:
 * a script in the wasm sandbox cannot start processes, change owners or open sockets,
 * and PHP turns these failures into ordinary warnings.
 */
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdlib.h>
#include <syslog.h>

#include "wasi_compat.h"

#define ENOSYS_INT(sig) sig { errno = ENOSYS; return -1; }

FILE *popen(const char *command, const char *mode) {
    (void)command; (void)mode;
    errno = ENOSYS;
    return NULL;
}
int pclose(FILE *stream) { (void)stream; errno = ENOSYS; return -1; }
mode_t umask(mode_t mask) { (void)mask; return 022; }
ENOSYS_INT(int chown(const char *p, uid_t o, gid_t g))
ENOSYS_INT(int lchown(const char *p, uid_t o, gid_t g))
ENOSYS_INT(int fchown(int fd, uid_t o, gid_t g))
/* a WASI program has no users: report the conventional "nobody" */
uid_t getuid(void) { return 65534; }
uid_t geteuid(void) { return 65534; }
gid_t getgid(void) { return 65534; }
gid_t getegid(void) { return 65534; }
int getgroups(int size, gid_t list[]) { (void)size; (void)list; return 0; }
ENOSYS_INT(int dup(int fd))
ENOSYS_INT(int dup2(int fd, int fd2))
int getdtablesize(void) { return 1024; }
char *mktemp(char *template_) {
    if (template_) template_[0] = 0;
    errno = ENOSYS;
    return template_;
}

ENOSYS_INT(int socket(int d, int t, int p))
ENOSYS_INT(int connect(int fd, const struct sockaddr *a, socklen_t l))
ENOSYS_INT(int bind(int fd, const struct sockaddr *a, socklen_t l))
ENOSYS_INT(int listen(int fd, int b))
ENOSYS_INT(int getsockname(int fd, struct sockaddr *__restrict a, socklen_t *__restrict l))
ENOSYS_INT(int getpeername(int fd, struct sockaddr *__restrict a, socklen_t *__restrict l))
ENOSYS_INT(ssize_t sendto(int fd, const void *b, size_t n, int f, const struct sockaddr *a,
                          socklen_t l))
ENOSYS_INT(ssize_t recvfrom(int fd, void *__restrict b, size_t n, int f,
                            struct sockaddr *__restrict a, socklen_t *__restrict l))
ENOSYS_INT(int setsockopt(int fd, int lv, int n, const void *v, socklen_t l))

/* no user or group database */
struct passwd *getpwnam(const char *name) { (void)name; errno = ENOSYS; return NULL; }
struct passwd *getpwuid(uid_t uid) { (void)uid; errno = ENOSYS; return NULL; }
struct group *getgrnam(const char *name) { (void)name; errno = ENOSYS; return NULL; }

/* no name service */
int getnameinfo(const struct sockaddr *__restrict sa, socklen_t salen, char *__restrict host,
                socklen_t hostlen, char *__restrict serv, socklen_t servlen, int flags) {
    (void)sa; (void)salen; (void)host; (void)hostlen; (void)serv; (void)servlen; (void)flags;
    return EAI_FAIL;
}
int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                    struct hostent **result, int *h_errnop) {
    (void)name; (void)ret; (void)buf; (void)buflen;
    *result = NULL;
    if (h_errnop) *h_errnop = NO_RECOVERY;
    return ENOSYS;
}

/* no system log: PHP's error_log goes to the SAPI (stderr) instead */
void openlog(const char *ident, int option, int facility) { (void)ident; (void)option; (void)facility; }
void closelog(void) {}
void syslog(int priority, const char *format, ...) { (void)priority; (void)format; }

/* Never reached: zend_fiber_init_context() refuses first (patches/zend_fibers.diff). */
int getcontext(struct __ucontext *ucp) { (void)ucp; abort(); }
void makecontext(struct __ucontext *ucp, void (*func)(), int argc, ...) {
    (void)ucp; (void)func; (void)argc;
    abort();
}
int swapcontext(struct __ucontext *o, const struct __ucontext *u) { (void)o; (void)u; abort(); }
