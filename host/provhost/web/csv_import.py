"""Bulk import of users, phones and lines from CSV: check every row first, write only
when no row has an error, and write through the service layer like everything else.

Columns (header row required, any order, names case-insensitive):
    username, fullname, extension, mac, phone_type, label
A row may name a user, a phone and an extension together (the line goes to that user on
that phone), or any part of that.  Users and phones that already exist are reused.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from provhost.mac import MacError, normalize_mac, pretty_mac
from provhost.service import Service, ServiceError
from provhost.settings import SettingError, check_number

COLUMNS = ("username", "fullname", "extension", "mac", "phone_type", "label")
MAX_ROWS = 5000


@dataclass
class Row:
    number: int  # line in the file (the header is line 1; blank lines count)
    values: dict[str, str]
    actions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Plan:
    rows: list[Row]
    errors: list[str]  # about the file as a whole

    @property
    def ok(self) -> bool:
        return not self.errors and all(not r.errors for r in self.rows) and bool(self.rows)


def plan(svc: Service, text: str) -> Plan:
    """What importing `text` would do, row by row, with every error found; writes nothing."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:  # (line number in the file, fields), blank lines skipped but counted
        records = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    except csv.Error as e:
        return Plan([], [f"not valid CSV (line {reader.line_num}): {e}"])
    if not records:
        return Plan([], ["the file is empty: expected a header row and at least one row"])
    header = [h.strip().lower() for h in records[0][1]]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        return Plan([], [f"unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}"])
    if len(records) - 1 > MAX_ROWS:
        return Plan([], [f"more than {MAX_ROWS} rows; split the file"])
    users = {u["username"] for u in svc.user_list()}
    phones = {p["mac"]: p["phone_type"] for p in svc.phone_list()}
    extensions = {x["telnum"] for x in svc.line_list()}
    rows = []
    for i, record in records[1:]:
        values = {h: (record[k].strip() if k < len(record) else "") for k, h in enumerate(header)}
        row = Row(i, values)
        _check_row(svc, row, users, phones, extensions)
        rows.append(row)
    return Plan(rows, [])


def _check_row(svc: Service, row: Row, users: set[str], phones: dict[str, str],
               extensions: set[str]) -> None:
    v = row.values
    username, mac_text, ext = v.get("username", ""), v.get("mac", ""), v.get("extension", "")
    ptype = v.get("phone_type", "")
    if not (username or mac_text or ext):
        row.errors.append("the row names no user, phone or extension")
        return
    if username:
        if username in users:
            row.actions.append(f"use user {username}")
        else:
            users.add(username)
            row.actions.append(f"add user {username} ({v.get('fullname') or username})")
    mac = None
    if mac_text:
        try:
            mac = normalize_mac(mac_text)
        except MacError as e:
            row.errors.append(f"mac: {e}")
        if mac is not None and mac in phones:
            if ptype and phones[mac] != ptype:
                row.errors.append(f"phone {pretty_mac(mac)} exists with type {phones[mac]}, "
                                  f"not {ptype}")
            else:
                row.actions.append(f"use phone {pretty_mac(mac)}")
        elif mac is not None:
            if not ptype:
                row.errors.append(f"phone_type: needed to add phone {pretty_mac(mac)}")
            else:
                try:
                    module = svc.module_for_type(ptype)
                    phones[mac] = ptype
                    row.actions.append(f"add phone {pretty_mac(mac)} ({ptype}, {module})")
                except ServiceError as e:
                    row.errors.append(f"phone_type: {e}")
    elif ptype:
        row.errors.append("phone_type given without a mac")
    if ext:
        try:
            check_number(ext, "extension")
            if ext in extensions:
                row.errors.append(f"extension {ext} exists already (or twice in the file)")
            else:
                extensions.add(ext)
                where = f" on {pretty_mac(mac)}" if mac else ""
                row.actions.append(f"add extension {ext}{where}")
        except SettingError as e:
            row.errors.append(str(e))


def apply(svc: Service, text: str) -> tuple[Plan, list[str]]:
    """Check again (the data may have changed since the preview), then write."""
    p = plan(svc, text)
    done: list[str] = []
    if not p.ok:
        return p, done
    for row in p.rows:
        v = row.values
        username, mac_text, ext = v.get("username", ""), v.get("mac", ""), v.get("extension", "")
        try:
            if username and svc.store.find_user(username) is None:
                svc.user_add(username, v.get("fullname") or username)
            mac = normalize_mac(mac_text) if mac_text else None
            if mac is not None and svc.store.get_phone(mac) is None:
                svc.phone_add(mac, v["phone_type"])
            if ext:
                svc.line_add(ext, user=username or None, phone=mac, label=v.get("label", ""))
        except (ServiceError, MacError) as e:
            row.errors.append(f"stopped here: {e}")
            break
        done.append(f"row {row.number}: " + "; ".join(row.actions))
    return p, done
