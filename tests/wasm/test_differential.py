"""Differential: the same scripts on the native and the WASM runtime give the same outcome.

One documented difference is asserted as such: integers are 32-bit in php.wasm.
"""

from __future__ import annotations

from typing import Any

import pytest
from provhost.runtime.interface import Action, ScriptCall, ScriptKind, ScriptOutcome
from provhost.runtime.native import NativeConfig, NativeRuntime
from provhost.runtime.wasm import WasmConfig, WasmRuntime

from tests.runtime.conftest import ModuleDir, RecordingBroker

SCRIPTS: dict[str, str] = {
    "strings": r"""
        echo sprintf('%05.2f|%-6s|%x|%b|%e', 3.14159, 'ab', 255, 5, 12345.678), "\n";
        echo str_pad('7', 3, '0', STR_PAD_LEFT), ucwords('hello wide world'), "\n";
        echo implode(',', str_split('abcdef', 4)), wordwrap('The quick brown fox', 10, "\n", true);
        echo strtr('a-b_c', '-_', '__'), substr_count('aaa', 'a'), strrev('xyz'), "\n";
        echo number_format(1234567.891, 2), ' ', number_format(0.5), ' ', round(2.5), "\n";
        echo 1/3, ' ', 0.1 + 0.2, ' ', 1e100, ' ', -0.0, ' ', intdiv(7, 2), ' ', 7 % 3, "\n";
    """,
    "regex": r"""
        preg_match_all('/(\d+)-(\w+)/', '10-ab 20-cd 30-ef', $m, PREG_SET_ORDER);
        echo json_encode($m), "\n";
        echo preg_replace_callback('/\d+/', fn($x) => $x[0] * 2, 'a1 b22 c333'), "\n";
        echo json_encode(preg_split('/[\s,]+/', "a, b  c,d", -1, PREG_SPLIT_NO_EMPTY)), "\n";
        echo preg_match('/^[0-9a-f]{12}$/i', '001565AABBCC'), preg_quote('a.b*c'), "\n";
        echo preg_replace('/(?<=\d)(?=(\d{3})+$)/', ',', '1234567'), "\n";
    """,
    "arrays": r"""
        $a = ['b' => 2, 'a' => 3, 'c' => 1];
        asort($a); echo json_encode($a);
        ksort($a); echo json_encode($a);
        $n = [5, 3, 10, 1]; usort($n, fn($x, $y) => $x <=> $y); echo json_encode($n);
        echo json_encode(array_slice(range('a', 'j'), 2, 3)), json_encode(array_flip(['x', 'y']));
        echo json_encode(array_merge_recursive(['a' => [1]], ['a' => [2], 'b' => 3]));
        echo json_encode(array_chunk([1, 2, 3, 4, 5], 2, true)), count([1, [2, 3]], COUNT_RECURSIVE);
        echo serialize(['k' => [1.5, true, null, 'x']]), "\n";
        var_export(['a' => 1, 'b' => [false]]);
    """,
    "encodings": r"""
        echo md5('abc'), ' ', sha1('abc'), ' ', crc32('abc'), ' ', hash('sha256', 'abc'), "\n";
        echo base64_encode("\x00\xff binary"), ' ', bin2hex('AZ'), ' ', urlencode('a b&c=d/é'), "\n";
        echo rawurlencode('a b'), ' ', htmlspecialchars('<a href="x">&</a>'), "\n";
        echo json_encode(['u' => 'é', 'f' => 1.0, 's' => '/'], JSON_UNESCAPED_UNICODE), "\n";
        echo strtoupper('abc'), strlen('héllo'), utf8_decode('é') === "\xe9" ? 'latin1' : '', "\n";
        echo filter_var('10.0.0.1', FILTER_VALIDATE_IP), filter_var('x', FILTER_VALIDATE_INT) ? 1 : 0;
        echo json_encode(unpack('nport/Ccount', "\x13\xc4\x02")), bin2hex(pack('nN', 5060, 1)), "\n";
    """,
    "dates": r"""
        echo date('Y-m-d H:i:s D N', 1700000000), "\n";
        echo gmdate('D, d M Y H:i:s \G\M\T', 86400 * 365), "\n";
        $d = new DateTime('@1700000000'); $d->setTimezone(new DateTimeZone('Europe/Berlin'));
        echo $d->format(DATE_ATOM), ' ', $d->modify('+1 month')->format('Y-m-d'), "\n";
        echo mktime(12, 0, 0, 6, 15, 2020), ' ', strtotime('2021-03-04 05:06:07 UTC'), "\n";
    """,
    "small_ints": r"""
        echo hexdec('ff'), ' ', dechex(48879), ' ', base_convert('zz', 36, 10), ' ';
        echo 2147483647 + 0, ' ', octdec('777'), ' ', bindec('1010'), ' ', (int)'12abc', "\n";
        $mac = '001565aabbcc';
        echo implode(':', str_split($mac, 2)), ' ', strtoupper(substr($mac, -6)), "\n";
    """,
    "errors": r"""
        echo $undefined_variable ?? 'dflt';
        $x = [];
        echo @$x['missing'], intdiv(1, 1);
        trigger_error('custom warning', E_USER_WARNING);
        echo strlen(null ?? ''), "\n";
    """,
    "exception": r"""
        function thrower() { throw new RuntimeException('boom'); }
        thrower();
    """,
}


