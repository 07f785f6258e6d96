"""The module API (sdk-php-shim) through real PHP in the real sandbox."""

from __future__ import annotations

import msgpack
from provhost.runtime.interface import Action, BrokerError, ScriptCall, ScriptKind

from .conftest import ModuleDir, RecordingBroker, provider


async def run(runtime, module: ModuleDir, call: ScriptCall, broker=None):
    pool = await runtime.open_pool(module.image)
    try:
        return await pool.run(call, broker or RecordingBroker())
    finally:
        await pool.aclose()


async def test_end_of_script_is_pass_next_and_input_globals_are_set(runtime, module):
    s = module.script("providers/p.php", """
        if ($PATH === '/a.cfg' && $PROTO === 'tftp' && $LIST[1] === 2) sendOk();
    """)
    assert (await run(runtime, module, provider(s, PATH="/a.cfg", PROTO="tftp", LIST=[1, 2]))
            ).action is Action.OK
    assert (await run(runtime, module, provider(s, PATH="/b", PROTO="tftp", LIST=[1, 2]))
            ).action is Action.PASS


async def test_output_functions_end_the_script_even_inside_try_finally(runtime, module):
    s = module.script("providers/p.php", """
        try { sendNotFound(); } catch (Throwable $e) { sendOk(); } finally { sendOk(); }
    """)
    assert (await run(runtime, module, provider(s))).action is Action.NOT_FOUND


async def test_explicit_pass_next_and_exit(runtime, module):
    s = module.script("providers/p.php", "if ($X) passNext(); exit(); sendOk();")
    assert (await run(runtime, module, provider(s, X=True))).action is Action.PASS
    assert (await run(runtime, module, provider(s, X=False))).action is Action.PASS


async def test_send_template_sees_globals_set_by_provider(runtime, module):
    module.template("spa_main", r"""
        <!-- template -->
        vm=<?= $VOICEMAIL_EXT ?> tz=<?= $timezoneString, "\n" ?>
        <?php foreach ($LINES as $line) { ?>line <?= $line['TELNUM'], "\n" ?>
        <?php } ?>
    """)
    s = module.script("providers/spa.php", """
        $timezoneString = 'GMT+1';
        function helper() { sendTemplate('spa_main'); }
        helper();
    """)
    out = await run(runtime, module, provider(
        s, VOICEMAIL_EXT="50", LINES=[{"TELNUM": "10"}, {"TELNUM": "11"}]))
    assert out.action is Action.TEMPLATE, out.error
    assert out.body == b"<!-- template -->\nvm=50 tz=GMT+1\nline 10\nline 11\n"


async def test_template_error_names_tpl_file_and_line(runtime, module):
    module.template("broken", "line one\nline two\n<?= undefined_function_x() ?>\n")
    s = module.script("providers/p.php", "sendTemplate('broken');")
    out = await run(runtime, module, provider(s))
    assert out.action is Action.ERROR
    assert "templates/broken.tpl line 3" in out.error
    assert "undefined_function_x" in out.error


async def test_template_warning_is_logged_with_tpl_line(runtime, module):
    module.template("warn", "a\n<?= $nosuchvar ?>b\n")
    s = module.script("providers/p.php", "sendTemplate('warn');")
    out = await run(runtime, module, provider(s))
    assert out.action is Action.TEMPLATE
    assert any("templates/warn.tpl line 2" in line for line in out.log), out.log


async def test_missing_template_is_a_clear_error(runtime, module):
    s = module.script("providers/p.php", "sendTemplate('nope');")
    out = await run(runtime, module, provider(s))
    assert out.action is Action.ERROR and "templates/nope.tpl" in out.error


async def test_send_static_file_and_send_file(runtime, module):
    module.write("static/logo.bmp", "BM")
    s = module.script("providers/p.php", """
        if ($W === 's') sendStaticFile('static/logo.bmp');
        if ($W === 'f') sendFile(getFirmwareFile('logo_bw', 'logo.bmp'));
        if ($W === 'x') sendStaticFile('../../etc/passwd');
    """)
    out = await run(runtime, module, provider(s, W="s"))
    assert (out.action, out.file) == (Action.FILE, "/module/static/logo.bmp")
    out = await run(runtime, module, provider(s, W="f"))
    assert (out.action, out.file) == (Action.FILE, "/firmware/logo_bw/logo.bmp")
    out = await run(runtime, module, provider(s, W="x"))
    assert out.action is Action.ERROR and "invalid path" in out.error


