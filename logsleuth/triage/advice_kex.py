"""Advice for key exchange (algorithm negotiation, banners) and host key verification."""

from __future__ import annotations

from logsleuth.triage.remedy import Advice, Ctx, advises

# Old algorithms, best first, with what enabling them costs.
_LEGACY: dict[str, tuple[tuple[str, str], ...]] = {
    "kex": (
        ("diffie-hellman-group14-sha256", "none worth noting (2048-bit DH)"),
        ("diffie-hellman-group16-sha512", "none worth noting"),
        ("diffie-hellman-group-exchange-sha256", "none worth noting"),
        ("ecdh-sha2-nistp256", "none worth noting"),
        (
            "diffie-hellman-group14-sha1",
            "SHA-1 in the key exchange; 2048-bit DH is still considered safe",
        ),
        ("diffie-hellman-group-exchange-sha1", "SHA-1 in the key exchange"),
        (
            "diffie-hellman-group1-sha1",
            "1024-bit DH with SHA-1: within reach of a "
            "well-funded attacker (Logjam); use only on an isolated network",
        ),
    ),
    "hostkey": (
        ("rsa-sha2-512", "none"),
        ("rsa-sha2-256", "none"),
        ("ecdsa-sha2-nistp256", "none"),
        (
            "ssh-rsa",
            "the server's identity is proven with SHA-1 signatures, which are "
            "vulnerable to chosen-prefix collisions",
        ),
        ("ssh-dss", "1024-bit DSA, removed from OpenSSH 10.0: upgrade the server instead"),
    ),
    "cipher": (
        ("aes128-ctr", "none"),
        ("aes256-ctr", "none"),
        ("aes256-cbc", "CBC mode in SSH has known plaintext-recovery attacks"),
        ("aes128-cbc", "CBC mode in SSH has known plaintext-recovery attacks"),
        ("3des-cbc", "64-bit blocks (Sweet32) and CBC weaknesses; slow"),
    ),
    "mac": (
        ("hmac-sha2-256", "none"),
        ("hmac-sha2-512", "none"),
        ("hmac-sha1", "HMAC-SHA1 is still unbroken as a MAC, but deprecated"),
        ("hmac-md5", "MD5-based; deprecated"),
    ),
}
_OPTION = {
    "kex": "KexAlgorithms",
    "hostkey": "HostKeyAlgorithms",
    "cipher": "Ciphers",
    "mac": "MACs",
    "compression": "Compression",
}


@advises(
    "negotiation-failure/no-common-kex",
    "negotiation-failure/no-common-hostkey",
    "negotiation-failure/no-common-cipher",
    "negotiation-failure/no-common-mac",
    "negotiation-failure/no-common-compression",
)
def _negotiate(c: Ctx) -> Advice:
    kind = c.finding.cause.rsplit("-", 1)[1]
    offer_text = c.fields.get("offer") or c.fields.get("server") or ""
    offer = [a for a in offer_text.split(",") if a]
    what = c.fields.get("what", kind)
    putty = c.finding.facts.client == "putty"
    pick, cost = next(
        ((a, why) for a, why in _LEGACY.get(kind, ()) if a in offer),
        (offer[0] if offer else "", "unknown"),
    )
    old_client = bool(offer) and not any(a in offer for a, _ in _LEGACY.get(kind, ())[2:])
    summary = f"no common {what}: the server offers only {offer_text or 'algorithms'} "
    if putty or old_client:
        return Advice(
            summary + "that this client lacks",
            "The server offers only modern algorithms this client does not have "
            "(an old PuTTY, WinSCP, JSch or OpenSSH).",
            "Upgrade the client; in PuTTY, also check Connection > SSH > Kex / Host keys / "
            "Cipher for algorithms placed below the 'warn below here' line.",
            "# upgrade the client, e.g.\nsudo apt-get install --only-upgrade openssh-client",
            "`Unable to negotiate with ... no matching ... found. Their offer: ...` "
            "(the server's view of the same mismatch).",
        )
    option = _OPTION[kind]
    lines = [f"{option} +{pick}"]
    if kind == "hostkey" and pick == "ssh-rsa":
        lines.append("PubkeyAcceptedAlgorithms +ssh-rsa  # if you log in with an RSA key")
    return Advice(
        summary + "(disabled in this client)",
        f"The server is old (or a network device) and offers only {what}s that modern "
        "OpenSSH disables by default.",
        f"Enable `{pick}` for this host only, not globally. Security cost: {cost}. The "
        "real fix is to upgrade the server or its configuration.",
        c.block(*lines) + f"\n\n# one-off:\nssh -o {option}=+{pick} {c.host}",
        f"`Unable to negotiate with {c.client_ip} port PORT: no matching {what} found. "
        "Their offer: ...` with the client's list.",
    )


