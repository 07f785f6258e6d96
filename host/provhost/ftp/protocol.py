"""The FTP control-session state machine, sans I/O: lines and I/O results in, effects out.

Rules
-----
* The session never touches sockets, clocks, handlers or files.  The server feeds it the
  bytes that arrived on the control connection (`receive_data`) and pulls work with
  `next_effects`; it carries out each returned effect (`Send`, `Close`, `Authenticate`,
  `OpenPassive`, `Fetch`, `Transfer`) and reports the outcome back through the matching
  method (`authenticated`, `passive_opened`/`passive_failed`, `fetched`,
  `transfer_finished`), whose return value is more effects.  `timed_out` reports that
  the client has been idle too long.
* Every input is first *classified* into an `Event`; `TRANSITIONS` then gives, for
  (state, event), the next state and the name of the action that builds the effects.
  A pair missing from the table is a bug in the caller and raises `ProtocolMisuse`:
  commands are only pulled in the states that accept them (`_ACCEPTS_COMMANDS`), and
  I/O results only arrive in the state that asked for them.
* An action may *refuse* its command (bad argument, no passive listener, ...): it sends
  the refusal reply and the state does not change.  A refused command never changes
  anything else either.
* One command at a time.  While an effect is outstanding (authenticating, opening a
  passive listener, asking the handler, transferring) further lines stay buffered and
  are answered afterwards, in order.  ABOR is therefore only meaningful between
  transfers; phones never send it.
* Read-only by design: every command that would write (STOR, APPE, DELE, MKD, RNFR,
  SITE, ...) gets 550, and active mode (PORT, EPRT) gets 502 because the server never
  connects out -- only passive mode (PASV, EPSV) opens data connections.
* A virtual directory tree: any path is a valid cwd, relative names are joined onto it
  with '/', and nothing is normalised -- the handler (the provisioning chain) sees the
  path as asked, `..` included, and decides.  Paths with control characters get 501.
* Directory listings are empty: phones fetch files they already know the names of, and
  a provisioning server has no directory to show (the chain decides per request).
  NLST/LIST still open and close the data connection so clients do not hang.
* Abuse is bounded: garbage lines get 500 and the session goes on, but the
  `MAX_MALFORMED`-th closes it with 421, as does the `MAX_LOGIN_FAILURES`-th failed login.
  Anonymous logins ("anonymous" or "ftp") exist only if `allow_anonymous`; their
  password is not checked and the authenticator is not asked.

Theory of operation
-------------------
::

    (greeting 220) LOGIN_USER --USER--> LOGIN_PASS --PASS--> AUTHENTICATING
    AUTHENTICATING --accepted--> READY (230)    --rejected--> LOGIN_USER (530)
    LOGIN_PASS --PASS for an anonymous user--> READY (230)
    READY --PASV/EPSV--> OPENING_PASSIVE --opened--> READY (227/229)
    READY --RETR (passive ready)--> FETCHING --file--> TRANSFERRING (150)
                                             --error--> READY (550/451)
    READY --SIZE--> SIZING --file or error--> READY (213/550)
    READY --NLST/LIST (passive ready)--> TRANSFERRING (150, empty listing)
    TRANSFERRING --done--> READY (226)  --failed--> READY (425/426/451)
    any command-accepting state --QUIT / idle / abuse--> CLOSED (221/421)

A passive listener is one-shot: RETR/NLST/LIST consume it whatever their outcome, and
a new PASV/EPSV replaces an unused one (the server closes the old listener).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from .asciimode import ascii_size
from .commands import Command, Malformed, parse_command, path_argument_problem
from .lines import OVERLONG, LineReader
from .replies import FtpReply
from .types import BytesReply, ErrorReply, FileReply, Reply

MAX_MALFORMED: Final = 10
MAX_LOGIN_FAILURES: Final = 3
ANONYMOUS_NAMES: Final = frozenset({"anonymous", "ftp"})

# ---------------------------------------------------------------------------- effects


@dataclass(frozen=True)
class Send:
    reply: FtpReply


@dataclass(frozen=True)
class Close:
    """Close the control connection (after sending everything before it)."""


@dataclass(frozen=True)
class Authenticate:
    """Ask the authenticator; answer with `FtpSession.authenticated`."""

    user: str
    password: str


@dataclass(frozen=True)
class OpenPassive:
    """Open a one-shot data listener; answer with `passive_opened` or `passive_failed`."""


@dataclass(frozen=True)
class Fetch:
    """Ask the handler for `path` on behalf of `user`; answer with `fetched`."""

    path: str
    user: str


@dataclass(frozen=True)
class Transfer:
    """Send `source` (None: an empty listing) over the passive data connection.

    `offset` bytes of the source are skipped (REST); `ascii` asks for TYPE A line-end
    translation.  Answer with `transfer_finished`.
    """

    source: BytesReply | FileReply | None
    offset: int
    ascii: bool


Effect = Send | Close | Authenticate | OpenPassive | Fetch | Transfer


class TransferOutcome(enum.Enum):
    COMPLETE = "complete"
    NO_CONNECTION = "no-connection"  # nobody connected to the passive listener in time
    ABORTED = "aborted"  # the data connection stalled or broke mid-transfer
    SOURCE_FAILED = "source-failed"  # FileReply.read raised or misbehaved


class ProtocolMisuse(RuntimeError):
    """The server fed the session something its state does not allow (a server bug)."""


class _Paused:
    def __repr__(self) -> str:
        return "PAUSED"


PAUSED: Final = _Paused()  # next_effects: an effect is outstanding, or no complete line yet

# ---------------------------------------------------------------------- states/events


class State(enum.Enum):
    LOGIN_USER = "login-user"
    LOGIN_PASS = "login-pass"
    AUTHENTICATING = "authenticating"
    READY = "ready"
    OPENING_PASSIVE = "opening-passive"
    FETCHING = "fetching"
    SIZING = "sizing"
    TRANSFERRING = "transferring"
    CLOSED = "closed"


class Event(enum.Enum):
    # commands
    USER = "user"
    PASS = "pass"
    PASS_ANONYMOUS = "pass-anonymous"
    QUIT = "quit"
    ANYTIME = "anytime"  # FEAT SYST NOOP HELP: fine before login
    SETTING = "setting"  # PWD CWD CDUP TYPE MODE STRU REST ABOR EPSV-ALL: need login
    PASSIVE = "passive"
    RETR = "retr"
    SIZE = "size"
    LISTING = "listing"
    WRITE = "write"
    ACTIVE = "active"
    UNKNOWN = "unknown"
    MALFORMED = "malformed"
    ABUSE = "abuse"  # the malformed line that exhausts MAX_MALFORMED
    # results of effects
    AUTH_ACCEPTED = "auth-accepted"
    AUTH_REJECTED = "auth-rejected"
    AUTH_REJECTED_FINAL = "auth-rejected-final"
    PASSIVE_OPENED = "passive-opened"
    PASSIVE_FAILED = "passive-failed"
    FOUND = "found"
    NOT_FOUND = "not-found"
    BAD_OFFSET = "bad-offset"  # REST offset beyond the end of the fetched file
    TRANSFER_DONE = "transfer-done"
    TRANSFER_FAILED = "transfer-failed"
    IDLE = "idle"


VERB_EVENTS: Final[dict[str, Event]] = {
    "USER": Event.USER,
    "PASS": Event.PASS,
    "QUIT": Event.QUIT,
    **dict.fromkeys(("FEAT", "SYST", "NOOP", "HELP"), Event.ANYTIME),
    **dict.fromkeys(
        ("PWD", "XPWD", "CWD", "XCWD", "CDUP", "XCUP", "TYPE", "MODE", "STRU", "REST", "ABOR"),
        Event.SETTING,
    ),
    **dict.fromkeys(("PASV", "EPSV"), Event.PASSIVE),
    "RETR": Event.RETR,
    "SIZE": Event.SIZE,
    **dict.fromkeys(("NLST", "LIST"), Event.LISTING),
    **dict.fromkeys(
        ("STOR", "STOU", "APPE", "DELE", "MKD", "XMKD", "RMD", "XRMD", "RNFR", "RNTO",
         "SITE", "ALLO", "MFMT", "MFCT"),
        Event.WRITE,
    ),
    **dict.fromkeys(("PORT", "EPRT", "LPRT"), Event.ACTIVE),
}

S, E = State, Event
_LOGIN_STATES = (S.LOGIN_USER, S.LOGIN_PASS)
_ACCEPTS_COMMANDS: Final = frozenset((*_LOGIN_STATES, S.READY))

TRANSITIONS: Final[dict[tuple[State, Event], tuple[State, str]]] = {
    # in every command-accepting state
    **{(s, E.QUIT): (S.CLOSED, "goodbye") for s in _ACCEPTS_COMMANDS},
    **{(s, E.ANYTIME): (s, "anytime") for s in _ACCEPTS_COMMANDS},
    **{(s, E.UNKNOWN): (s, "unknown") for s in _ACCEPTS_COMMANDS},
    **{(s, E.MALFORMED): (s, "malformed") for s in _ACCEPTS_COMMANDS},
    **{(s, E.ABUSE): (S.CLOSED, "abuse") for s in _ACCEPTS_COMMANDS},
    **{(s, E.IDLE): (S.CLOSED, "idle") for s in _ACCEPTS_COMMANDS},
    # logging in
    (S.LOGIN_USER, E.USER): (S.LOGIN_PASS, "ask_password"),
    (S.LOGIN_PASS, E.USER): (S.LOGIN_PASS, "ask_password"),
    (S.LOGIN_USER, E.PASS): (S.LOGIN_USER, "user_first"),
    (S.LOGIN_PASS, E.PASS): (S.AUTHENTICATING, "authenticate"),
    (S.LOGIN_PASS, E.PASS_ANONYMOUS): (S.READY, "welcome_anonymous"),
    (S.AUTHENTICATING, E.AUTH_ACCEPTED): (S.READY, "welcome"),
    (S.AUTHENTICATING, E.AUTH_REJECTED): (S.LOGIN_USER, "login_incorrect"),
    (S.AUTHENTICATING, E.AUTH_REJECTED_FINAL): (S.CLOSED, "too_many_failures"),
    **{
        (s, e): (s, "login_needed")
        for s in _LOGIN_STATES
        for e in (E.SETTING, E.PASSIVE, E.RETR, E.SIZE, E.LISTING, E.WRITE, E.ACTIVE)
    },
    # logged in
    (S.READY, E.USER): (S.READY, "already_logged_in"),
    (S.READY, E.PASS): (S.READY, "already_logged_in"),
    (S.READY, E.SETTING): (S.READY, "setting"),
    (S.READY, E.WRITE): (S.READY, "read_only"),
    (S.READY, E.ACTIVE): (S.READY, "no_active_mode"),
    (S.READY, E.PASSIVE): (S.OPENING_PASSIVE, "open_passive"),
    (S.OPENING_PASSIVE, E.PASSIVE_OPENED): (S.READY, "passive_ready"),
    (S.OPENING_PASSIVE, E.PASSIVE_FAILED): (S.READY, "passive_unavailable"),
    (S.READY, E.RETR): (S.FETCHING, "fetch"),
    (S.FETCHING, E.FOUND): (S.TRANSFERRING, "start_transfer"),
    (S.FETCHING, E.NOT_FOUND): (S.READY, "refuse_fetch"),
    (S.FETCHING, E.BAD_OFFSET): (S.READY, "refuse_offset"),
    (S.READY, E.SIZE): (S.SIZING, "fetch"),
    (S.SIZING, E.FOUND): (S.READY, "answer_size"),
    (S.SIZING, E.NOT_FOUND): (S.READY, "refuse_fetch"),
    (S.READY, E.LISTING): (S.TRANSFERRING, "start_listing"),
    (S.TRANSFERRING, E.TRANSFER_DONE): (S.READY, "transfer_done"),
    (S.TRANSFERRING, E.TRANSFER_FAILED): (S.READY, "transfer_failed"),
}

FEATURES: Final = ("EPSV", "PASV", "SIZE", "REST STREAM")

_TRANSFER_FAILURES: Final = {
    TransferOutcome.NO_CONNECTION: FtpReply.of(425, "No data connection was opened"),
    TransferOutcome.ABORTED: FtpReply.of(426, "Data connection stalled or closed; transfer aborted"),
    TransferOutcome.SOURCE_FAILED: FtpReply.of(451, "Reading the file failed; transfer aborted"),
}


class _Refused(Exception):
    """Raised by an action to refuse its command: the reply is sent, the state kept."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.reply = FtpReply.of(code, text)