async def test_associate_phone_sets_globals_and_expands_type_options(runtime, module):
    module.template("main", "<?= $MAC ?> <?= $ADMIN_PASSWORD ?> <?= $LINES[0]['TELNUM'] ?> "
                    "<?= $model ?> <?= $REVIEW ?>")
    s = module.script("providers/p.php", """
        associatePhone('001565aabbcc', 'yealink_t32');
        sendTemplate('main');
    """)
    broker = RecordingBroker(answers={"associatePhone": {
        "MAC": "001565aabbcc", "IDENT": "yealink_t32", "ADMIN_PASSWORD": "pw",
        "LINES": [{"TELNUM": "10"}],
        "TYPE_OPTIONS": {
            "REVIEW": "'!tftp:/y0000000000' . ($model) . '.cfg tftp:/' . ($MAC) . '.cfg'",
            "model": "substr($IDENT, 9)",
        },
    }})
    out = await run(runtime, module, provider(s), broker)
    assert out.action is Action.TEMPLATE, out.error
    assert out.body == b"001565aabbcc pw 10 32 !tftp:/y000000000032.cfg tftp:/001565aabbcc.cfg"
    assert broker.calls == [("associatePhone", ["001565aabbcc", "yealink_t32"])]


async def test_associate_phone_unknown_type_is_a_php_exception(runtime, module):
    s = module.script("providers/p.php", """
        try { associatePhone('aa', 'nosuch'); }
        catch (Provhost\\BrokerException $e) { setMarker('msg', $e->getMessage()); sendOk(); }
    """)
    broker = RecordingBroker(answers={"associatePhone": BrokerError("unknown phone type 'nosuch'")})
    out = await run(runtime, module, provider(s), broker)
    assert out.action is Action.OK
    assert broker.calls[-1] == ("setMarker", ["msg", "associatePhone(): unknown phone type 'nosuch'"])
    s2 = module.script("providers/q.php", "associatePhone('aa', 'nosuch');")
    out = await run(runtime, module, provider(s2), broker)
    assert out.action is Action.ERROR
    assert "unknown phone type 'nosuch'" in out.error and "providers/q.php line 2" in out.error


async def test_set_marker_goes_to_broker(runtime, module):
    s = module.script("providers/p.php", """
        if (preg_match('~^/y0{10}([0-9]{2})\\.cfg$~i', $PATH, $m)) {
            setMarker('yealink_model', $m[1]); sendNotFound();
        }
    """)
    broker = RecordingBroker()
    out = await run(runtime, module, provider(s, PATH="/y000000000032.cfg"), broker)
    assert out.action is Action.NOT_FOUND
    assert broker.calls == [("setMarker", ["yealink_model", "32"])]


FIRMWARE_TYPES = {
    "logo_bw": {"NAME": "b/w", "TYPE": "logo", "FW_CONTENT_ID": "abc123"},
    "logo_color": {"NAME": "color", "TYPE": "logo"},
    "fw_spa": {"NAME": "fw", "TYPE": "firmware", "FW_CONTENT_ID": "f00"},
}


async def test_phone_firmwares_and_have_firmware(runtime, module):
    s = module.script("providers/p.php", """
        associatePhone('aa', 'spa504g');
        setMarker('logos', phoneFirmwares('logo', true));
        setMarker('all_logos', phoneFirmwares('logo', false));
        setMarker('any', phoneFirmwares(null, true));
        setMarker('have', [haveFirmware('logo_bw'), haveFirmware('logo_color'), haveFirmware('x')]);
        setMarker('file', getFirmwareFile('logo_bw', 'logo.bmp'));
        sendOk();
    """)
    broker = RecordingBroker(answers={"associatePhone": {
        "IDENT": "spa504g", "TYPE_OPTIONS": {"FW": "'logo_bw,logo_color,fw_spa'"}}})
    out = await run(runtime, module, provider(s, FIRMWARE_TYPES=FIRMWARE_TYPES), broker)
    assert out.action is Action.OK, out.error
    markers = {args[0]: args[1] for fn, args in broker.calls if fn == "setMarker"}
    assert markers == {
        "logos": ["logo_bw"], "all_logos": ["logo_bw", "logo_color"],
        "any": ["logo_bw", "fw_spa"], "have": [True, False, False],
        "file": "/firmware/logo_bw/logo.bmp",
    }


async def test_phone_firmwares_reads_fw_from_phone_types(runtime, module):
    s = module.script("providers/p.php", """
        associatePhone('aa', 'spa502g');
        setMarker('logos', phoneFirmwares('logo', true)); sendOk();
    """)
    broker = RecordingBroker(answers={"associatePhone": {"IDENT": "spa502g"}})
    call = provider(s, FIRMWARE_TYPES=FIRMWARE_TYPES,
                    PHONE_TYPES={"spa502g": {"FW": "logo_bw"}})
    out = await run(runtime, module, call, broker)
    assert out.action is Action.OK, out.error
    assert broker.calls[-1] == ("setMarker", ["logos", ["logo_bw"]])


async def test_urlopen_phone_returns_a_readable_stream(runtime, module):
    s = module.script("resync/spa.php", """
        $fh = urlopenPhone('http', '/admin/resync?', array(
            'user' => 'admin', 'password' => $LAST_CONFIG['ADMIN_PASSWORD']));
        $all = '';
        while (!feof($fh)) $all .= fread($fh, 3);
        fclose($fh);
        echo strtoupper($all);
    """)
    broker = RecordingBroker(answers={"urlopenPhone": b"resync ok"})
    call = ScriptCall(ScriptKind.RESYNC, s, {"LAST_CONFIG": {"ADMIN_PASSWORD": "old"}})
    out = await run(runtime, module, call, broker)
    assert (out.action, out.body) == (Action.DONE, b"RESYNC OK")
    assert broker.calls == [("urlopenPhone", ["http", "/admin/resync?",
                                              {"user": "admin", "password": "old"}])]


