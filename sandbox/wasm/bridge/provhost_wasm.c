/*
 * provhost_wasm: the SAPI main of php.wasm and "the bridge" between PHP and the Python host.
 *
 * Why it exists: a WebAssembly module has no file descriptors to the host, only imports.
 * This file plays the role of sandbox/worker/phpworker.c inside the wasm sandbox: it starts
 * PHP (the embed SAPI, statically linked), then runs one php_request_startup() /
 * php_execute_script() / php_request_shutdown() cycle per request the host hands it, and
 * gives the shim the same three native functions with the same semantics:
 *     provhost_request(): string          the body of the current RUN frame
 *     provhost_call(string $body): string send a CALL frame, block for the RET frame
 *     provhost_finish(string $body): void the one outcome (DONE frame) of this request
 * Frame bodies are msgpack (docs/ipc.md); the host side (provhost_sandbox/wasm_worker.py)
 * relays them to and from the real frames on its pipes.
 *
 * Imports (module "provhost"), all synchronous:
 *     next_message(kind) -> len   block for the next RUN (1) or RET (2) body; -1: stop
 *     read_message(ptr)           copy that body into linear memory
 *     send_message(kind, ptr, len) -> 0 | -1 (too large)   a CALL (17) or DONE (18) body
 *
 * The wasm build has no pecl msgpack extension, so this file also provides msgpack_pack()
 * and msgpack_unpack() with the behaviour the shim relies on (msgpack.assoc=1,
 * php_only=0): lists <-> arrays, other arrays <-> maps, PHP strings -> msgpack str,
 * str and bin -> PHP strings.
 *
 * Usage (WASI argv): php.wasm SCRIPT INI_TEXT
 * Fresh-instance mode: the host answers the second next_message(RUN) with -1, so every
 * request gets a brand-new instance; pooled mode: the host keeps the instance.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sapi/embed/php_embed.h>
#include <main/php.h>
#include <main/SAPI.h>
#include <main/php_main.h>
#include <main/php_globals.h>
#include <main/php_streams.h>
#include <Zend/zend_exceptions.h>
#include <Zend/zend_smart_str.h>

#define KIND_RUN 1
#define KIND_RET 2
#define KIND_CALL 17
#define KIND_DONE 18
#define MAX_FRAME (64u * 1024u * 1024u)
#define STDERR_CAP_PER_REQUEST (64 * 1024)
#define MSGPACK_MAX_DEPTH 512

__attribute__((import_module("provhost"), import_name("next_message")))
int32_t host_next_message(int32_t kind);
__attribute__((import_module("provhost"), import_name("read_message")))
void host_read_message(void *ptr);
__attribute__((import_module("provhost"), import_name("send_message")))
int32_t host_send_message(int32_t kind, const void *ptr, int32_t len);

static char *request_body;
static size_t request_len;
static int finished;
static size_t stderr_written;
static char last_fatal[4096];

/* ---------- messages ---------- */

/* The body of the next message of `kind` in a malloc'd buffer, or NULL when the host says
 * stop (or has nothing valid to give: the host ends a broken conversation itself). */
static char *receive(int32_t kind, size_t *len) {
    int32_t n = host_next_message(kind);
    if (n < 0 || (uint32_t)n > MAX_FRAME) return NULL;
    char *body = malloc((size_t)n + 1);
    if (!body) return NULL;
    host_read_message(body);
    body[n] = 0;
    *len = (size_t)n;
    return body;
}

static int send_body(int32_t kind, const char *body, size_t len) {
    if (len > MAX_FRAME - 2) return -1;
    return host_send_message(kind, body, (int32_t)len) == 0 ? 0 : -1;
}

/* ---------- msgpack writer ---------- */

static void mp_byte(smart_str *out, unsigned char b) { smart_str_appendc(out, (char)b); }

static void mp_be(smart_str *out, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; i--) mp_byte(out, (unsigned char)(v >> (8 * i)));
}

