"""Advice for causes up to the banner and after login: resolve, connect, server limits,
proxies, network drops, keepalives, protocol errors and clean exits."""

from __future__ import annotations

from logsleuth.triage.remedy import Advice, Ctx, advises, keepalive_interval

_SERVER_GREP = (
    "# on the server, around the time of the attempt:\n"
    "sudo journalctl -u ssh -u sshd --since '-15 min' | "
    "grep -E 'drop connection|MaxStartups|penalt|refused connect|fatal'"
)


@advises("connect-failure/resolve")
def _resolve(c: Ctx) -> Advice:
    return Advice(
        f"the name {c.host} does not resolve to an address",
        "The connection never started: DNS (or /etc/hosts) has no address for this name. "
        "A typo, a name that exists only inside a VPN or an internal DNS, or a resolver "
        "that is down (`Temporary failure in name resolution`).",
        "Check the spelling and what the resolver says; if the server has a fixed address, "
        "give it in ~/.ssh/config so ssh does not depend on DNS.",
        f"getent hosts {c.host}\n\n" + c.block("HostName 192.0.2.10  # the server's address"),
        "Nothing: the server never saw this attempt.",
    )


@advises("connect-failure/refused")
def _refused(c: Ctx) -> Advice:
    return Advice(
        f"connection refused by {c.host} port {c.port}: nothing listens there, or a "
        "firewall rejects it",
        "The host is reachable and answered with a TCP reset: sshd is not running, it "
        "listens on another port or address, or a firewall rule rejects the connection.",
        "Check the port you use against the server's `Port`/`ListenAddress`, and that "
        "sshd runs. If sshd listens on another port, set it in ~/.ssh/config.",
        f"nc -vz {c.host} {c.port}\n# on the server:\nsudo ss -ltnp | grep sshd\n"
        "sudo systemctl status ssh sshd\n\n" + c.block(f"Port {c.port}  # sshd's real port"),
        "Nothing from sshd (the connection never reached it). On the server check that "
        "sshd listens (`ss -ltnp`) and the firewall (`nft list ruleset`).",
    )


@advises("connect-failure/timeout")
def _connect_timeout(c: Ctx) -> Advice:
    return Advice(
        f"no answer from {c.host} port {c.port}: the host is down or a firewall drops the packets",
        "The TCP connection attempt got no reply at all: the address is wrong or "
        "unreachable, the host is off, or a firewall/security group silently drops port "
        f"{c.port}.",
        "Check the address and that the host is up, then firewalls and security groups "
        "between you and it. Set a ConnectTimeout so ssh fails fast.",
        f"nc -vz -w 5 {c.host} {c.port}\n\n" + c.block("ConnectTimeout 10"),
        "Nothing from sshd (the connection never reached it); look at the firewall's "
        "drop counters on the path.",
    )


@advises("connect-failure/no-route", "connect-failure/other")
def _no_route(c: Ctx) -> Advice:
    err = c.fields.get("error", "no route")
    return Advice(
        f"cannot reach {c.host}: {err}",
        "The local machine (or a router on the way) has no route to the address, or a "
        "local policy refused the connection: a VPN that is down, the wrong network, or "
        "an IPv6 address without IPv6 connectivity.",
        "Check the route and the VPN; force IPv4 if the name also has an unusable IPv6 address.",
        f"ip route get {c.ip}\n\n" + c.block("AddressFamily inet  # if IPv6 is the problem"),
        "Nothing: the server never saw this attempt.",
    )


@advises("server-limit/maxstartups")
def _maxstartups(c: Ctx) -> Advice:
    return Advice(
        "the server dropped the connection: too many unauthenticated connections (MaxStartups)",
        "sshd answered `Exceeded MaxStartups`: it already had MaxStartups (default "
        "10:30:100) connections that had not finished logging in, so it dropped new ones. "
        "Usually a brute-force wave or many parallel ssh clients (Ansible, CI).",
        "On the server, raise MaxStartups (and limit per source address); on the client, "
        "reuse one connection for many commands instead of opening new ones.",
        "# /etc/ssh/sshd_config (then: sudo systemctl reload ssh)\nMaxStartups 30:30:200\n"
        "PerSourceMaxStartups 10\n\n"
        + c.block("ControlMaster auto", "ControlPath ~/.ssh/cm-%C", "ControlPersist 10m"),
        f"`drop connection #N from [{c.client_ip}]:PORT on [...]:{c.port} past Maxstartups` "
        "(`Maxstartups` on 10.0+), and on 8.4-9.7 `beginning MaxStartups throttling`.",
    )