@advises("negotiation-failure/no-mutual-signature-algorithm")
def _sigalg(c: Ctx) -> Advice:
    return Advice(
        "the key's signature algorithm is not accepted (RSA/SHA-1)",
        "The key could only sign with an algorithm one side has disabled: OpenSSH 8.8+ "
        "refuses ssh-rsa (SHA-1) signatures, so an RSA key between a new and an old "
        "side finds no common algorithm and is skipped.",
        "Prefer an ed25519 key; or allow ssh-rsa for this host only (SHA-1 signatures).",
        "ssh-keygen -t ed25519\n\n"
        + c.block("PubkeyAcceptedAlgorithms +ssh-rsa", "HostKeyAlgorithms +ssh-rsa"),
        "`userauth_pubkey: signature algorithm ssh-rsa not in PubkeyAcceptedAlgorithms`.",
    )


@advises(
    "negotiation-failure/bad-banner",
    "negotiation-failure/not-ssh",
    "negotiation-failure/closed-during-kex",
)
def _bad_banner(c: Ctx) -> Advice:
    if c.finding.cause.endswith("closed-during-kex"):
        return Advice(
            "the server closed the connection during key exchange",
            "sshd hung up while algorithms were negotiated: usually no algorithm in "
            "common (the server logs which), or a server-side error.",
            "Read the server's `Unable to negotiate` line and enable the algorithm it "
            "names for this host, or upgrade the older side.",
            f"ssh -vv {c.host} 2>&1 | grep -E 'kex|host key|cipher|MAC'",
            "`Unable to negotiate with ... no matching ... found. Their offer: ...`.",
        )
    return Advice(
        f"what answers on {c.host} port {c.port} is not an SSH server",
        "The other end sent something that is not an SSH-2.0 banner: a web or TLS "
        "server, an HTTP proxy, or an SSH-1-only device.",
        "Check the port number; an HTTP proxy in the way needs a ProxyCommand.",
        f"nc -v {c.host} {c.port}   # an sshd answers with SSH-2.0-...",
        "Nothing from sshd: the connection did not reach it.",
    )


def _keygen_r(c: Ctx) -> str:
    path = c.fields.get("path") or c.fields.get("kg_path")
    for h in c.finding.attempt.matched:
        path = path or h.fields.get("path") or h.fields.get("kg_path")
    opt = f' -f "{path}"' if path else ""
    lines = [f'ssh-keygen{opt} -R "{c.dest}"']
    ip = c.finding.facts.ip
    if ip and ip != c.host:
        dest_ip = ip if c.port == 22 else f"[{ip}]:{c.port}"
        lines.append(f'ssh-keygen{opt} -R "{dest_ip}"')
    return "\n".join(lines)


@advises("host-key/changed", "host-key/changed-degraded", "host-key/dns-spoofing")
def _changed(c: Ctx) -> Advice:
    return Advice(
        f"the host key of {c.host} changed since it was recorded in known_hosts",
        "The server presented another key than the one saved on your first connection. "
        "Usually the server was reinstalled or its keys regenerated, or the name/address "
        "now points at another machine; it can also be a man-in-the-middle, which is why "
        "ssh stops.",
        "Confirm the new fingerprint out of band (ask the admin, or read it on the "
        "server's console), then remove the old entry and connect again to record the "
        "new one. Do not turn StrictHostKeyChecking off.",
        "# on the server's console:\nssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\n"
        f"# then on your machine:\n{_keygen_r(c)}\nssh {c.host}",
        f"`Connection closed by {c.client_ip} port PORT [preauth]` with no user: the "
        "client hung up right after key exchange. Compare the server's fingerprint with "
        "the one ssh showed.",
    )


@advises("host-key/unknown", "host-key/verification-failed")
def _unknown_key(c: Ctx) -> Advice:
    strict = c.finding.cause.endswith("unknown")
    why = (
        "StrictHostKeyChecking=yes (or BatchMode) forbids trusting a host that is not "
        "in known_hosts yet."
        if strict
        else "ssh could not confirm the host key: the answer to the trust prompt was `no`, "
        "or there was no terminal to ask (BatchMode, a script, CI)."
    )
    return Advice(
        f"the host key of {c.host} is not trusted",
        why,
        "Record the key once, after checking its fingerprint against the server's, or "
        "let ssh accept keys of new hosts (but never changed ones).",
        f"ssh-keyscan -p {c.port} {c.host} | ssh-keygen -lf -   # compare with the server\n"
        f"ssh-keyscan -p {c.port} {c.host} >> ~/.ssh/known_hosts\n\n"
        + c.block("StrictHostKeyChecking accept-new"),
        f"`Connection closed by {c.client_ip} port PORT [preauth]` with no user.",
    )
