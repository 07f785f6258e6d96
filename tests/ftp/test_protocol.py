"""The pure control-session state machine: transitions and replies for every command class."""

from __future__ import annotations

import pytest
from provhost.ftp.protocol import (
    MAX_LOGIN_FAILURES,
    MAX_MALFORMED,
    PAUSED,
    TRANSITIONS,
    VERB_EVENTS,
    Authenticate,
    Close,
    Effect,
    Event,
    Fetch,
    FtpSession,
    OpenPassive,
    ProtocolMisuse,
    Send,
    State,
    Transfer,
    TransferOutcome,
)
from provhost.ftp.types import BytesReply, ErrorReply, FileReply


async def _never(offset: int, length: int) -> bytes:
    raise AssertionError("the session must never read")


def say(session: FtpSession, line: str | bytes) -> list[Effect]:
    raw = line.encode() if isinstance(line, str) else line
    session.receive_data(raw + b"\r\n")
    effects = session.next_effects()
    assert effects is not PAUSED
    assert session.next_effects() is PAUSED  # one line, one answer
    return effects  # type: ignore[return-value]


def codes(effects: list[Effect]) -> list[int]:
    return [e.reply.code for e in effects if isinstance(e, Send)]


def text(effects: list[Effect]) -> str:
    return "\n".join(e.reply.text for e in effects if isinstance(e, Send))


def ready(*, anonymous: bool = True) -> FtpSession:
    s = FtpSession(allow_anonymous=True)
    if anonymous:
        say(s, "USER anonymous")
        assert codes(say(s, "PASS me@example.com")) == [230]
    else:
        say(s, "USER phone")
        say(s, "PASS pw")
        s.authenticated(True)
    assert s.state is State.READY
    return s


def with_passive(s: FtpSession, verb: str = "PASV") -> list[Effect]:
    assert say(s, verb) == [OpenPassive()]
    assert s.state is State.OPENING_PASSIVE
    return s.passive_opened("10.1.2.3", 0x1234)


# ------------------------------------------------------------------ the table itself


def test_every_table_action_exists() -> None:
    for (state, event), (_, action) in TRANSITIONS.items():
        assert hasattr(FtpSession, "_do_" + action), (state, event, action)


def test_only_closed_is_terminal_and_waiting_states_take_no_commands() -> None:
    states_with_exits = {state for state, _ in TRANSITIONS}
    assert states_with_exits == set(State) - {State.CLOSED}
    for waiting in (State.AUTHENTICATING, State.FETCHING, State.SIZING, State.TRANSFERRING):
        assert (waiting, Event.RETR) not in TRANSITIONS


def test_io_result_in_the_wrong_state_is_a_caller_bug() -> None:
    s = FtpSession(allow_anonymous=True)
    with pytest.raises(ProtocolMisuse):
        s.authenticated(True)
    with pytest.raises(ProtocolMisuse):
        s.transfer_finished(TransferOutcome.COMPLETE)


# --------------------------------------------------------------------------- login


def test_greeting() -> None:
    assert codes(FtpSession(allow_anonymous=True).greeting()) == [220]


def test_user_login_goes_through_the_authenticator() -> None:
    s = FtpSession(allow_anonymous=False)
    assert codes(say(s, "USER phone")) == [331]
    assert say(s, "PASS s3cret") == [Authenticate("phone", "s3cret")]
    assert s.state is State.AUTHENTICATING
    s.receive_data(b"PWD\r\n")
    assert s.next_effects() is PAUSED  # buffered until the verdict
    assert codes(s.authenticated(True)) == [230]
    assert text(s.next_effects()) == '"/" is the current directory'  # type: ignore[arg-type]
    assert s.user == "phone"


def test_refused_login_returns_to_user_and_closes_after_repeats() -> None:
    s = FtpSession(allow_anonymous=False)
    for _ in range(MAX_LOGIN_FAILURES - 1):
        say(s, "USER phone")
        say(s, "PASS wrong")
        assert codes(s.authenticated(False)) == [530]
        assert s.state is State.LOGIN_USER
    say(s, "USER phone")
    say(s, "PASS wrong")
    effects = s.authenticated(False)
    assert codes(effects) == [421] and effects[-1] == Close()
    assert s.state is State.CLOSED