@advises("server-limit/penalty")
def _penalty(c: Ctx) -> Advice:
    return Advice(
        "the server refused the connection: your address is penalised (PerSourcePenalties)",
        "sshd 9.8+ answered `Not allowed at this time`: earlier connections from your "
        "address failed authentication, never authenticated, or hit LoginGraceTime, so "
        "sshd blocks the address for a while (PerSourcePenalties).",
        "Wait for the penalty to expire and fix what caused it (failed logins). If the "
        "address is a trusted one (a NAT gateway, a monitoring host), exempt it.",
        "# /etc/ssh/sshd_config (then: sudo systemctl reload ssh)\n"
        f"PerSourcePenaltyExemptList {c.client_ip}/32\n"
        "# or soften the penalties:\nPerSourcePenalties authfail:5s noauth:1s max:2m",
        f"`drop connection #N from [{c.client_ip}]:PORT on [...]:{c.port} penalty: failed "
        "authentication` (or another penalty reason) and `srclimit_penalise: ... new "
        f"{c.client_ip}/32 active penalty of N seconds for penalty: ...`.",
    )


@advises("unknown/pre-banner-closed", "unknown/pre-banner-reset", "unknown/pre-banner-text")
def _banner_drop(c: Ctx) -> Advice:
    how = "reset" if c.finding.cause.endswith("reset") else "closed"
    text = c.fields.get("text")
    said = f" after sending `{text}`" if text else ""
    return Advice(
        f"the server side {how} the connection before its SSH banner{said}; "
        "the paste does not say why",
        "TCP connected, then the other end hung up before SSH started. Nothing in a "
        "client paste tells these causes apart; the server can. Candidates, most "
        "common first: 1. TCP wrappers (/etc/hosts.deny) refuse your address; 2. a ban "
        "(fail2ban, sshguard, CrowdSec) or a firewall rule; 3. sshd's MaxStartups or "
        "PerSourcePenalties dropped it; 4. sshd is not running or crashes (a bad "
        "sshd_config, a broken sshd-session after an upgrade); 5. a load balancer or "
        "port forward with no live backend.",
        "Check each candidate on the server with the command next to it, and fix the "
        "one that shows your address; retry after a pause meanwhile.",
        "# on the server, for each candidate:\n"
        "grep -i sshd /etc/hosts.deny /etc/hosts.allow          # 1. TCP wrappers\n"
        "sudo fail2ban-client status sshd; sudo nft list ruleset  # 2. ban / firewall\n"
        "sudo journalctl -u ssh -u sshd --since '-15 min' | grep -Ei "
        "'MaxStartups|penalty|refused connect|fatal'             # 3. limits\n"
        "sudo systemctl status ssh sshd; sudo sshd -t              # 4. sshd itself\n"
        f"nc -v {c.host} {c.port}   # 5. an sshd answers SSH-2.0-...; a load balancer "
        "with no backend answers nothing",
        "`refused connect from` (TCP wrappers), a ban of your address in the fail2ban/"
        "sshguard/CrowdSec log, `drop connection #N ... past MaxStartups` or `penalty:` "
        "(MaxStartups / PerSourcePenalties), a `fatal:` line or sshd restarting (sshd "
        "itself); no line at all points at a firewall or a load balancer in front.",
    )


@advises("server-limit/banner-timeout")
def _banner_timeout(c: Ctx) -> Advice:
    return Advice(
        f"{c.host} accepted TCP but sent no SSH banner in time",
        "Something accepted the connection but did not speak SSH before the timeout: an "
        "overloaded or hung sshd (slow DNS lookups with `UseDNS yes`, a full process "
        "table), or a port forward / load balancer with no live backend.",
        "Check the server's load and what listens on the port; if the path is just slow, "
        "allow more time.",
        f"nc -v {c.host} {c.port}   # an sshd answers with SSH-2.0-... at once\n\n"
        + c.block("ConnectTimeout 30"),
        "`Connection from ... port ...` with no further lines, or nothing at all if a "
        "forwarder in front of sshd is the problem.",
    )


@advises("server-limit/closed-during-auth")
def _grace(c: Ctx) -> Advice:
    return Advice(
        "the server closed the connection during authentication",
        "sshd hung up while the client was logging in: LoginGraceTime expired (a prompt "
        "left unanswered, a slow second factor), MaxAuthTries was reached, or a penalty "
        "or server error ended it.",
        "Answer prompts in time, or give logins more time on the server.",
        "# /etc/ssh/sshd_config\nLoginGraceTime 2m",
        "`Timeout before authentication for ...` (sshd 8.5+), `maximum authentication "
        f"attempts exceeded for {c.user}`, or `Connection closed by authenticating user "
        f"{c.user} ...`.",
    )


@advises("server-limit/max-sessions")
def _max_sessions(c: Ctx) -> Advice:
    return Advice(
        "the shared connection refused another session (MaxSessions)",
        "Multiplexed sessions over one ControlMaster connection count against the "
        "server's MaxSessions (default 10).",
        "Raise MaxSessions on the server, or use fewer sessions per master connection.",
        "# /etc/ssh/sshd_config\nMaxSessions 30",
        "`no more sessions` in the server's log.",
    )


