/*
 * phpworker: a persistent PHP worker with a php-fpm-like per-request lifecycle.
 *
 * Why it exists: spawning a sandboxed php per request is slow, and a persistent php that
 * includes scripts in a loop leaks state between requests.  This worker starts the PHP
 * engine once (embed SAPI, opcache in private SHM) and then, for every request the host
 * sends, runs a full php_request_startup() / php_execute_script() / php_request_shutdown()
 * cycle, so globals, functions, classes, statics and ini_set() changes die with the request.
 *
 * Wire: length-prefixed frames on two dedicated fds (see docs/ipc.md):
 *     u32 big-endian N | u8 version | u8 kind | N-2 bytes msgpack body
 * The worker never parses the msgpack it transports, except to write its own fallback
 * error outcome.  PHP code reaches the channel only through three native functions:
 *     provhost_request(): string          the body of the current run frame
 *     provhost_call(string $body): string send a call frame, block for the ret frame
 *     provhost_finish(string $body): void the one outcome frame of this request
 *
 * Usage: phpworker --in FD --out FD --script PATH --ini TEXT [--limits CPU,AS,NOFILE,FSIZE]
 *                  [--no-seccomp] [--clean-dir DIR]   (DIR emptied after each request)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sched.h>

#include <sapi/embed/php_embed.h>
#include <main/php.h>
#include <main/SAPI.h>
#include <main/php_main.h>
#include <main/php_globals.h>
#include <Zend/zend_exceptions.h>

#define WIRE_VERSION 1
#define KIND_RUN 1
#define KIND_RET 2
#define KIND_READY 16
#define KIND_CALL 17
#define KIND_DONE 18
#define MAX_FRAME (64u * 1024u * 1024u)
#define STDERR_CAP_PER_REQUEST (64 * 1024)

static int in_fd = -1, out_fd = -1;
static char *request_body;
static size_t request_len;
static int finished;
static size_t stderr_written;
static char last_fatal[4096]; /* the last fatal error PHP logged in this request */

/* ---------- frame I/O (blocking; any failure means the host is gone or hostile) ---------- */

static void die_quietly(int code) { _exit(code); }

static void read_full(void *buf, size_t n) {
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(in_fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die_quietly(r == 0 ? 0 : 2);
        p += r;
        n -= (size_t)r;
    }
}

static void write_full(const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(out_fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) die_quietly(2);
        p += w;
        n -= (size_t)w;
    }
}

static int send_frame(uint8_t kind, const char *body, size_t len) {
    if (len > MAX_FRAME - 2) return -1;
    uint32_t n = (uint32_t)len + 2;
    unsigned char hdr[6] = {n >> 24, n >> 16, n >> 8, n, WIRE_VERSION, kind};
    write_full(hdr, sizeof hdr);
    write_full(body, len);
    return 0;
}

/* Returns the body in a malloc'd buffer; a malformed frame from the host ends the worker. */
static char *recv_frame(uint8_t *kind, size_t *len) {
    unsigned char hdr[6];
    read_full(hdr, sizeof hdr);
    uint32_t n = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) | ((uint32_t)hdr[2] << 8) | hdr[3];
    if (n < 2 || n > MAX_FRAME || hdr[4] != WIRE_VERSION) die_quietly(3);
    *kind = hdr[5];
    *len = n - 2;
    char *body = malloc(*len + 1);
    if (!body) die_quietly(4);
    read_full(body, *len);
    body[*len] = 0;
    return body;
}

/* ---------- a minimal msgpack writer, only for the worker's own fallback outcome ---------- */

static size_t mp_str(unsigned char *out, const char *s, size_t n) {
    size_t o = 0;
    if (n < 32) out[o++] = 0xa0 | (unsigned char)n;
    else if (n < 256) { out[o++] = 0xd9; out[o++] = (unsigned char)n; }
    else if (n < 65536) { out[o++] = 0xda; out[o++] = n >> 8; out[o++] = n; }
    else { out[o++] = 0xdb; out[o++] = n >> 24; out[o++] = n >> 16; out[o++] = n >> 8; out[o++] = n; }
    memcpy(out + o, s, n);
    return o + n;
}