@pytest.mark.parametrize("name", ["anonymous", "FTP"])
def test_anonymous_login_skips_the_authenticator(name: str) -> None:
    s = FtpSession(allow_anonymous=True)
    assert codes(say(s, f"USER {name}")) == [331]
    assert codes(say(s, "PASS")) == [230]
    assert s.user == "anonymous"


def test_anonymous_refused_when_not_allowed() -> None:
    s = FtpSession(allow_anonymous=False)
    effects = say(s, "USER anonymous")
    assert codes(effects) == [530] and "Anonymous login is not allowed" in text(effects)
    assert s.state is State.LOGIN_USER


def test_pass_before_user_and_user_after_login() -> None:
    s = FtpSession(allow_anonymous=True)
    assert codes(say(s, "PASS x")) == [503]
    s = ready()
    assert codes(say(s, "USER other")) == [503]
    assert s.user == "anonymous"


@pytest.mark.parametrize(
    "line", ["PWD", "CWD /x", "TYPE I", "PASV", "EPSV", "RETR a", "SIZE a", "NLST", "STOR a", "PORT 1,2,3,4,5,6"])
def test_commands_before_login_get_530(line: str) -> None:
    s = FtpSession(allow_anonymous=True)
    assert codes(say(s, line)) == [530]
    say(s, "USER anonymous")
    assert codes(say(s, line)) == [530]  # between USER and PASS too
    assert s.state is State.LOGIN_PASS


@pytest.mark.parametrize(("line", "code"), [("FEAT", 211), ("SYST", 215), ("NOOP", 200), ("HELP", 214)])
def test_harmless_commands_work_before_login(line: str, code: int) -> None:
    assert codes(say(FtpSession(allow_anonymous=True), line)) == [code]


def test_feat_lists_the_extensions() -> None:
    effects = say(FtpSession(allow_anonymous=True), "FEAT")
    assert effects == [Send(effects[0].reply)]  # type: ignore[union-attr]
    assert {"EPSV", "PASV", "SIZE", "REST STREAM"} <= set(effects[0].reply.lines)  # type: ignore[union-attr]


# ------------------------------------------------------------------ settings, paths


def test_cwd_cdup_pwd_form_a_virtual_tree_without_normalising() -> None:
    s = ready()
    assert codes(say(s, "CWD cfg")) == [250]
    assert s.cwd == "/cfg"
    say(s, "CWD sub/")
    assert s.cwd == "/cfg/sub"
    say(s, "CDUP")
    assert s.cwd == "/cfg"
    say(s, "CWD ../etc")
    assert s.cwd == "/cfg/../etc"  # the chain refuses `..`, not us
    say(s, "CWD /")
    assert s.cwd == "/"
    say(s, "CDUP")
    assert s.cwd == "/"
    say(s, 'CWD /a"b')
    assert text(say(s, "PWD")) == '"/a""b" is the current directory'


@pytest.mark.parametrize("line", ["CWD", "CWD a\tb", "RETR a\x01b", "SIZE \x1b[2J", "RETR"])
def test_paths_with_control_characters_or_missing_get_501(line: str) -> None:
    s = ready()
    with_passive(s)
    effects = say(s, line)
    assert codes(effects) == [501]
    assert s.state is State.READY


@pytest.mark.parametrize(("line", "code", "ascii"), [
    ("TYPE I", 200, False), ("TYPE L 8", 200, False), ("TYPE A", 200, True),
    ("TYPE A N", 200, True), ("TYPE E", 504, True), ("TYPE", 504, True)])
def test_type(line: str, code: int, ascii: bool) -> None:
    s = ready()
    assert codes(say(s, line)) == [code]
    assert s.ascii is ascii


