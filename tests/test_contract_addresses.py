"""DESIGN's contract: `client_ip` is an IP address or null, never a host name; an
outbound connection names the server it went to in `remote_host`."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

from logsleuth import api
from logsleuth.renderers import render

SAMPLE = Path(__file__).resolve().parents[1] / "sample_logs" / "auth.log"


def test_client_ip_is_an_address_and_outbound_names_its_server() -> None:
    doc = json.loads(render(api.scan([str(SAMPLE)]), "json"))
    conns = doc["connections"]
    outbound = [c for c in conns if c["direction"] == "outbound"]
    assert outbound, "the sample has outbound connections"
    for c in conns:
        if c["client_ip"] is not None:
            ipaddress.ip_address(c["client_ip"])  # raises on a host name
    assert all(c["client_ip"] is None for c in outbound)
    named = {c["remote_host"] for c in outbound if c["remote_host"]}
    assert {"web01", "nas01"} <= named
    # near case: inbound connections keep their client address and name no server
    inbound = [c for c in conns if c["direction"] == "inbound"]
    assert any(c["client_ip"] for c in inbound)
    assert all(c["remote_host"] is None for c in inbound)