def _clean_text(text: str) -> str:
    """Handler messages go into a reply line: no control characters, bounded length."""
    cleaned = "".join(c if c.isprintable() else " " for c in text).strip()
    return cleaned[:200] or "Failed"


def _size_of(reply: BytesReply | FileReply) -> int:
    return reply.size if isinstance(reply, FileReply) else len(reply.data)


def join_path(cwd: str, argument: str) -> str:
    """Resolve `argument` against `cwd` by plain joining (see the module rules)."""
    if argument.startswith("/"):
        return argument
    return cwd.rstrip("/") + "/" + argument


def parent_path(cwd: str) -> str:
    head = cwd.rstrip("/").rpartition("/")[0]
    return head or "/"


# ---------------------------------------------------------------------------- session


class FtpSession:
    """One control connection's protocol state (see the module docstring)."""

    def __init__(self, *, allow_anonymous: bool, ipv6: bool = False) -> None:
        self.allow_anonymous = allow_anonymous
        self.ipv6 = ipv6  # PASV and EPSV 1 speak IPv4 only
        self.state = State.LOGIN_USER
        self.user: str | None = None  # pending after USER, confirmed in READY
        self.cwd = "/"
        self.ascii = True  # RFC 959: TYPE A is the default
        self.rest_offset = 0
        self.passive_ready = False
        self.malformed_count = 0
        self.login_failures = 0
        self._lines = LineReader()
        self._command: Command | None = None  # the command whose effect is outstanding
        self._password = ""
        self._extended_passive = False
        self._fetched: Reply | None = None
        self._advertise = ("0.0.0.0", 0)  # set by passive_opened
        self._outcome = TransferOutcome.COMPLETE  # set by transfer_finished
        self._reason = ""  # why the last malformed line was malformed

    # ----------------------------------------------------------------- inputs

    def greeting(self) -> list[Effect]:
        return [Send(FtpReply.of(220, "provhost FTP server ready (read-only)"))]

    def receive_data(self, data: bytes) -> None:
        self._lines.feed(data)

    def next_effects(self) -> list[Effect] | _Paused:
        """Answer the next buffered line, or PAUSED if none can be answered now."""
        if self.state not in _ACCEPTS_COMMANDS:
            return PAUSED
        line = self._lines.next_line()
        if line is None:
            return PAUSED
        if line is OVERLONG:
            return self._malformed(f"command line too long (over {self._lines.max_line} bytes)")
        parsed = parse_command(line)  # type: ignore[arg-type]
        if isinstance(parsed, Malformed):
            return self._malformed(parsed.reason)
        return self._handle(self._classify(parsed), parsed)

    def authenticated(self, ok: bool) -> list[Effect]:
        if ok:
            return self._handle(E.AUTH_ACCEPTED)
        self.login_failures += 1
        final = self.login_failures >= MAX_LOGIN_FAILURES
        return self._handle(E.AUTH_REJECTED_FINAL if final else E.AUTH_REJECTED)

    def passive_opened(self, host: str, port: int) -> list[Effect]:
        """`host` is the IPv4 address to advertise in a 227 reply (unused for EPSV)."""
        self._advertise = (host, port)
        return self._handle(E.PASSIVE_OPENED)

    def passive_failed(self) -> list[Effect]:
        return self._handle(E.PASSIVE_FAILED)

    def fetched(self, reply: Reply) -> list[Effect]:
        self._fetched = reply
        if isinstance(reply, ErrorReply):
            return self._handle(E.NOT_FOUND)
        if self.state is S.FETCHING and self.rest_offset > _size_of(reply):
            return self._handle(E.BAD_OFFSET)
        return self._handle(E.FOUND)

    def transfer_finished(self, outcome: TransferOutcome) -> list[Effect]:
        self._outcome = outcome
        done = outcome is TransferOutcome.COMPLETE
        return self._handle(E.TRANSFER_DONE if done else E.TRANSFER_FAILED)

    def timed_out(self) -> list[Effect]:
        return self._handle(E.IDLE)

    # ------------------------------------------------------------- machinery

    def _classify(self, command: Command) -> Event:
        event = VERB_EVENTS.get(command.verb, E.UNKNOWN)
        if event is E.PASS and self.state is S.LOGIN_PASS and self.user in ANONYMOUS_NAMES:
            return E.PASS_ANONYMOUS
        if command.verb == "EPSV" and command.argument.strip().upper() == "ALL":
            return E.SETTING
        return event

    def _malformed(self, reason: str) -> list[Effect]:
        self.malformed_count += 1
        self._reason = reason
        final = self.malformed_count >= MAX_MALFORMED
        return self._handle(E.ABUSE if final else E.MALFORMED)

    def _handle(self, event: Event, command: Command | None = None) -> list[Effect]:
        try:
            next_state, action_name = TRANSITIONS[(self.state, event)]
        except KeyError:
            raise ProtocolMisuse(f"{event.value} is not expected in state {self.state.value}") from None
        if command is not None:
            self._command = command
        action: Callable[[], list[Effect]] = getattr(self, "_do_" + action_name)
        try:
            effects = action()
        except _Refused as refusal:
            return [Send(refusal.reply)]
        self.state = next_state
        return effects

    @property
    def _cmd(self) -> Command:
        assert self._command is not None
        return self._command

    # --------------------------------------------------------------- actions

    def _do_goodbye(self) -> list[Effect]:
        return [Send(FtpReply.of(221, "Goodbye")), Close()]

    def _do_anytime(self) -> list[Effect]:
        verb = self._cmd.verb
        if verb == "FEAT":
            return [Send(FtpReply(211, ("Features:", *FEATURES, "End")))]
        if verb == "SYST":
            return [Send(FtpReply.of(215, "UNIX Type: L8"))]
        if verb == "HELP":
            verbs = " ".join(sorted(v for v, e in VERB_EVENTS.items() if e not in (E.WRITE, E.ACTIVE)))
            return [Send(FtpReply(214, ("Commands understood:", verbs, "Read-only server")))]
        return [Send(FtpReply.of(200, "NOOP ok"))]

    def _do_unknown(self) -> list[Effect]:
        return [Send(FtpReply.of(502, f"Command {self._cmd.verb} not implemented"))]

    def _do_malformed(self) -> list[Effect]:
        return [Send(FtpReply.of(500, f"Syntax error: {self._reason}"))]

    def _do_abuse(self) -> list[Effect]:
        return [Send(FtpReply.of(421, f"Syntax error: {self._reason}; too many bad lines, closing")),
                Close()]

    def _do_idle(self) -> list[Effect]:
        return [Send(FtpReply.of(421, "Idle timeout, closing control connection")), Close()]

    def _do_ask_password(self) -> list[Effect]:
        name = self._cmd.argument.strip()
        if not name or path_argument_problem(name):
            raise _Refused(501, "USER needs a user name without control characters")
        if name.lower() in ANONYMOUS_NAMES:
            if not self.allow_anonymous:
                raise _Refused(530, "Anonymous login is not allowed on this server")
            self.user = name.lower()
            return [Send(FtpReply.of(331, "Anonymous login ok, send any password"))]
        self.user = name
        return [Send(FtpReply.of(331, f"Password required for {name}"))]

    def _do_user_first(self) -> list[Effect]:
        return [Send(FtpReply.of(503, "Login with USER first"))]

    def _do_authenticate(self) -> list[Effect]:
        assert self.user is not None
        return [Authenticate(self.user, self._cmd.argument)]

    def _do_welcome_anonymous(self) -> list[Effect]:
        self.user = "anonymous"
        return [Send(FtpReply.of(230, "Anonymous login ok, read-only access"))]

    def _do_welcome(self) -> list[Effect]:
        return [Send(FtpReply.of(230, f"User {self.user} logged in, read-only access"))]

    def _do_login_incorrect(self) -> list[Effect]:
        self.user = None
        return [Send(FtpReply.of(530, "Login incorrect"))]

    def _do_too_many_failures(self) -> list[Effect]:
        self.user = None
        return [Send(FtpReply.of(421, "Login incorrect; too many failures, closing")), Close()]

    def _do_login_needed(self) -> list[Effect]:
        return [Send(FtpReply.of(530, f"Please log in with USER and PASS before {self._cmd.verb}"))]

    def _do_already_logged_in(self) -> list[Effect]:
        return [Send(FtpReply.of(503, "Already logged in; reconnect to change user"))]

    def _do_read_only(self) -> list[Effect]:
        return [Send(FtpReply.of(550, f"{self._cmd.verb} refused: this server is read-only"))]

    def _do_no_active_mode(self) -> list[Effect]:
        return [Send(FtpReply.of(
            502, f"{self._cmd.verb} refused: active mode is disabled, use PASV or EPSV"))]

    def _do_setting(self) -> list[Effect]:
        verb, arg = self._cmd.verb, self._cmd.argument
        if verb in ("PWD", "XPWD"):
            quoted = self.cwd.replace('"', '""')
            return [Send(FtpReply.of(257, f'"{quoted}" is the current directory'))]
        if verb in ("CWD", "XCWD"):
            problem = path_argument_problem(arg)
            if problem:
                raise _Refused(501, f"CWD: {problem}")
            self.cwd = join_path(self.cwd, arg)
            if len(self.cwd) > 1:
                self.cwd = self.cwd.rstrip("/") or "/"
            return [Send(FtpReply.of(250, f"Directory changed to {self.cwd}"))]
        if verb in ("CDUP", "XCUP"):
            self.cwd = parent_path(self.cwd)
            return [Send(FtpReply.of(250, f"Directory changed to {self.cwd}"))]
        if verb == "TYPE":
            return [Send(self._set_type(arg))]
        if verb == "MODE":
            if arg.strip().upper() != "S":
                raise _Refused(504, "Only MODE S (stream) is supported")
            return [Send(FtpReply.of(200, "Mode set to S"))]
        if verb == "STRU":
            if arg.strip().upper() != "F":
                raise _Refused(504, "Only STRU F (file) is supported")
            return [Send(FtpReply.of(200, "Structure set to F"))]
        if verb == "REST":
            if not arg.strip().isdigit() or not arg.strip().isascii():
                raise _Refused(501, "REST needs a byte offset (decimal digits)")
            self.rest_offset = int(arg.strip())
            return [Send(FtpReply.of(350, f"Restarting at {self.rest_offset}; send RETR"))]
        if verb == "EPSV":  # EPSV ALL: we never do active mode anyway
            return [Send(FtpReply.of(200, "EPSV ALL ok"))]
        return [Send(FtpReply.of(225, "No transfer to abort"))]  # ABOR

    def _set_type(self, arg: str) -> FtpReply:
        words = arg.upper().split()
        if words in (["A"], ["A", "N"]):
            self.ascii = True
            return FtpReply.of(200, "Type set to A")
        if words in (["I"], ["L", "8"]):
            self.ascii = False
            return FtpReply.of(200, "Type set to I")
        raise _Refused(504, "Only TYPE A and TYPE I are supported")

    def _do_open_passive(self) -> list[Effect]:
        verb, arg = self._cmd.verb, self._cmd.argument.strip()
        if verb == "PASV" and self.ipv6:
            raise _Refused(522, "PASV is IPv4 only; use EPSV")
        if verb == "EPSV" and arg:
            wanted = "2" if self.ipv6 else "1"
            if arg != wanted:
                raise _Refused(522, f"Network protocol not supported, use ({wanted})")
        self._extended_passive = verb == "EPSV"
        self.passive_ready = False  # the server replaces any unused listener
        return [OpenPassive()]

    def _do_passive_ready(self) -> list[Effect]:
        self.passive_ready = True
        host, port = self._advertise
        if self._extended_passive:
            return [Send(FtpReply.of(229, f"Entering Extended Passive Mode (|||{port}|)"))]
        numbers = ",".join([*host.split("."), str(port >> 8), str(port & 0xFF)])
        return [Send(FtpReply.of(227, f"Entering Passive Mode ({numbers})"))]

    def _do_passive_unavailable(self) -> list[Effect]:
        return [Send(FtpReply.of(425, "Cannot open a passive data connection"))]

    def _need_passive(self) -> None:
        if not self.passive_ready:
            raise _Refused(425, f"Use PASV or EPSV before {self._cmd.verb}")

    def _do_fetch(self) -> list[Effect]:
        problem = path_argument_problem(self._cmd.argument)
        if problem:
            raise _Refused(501, f"{self._cmd.verb}: {problem}")
        if self._cmd.verb == "RETR":
            self._need_passive()
            self.passive_ready = False  # consumed whatever the outcome
        assert self.user is not None
        return [Fetch(join_path(self.cwd, self._cmd.argument), self.user)]

    def _do_refuse_fetch(self) -> list[Effect]:
        error = self._fetched
        assert isinstance(error, ErrorReply)
        self.rest_offset = 0
        code = 550 if error.code in (1, 2) else 451
        return [Send(FtpReply.of(code, _clean_text(error.message)))]

    def _do_refuse_offset(self) -> list[Effect]:
        assert isinstance(self._fetched, BytesReply | FileReply)
        size = _size_of(self._fetched)
        offset, self.rest_offset = self.rest_offset, 0
        return [Send(FtpReply.of(554, f"Restart offset {offset} is beyond the end of the file ({size} bytes)"))]

    def _do_answer_size(self) -> list[Effect]:
        found = self._fetched
        if isinstance(found, FileReply):
            if self.ascii:
                return [Send(FtpReply.of(
                    550, "SIZE of this file is only known in binary mode; send TYPE I"))]
            return [Send(FtpReply.of(213, str(found.size)))]
        assert isinstance(found, BytesReply)
        size = ascii_size(found.data) if self.ascii else len(found.data)
        return [Send(FtpReply.of(213, str(size)))]

    def _do_start_transfer(self) -> list[Effect]:
        found = self._fetched
        assert isinstance(found, BytesReply | FileReply)
        offset, self.rest_offset = self.rest_offset, 0
        size = _size_of(found)
        mode = "ASCII" if self.ascii else "BINARY"
        return [Send(FtpReply.of(150, f"Opening {mode} mode data connection ({size} bytes)")),
                Transfer(found, offset, self.ascii)]

    def _do_start_listing(self) -> list[Effect]:
        self._need_passive()
        self.passive_ready = False
        self.rest_offset = 0
        return [Send(FtpReply.of(150, "Opening data connection for an empty listing")),
                Transfer(None, 0, self.ascii)]

    def _do_transfer_done(self) -> list[Effect]:
        if self._cmd.verb in ("NLST", "LIST"):
            return [Send(FtpReply.of(226, "Listing complete (directory listings are not provided)"))]
        return [Send(FtpReply.of(226, "Transfer complete"))]

    def _do_transfer_failed(self) -> list[Effect]:
        return [Send(_TRANSFER_FAILURES[self._outcome])]