@pytest.mark.parametrize(("line", "code"), [
    ("MODE S", 200), ("MODE B", 504), ("STRU F", 200), ("STRU R", 504), ("ABOR", 225),
    ("EPSV ALL", 200), ("REST 0", 350), ("REST 100", 350), ("REST -1", 501), ("REST x", 501)])
def test_other_settings(line: str, code: int) -> None:
    assert codes(say(ready(), line)) == [code]


# ----------------------------------------------------------------- refused commands


@pytest.mark.parametrize("verb", ["STOR", "STOU", "APPE", "DELE", "MKD", "XMKD", "RMD", "RNFR", "RNTO", "SITE"])
def test_writes_are_refused(verb: str) -> None:
    effects = say(ready(), f"{verb} x")
    assert codes(effects) == [550] and "read-only" in text(effects)


@pytest.mark.parametrize("line", ["PORT 127,0,0,1,4,1", "EPRT |1|127.0.0.1|1025|"])
def test_active_mode_is_refused(line: str) -> None:
    effects = say(ready(), line)
    assert codes(effects) == [502] and "use PASV or EPSV" in text(effects)


def test_unknown_command_502() -> None:
    effects = say(ready(), "XYZZ now")
    assert codes(effects) == [502] and "XYZZ" in text(effects)


def test_every_verb_is_classified() -> None:
    assert all(isinstance(e, Event) for e in VERB_EVENTS.values())


# ---------------------------------------------------------------- malformed input


@pytest.mark.parametrize(("raw", "why"), [
    (b"\xff\xf4\xff\xfd\x06", "non-ASCII"), (b"RETR a\0b", "NUL"), (b"A" * 3000, "too long"),
    (b"", "empty")])
def test_malformed_lines_get_500_and_the_session_goes_on(raw: bytes, why: str) -> None:
    s = ready()
    effects = say(s, raw)
    assert codes(effects) == [500] and why in text(effects)
    assert codes(say(s, "NOOP")) == [200]


def test_repeated_garbage_closes_the_session() -> None:
    s = FtpSession(allow_anonymous=True)
    for _ in range(MAX_MALFORMED - 1):
        assert codes(say(s, b"\x80")) == [500]
    effects = say(s, b"\x80")
    assert codes(effects) == [421] and effects[-1] == Close()
    assert s.state is State.CLOSED
    s.receive_data(b"NOOP\r\n")
    assert s.next_effects() is PAUSED


def test_idle_and_quit_close() -> None:
    s = ready()
    effects = s.timed_out()
    assert codes(effects) == [421] and effects[-1] == Close()
    s = FtpSession(allow_anonymous=True)
    effects = say(s, "QUIT")
    assert codes(effects) == [221] and effects[-1] == Close()


# -------------------------------------------------------------- passive, transfers


def test_pasv_reply_encodes_host_and_port() -> None:
    s = ready()
    effects = with_passive(s)
    assert text(effects) == "Entering Passive Mode (10,1,2,3,18,52)"
    assert s.passive_ready


def test_epsv_reply_and_protocol_check() -> None:
    s = ready()
    assert text(with_passive(s, "EPSV")) == "Entering Extended Passive Mode (|||4660|)"
    assert codes(say(s, "EPSV 2")) == [522]
    v6 = FtpSession(allow_anonymous=True, ipv6=True)
    say(v6, "USER ftp")
    say(v6, "PASS x")
    assert codes(say(v6, "PASV")) == [522]


def test_passive_failure_gives_425() -> None:
    s = ready()
    say(s, "PASV")
    assert codes(s.passive_failed()) == [425]
    assert not s.passive_ready


def test_retr_without_passive_425_and_handler_not_asked() -> None:
    s = ready()
    effects = say(s, "RETR a.cfg")
    assert codes(effects) == [425]
    assert not any(isinstance(e, Fetch) for e in effects)


def test_retr_streams_and_consumes_the_listener() -> None:
    s = ready()
    with_passive(s)
    say(s, "CWD cfg")
    assert say(s, "RETR a.cfg") == [Fetch("/cfg/a.cfg", "anonymous")]
    reply = BytesReply(b"12345")
    effects = s.fetched(reply)
    assert codes(effects) == [150]
    assert effects[-1] == Transfer(reply, 0, True)
    assert codes(s.transfer_finished(TransferOutcome.COMPLETE)) == [226]
    assert not s.passive_ready
    assert codes(say(s, "RETR a.cfg")) == [425]


