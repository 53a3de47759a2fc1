"""Stable connection ids: the same connection gets the same id in every run.

An id is a hash of what cannot change once a connection has begun: its host, direction,
first line (as cited, with its time, program and pid) and client address. It does not
depend on the order connections settle in, on where a run stopped, or on the file name
the first line was read from (a rotated file keeps its ids). 53 bits, so that it is
exact in every JSON reader (JavaScript numbers included).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from logsleuth.model import Connection

ID_BITS = 53


def id_of(host: str, direction: str, first: str, peer: str, port: str) -> int:
    """The stable id of the connection with these identifying values (``first``: the text
    of its first line as cited; ``peer``: client address or remote host; ``port``: the
    client port as digits, "" when unknown)."""
    key = "\x1f".join((host, direction, first, peer, port)).encode("utf-8", "surrogatepass")
    digest = hashlib.blake2b(key, digest_size=8).digest()
    return int.from_bytes(digest, "big") >> (64 - ID_BITS)


def stable_id(c: Connection) -> int:
    """The connection's stable id."""
    first = c.evidence[0].text if c.evidence else ""
    return id_of(
        c.host, c.direction, first, c.client_ip or c.remote_host or "", str(c.client_port or "")
    )


def with_stable_id(c: Connection) -> Connection:
    """The connection with its stable id."""
    return replace(c, id=stable_id(c))
