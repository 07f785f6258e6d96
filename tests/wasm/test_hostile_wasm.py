"""Hostile modules against the WASM runtime: the native suite's attacks plus wasm-specific ones.

Every attack is followed by an innocent request on the same pool (see `attack`): the pool
keeps serving.
"""

from __future__ import annotations

import pytest
from provhost.runtime.interface import Action
from provhost.runtime.wasm import WasmConfig, WasmRuntime
from provhost_sandbox.wasm_sandbox import WasmLimits

from tests.runtime.conftest import ModuleDir, RecordingBroker, provider
from tests.runtime.test_hostile_modules import (  # the runtime-independent attacks
    attack,
    test_double_finish_is_refused,
    test_endless_loop_hits_deadline_and_next_request_is_served,
    test_ffi_is_unavailable,
    test_fork_bomb_is_stopped,
    test_garbage_outcome_from_php_kills_only_that_worker,
    test_huge_output_is_capped,
    test_huge_template_is_capped,
    test_ipc_descriptors_are_not_reachable_from_php,
    test_memory_bomb,
    test_no_network_even_to_loopback,
    test_no_state_leaks_into_next_request,
    test_opcache_api_is_closed_and_tmp_scripts_are_never_cached,
    test_proc_is_absent_and_no_process_introspection,
    test_process_and_signal_functions_do_not_exist,
    test_reading_another_module_or_host_data_fails,
    test_reading_etc_shadow_fails,
    test_recursion_in_php_frames_hits_memory_limit,
    test_writing_into_own_module_dir_fails,
)

__all__ = [
    "test_double_finish_is_refused",
    "test_endless_loop_hits_deadline_and_next_request_is_served",
    "test_ffi_is_unavailable",
    "test_fork_bomb_is_stopped",
    "test_garbage_outcome_from_php_kills_only_that_worker",
    "test_huge_output_is_capped",
    "test_huge_template_is_capped",
    "test_ipc_descriptors_are_not_reachable_from_php",
    "test_memory_bomb",
    "test_no_network_even_to_loopback",
    "test_no_state_leaks_into_next_request",
    "test_opcache_api_is_closed_and_tmp_scripts_are_never_cached",
    "test_proc_is_absent_and_no_process_introspection",
    "test_process_and_signal_functions_do_not_exist",
    "test_reading_another_module_or_host_data_fails",
    "test_reading_etc_shadow_fails",
    "test_recursion_in_php_frames_hits_memory_limit",
    "test_writing_into_own_module_dir_fails",
]

# A short epoch deadline, so the wasm-level CPU limit fires well before the host's.
LIMITS = WasmLimits(cpu_seconds=1.0)


@pytest.fixture(params=[1, 50], ids=["fresh", "reuse"])
async def pool(module: ModuleDir, request: pytest.FixtureRequest):
    module.script("providers/ok.php", "sendOk();")
    config = WasmConfig(workers_per_pool=1, limits=LIMITS, reuse_instance=request.param)
    async with WasmRuntime(config) as rt:
        yield await rt.open_pool(module.image)


async def test_endless_loop_is_interrupted_inside_the_worker(pool, module):
    out, _ = await attack(pool, module, "while (true) {}", timeout=20.0)
    assert out.action is Action.ERROR
    assert "CPU time limit" in out.error, out.error
    stats = pool.stats()
    assert stats["started"] == 1 and stats["timeouts"] == 0  # no process had to die


async def test_memory_bomb_past_php_limit_hits_the_store_limit(pool, module):
    out, _ = await attack(pool, module, """
        ini_set('memory_limit', '-1');
        $a = []; while (true) { $a[] = str_repeat('x', 1 << 20); }
    """)
    assert out.action is Action.ERROR
    assert "Out of memory" in out.error or "memory" in out.error.lower(), out.error


async def test_deep_c_recursion_traps_cleanly(pool, module):
    out, _ = await attack(pool, module, """
        function f($n) { return array_map('f', [$n + 1]); }
        f(0);
    """, timeout=20.0)
    assert out.action is Action.ERROR
    assert "exhausted its stack" in out.error, out.error
    assert pool.stats()["crashed"] == 0  # the trap ended the instance, not the worker


async def test_fibers_fail_cleanly(pool, module):
    out, m = await attack(pool, module, """
        $f = new Fiber(function () { return 1; });
        try { $f->start(); } catch (Error $e) { setMarker('fiber', $e->getMessage()); }
        sendOk();
    """)
    assert out.action is Action.OK, out.error
    assert m == {"fiber": "Fibers are not available in the WebAssembly build of PHP"}


async def test_wasi_sees_only_its_preopens_and_no_environment(pool, module):
    out, m = await attack(pool, module, """
        setMarker('root', @scandir('/'));
        setMarker('usr', is_dir('/usr'));
        setMarker('hostname', @file_get_contents('/etc/hostname'));
        setMarker('env', getenv());
        setMarker('module', is_dir('/module') && is_dir('/shim') && is_dir('/tmp'));
        // the shim emulates socket_* over the host's connectPhone(); no native one may exist
        $native = fn($f) => function_exists($f) && !(new ReflectionFunction($f))->isUserDefined();
        setMarker('sockets', [$native('socket_create'), $native('fsockopen')]);
        sendOk();
    """)
    assert out.action is Action.OK, out.error
    assert m == {"root": False, "usr": False, "hostname": False, "env": [],
                 "module": True, "sockets": [False, False]}


async def test_integers_are_32_bit(pool, module):
    out, m = await attack(pool, module, """
        setMarker('size', PHP_INT_SIZE);
        setMarker('mac', hexdec('112233445566'));
        setMarker('max', PHP_INT_MAX);
        sendOk();
    """)
    assert out.action is Action.OK, out.error
    assert m == {"size": 4, "mac": float(0x112233445566), "max": 2**31 - 1}


async def test_open_basedir_is_left_to_wasi_unless_asked_for(module):
    script = module.script("providers/ob.php", """
        setMarker('ob', ini_get('open_basedir'));
        setMarker('read', @file_get_contents('/module/../etc/passwd'));
        sendOk();
    """)
    seen = []
    for limits in (WasmLimits(), WasmLimits(open_basedir=True)):
        async with WasmRuntime(WasmConfig(workers_per_pool=1, limits=limits)) as rt:
            pool = await rt.open_pool(module.image)
            broker = RecordingBroker()
            out = await pool.run(provider(script), broker)
            assert out.action is Action.OK, out.error
            seen.append([args for _, args in broker.calls])
    assert seen[0] == [["ob", ""], ["read", False]]
    assert seen[1] == [["ob", "/module:/compiled:/firmware:/shim:/tmp"], ["read", False]]