static void mp_int(smart_str *out, int64_t v) {
    if (v >= 0) {
        if (v < 128) mp_byte(out, (unsigned char)v);
        else if (v < 256) { mp_byte(out, 0xcc); mp_be(out, (uint64_t)v, 1); }
        else if (v < 65536) { mp_byte(out, 0xcd); mp_be(out, (uint64_t)v, 2); }
        else if (v <= 0xffffffffLL) { mp_byte(out, 0xce); mp_be(out, (uint64_t)v, 4); }
        else { mp_byte(out, 0xcf); mp_be(out, (uint64_t)v, 8); }
    } else {
        if (v >= -32) mp_byte(out, (unsigned char)(0xe0 | (v + 32)));
        else if (v >= -128) { mp_byte(out, 0xd0); mp_be(out, (uint64_t)v, 1); }
        else if (v >= -32768) { mp_byte(out, 0xd1); mp_be(out, (uint64_t)v, 2); }
        else if (v >= -2147483648LL) { mp_byte(out, 0xd2); mp_be(out, (uint64_t)v, 4); }
        else { mp_byte(out, 0xd3); mp_be(out, (uint64_t)v, 8); }
    }
}

static void mp_str(smart_str *out, const char *s, size_t n) {
    if (n < 32) mp_byte(out, (unsigned char)(0xa0 | n));
    else if (n < 256) { mp_byte(out, 0xd9); mp_be(out, n, 1); }
    else if (n < 65536) { mp_byte(out, 0xda); mp_be(out, n, 2); }
    else { mp_byte(out, 0xdb); mp_be(out, n, 4); }
    smart_str_appendl(out, s, n);
}

static void mp_header(smart_str *out, size_t n, unsigned char fix, unsigned char b16) {
    if (n < 16) mp_byte(out, (unsigned char)(fix | n));
    else if (n < 65536) { mp_byte(out, b16); mp_be(out, n, 2); }
    else { mp_byte(out, (unsigned char)(b16 + 1)); mp_be(out, n, 4); }
}

static void mp_pack(smart_str *out, zval *v, int depth);

static void mp_pack_table(smart_str *out, HashTable *ht, int depth) {
    if (zend_array_is_list(ht)) {
        mp_header(out, zend_hash_num_elements(ht), 0x90, 0xdc);
        zval *item;
        ZEND_HASH_FOREACH_VAL(ht, item) { mp_pack(out, item, depth + 1); } ZEND_HASH_FOREACH_END();
        return;
    }
    mp_header(out, zend_hash_num_elements(ht), 0x80, 0xde);
    zend_ulong idx;
    zend_string *key;
    zval *item;
    ZEND_HASH_FOREACH_KEY_VAL(ht, idx, key, item) {
        if (key) mp_str(out, ZSTR_VAL(key), ZSTR_LEN(key));
        else mp_int(out, (int64_t)(zend_long)idx);
        mp_pack(out, item, depth + 1);
    } ZEND_HASH_FOREACH_END();
}

static void mp_pack(smart_str *out, zval *v, int depth) {
    ZVAL_DEREF(v);
    if (depth > MSGPACK_MAX_DEPTH) {
        php_error_docref(NULL, E_WARNING, "value nested deeper than %d levels; packed as nil",
                         MSGPACK_MAX_DEPTH);
        mp_byte(out, 0xc0);
        return;
    }
    switch (Z_TYPE_P(v)) {
    case IS_FALSE: mp_byte(out, 0xc2); break;
    case IS_TRUE: mp_byte(out, 0xc3); break;
    case IS_LONG: mp_int(out, (int64_t)Z_LVAL_P(v)); break;
    case IS_DOUBLE: {
        union { double d; uint64_t u; } c = {Z_DVAL_P(v)};
        mp_byte(out, 0xcb);
        mp_be(out, c.u, 8);
        break;
    }
    case IS_STRING: mp_str(out, Z_STRVAL_P(v), Z_STRLEN_P(v)); break;
    case IS_ARRAY: {
        HashTable *ht = Z_ARRVAL_P(v);
        if (!(GC_FLAGS(ht) & GC_IMMUTABLE)) {
            if (GC_IS_RECURSIVE(ht)) {
                php_error_docref(NULL, E_WARNING, "recursive array packed as nil");
                mp_byte(out, 0xc0);
                break;
            }
            GC_PROTECT_RECURSION(ht);
        }
        mp_pack_table(out, ht, depth);
        if (!(GC_FLAGS(ht) & GC_IMMUTABLE)) GC_UNPROTECT_RECURSION(ht);
        break;
    }
    case IS_OBJECT: { /* public properties, as a map */
        HashTable *props = zend_get_properties_for(v, ZEND_PROP_PURPOSE_ARRAY_CAST);
        if (!props) { mp_byte(out, 0x80); break; }
        size_t count = 0;
        zend_string *key;
        zval *item;
        ZEND_HASH_FOREACH_STR_KEY(props, key) {
            if (key && !(ZSTR_LEN(key) && ZSTR_VAL(key)[0] == 0)) count++; /* public only */
        } ZEND_HASH_FOREACH_END();
        mp_header(out, count, 0x80, 0xde);
        ZEND_HASH_FOREACH_STR_KEY_VAL(props, key, item) {
            if (!key || (ZSTR_LEN(key) && ZSTR_VAL(key)[0] == 0)) continue;
            mp_str(out, ZSTR_VAL(key), ZSTR_LEN(key));
            mp_pack(out, item, depth + 1);
        } ZEND_HASH_FOREACH_END();
        zend_release_properties(props);
        break;
    }
    default: mp_byte(out, 0xc0); /* null, resources, ... */
    }
}