static void send_error_outcome(const char *message) {
    size_t mlen = strlen(message);
    if (mlen > 60000) mlen = 60000;
    unsigned char *buf = malloc(mlen + 64);
    if (!buf) die_quietly(4);
    size_t o = 0;
    buf[o++] = 0x82; /* map of 2 */
    o += mp_str(buf + o, "action", 6);
    o += mp_str(buf + o, "error", 5);
    o += mp_str(buf + o, "error", 5);
    o += mp_str(buf + o, message, mlen);
    send_frame(KIND_DONE, (const char *)buf, o);
    free(buf);
}

/* ---------- the native functions PHP sees ---------- */

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_provhost_request, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_provhost_call, 0, 1, IS_STRING, 0)
    ZEND_ARG_TYPE_INFO(0, body, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_provhost_finish, 0, 1, IS_VOID, 0)
    ZEND_ARG_TYPE_INFO(0, body, IS_STRING, 0)
ZEND_END_ARG_INFO()

PHP_FUNCTION(provhost_request) {
    ZEND_PARSE_PARAMETERS_NONE();
    RETURN_STRINGL(request_body ? request_body : "", request_len);
}

PHP_FUNCTION(provhost_call) {
    char *body;
    size_t len;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_STRING(body, len)
    ZEND_PARSE_PARAMETERS_END();
    if (finished) {
        zend_throw_error(NULL, "provhost_call(): the request already has its outcome");
        RETURN_THROWS();
    }
    if (send_frame(KIND_CALL, body, len) != 0) {
        zend_throw_error(NULL, "provhost_call(): call too large");
        RETURN_THROWS();
    }
    uint8_t kind;
    size_t rlen;
    char *reply = recv_frame(&kind, &rlen);
    if (kind != KIND_RET) die_quietly(3);
    RETVAL_STRINGL(reply, rlen);
    free(reply);
}

PHP_FUNCTION(provhost_finish) {
    char *body;
    size_t len;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_STRING(body, len)
    ZEND_PARSE_PARAMETERS_END();
    if (finished) {
        zend_throw_error(NULL, "provhost_finish(): the request already has its outcome");
        RETURN_THROWS();
    }
    if (send_frame(KIND_DONE, body, len) != 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "the script's output is too large (%zu bytes; the limit is %u)",
                 len, MAX_FRAME - 64);
        send_error_outcome(msg);
    }
    finished = 1;
}

static const zend_function_entry provhost_functions[] = {
    ZEND_FE(provhost_request, arginfo_provhost_request)
    ZEND_FE(provhost_call, arginfo_provhost_call)
    ZEND_FE(provhost_finish, arginfo_provhost_finish)
    ZEND_FE_END
};

/* ---------- SAPI callbacks: output is discarded (the shim buffers what it needs) ---------- */

static size_t worker_ub_write(const char *str, size_t len) {
    (void)str;
    return len;
}

static void worker_flush(void *ctx) { (void)ctx; }

static void worker_log_message(const char *message, int syslog_type) {
    (void)syslog_type;
    if (!strncmp(message, "PHP Fatal error:", 16)) snprintf(last_fatal, sizeof last_fatal, "%s", message);
    if (stderr_written > STDERR_CAP_PER_REQUEST) return;
    size_t n = strlen(message);
    stderr_written += n + 1;
    (void)!write(2, message, n);
    (void)!write(2, "\n", 1);
}

/* ---------- isolation the worker applies to itself ---------- */

/* Because we run under the SAPI name "cli" (for opcache), php://fd/N would be open to
 * scripts and hand them the IPC descriptors.  Wrap the php:// stream wrapper so fd/ paths
 * are refused; php://memory, php://temp, php://output keep working. */
static const php_stream_wrapper *orig_php_wrapper;
static php_stream_wrapper_ops guarded_php_ops;
static php_stream_wrapper guarded_php_wrapper;