def test_rest_offset_applies_to_the_next_retr_only() -> None:
    s = ready()
    say(s, "TYPE I")
    say(s, "REST 3")
    with_passive(s)
    say(s, "RETR /a")
    reply = FileReply(10, _never)
    assert s.fetched(reply)[-1] == Transfer(reply, 3, False)
    s.transfer_finished(TransferOutcome.COMPLETE)
    with_passive(s)
    say(s, "RETR /a")
    assert s.fetched(reply)[-1] == Transfer(reply, 0, False)


def test_rest_beyond_end_554() -> None:
    s = ready()
    say(s, "REST 11")
    with_passive(s)
    say(s, "RETR /a")
    assert codes(s.fetched(FileReply(10, _never))) == [554]
    assert s.state is State.READY


@pytest.mark.parametrize(("error", "code"), [(1, 550), (2, 550), (0, 451), (7, 451)])
def test_handler_errors_map_to_codes_with_the_message(error: int, code: int) -> None:
    s = ready()
    with_passive(s)
    say(s, "RETR x")
    effects = s.fetched(ErrorReply(error, "nope:\r\n 500 injected"))
    assert codes(effects) == [code]
    assert "\n" not in effects[0].reply.lines[0] and "nope:" in text(effects)  # type: ignore[union-attr]
    assert s.state is State.READY


@pytest.mark.parametrize(("outcome", "code"), [
    (TransferOutcome.NO_CONNECTION, 425), (TransferOutcome.ABORTED, 426),
    (TransferOutcome.SOURCE_FAILED, 451)])
def test_transfer_failures(outcome: TransferOutcome, code: int) -> None:
    s = ready()
    with_passive(s)
    say(s, "RETR x")
    s.fetched(BytesReply(b"x"))
    assert codes(s.transfer_finished(outcome)) == [code]
    assert s.state is State.READY


def test_size_in_both_types() -> None:
    s = ready(anonymous=False)
    assert say(s, "SIZE a.cfg") == [Fetch("/a.cfg", "phone")]
    assert s.state is State.SIZING
    assert text(s.fetched(BytesReply(b"a\nb\n"))) == "6"  # TYPE A counts CR LF
    say(s, "TYPE I")
    say(s, "SIZE a.cfg")
    assert text(s.fetched(BytesReply(b"a\nb\n"))) == "4"
    say(s, "SIZE big")
    assert text(s.fetched(FileReply(1 << 33, _never))) == str(1 << 33)
    say(s, "TYPE A")
    say(s, "SIZE big")
    assert codes(s.fetched(FileReply(10, _never))) == [550]
    say(s, "SIZE gone")
    assert codes(s.fetched(ErrorReply(1, "no such file"))) == [550]
    assert s.state is State.READY


def test_listing_is_empty_but_uses_the_data_connection() -> None:
    s = ready()
    assert codes(say(s, "NLST")) == [425]
    with_passive(s)
    effects = say(s, "LIST -la")
    assert codes(effects) == [150] and effects[-1] == Transfer(None, 0, True)
    effects = s.transfer_finished(TransferOutcome.COMPLETE)
    assert codes(effects) == [226] and "not provided" in text(effects)


def test_pipelined_commands_are_answered_in_order() -> None:
    s = ready()
    s.receive_data(b"TYPE I\r\nPWD\r\nSIZE f\r\nNOOP\r\n")
    assert codes(s.next_effects()) == [200]  # type: ignore[arg-type]
    assert codes(s.next_effects()) == [257]  # type: ignore[arg-type]
    assert s.next_effects() == [Fetch("/f", "anonymous")]
    assert s.next_effects() is PAUSED
    assert codes(s.fetched(BytesReply(b"abc"))) == [213]
    assert codes(s.next_effects()) == [200]  # type: ignore[arg-type]