/* ---------- msgpack reader ---------- */

typedef struct { const unsigned char *p, *end; } mp_in;

static int mp_need(mp_in *in, size_t n) { return (size_t)(in->end - in->p) >= n; }

static uint64_t mp_read_be(mp_in *in, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = (v << 8) | *in->p++;
    return v;
}

static void mp_set_uint(zval *out, uint64_t v) {
    if (v <= (uint64_t)ZEND_LONG_MAX) ZVAL_LONG(out, (zend_long)v);
    else ZVAL_DOUBLE(out, (double)v);
}

static void mp_set_int(zval *out, int64_t v) {
    if (v >= ZEND_LONG_MIN && v <= ZEND_LONG_MAX) ZVAL_LONG(out, (zend_long)v);
    else ZVAL_DOUBLE(out, (double)v);
}

static int mp_unpack(mp_in *in, zval *out, int depth);

static int mp_unpack_string(mp_in *in, zval *out, size_t n) {
    if (!mp_need(in, n)) return -1;
    ZVAL_STRINGL_FAST(out, (const char *)in->p, n);
    in->p += n;
    return 0;
}

static int mp_unpack_array(mp_in *in, zval *out, size_t n, int depth) {
    if (!mp_need(in, n)) return -1; /* every element takes at least one byte */
    array_init_size(out, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval item;
        if (mp_unpack(in, &item, depth + 1) != 0) return -1;
        zend_hash_next_index_insert(Z_ARRVAL_P(out), &item);
    }
    return 0;
}

static int mp_unpack_map(mp_in *in, zval *out, size_t n, int depth) {
    if (!mp_need(in, 2 * n)) return -1;
    array_init_size(out, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval key, item;
        if (mp_unpack(in, &key, depth + 1) != 0) return -1;
        if (mp_unpack(in, &item, depth + 1) != 0) { zval_ptr_dtor(&key); return -1; }
        switch (Z_TYPE(key)) {
        case IS_LONG: zend_hash_index_update(Z_ARRVAL_P(out), Z_LVAL(key), &item); break;
        case IS_STRING: zend_symtable_update(Z_ARRVAL_P(out), Z_STR(key), &item); break;
        case IS_NULL: zend_hash_str_update(Z_ARRVAL_P(out), "", 0, &item); break;
        case IS_FALSE: zend_hash_index_update(Z_ARRVAL_P(out), 0, &item); break;
        case IS_TRUE: zend_hash_index_update(Z_ARRVAL_P(out), 1, &item); break;
        case IS_DOUBLE:
            zend_hash_index_update(Z_ARRVAL_P(out), zend_dval_to_lval(Z_DVAL(key)), &item);
            break;
        default: /* arrays cannot be keys */
            zval_ptr_dtor(&key);
            zval_ptr_dtor(&item);
            return -1;
        }
        zval_ptr_dtor(&key);
    }
    return 0;
}