static php_stream *guarded_php_opener(php_stream_wrapper *wrapper, const char *path,
                                      const char *mode, int options, zend_string **opened,
                                      php_stream_context *context STREAMS_DC) {
    const char *p = path;
    if (!strncasecmp(p, "php://", 6)) p += 6;
    if (!strncasecmp(p, "fd", 2) || !strncasecmp(p, "stdin", 5) || !strncasecmp(p, "stdout", 6)) {
        php_error_docref(NULL, E_WARNING, "php://%s is not available in the sandbox", p);
        return NULL;
    }
    return orig_php_wrapper->wops->stream_opener((php_stream_wrapper *)orig_php_wrapper, path,
                                                 mode, options, opened, context STREAMS_REL_CC);
}

static void guard_php_wrapper(void) {
    HashTable *wrappers = php_stream_get_url_stream_wrappers_hash_global();
    orig_php_wrapper = zend_hash_str_find_ptr(wrappers, "php", 3);
    if (!orig_php_wrapper) { fprintf(stderr, "phpworker: no php:// wrapper\n"); exit(67); }
    guarded_php_ops = *orig_php_wrapper->wops;
    guarded_php_ops.stream_opener = guarded_php_opener;
    guarded_php_wrapper = *orig_php_wrapper;
    guarded_php_wrapper.wops = &guarded_php_ops;
    php_unregister_url_stream_wrapper("php");
    if (php_register_url_stream_wrapper("php", &guarded_php_wrapper) != SUCCESS) {
        fprintf(stderr, "phpworker: cannot guard php://\n");
        exit(67);
    }
}

static void apply_limits(const char *spec) {
    unsigned long long v[4] = {0, 0, 0, 0};
    if (sscanf(spec, "%llu,%llu,%llu,%llu", &v[0], &v[1], &v[2], &v[3]) != 4) {
        fprintf(stderr, "phpworker: bad --limits '%s'\n", spec);
        exit(64);
    }
    int res[4] = {RLIMIT_CPU, RLIMIT_AS, RLIMIT_NOFILE, RLIMIT_FSIZE};
    for (int i = 0; i < 4; i++) {
        if (v[i] == 0) continue;
        struct rlimit rl = {v[i], v[i]};
        if (setrlimit(res[i], &rl) != 0) { perror("phpworker: setrlimit"); exit(65); }
    }
    struct rlimit core = {0, 0};
    setrlimit(RLIMIT_CORE, &core);
    signal(SIGXFSZ, SIG_IGN); /* an oversized write fails with EFBIG instead of killing us */
}

#define DENY(nr, err) \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err))

/* The second seccomp layer, installed after PHP started: no new programs, no new processes,
 * no sockets, no signals to other processes.  Threads stay allowed (clone with CLONE_THREAD). */
static void install_inner_seccomp(void) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        DENY(__NR_execve, EPERM),
        DENY(__NR_execveat, EPERM),
        DENY(__NR_fork, EPERM),
        DENY(__NR_vfork, EPERM),
        DENY(__NR_clone3, ENOSYS),
        DENY(__NR_socket, EPERM),
        DENY(__NR_socketpair, EPERM),
        DENY(__NR_connect, EPERM),
        DENY(__NR_bind, EPERM),
        DENY(__NR_listen, EPERM),
        DENY(__NR_accept, EPERM),
        DENY(__NR_accept4, EPERM),
        DENY(__NR_kill, EPERM),
        DENY(__NR_tkill, EPERM),
        DENY(__NR_ptrace, EPERM),
        DENY(__NR_process_vm_readv, EPERM),
        DENY(__NR_process_vm_writev, EPERM),
        DENY(__NR_setsid, EPERM),
        DENY(__NR_prctl, EPERM),
        /* clone: allowed only for threads */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        perror("phpworker: seccomp");
        exit(66);
    }
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    if (ftw->level == 0) return 0;
    remove(path);
    return 0;
}

/* Everything a request wrote to the sandbox's private /tmp goes with the request.  Only
 * with an explicit --clean-dir (the sandbox launcher passes it): never on a host /tmp. */
