"""Option negotiation (RFC 2347 framework; blksize 2348, timeout/tsize 2349, windowsize 7440).

Rules:
* Unknown options are ignored (left out of the OACK), as RFC 2347 requires.
* A known option whose value is not a decimal integer, or lies below its minimum, is
  refused with error 8 naming the option and its valid range -- the client asked for
  something impossible and a clear refusal beats a silent surprise.
* `blksize` and `windowsize` above our configured maximum are clamped down (both RFCs
  let the server answer a smaller value); `timeout` must be 1..255 and is echoed.
* `tsize`: in an RRQ the answer is the real size when the server knows it (it is
  left out otherwise); in a WRQ it is the client's announced size, echoed back.
* When no option survives, no OACK is sent and the transfer is plain RFC 1350.
Pure functions; the server decides what to do with `OptionRefused`.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BLKSIZE = 512
MIN_BLKSIZE = 8
MAX_BLKSIZE = 65464
MAX_WINDOWSIZE = 65535


class OptionRefused(ValueError):
    """A known option with an unacceptable value; str() is the reason for error 8."""


@dataclass(frozen=True)
class Negotiated:
    """The transfer parameters agreed on, and the acknowledged options in client order."""

    blksize: int = DEFAULT_BLKSIZE
    windowsize: int = 1
    timeout: float | None = None  # None: use the server default
    tsize_requested: bool = False
    client_tsize: int | None = None  # WRQ only
    accepted: tuple[tuple[str, str], ...] = ()  # tsize is filled in by `oack`

    def oack(self, tsize: int | None) -> tuple[tuple[str, str], ...]:
        """The OACK option list; `tsize` is the known transfer size (None: unknown)."""
        out = []
        for name, value in self.accepted:
            if name == "tsize":
                if tsize is None:
                    continue
                value = str(tsize)
            out.append((name, value))
        return tuple(out)


def _integer(name: str, value: str, low: int, high: int | None) -> int:
    if not value.isdigit() or len(value) > 12:
        raise OptionRefused(f"option {name}={value!r} is not a decimal integer")
    number = int(value)
    if number < low or (high is not None and number > high):
        upper = "" if high is None else f"..{high}"
        raise OptionRefused(f"option {name}={number} is outside the valid range {low}{upper}")
    return number


def negotiate(
    options: tuple[tuple[str, str], ...] | dict[str, str],
    *,
    write: bool,
    max_blksize: int,
    max_windowsize: int,
) -> Negotiated:
    """Agree on transfer parameters from the request options (names already lower-case)."""
    pairs = options.items() if isinstance(options, dict) else options
    blksize, windowsize = DEFAULT_BLKSIZE, 1
    timeout: float | None = None
    tsize_requested = False
    client_tsize: int | None = None
    accepted: list[tuple[str, str]] = []
    for name, value in pairs:
        if name == "blksize":
            blksize = min(_integer(name, value, MIN_BLKSIZE, None), max_blksize, MAX_BLKSIZE)
            accepted.append((name, str(blksize)))
        elif name == "windowsize":
            windowsize = min(_integer(name, value, 1, None), max_windowsize, MAX_WINDOWSIZE)
            accepted.append((name, str(windowsize)))
        elif name == "timeout":
            timeout = float(_integer(name, value, 1, 255))
            accepted.append((name, str(int(timeout))))
        elif name == "tsize":
            size = _integer(name, value, 0, None)
            tsize_requested = True
            if write:
                client_tsize = size
            accepted.append((name, value if write else "0"))
    return Negotiated(blksize, windowsize, timeout, tsize_requested, client_tsize, tuple(accepted))