/* On failure `out` may hold a partial value: the caller destroys it. */
static int mp_unpack(mp_in *in, zval *out, int depth) {
    ZVAL_NULL(out);
    if (depth > MSGPACK_MAX_DEPTH || !mp_need(in, 1)) return -1;
    unsigned char b = *in->p++;
    if (b <= 0x7f) { ZVAL_LONG(out, b); return 0; }
    if (b >= 0xe0) { ZVAL_LONG(out, (int8_t)b); return 0; }
    if ((b & 0xe0) == 0xa0) return mp_unpack_string(in, out, b & 0x1f);
    if ((b & 0xf0) == 0x90) return mp_unpack_array(in, out, b & 0x0f, depth);
    if ((b & 0xf0) == 0x80) return mp_unpack_map(in, out, b & 0x0f, depth);
    static const int width[] = {
        /* c4 bin8 */ 1, 2, 4, /* c7 ext8.. */ -1, -1, -1, /* ca float32 */ 4, 8,
        /* cc uint */ 1, 2, 4, 8, /* d0 int */ 1, 2, 4, 8, /* d4 fixext */ -1, -1, -1, -1, -1,
        /* d9 str */ 1, 2, 4, /* dc array */ 2, 4, /* de map */ 2, 4,
    };
    switch (b) {
    case 0xc0: return 0;
    case 0xc2: ZVAL_FALSE(out); return 0;
    case 0xc3: ZVAL_TRUE(out); return 0;
    case 0xc1: return -1;
    }
    int w = width[b - 0xc4];
    if (w < 0 || !mp_need(in, (size_t)w)) return -1; /* ext types are not used on the wire */
    uint64_t v = mp_read_be(in, w);
    switch (b) {
    case 0xc4: case 0xc5: case 0xc6: case 0xd9: case 0xda: case 0xdb:
        return mp_unpack_string(in, out, (size_t)v);
    case 0xca: {
        union { uint32_t u; float f; } c = {(uint32_t)v};
        ZVAL_DOUBLE(out, c.f);
        return 0;
    }
    case 0xcb: {
        union { uint64_t u; double d; } c = {v};
        ZVAL_DOUBLE(out, c.d);
        return 0;
    }
    case 0xcc: case 0xcd: case 0xce: case 0xcf: mp_set_uint(out, v); return 0;
    case 0xd0: mp_set_int(out, (int8_t)v); return 0;
    case 0xd1: mp_set_int(out, (int16_t)v); return 0;
    case 0xd2: mp_set_int(out, (int32_t)v); return 0;
    case 0xd3: mp_set_int(out, (int64_t)v); return 0;
    case 0xdc: case 0xdd: return mp_unpack_array(in, out, (size_t)v, depth);
    default: return mp_unpack_map(in, out, (size_t)v, depth);
    }
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

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_msgpack_pack, 0, 1, IS_STRING, 0)
    ZEND_ARG_TYPE_INFO(0, value, IS_MIXED, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_msgpack_unpack, 0, 1, IS_MIXED, 0)
    ZEND_ARG_TYPE_INFO(0, data, IS_STRING, 0)
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
    if (send_body(KIND_CALL, body, len) != 0) {
        zend_throw_error(NULL, "provhost_call(): call too large");
        RETURN_THROWS();
    }
    size_t rlen;
    char *reply = receive(KIND_RET, &rlen);
    if (!reply) exit(3); /* the host broke the conversation: it ends this instance */
    RETVAL_STRINGL(reply, rlen);
    free(reply);
}

static void send_error_outcome(const char *message);

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
    if (send_body(KIND_DONE, body, len) != 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "the script's output is too large (%zu bytes; the limit is %u)",
                 len, MAX_FRAME - 64);
        send_error_outcome(msg);
    }
    finished = 1;
}

PHP_FUNCTION(msgpack_pack) {
    zval *value;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_ZVAL(value)
    ZEND_PARSE_PARAMETERS_END();
    smart_str out = {0};
    mp_pack(&out, value, 0);
    smart_str_0(&out);
    if (!out.s) RETURN_EMPTY_STRING();
    RETURN_STR(out.s);
}

PHP_FUNCTION(msgpack_unpack) {
    char *data;
    size_t len;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_STRING(data, len)
    ZEND_PARSE_PARAMETERS_END();
    mp_in in = {(const unsigned char *)data, (const unsigned char *)data + len};
    if (mp_unpack(&in, return_value, 0) != 0 || in.p != in.end) {
        zval_ptr_dtor(return_value);
        php_error_docref(NULL, E_WARNING, "data is not exactly one msgpack value");
        RETURN_FALSE;
    }
}