async def test_connect_phone_with_socket_functions(runtime, module):
    s = module.script("resync/notify.php", """
        $sock = connectPhone('udp', 5060);
        socket_send($sock, "NOTIFY sip:phone SIP/2.0\\r\\n", 26, 0);
        $n = socket_recv($sock, $buf, 1500, 0);
        echo "$n:$buf";
        socket_close($sock);
    """)
    replies = [b"SIP/2.0 200 OK"]

    async def conn_read(handle, maxlen):
        return replies.pop(0) if replies else b""

    async def conn_write(handle, data):
        return len(data)

    broker = RecordingBroker(answers={"connectPhone": 7, "connRead": conn_read,
                                      "connWrite": conn_write, "connClose": None})
    out = await run(runtime, module, ScriptCall(ScriptKind.RESYNC, s, {}), broker)
    assert (out.action, out.body) == (Action.DONE, b"14:SIP/2.0 200 OK"), out.error
    names = [c[0] for c in broker.calls]
    assert names == ["connectPhone", "connWrite", "connRead", "connClose"]
    assert broker.calls[0][1] == ["udp", 5060]
    assert broker.calls[1][1] == [7, "NOTIFY sip:phone SIP/2.0\r\n"]
    assert broker.calls[2][1][0] == 7


async def test_dialplan_simplify_onedigit_seed_example_and_output(runtime, module):
    s = module.script("dialplans/regex.php", """
        $data = dialplanSimplifyOnedigit($DIALPLAN_DATA);
        $first = true;
        foreach ($data as $item) {
            if ($first) $first = false; else echo "|";
            list($prefix, $maxLen) = $item;
            switch ($maxLen) {
                case 0: echo $prefix; break;
                case -1: echo $prefix . '.*'; break;
                default: echo $prefix . '.{' . $maxLen . '}'; break;
            }
        }
        echo "\\n" . json_encode($data);
    """)
    data = [["10", 0], ["150", 0], ["20", 0], ["25", 0], ["99", 0], ["9", -1]]
    out = await run(runtime, module, ScriptCall(ScriptKind.DIALPLAN, s, {"DIALPLAN_DATA": data}))
    assert out.action is Action.DONE, out.error
    assert out.body == b'1.{2}|2.{1}|9.*\n[["1",2],["2",1],["9",-1]]'


async def test_dialplan_simplify_handles_order_symbols_and_lengths(runtime, module):
    s = module.script("dialplans/j.php", "echo json_encode(dialplanSimplifyOnedigit($D));")
    data = [["*7", 0], ["0", -1], ["#1", 3], ["123", 2], ["1", 5], ["05", 0], ["", 3]]
    out = await run(runtime, module, ScriptCall(ScriptKind.DIALPLAN, s, {"D": data}))
    assert out.body == b'[["*",1],["0",-1],["#",4],["1",5]]', out.error


async def test_resync_kind_done(runtime, module):
    s = module.script("resync/r.php", "setMarker('mac', $MAC);")
    broker = RecordingBroker()
    out = await run(runtime, module, ScriptCall(ScriptKind.RESYNC, s, {"MAC": "aabb"}), broker)
    assert out.action is Action.DONE
    assert broker.calls == [("setMarker", ["mac", "aabb"])]


async def test_expand_iterates_to_fixpoint(runtime, module):
    options = {
        "REVIEW": "'!tftp:/y0000000000' . ($model) . '.cfg tftp:/' . ($MAC) . '.cfg'",
        "model": "substr($IDENT, 9)",
        "upper": "strtoupper($REVIEW)",
        "plain": "'x'",
    }
    call = ScriptCall(ScriptKind.EXPAND, "", {"IDENT": "yealink_t38", "MAC": "aabbcc",
                                              "OPTIONS": options})
    out = await run(runtime, module, call)
    assert out.action is Action.DONE, out.error
    assert msgpack.unpackb(out.body) == {
        "REVIEW": "!tftp:/y000000000038.cfg tftp:/aabbcc.cfg", "model": "38",
        "upper": "!TFTP:/Y000000000038.CFG TFTP:/AABBCC.CFG", "plain": "x",
    }


async def test_expand_reports_circular_reference_and_bad_expression(runtime, module):
    call = ScriptCall(ScriptKind.EXPAND, "", {"IDENT": "t", "MAC": "m",
                                              "OPTIONS": {"a": "$b . 'x'", "b": "$a . 'y'"}})
    out = await run(runtime, module, call)
    assert out.action is Action.ERROR and "circular reference" in out.error
    call.variables["OPTIONS"] = {"a": "1 +"}
    out = await run(runtime, module, call)
    assert out.action is Action.ERROR and "option a" in out.error