@advises("proxy-failure/proxy-exited", "proxy-failure/stdio-forwarding-failed")
def _proxy(c: Ctx) -> Advice:
    jump = c.finding.facts.jump or "JUMP"
    return Advice(
        "the ProxyJump / ProxyCommand leg failed before the target answered",
        "`UNKNOWN port 65535` is ssh's name for a connection that is a pipe to a proxy "
        "program. The proxy (the jump host's ssh, nc ...) exited: the jump host refused "
        "you, could not reach the target, or the proxy program is missing. The jump "
        "leg's own lines (another attempt in this paste, if present) say which.",
        "Test the jump leg on its own, then the forwarding from it to the target.",
        f"ssh -v {jump} true\nssh -v -W {c.host}:{c.port} {jump}\n\n"
        + c.block(f"ProxyJump {jump}"),
        "On the jump host: `refused local port forward`, `connect_to ... failed`; on the "
        "target: nothing (the connection never got there).",
    )


@advises("proxy-failure/jump-cannot-connect", "proxy-failure/jump-cannot-resolve")
def _jump_connect(c: Ctx) -> Advice:
    err = c.fields.get("error", "")
    return Advice(
        f"the jump host could not connect onward to the target: {err}",
        "The jump host logged you in but its connection to the target failed. The target "
        "name and port are resolved and dialled *from the jump host*: a name only your "
        "machine knows, a wrong port, a target that is down, or a firewall between them.",
        "Check, from the jump host, that the target resolves and its port answers.",
        "# on the jump host:\ngetent hosts TARGET\nnc -vz TARGET 22",
        "On the jump host: `connect_to TARGET port 22: failed.` or `connect_to TARGET: "
        "unknown host`.",
    )


@advises("proxy-failure/forwarding-prohibited")
def _fwd_prohibited(c: Ctx) -> Advice:
    return Advice(
        "the jump host forbids forwarding to the target",
        "`administratively prohibited`: the jump host's sshd has AllowTcpForwarding no "
        "(or `restrict` in authorized_keys), a PermitOpen list without this target, or "
        "its MaxSessions was reached.",
        "Allow TCP forwarding for your user on the jump host.",
        "# jump host /etc/ssh/sshd_config\nMatch User USER\n    AllowTcpForwarding yes\n"
        "    PermitOpen TARGET:22",
        "On the jump host: `refused local port forward: originator ... target ...` or "
        "`Received request ... to connect to host ... but the request was denied.`",
    )


@advises("proxy-failure/proxy-command-missing")
def _proxy_missing(c: Ctx) -> Advice:
    cmd = c.fields.get("command", "the proxy program")
    return Advice(
        f"the ProxyCommand program `{cmd}` is not installed",
        "The shell that runs ProxyCommand could not find the program.",
        "Install it, or replace an nc-based ProxyCommand with ProxyJump.",
        c.block("ProxyJump JUMP  # instead of ProxyCommand ... nc %h %p"),
        "Nothing: the connection never left this machine.",
    )


def _keepalive(c: Ctx, what: str, why: str) -> Advice:
    silence = c.finding.silence_s
    interval = keepalive_interval(silence)
    if silence is None:
        basis = (
            "The paste has no timestamps, so 60 s is used: well under the idle "
            "timeouts of common NAT gateways and firewalls (often 300 s or more)."
        )
    elif silence < 20:
        basis = (
            f"It died {silence:.0f} s after the last activity, so this was not an "
            "idle timeout: keepalives will only make the failure show sooner. Look "
            "at the network (Wi-Fi roaming, VPN reconnects, sleep)."
        )
    else:
        basis = (
            f"The connection was quiet for {silence:.0f} s before it failed, so a "
            f"keepalive every {interval} s (below half of that) keeps the flow "
            "alive in the NAT/firewall."
        )
    return Advice(
        what,
        why,
        "Send keepalives from the client so idle connections are never silent long "
        "enough for a NAT or firewall to forget them. " + basis,
        c.block(f"ServerAliveInterval {interval}", "ServerAliveCountMax 3")
        + f"\n\n# or, on the server (/etc/ssh/sshd_config):\nClientAliveInterval {interval}"
        "\nClientAliveCountMax 3",
        f"`Read error from remote host {c.client_ip} port PORT: Connection reset by peer` / "
        "`Connection timed out`, `Timeout, client not responding from user "
        f"{c.user} ...`, or `Connection closed by {c.client_ip} port PORT` for user "
        f"{c.user}, at about the time the session died.",
    )