async def run_everywhere(module: ModuleDir, calls: list[ScriptCall]
                         ) -> dict[str, list[tuple[ScriptOutcome, list[Any]]]]:
    results: dict[str, list[tuple[ScriptOutcome, list[Any]]]] = {}
    for name, make in (("native", lambda: NativeRuntime(NativeConfig(workers_per_pool=1))),
                       ("wasm", lambda: WasmRuntime(WasmConfig(workers_per_pool=1)))):
        async with make() as rt:
            pool = await rt.open_pool(module.image)
            outs = []
            for call in calls:
                broker = RecordingBroker(answers={"associatePhone": {"IDENT": "t"}})
                outs.append((await pool.run(call, broker), broker.calls))
            results[name] = outs
            await pool.aclose()
    return results


async def test_same_output_on_both_runtimes(module: ModuleDir):
    calls = []
    for name, body in SCRIPTS.items():
        module.script(f"dialplans/{name}.php", body)
        calls.append(ScriptCall(ScriptKind.DIALPLAN, f"dialplans/{name}.php", {}, timeout=10.0))
    results = await run_everywhere(module, calls)
    for (native, n_calls), (wasm, w_calls), name in zip(results["native"], results["wasm"],
                                                        SCRIPTS, strict=True):
        assert native.action is not Action.ERROR or name == "exception", (name, native.error)
        assert (wasm.action, wasm.body, wasm.error, wasm.log, w_calls) == \
            (native.action, native.body, native.error, native.log, n_calls), name


async def test_the_documented_difference_is_integer_width(module: ModuleDir):
    module.script("dialplans/ints.php", r"""
        echo PHP_INT_SIZE, ' ', var_export(hexdec('112233445566'), true), ' ';
        echo var_export(2147483647 + 1, true), ' ', var_export(is_int(0x7fffffff + 1), true);
    """)
    call = ScriptCall(ScriptKind.DIALPLAN, "dialplans/ints.php", {}, timeout=10.0)
    results = await run_everywhere(module, [call])
    assert results["native"][0][0].body == b"8 18838586676582 2147483648 true"
    assert results["wasm"][0][0].body == b"4 18838586676582.0 2147483648.0 false"


@pytest.mark.parametrize("variables", [
    {"S": "é\x00bin", "N": [1, -1, 2**31 - 1, -(2**31), 255, 65536], "F": 1.5, "B": [True, None],
     "M": {"k": {"nested": ["x"]}, "7": "seven"}},
])
async def test_values_cross_the_bridge_identically(module: ModuleDir, variables):
    module.script("providers/echo.php", """
        setMarker('vars', [$S, $N, $F, $B, $M, array_keys($M)]);
        sendOk();
    """)
    call = ScriptCall(ScriptKind.PROVIDER, "providers/echo.php", variables, timeout=10.0)
    results = await run_everywhere(module, [call])
    assert results["wasm"][0][1] == results["native"][0][1]
    assert results["wasm"][0][0].action is Action.OK