static const zend_function_entry provhost_functions[] = {
    ZEND_FE(provhost_request, arginfo_provhost_request)
    ZEND_FE(provhost_call, arginfo_provhost_call)
    ZEND_FE(provhost_finish, arginfo_provhost_finish)
    ZEND_FE(msgpack_pack, arginfo_msgpack_pack)
    ZEND_FE(msgpack_unpack, arginfo_msgpack_unpack)
    ZEND_FE_END
};

/* ---------- the worker's own fallback outcome ---------- */

static void send_error_outcome(const char *message) {
    smart_str out = {0};
    size_t mlen = strlen(message);
    if (mlen > 60000) mlen = 60000;
    mp_byte(&out, 0x82);
    mp_str(&out, "action", 6);
    mp_str(&out, "error", 5);
    mp_str(&out, "error", 5);
    mp_str(&out, message, mlen);
    smart_str_0(&out);
    send_body(KIND_DONE, ZSTR_VAL(out.s), ZSTR_LEN(out.s));
    smart_str_free(&out);
}

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

/* php://fd/N, php://stdin and php://stdout are refused, as in the native worker: the WASI
 * descriptors behind them are the preopened directories and the host's stdio. */
static const php_stream_wrapper *orig_php_wrapper;
static php_stream_wrapper_ops guarded_php_ops;
static php_stream_wrapper guarded_php_wrapper;

static php_stream *guarded_php_opener(php_stream_wrapper *wrapper, const char *path,
                                      const char *mode, int options, zend_string **opened,
                                      php_stream_context *context STREAMS_DC) {
    (void)wrapper;
    const char *p = path;
    if (!strncasecmp(p, "php://", 6)) p += 6;
    if (!strncasecmp(p, "fd", 2) || !strncasecmp(p, "stdin", 5) || !strncasecmp(p, "stdout", 6)) {
        php_error_docref(NULL, E_WARNING, "php://%s is not available in the sandbox", p);
        return NULL;
    }
    return orig_php_wrapper->wops->stream_opener((php_stream_wrapper *)orig_php_wrapper, path,
                                                 mode, options, opened, context STREAMS_REL_CC);
}

static int guard_php_wrapper(void) {
    HashTable *wrappers = php_stream_get_url_stream_wrappers_hash_global();
    orig_php_wrapper = zend_hash_str_find_ptr(wrappers, "php", 3);
    if (!orig_php_wrapper) return -1;
    guarded_php_ops = *orig_php_wrapper->wops;
    guarded_php_ops.stream_opener = guarded_php_opener;
    guarded_php_wrapper = *orig_php_wrapper;
    guarded_php_wrapper.wops = &guarded_php_ops;
    php_unregister_url_stream_wrapper("php");
    return php_register_url_stream_wrapper("php", &guarded_php_wrapper) == SUCCESS ? 0 : -1;
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
    if (argc != 3) {
        fprintf(stderr, "provhost_wasm: usage: php.wasm SCRIPT INI_TEXT\n");
        return 64;
    }
    const char *script = argv[1];
    sapi_module_struct *m = &php_embed_module;
    m->php_ini_ignore = 1;
    m->php_ini_ignore_cwd = 1;
    m->additional_functions = provhost_functions;
    m->ub_write = worker_ub_write;
    m->flush = worker_flush;
    m->log_message = worker_log_message;
    m->executable_location = NULL;
    m->name = "cli";
    sapi_startup(m);
    m->ini_entries = strdup(argv[2]);
    if (m->startup(m) == FAILURE) {
        fprintf(stderr, "provhost_wasm: PHP failed to start\n");
        return 70;
    }
    if (guard_php_wrapper() != 0) {
        fprintf(stderr, "provhost_wasm: cannot guard php://\n");
        return 67;
    }
    SG(options) |= SAPI_OPTION_NO_CHDIR;
    for (;;) {
        size_t len;
        char *body = receive(KIND_RUN, &len);
        if (!body) break;
        request_body = body;
        request_len = len;
        run_one(script);
        request_body = NULL;
        request_len = 0;
        free(body);
    }
    /* no php_module_shutdown(): the instance is discarded, which frees everything at once */
    return 0;
}