@advises(
    "network-drop/broken-pipe",
    "network-drop/reset",
    "network-drop/write-failed",
    "network-drop/tcp-timeout",
    "network-drop/no-route",
    "network-drop/read-failed",
    "network-drop/connection-abort",
)
def _drop(c: Ctx) -> Advice:
    kind = c.finding.cause.split("/", 1)[1].replace("-", " ")
    return _keepalive(
        c,
        f"the connection to {c.host} died under the session ({kind})",
        "The TCP connection broke while the session was open: a NAT or firewall forgot "
        "the idle flow and reset it, the laptop slept or changed network, or the path "
        "went away. `Broken pipe` lines are the client noticing afterwards.",
    )


@advises("unknown/closed-by-remote")
def _closed_by_remote(c: Ctx) -> Advice:
    probes = c.finding.facts.keepalive_probes
    extra = (
        f" The server was probing this client ({probes} keepalive@openssh.com "
        "requests seen), so sshd's ClientAliveInterval is on: if the client stalled "
        "(sleep, SIGSTOP, an overloaded laptop), sshd gave up on it."
        if probes
        else ""
    )
    adv = _keepalive(
        c,
        f"{c.host} closed the session",
        "The server side closed the TCP connection under an open session: sshd's "
        "ClientAlive timeout gave up on this client, the server rebooted or the session "
        "was killed, an idle policy (UnusedConnectionTimeout, ChannelTimeout) ended it, or "
        "a middlebox closed the flow." + extra,
    )
    return Advice(
        adv.summary,
        adv.explanation,
        adv.remedy_text,
        adv.snippet,
        f"`Timeout, client not responding from user {c.user} {c.client_ip} port "
        "PORT` (ClientAlive), `terminating inactive connection` / `closing after "
        "N seconds of inactivity` (idle policy), `Received signal 15; "
        "terminating.` or a reboot, or " + adv.confirm,
    )


@advises("keepalive-timeout/server-alive")
def _server_alive(c: Ctx) -> Advice:
    return Advice(
        f"the client gave up: {c.host} did not answer its keepalives",
        "ServerAliveInterval is set and ServerAliveCountMax probes in a row went "
        "unanswered: the server or the path was silent for Interval x CountMax seconds "
        "(an outage, a VPN drop, the laptop's network going away).",
        "If the outages are short, tolerate them by allowing more unanswered probes; if "
        "they are long, find what interrupts the path (or use mosh / autossh).",
        c.block("ServerAliveInterval 15", "ServerAliveCountMax 8  # ~2 min of silence"),
        f"`Read error from remote host ...`, `Timeout, client not responding from user "
        f"{c.user} ...` or nothing (if the server never noticed).",
    )


@advises(
    "protocol-error/corrupted",
    "protocol-error/dispatch",
    "protocol-error/libcrypto",
    "protocol-error/incorrect-signature",
)
def _corrupt(c: Ctx) -> Advice:
    return Advice(
        "the encrypted stream arrived corrupted",
        "A packet failed its integrity check or had an impossible length: something on "
        "the path damages data (a broken middlebox, an MTU/PMTU problem, NIC offload "
        "bugs, bad RAM), or the two ends disagree after a rekey.",
        "Try other algorithms to rule out an implementation bug, then look at the path.",
        c.block("Ciphers aes128-ctr", "MACs hmac-sha2-256")
        + "\n\n# on Linux, rule out offload bugs:\nsudo ethtool -K eth0 tso off gso off gro off",
        "`Corrupted MAC on input`, `Bad packet length`, or `ssh_dispatch_run_fatal: "
        "Connection from ...: message authentication code incorrect`.",
    )


@advises("clean-exit/closed", "clean-exit/jump-ok")
def _clean(c: Ctx) -> Advice:
    secs = c.finding.facts.session_seconds
    took = f" after {secs:g} s" if secs is not None else ""
    jump = c.finding.cause.endswith("jump-ok")
    summary = (
        f"the jump host leg to {c.host} worked"
        if jump
        else f"the session with {c.host} ended normally{took}"
    )
    return Advice(
        summary,
        "No error: the remote shell or command exited and the connection closed cleanly.",
        "Nothing to fix.",
        "",
        f"`Received disconnect from {c.client_ip} port PORT:11: disconnected by user` and "
        f"`Disconnected from user {c.user} ...`.",
    )


@advises("clean-exit/client-killed")
def _killed(c: Ctx) -> Advice:
    sig = c.fields.get("signal", "?")
    return Advice(
        f"the ssh client was killed (signal {sig})",
        "The client process itself was stopped: signal 1 (SIGHUP) when its terminal "
        "window closed, 15 (SIGTERM) when something killed it. The network was fine.",
        "Run long jobs inside tmux or screen on the server so they survive the client.",
        f"ssh -t {c.host} tmux new -A -s main",
        f"`Connection closed by {c.client_ip} port PORT` or `Received disconnect`.",
    )
