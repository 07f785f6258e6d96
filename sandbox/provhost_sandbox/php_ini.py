"""The PHP settings of a sandboxed worker: the inner isolation layer.

The system php.ini never applies (the worker sets php_ini_ignore); this text is the whole
configuration.  It matters even though bwrap and seccomp already confine the process: it keeps
module authors' mistakes and attacks to clear PHP errors ("Call to undefined function exec()",
"open_basedir restriction in effect") instead of opaque EPERMs.
"""

from __future__ import annotations

EXTENSION_DIR = "/usr/lib/php/20220829"
SANDBOX_READABLE = ("/module", "/compiled", "/firmware", "/shim", "/tmp")

# Every function that starts processes, signals, changes process state or reaches the network.
# Most do not even exist in our build (posix, pcntl, sockets are not loaded); listing them keeps
# the policy correct if the build changes.
DISABLED_FUNCTIONS = (
    "exec", "system", "passthru", "shell_exec", "proc_open", "proc_close", "proc_terminate",
    "proc_get_status", "proc_nice", "popen", "pclose", "dl", "putenv", "mail", "link",
    "symlink", "chown", "chgrp", "lchown", "lchgrp", "set_time_limit", "ignore_user_abort",
    "fsockopen", "pfsockopen", "stream_socket_client", "stream_socket_server",
    "stream_socket_pair", "stream_socket_accept", "socket_create", "socket_create_pair",
    "socket_create_listen", "curl_init", "curl_exec", "curl_multi_exec", "ftp_connect",
    "ftp_ssl_connect", "gethostbyname", "gethostbynamel", "getmxrr", "dns_get_record",
    "dns_check_record", "checkdnsrr", "syslog", "openlog", "header", "setcookie",
    "posix_kill", "posix_setuid", "posix_setgid", "posix_setsid", "posix_mkfifo", "posix_mknod",
    "pcntl_fork", "pcntl_exec", "pcntl_signal", "pcntl_alarm", "pcntl_waitpid", "pcntl_wait",
    "pcntl_unshare", "pcntl_setpriority", "pcntl_rfork", "pcntl_signal_dispatch",
    "opcache_reset", "opcache_invalidate", "opcache_compile_file", "opcache_get_status",
    "opcache_get_configuration", "phpinfo", "getmypid", "getmyuid", "get_current_user",
    "disk_free_space", "disk_total_space", "highlight_file", "show_source", "php_uname",
)


def php_ini(
    *, memory_limit_mib: int = 64, max_execution_time: int = 30, opcache_mib: int = 32
) -> str:
    """The complete ini text the worker starts PHP with (one `key=value` per line)."""
    settings = {
        "extension_dir": EXTENSION_DIR,
        "zend_extension": "opcache.so",
        "extension": "msgpack.so",
        "engine": "1",
        "short_open_tag": "0",
        "expose_php": "0",
        "enable_dl": "0",
        "file_uploads": "0",
        "register_argc_argv": "0",
        "auto_prepend_file": "",
        "auto_append_file": "",
        "allow_url_fopen": "0",
        "allow_url_include": "0",
        "open_basedir": ":".join(SANDBOX_READABLE),
        "disable_functions": ",".join(DISABLED_FUNCTIONS),
        "disable_classes": "FFI",
        "ffi.enable": "0",
        "memory_limit": f"{memory_limit_mib}M",
        "max_execution_time": str(max_execution_time),
        "max_input_time": "-1",
        "display_errors": "0",
        "display_startup_errors": "0",
        "log_errors": "1",
        "html_errors": "0",
        "error_reporting": "32767",
        "output_buffering": "0",
        "implicit_flush": "0",
        "date.timezone": "UTC",
        "default_charset": "UTF-8",
        "sys_temp_dir": "/tmp",
        "upload_tmp_dir": "/tmp",
        "session.save_path": "/tmp",
        "zend.enable_gc": "1",
        "pcre.jit": "1",
        "opcache.enable": "1",
        "opcache.enable_cli": "1",  # the worker registers as "cli" for opcache's sake
        "opcache.memory_consumption": str(opcache_mib),
        "opcache.interned_strings_buffer": "4",
        "opcache.max_accelerated_files": "4000",
        "opcache.validate_timestamps": "0",
        "opcache.file_update_protection": "0",  # module files are immutable per version
        "opcache.file_cache": "",
        "opcache.file_cache_only": "0",
        "opcache.blacklist_filename": "/shim/opcache-blacklist.txt",
        "opcache.restrict_api": "/shim/",
        "opcache.jit": "off",
        "opcache.preload": "",
        "opcache.log_verbosity_level": "1",
        "msgpack.assoc": "1",
        "msgpack.php_only": "0",
    }
    return "".join(f"{k}={_quote(v)}\n" for k, v in settings.items())


def _quote(value: str) -> str:
    if value == "" or any(c in value for c in " ;:=,\"'&|!~^()"):
        return '"' + value.replace('"', "") + '"'
    return value