static const char *clean_dir;
static void empty_tmp(void) {
    if (clean_dir) nftw(clean_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---------- the request loop ---------- */

static void run_one(const char *script) {
    finished = 0;
    stderr_written = 0;
    last_fatal[0] = 0;
    if (php_request_startup() == FAILURE) {
        send_error_outcome("the PHP request could not start");
        return;
    }
    SG(headers_sent) = 1;
    SG(request_info).no_headers = 1;
    zend_file_handle fh;
    zend_stream_init_filename(&fh, script);
    php_execute_script(&fh);
    zend_destroy_file_handle(&fh);
    /* Shutdown functions (the shim's among them) may still send the outcome; remember the
     * last error now, because request shutdown forgets it. */
    char msg[4096];
    if (PG(last_error_message)) {
        snprintf(msg, sizeof msg, "PHP error: %s in %s on line %d",
                 ZSTR_VAL(PG(last_error_message)),
                 PG(last_error_file) ? ZSTR_VAL(PG(last_error_file)) : "?",
                 PG(last_error_lineno));
    } else {
        snprintf(msg, sizeof msg, "the script ended without an outcome");
    }
    php_request_shutdown(NULL);
    if (!finished) {
        send_error_outcome(last_fatal[0] ? last_fatal : msg);
        finished = 1;
    }
}

int main(int argc, char **argv) {
    const char *script = NULL, *ini = NULL, *limits = NULL;
    int seccomp = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--in") && i + 1 < argc) in_fd = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) out_fd = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--script") && i + 1 < argc) script = argv[++i];
        else if (!strcmp(argv[i], "--ini") && i + 1 < argc) ini = argv[++i];
        else if (!strcmp(argv[i], "--limits") && i + 1 < argc) limits = argv[++i];
        else if (!strcmp(argv[i], "--no-seccomp")) seccomp = 0;
        else if (!strcmp(argv[i], "--clean-dir") && i + 1 < argc) clean_dir = argv[++i];
        else { fprintf(stderr, "phpworker: unknown argument '%s'\n", argv[i]); return 64; }
    }
    if (in_fd < 3 || out_fd < 3 || !script || !ini) {
        fprintf(stderr, "phpworker: --in FD --out FD --script PATH --ini TEXT are required\n");
        return 64;
    }
    /* stdin/stdout are never the channel: point them at /dev/null */
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) { dup2(devnull, 0); dup2(devnull, 1); if (devnull > 2) close(devnull); }
    /* close every inherited fd that is not ours */
    for (int fd = 3; fd < 1024; fd++)
        if (fd != in_fd && fd != out_fd) close(fd);
    if (limits) apply_limits(limits);

    /* php_ini_ignore + our own ini text: the system php.ini never applies */
    sapi_module_struct *m = &php_embed_module;
    m->php_ini_ignore = 1;
    m->php_ini_ignore_cwd = 1;
    m->additional_functions = provhost_functions;
    m->ub_write = worker_ub_write;
    m->flush = worker_flush;
    m->log_message = worker_log_message;
    m->executable_location = argv[0];
    /* opcache only accepts a fixed list of SAPI names ("embed" is not one); under the name
     * "cli" it caches when opcache.enable_cli=1, in this process's private SHM. */
    m->name = "cli";
    zend_signal_startup();
    sapi_startup(m);
    m->ini_entries = strdup(ini); /* after sapi_startup(), which resets it */
    if (m->startup(m) == FAILURE) {
        fprintf(stderr, "phpworker: PHP failed to start\n");
        return 70;
    }
    guard_php_wrapper();
    SG(options) |= SAPI_OPTION_NO_CHDIR;
    if (seccomp) install_inner_seccomp();

    char ready[64];
    size_t o = 0;
    ready[o++] = 0x81;
    o += mp_str((unsigned char *)ready + o, "php", 3);
    o += mp_str((unsigned char *)ready + o, PHP_VERSION, strlen(PHP_VERSION));
    send_frame(KIND_READY, ready, o);

    for (;;) {
        uint8_t kind;
        size_t len;
        char *body = recv_frame(&kind, &len);
        if (kind != KIND_RUN) die_quietly(3);
        request_body = body;
        request_len = len;
        run_one(script);
        request_body = NULL;
        request_len = 0;
        free(body);
        empty_tmp();
    }
}
