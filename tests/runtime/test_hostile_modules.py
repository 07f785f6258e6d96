"""Hostile module scripts: every attack is contained and the pool keeps answering."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import trio
from provhost.runtime.interface import Action, ScriptCall, ScriptKind
from provhost.runtime.native import NativeConfig, NativeRuntime

from .conftest import ModuleDir, RecordingBroker, provider


@pytest.fixture
async def pool(module: ModuleDir):
    module.script("providers/ok.php", "sendOk();")
    async with NativeRuntime(NativeConfig(workers_per_pool=1)) as rt:
        p = await rt.open_pool(module.image)
        yield p


async def attack(pool, module: ModuleDir, body: str, timeout: float = 10.0, **variables):
    """Run `body` as a provider; then prove the pool still serves an innocent request."""
    script = module.script("providers/evil.php", body)
    broker = RecordingBroker()
    outcome = await pool.run(ScriptCall(ScriptKind.PROVIDER, script, variables, timeout), broker)
    innocent = await pool.run(provider("providers/ok.php"), RecordingBroker())
    assert innocent.action is Action.OK, innocent.error
    return outcome, {args[0]: args[1] for fn, args in broker.calls if fn == "setMarker"}


async def test_reading_etc_shadow_fails(pool, module):
    out, m = await attack(pool, module, """
        setMarker('php', @file_get_contents('/etc/shadow'));
        ini_set('open_basedir', '/');
        setMarker('after_ini', @file_get_contents('/etc/shadow'));
        setMarker('passwd', @file_get_contents('/etc/passwd'));
        sendOk();
    """)
    assert out.action is Action.OK
    assert m == {"php": False, "after_ini": False, "passwd": False}


async def test_reading_another_module_or_host_data_fails(pool, module, tmp_path: Path):
    secret = tmp_path / "other_module" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("s3cret")
    out, m = await attack(pool, module, """
        setMarker('direct', @file_get_contents($SECRET));
        setMarker('traversal', @file_get_contents('/module/../' . $SECRET));
        setMarker('glob', glob(dirname($SECRET) . '/*'));
        sendOk();
    """, SECRET=str(secret))
    assert out.action is Action.OK
    assert m["direct"] is False and m["traversal"] is False and not m["glob"]


async def test_no_network_even_to_loopback(pool, module):
    connected: list[bool] = []

    async def handler(stream: trio.SocketStream) -> None:
        connected.append(True)
        await stream.aclose()

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
        port = listeners[0].socket.getsockname()[1]
        out, m = await attack(pool, module, """
            $url = "http://127.0.0.1:$PORT/";
            setMarker('fopen', @file_get_contents($url));
            $r = [];
            foreach (['fsockopen', 'stream_socket_client', 'socket_create', 'curl_init'] as $f)
                // the shim's socket_* emulation goes through the host (connectPhone),
                // refused to providers; no native network function may exist
                $r[$f] = function_exists($f) && !(new ReflectionFunction($f))->isUserDefined();
            setMarker('functions', $r);
            $s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
            setMarker('emulated', @socket_connect($s, '127.0.0.1', $PORT));
            try { new SplFileObject($url); $o = 'opened'; } catch (Throwable $e) { $o = 'refused'; }
            setMarker('spl', $o);
            sendOk();
        """, PORT=port)
        nursery.cancel_scope.cancel()
    assert out.action is Action.OK, out.error
    assert m["fopen"] is False and m["spl"] == "refused"
    assert not any(m["functions"].values())
    assert m["emulated"] is False  # connectPhone() is not available to a provider
    assert connected == []


@pytest.mark.parametrize("call", [
    "exec('id')", "shell_exec('id')", "system('id')", "passthru('id')",
    "proc_open('id', [], $p)", "popen('id', 'r')", "pcntl_fork()", "pcntl_exec('/bin/sh')",
    "posix_kill(1, 9)", "dl('sockets.so')", "putenv('X=1')",
])
async def test_process_and_signal_functions_do_not_exist(pool, module, call):
    out, _ = await attack(pool, module, f"{call}; sendOk();")
    assert out.action is Action.ERROR
    assert "Call to undefined function" in out.error and "providers/evil.php line 2" in out.error


async def test_fork_bomb_is_stopped(pool, module):
    out, _ = await attack(pool, module, """
        while (true) { $pid = pcntl_fork(); }
    """)
    assert out.action is Action.ERROR and "pcntl_fork" in out.error


async def test_endless_loop_hits_deadline_and_next_request_is_served(pool, module):
    out, _ = await attack(pool, module, "while (true) {}", timeout=0.5)
    assert out.action is Action.ERROR and "time limit of 0.5 s" in out.error
    assert pool.stats()["timeouts"] == 1


async def test_memory_bomb(pool, module):
    out, _ = await attack(pool, module, """
        $a = []; while (true) { $a[] = str_repeat('x', 1 << 20); }
    """)
    assert out.action is Action.ERROR and "Allowed memory size" in out.error


async def test_huge_output_is_capped(pool, module):
    out, _ = await attack(pool, module, """
        $chunk = str_repeat('x', 1 << 16);
        for ($i = 0; $i < 200; $i++) echo $chunk;
    """)
    assert out.action is Action.ERROR and "more than 8388608 bytes of output" in out.error


async def test_huge_template_is_capped(pool, module):
    module.template("big", "<?php for ($i = 0; $i < 200; $i++) echo str_repeat('y', 65536); ?>")
    out, _ = await attack(pool, module, "sendTemplate('big');")
    assert out.action is Action.ERROR and "templates/big.tpl produced more than" in out.error


async def test_writing_into_own_module_dir_fails(pool, module):
    _out, m = await attack(pool, module, """
        setMarker('write', @file_put_contents('/module/providers/evil2.php', '<?php'));
        setMarker('unlink', @unlink('/module/providers/ok.php'));
        setMarker('compiled', @file_put_contents('/compiled/templates/x.php', 'x'));
        sendOk();
    """)
    assert m == {"write": False, "unlink": False, "compiled": False}
    assert not (module.files / "providers" / "evil2.php").exists()
    assert (module.files / "providers" / "ok.php").exists()


async def test_proc_is_absent_and_no_process_introspection(pool, module):
    _out, m = await attack(pool, module, """
        setMarker('environ', @file_get_contents('/proc/self/environ'));
        setMarker('status', @file_get_contents('/proc/1/status'));
        setMarker('getmypid', function_exists('getmypid'));
        setMarker('posix', function_exists('posix_getpid'));
        sendOk();
    """)
    assert m == {"environ": False, "status": False, "getmypid": False, "posix": False}


async def test_ffi_is_unavailable(pool, module):
    out, _ = await attack(pool, module, """
        $ffi = FFI::cdef('int getpid(void);', 'libc.so.6');
        sendOk();
    """)
    assert out.action is Action.ERROR and 'Class "FFI" not found' in out.error


async def test_crash_by_unbounded_recursion(pool, module):
    out, _ = await attack(pool, module, """
        function f($n) { return array_map('f', [$n + 1]); }
        f(0);
    """, timeout=20.0)
    assert out.action is Action.ERROR
    assert "killed by a crash (SIGSEGV" in out.error, out.error
    assert pool.stats()["crashed"] == 1


async def test_recursion_in_php_frames_hits_memory_limit(pool, module):
    out, _ = await attack(pool, module, "function f($n) { return f($n + 1) + 1; } f(0);")
    assert out.action is Action.ERROR and "Allowed memory size" in out.error, out.error


async def test_no_state_leaks_into_next_request(pool, module):
    module.script("providers/set.php", """
        $GLOBALS['leak_global'] = 'x';
        function leaked_function() {}
        class LeakedClass {}
        function counter() { static $n = 0; return ++$n; }
        counter(); counter();
        ini_set('precision', '3');
        file_put_contents('/tmp/leak.txt', 'x');
        define('LEAK_CONST', 1);
        sendOk();
    """)
    module.script("providers/check.php", """
        function counter() { static $n = 0; return ++$n; }
        setMarker('state', [
            isset($leak_global), function_exists('leaked_function'), class_exists('LeakedClass'),
            counter(), ini_get('precision'), file_exists('/tmp/leak.txt'), defined('LEAK_CONST'),
        ]);
        sendOk();
    """)
    assert (await pool.run(provider("providers/set.php"), RecordingBroker())).action is Action.OK
    broker = RecordingBroker()
    out = await pool.run(provider("providers/check.php"), broker)
    assert out.action is Action.OK, out.error
    assert broker.calls == [("setMarker", ["state", [False, False, False, 1, "14", False, False]])]
    assert pool.stats()["started"] == 1  # the same worker served both


async def test_garbage_outcome_from_php_kills_only_that_worker(pool, module):
    out, _ = await attack(pool, module, "provhost_finish('not msgpack'); ")
    assert out.action is Action.ERROR
    assert "protocol violation" in out.error


async def test_double_finish_is_refused(pool, module):
    out, _ = await attack(pool, module, """
        provhost_finish(msgpack_pack(['action' => 'ok']));
        provhost_finish(msgpack_pack(['action' => 'pass']));
    """)
    assert out.action is Action.OK


async def test_ipc_descriptors_are_not_reachable_from_php(pool, module):
    out, m = await attack(pool, module, """
        $r = [];
        foreach (['php://fd/3', 'php://fd/4', 'PHP://FD/4', 'php://stdout', 'php://stdin',
                  '/dev/fd/4', '/proc/self/fd/4'] as $path) {
            $fh = @fopen($path, 'w');
            if ($fh) { fwrite($fh, str_repeat("\\xff", 64)); }
            $r[] = $fh !== false;
        }
        setMarker('opened', $r);
        sendOk();
    """)
    assert out.action is Action.OK, out.error
    assert m == {"opened": [False] * 7}


async def test_opcache_api_is_closed_and_tmp_scripts_are_never_cached(pool, module):
    body = """
        setMarker('api', [function_exists('opcache_get_status'), function_exists('opcache_reset')]);
        file_put_contents('/tmp/a.php', '<?php return ' . $N . ';');
        setMarker('included', include '/tmp/a.php');
        sendOk();
    """
    _, m1 = await attack(pool, module, body, N=1)
    _, m2 = await attack(pool, module, body, N=2)
    assert m1 == {"api": [False, False], "included": 1}
    assert m2 == {"api": [False, False], "included": 2}
