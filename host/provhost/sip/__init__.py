"""The built-in SIPNOTIFY resync method: a SIP NOTIFY (Event: check-sync) to the phone.

`send_notify` is the entry point (trio); the rest is the sans-I/O core it drives:
message.py (NOTIFY bytes, response parser), auth.py (digest/basic answers to 401/407),
transaction.py (RFC 3261 17.1.2 state machine), exchange.py (one resync, one retry).
"""

from provhost.sip.auth import AuthError, AuthMode
from provhost.sip.driver import send_notify
from provhost.sip.exchange import NotifyExchange, NotifyParams, NotifyResult, Outcome
from provhost.sip.message import SipParseError, parse_response
from provhost.sip.transaction import ClientTransaction, Timers

__all__ = [
    "AuthError",
    "AuthMode",
    "ClientTransaction",
    "NotifyExchange",
    "NotifyParams",
    "NotifyResult",
    "Outcome",
    "SipParseError",
    "Timers",
    "parse_response",
    "send_notify",
]
