"""Connection stories: the lines OpenSSH, PAM and logind write for one connection.

Shared by ``sample_logs/generate.py`` (the bundled sample with its ground truth) and
``benchmarks/gen_authlog.py`` (large inputs). Standard library only, deterministic for a
given ``random.Random``. Wordings follow the OpenSSH sources per version (see the
README); every story records the family it is expected to be classified as.

Times are float seconds since the epoch (UTC); lines go to a ``Sink``.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from typing import Protocol


class Sink(Protocol):
    """Receives lines; the caller orders them by time."""

    def add(self, t: float, host: str, prog: str, pid: int | None, msg: str) -> None: ...


@dataclass(frozen=True)
class Profile:
    """What one host's sshd logs: version, log level and its distribution's habits."""

    label: str
    version: tuple[int, int]
    verbose: bool = False
    logind: str = "plain"  # "plain", "quoted" (systemd >= 256) or "none" (RHEL: elsewhere)
    pam_env: bool = False  # Debian 12's pam_env deprecation line at every session open
    grace_fatal: bool = False  # logs "fatal: Timeout before authentication" (8.5-9.7)


class Host:
    """A machine's sshd: listener pid, a pid allocator, logind session numbers."""

    def __init__(
        self, name: str, addr: str, prof: Profile | None, rng: random.Random, pid: int
    ) -> None:
        self.name, self.addr, self.prof, self.rng = name, addr, prof, rng
        self._pid = pid
        self.listener = self.new_pid()
        self.logind = self.new_pid()
        self.session_no = rng.randint(40, 400)

    def new_pid(self) -> int:
        """The next pid, with the gaps other processes leave."""
        self._pid += self.rng.randint(2, 29)
        if self._pid > 4_194_000:
            self._pid = 1000 + self.rng.randint(0, 99)
        return self._pid

    def reboot(self, pid: int) -> None:
        """A fresh boot: pids start low again and daemons get new pids."""
        self._pid = pid
        self.listener = self.new_pid()
        self.logind = self.new_pid()

    @property
    def p(self) -> Profile:
        """The sshd profile (client-only hosts have none)."""
        assert self.prof is not None
        return self.prof

    @property
    def prog(self) -> str:
        """Program name of per-connection processes."""
        return "sshd-session" if self.p.version >= (9, 8) else "sshd"

    def rid(self, ip: str, port: int, cls: str | None = None, user: str | None = None) -> str:
        """sshd's remote_id: ``[authenticating user U ]IP port P`` (preamble since 7.5)."""
        if cls is None or self.p.version < (7, 5):
            return f"{ip} port {port}"
        return f"{cls} {user} {ip} port {port}"


def fingerprint(seed: str) -> str:
    """A stable SHA256 key fingerprint for a user's key."""
    raw = hashlib.sha256(seed.encode()).digest()
    return "SHA256:" + base64.b64encode(raw).decode().rstrip("=")


# ending kind -> (family, cause)
ENDINGS: dict[str, tuple[str, str]] = {
    "clean": ("clean-exit", "clean-exit/client-disconnect"),
    "keepalive": ("keepalive-timeout", "keepalive-timeout/client-alive"),
    "reset": ("network-drop", "network-drop/reset"),
    "tcp-timeout": ("network-drop", "network-drop/tcp-timeout"),
    "peer-closed": ("network-drop", "network-drop/peer-closed"),
    "broken-pipe": ("network-drop", "network-drop/broken-pipe"),
    "reply-pipe": ("network-drop", "network-drop/broken-pipe"),
    "idle": ("idle-policy", "idle-policy/unused-connection-timeout"),
    "mac": ("protocol-error", "protocol-error/mac"),
    "proxy": ("proxy-failure", "proxy-failure/connect-to-failed"),
    "unknown": ("unknown", "unknown/no-reason"),
    "shutdown": ("server-shutdown", "server-shutdown/sigterm"),
    "open": ("open", "open"),
}
UIDS = {"root": 0}


def uid_of(user: str) -> int:
    """A stable uid for a user name."""
    return UIDS.get(user, 1000 + int(hashlib.md5(user.encode()).hexdigest()[:3], 16) % 400)


class World:
    """Writes stories into a sink and records what each one is expected to be."""

    def __init__(self, rng: random.Random, sink: Sink, truth: bool = True) -> None:
        self.rng, self.sink, self.keep_truth = rng, sink, truth
        self.conns: list[dict[str, object]] = []
        self.clients: list[dict[str, object]] = []
        self._ports: set[tuple[str, str, int]] = set()

    # -- plumbing -------------------------------------------------------------------------
    def emit(self, t: float, h: Host, prog: str, pid: int | None, msg: str) -> None:
        """One line."""
        self.sink.add(t, h.name, prog, pid, msg)

    def port(self, h: Host, ip: str) -> int:
        """A client port not yet used by this client towards this host."""
        while True:
            port = self.rng.randint(32768, 60999)
            key = (h.name, ip, port)
            if key not in self._ports:
                if self.keep_truth:
                    self._ports.add(key)
                return port

    def conn(
        self,
        h: Host,
        ip: str,
        port: int,
        kind_or_fam: tuple[str, str],
        auth: bool,
        user: str | None,
        start: float,
        end: float | None,
    ) -> None:
        """Record one server connection's expected family."""
        if self.keep_truth:
            fam, cause = kind_or_fam
            self.conns.append(
                {
                    "host": h.name,
                    "client_ip": ip,
                    "client_port": port,
                    "family": fam,
                    "cause": cause,
                    "authenticated": auth,
                    "user": user,
                    "start": start,
                    "end": end,
                }
            )

    def client(self, h: Host, pid: int, fam: str, cause: str, target: str, t: float) -> None:
        """Record one client-side ssh invocation's expected family."""
        if self.keep_truth:
            self.clients.append(
                {
                    "host": h.name,
                    "pid": pid,
                    "family": fam,
                    "cause": cause,
                    "target": target,
                    "time": t,
                }
            )

    def step(self, t: float, lo: float = 0.001, hi: float = 0.02) -> float:
        """A little later."""
        return t + self.rng.uniform(lo, hi)

    # -- authenticated sessions ------------------------------------------------------------
    def session(
        self,
        h: Host,
        t: float,
        ip: str,
        user: str,
        kind: str,
        dur: float,
        *,
        method: str = "publickey",
        pty: bool = True,
        port: int | None = None,
        target: str = "db02",
        sudo: str | None = None,
    ) -> float:
        """A login that lasts ``dur`` seconds and ends as ``kind`` (see ENDINGS)."""
        p, pr, rng = h.p, h.prog, self.rng
        post_visible = p.version >= (9, 8) or p.verbose
        if kind == "peer-closed" and not post_visible:
            kind = "unknown"  # PuTTY-style close: only VERBOSE shows it before 9.8
        if kind in ("reset", "tcp-timeout") and not post_visible:
            kind = "broken-pipe"
        port = port or self.port(h, ip)
        m = h.new_pid()
        t0 = t
        if p.verbose:
            self.emit(
                t, h, pr, m, f'Connection from {ip} port {port} on {h.addr} port 22 rdomain ""'
            )
        t = self.step(t, 0.05, 0.4)
        fp = fingerprint(f"{user}@{ip}" if user != "backup" else user)
        if method == "publickey":
            if p.verbose:
                akf = f"/home/{user}/.ssh/authorized_keys:{rng.randint(1, 4)}"
                self.emit(t, h, pr, m, f"Accepted key ED25519 {fp} found at {akf}")
                self.emit(
                    self.step(t),
                    h,
                    pr,
                    m,
                    f"Postponed publickey for {user} from {ip} port {port} ssh2 [preauth]",
                )
                t = self.step(t, 0.02, 0.08)
                self.emit(t, h, pr, m, f"Accepted key ED25519 {fp} found at {akf}")
            self.emit(
                self.step(t),
                h,
                pr,
                m,
                f"Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 {fp}",
            )
        else:
            self.emit(t, h, pr, m, f"Accepted {method} for {user} from {ip} port {port} ssh2")
            if method == "gssapi-with-mic":
                # GSSAPI/Kerberos distribution patch: no catalogue knows this line.
                self.emit(
                    self.step(t),
                    h,
                    pr,
                    m,
                    f"Authorized to {user}, krb5 principal {user}@CORP.EXAMPLE.NET (krb5_kuserok)",
                )
        t = self.step(t, 0.02, 0.06)
        uid = uid_of(user)
        who = f"{user}(uid={uid})" if p.version >= (7, 5) else user
        self.emit(t, h, pr, m, f"pam_unix(sshd:session): session opened for user {who} by (uid=0)")
        if p.pam_env:
            self.emit(
                self.step(t),
                h,
                pr,
                m,
                "pam_env(sshd:session): deprecated reading of user environment enabled",
            )
        sess = None
        if p.logind != "none":
            h.session_no += 1
            sess = h.session_no
            kind_s = "tty" if pty else "unspecified"
            text = (
                f"New session '{sess}' of user '{user}' with class 'user' and type '{kind_s}'."
                if p.logind == "quoted"
                else f"New session {sess} of user {user}."
            )
            t = self.step(t, 0.005, 0.02)
            self.emit(t, h, "systemd-logind", h.logind, text)
        c = h.new_pid() if (user != "root" or p.version >= (9, 8)) else m
        t = self.step(t, 0.01, 0.06)
        if p.verbose:
            self.emit(t, h, pr, m, f"User child is on pid {c}")
            what = f"shell on pts/{rng.randint(0, 6)}" if pty else "command"
            self.emit(
                self.step(t),
                h,
                pr,
                c,
                f"Starting session: {what} for {user} from {ip} port {port} id 0",
            )
        end = t0 + dur
        if sudo and dur > 60:
            ts = t0 + rng.uniform(10, min(dur - 5, 600))
            self.emit(
                ts,
                h,
                "sudo",
                None,
                f"{user:>8} : TTY=pts/{rng.randint(0, 6)} ; "
                f"PWD=/home/{user} ; USER=root ; COMMAND={sudo}",
            )
            self.emit(
                ts,
                h,
                "sudo",
                None,
                f"pam_unix(sudo:session): session opened for user root(uid=0) by {user}(uid={uid})",
            )
            self.emit(
                ts + rng.uniform(0.5, 20),
                h,
                "sudo",
                None,
                "pam_unix(sudo:session): session closed for user root",
            )
        self.conn(h, ip, port, ENDINGS[kind], True, user, t0, None if kind == "open" else end)
        if kind == "open":
            return end
        t = end
        rid = h.rid(ip, port, "user", user)
        if kind == "clean":
            if p.verbose:
                self.emit(t, h, pr, c, f"Close session: user {user} from {ip} port {port} id 0")
                t = self.step(t)
            self.emit(
                t, h, pr, c, f"Received disconnect from {ip} port {port}:11: disconnected by user"
            )
            t = self.step(t)
            self.emit(t, h, pr, c, f"Disconnected from {rid}")
        elif kind == "keepalive":
            text = (
                "Timeout, client not responding."
                if p.version < (7, 7)
                else f"Timeout, client not responding from {rid}"
            )
            self.emit(t, h, pr, c, text)
        elif kind in ("reset", "tcp-timeout"):
            err = "Connection reset by peer" if kind == "reset" else "Connection timed out"
            self.emit(t, h, pr, c, f"Read error from remote host {ip} port {port}: {err}")
        elif kind == "peer-closed":
            self.emit(t, h, pr, c, f"Connection closed by {ip} port {port}")
        elif kind == "broken-pipe":
            self.emit(
                t,
                h,
                pr,
                c,
                f"process_output: ssh_packet_write_poll: Connection from {rid}: Broken pipe",
            )
        elif kind == "reply-pipe":
            self.emit(
                t,
                h,
                pr,
                c,
                f"server_input_global_request: send reply: Connection from {rid}: Broken pipe",
            )
        elif kind == "idle":
            if p.verbose:
                self.emit(t - 0.5, h, pr, c, "channel 0: closing after 900 seconds of inactivity")
            self.emit(t, h, pr, c, f"terminating inactive connection from {rid}")
        elif kind == "mac":
            self.emit(t, h, pr, c, "Corrupted MAC on input.")
            t = self.step(t)
            self.emit(
                t,
                h,
                pr,
                c,
                f"ssh_dispatch_run_fatal: Connection from {rid}: "
                "message authentication code incorrect",
            )
        elif kind == "proxy":
            self.emit(t, h, pr, c, f"error: connect_to {target} port 22: failed.")
        # "unknown" and "shutdown" leave no line of their own: only PAM and logind below.
        t = self.step(t, 0.003, 0.03)
        self.emit(t, h, pr, m, f"pam_unix(sshd:session): session closed for user {user}")
        if sess is not None:
            t = self.step(t, 0.002, 0.02)
            self.emit(
                t,
                h,
                "systemd-logind",
                h.logind,
                f"Session {sess} logged out. Waiting for processes to exit.",
            )
            self.emit(
                self.step(t, 0.01, 0.4), h, "systemd-logind", h.logind, f"Removed session {sess}."
            )
        return end

    # -- failures before authentication ----------------------------------------------------
    def _open(self, h: Host, t: float, ip: str, port: int | None) -> tuple[int, int]:
        port = port or self.port(h, ip)
        m = h.new_pid()
        if h.p.verbose:
            self.emit(
                t, h, h.prog, m, f'Connection from {ip} port {port} on {h.addr} port 22 rdomain ""'
            )
        return port, m

    def auth_fail(
        self,
        h: Host,
        t: float,
        ip: str,
        user: str,
        *,
        valid: bool,
        tries: int = 1,
        end: str = "bye",
        port: int | None = None,
        method: str = "password",
    ) -> float:
        """A failed login: wrong password / invalid user / key refused; ``end`` is how the
        client left: ``bye`` (scanner DISCONNECT 11), ``closed`` or ``maxauth``."""
        p, pr = h.p, h.prog
        port, m = self._open(h, t, ip, port)
        t0 = t
        t = self.step(t, 0.05, 0.3)
        inv = "" if valid else "invalid user "
        cls = "authenticating user" if valid else "invalid user"
        if not valid:
            self.emit(t, h, pr, m, f"Invalid user {user} from {ip} port {port}")
        if method == "password":
            t = self.step(t)
            fail = (
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
                f"tty=ssh ruser= rhost={ip} "
            )
            if not valid:
                # An unknown user has no "user=" field; the line keeps its trailing space.
                self.emit(t, h, pr, m, "pam_unix(sshd:auth): check pass; user unknown")
                self.emit(t, h, pr, m, fail)
            else:
                self.emit(t, h, pr, m, f"{fail} user={user}")
        fp = fingerprint(f"{user}@{ip}")
        for _ in range(tries):
            t += self.rng.uniform(1.8, 3.5) if method == "password" else 0.05
            suffix = f": ED25519 {fp}" if method == "publickey" else ""
            self.emit(
                t, h, pr, m, f"Failed {method} for {inv}{user} from {ip} port {port} ssh2{suffix}"
            )
        t = self.step(t, 0.01, 0.5)
        rid = h.rid(ip, port, cls, user)
        if end == "bye":
            self.emit(
                t, h, pr, m, f"Received disconnect from {ip} port {port}:11: Bye Bye [preauth]"
            )
            self.emit(self.step(t), h, pr, m, f"Disconnected from {rid} [preauth]")
            cause = "auth-failure/invalid-user" if not valid else "auth-failure/password"
        elif end == "closed":
            self.emit(t, h, pr, m, f"Connection closed by {rid} [preauth]")
            cause = "auth-failure/gave-up"
        else:
            self.emit(
                t,
                h,
                pr,
                m,
                f"error: maximum authentication attempts exceeded for {inv}"
                f"{user} from {ip} port {port} ssh2 [preauth]",
            )
            disc = (
                f"Disconnecting {rid}: Too many authentication failures"
                if p.version >= (7, 5)
                else "Disconnecting: Too many authentication failures"
            )
            self.emit(self.step(t), h, pr, m, disc + " [preauth]")
            cause = "auth-failure/max-auth-tries"
        if method == "password" and tries > 1:
            n = tries - 1
            self.emit(
                self.step(t),
                h,
                pr,
                m,
                f"PAM {n} more authentication failure"
                f"{'s' if n > 1 else ''}; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}"
                + (f"  user={user}" if valid else ""),
            )
        if p.version >= (9, 8):
            self.emit(
                self.step(t),
                h,
                "sshd",
                h.listener,
                f"srclimit_penalise: ipv4: new {ip}/32 "
                "deferred penalty of 5.000 seconds for penalty: failed authentication",
            )
        self.conn(h, ip, port, ("auth-failure", cause), False, user, t0, t)
        return t

    def allow_users(self, h: Host, t: float, ip: str, user: str) -> float:
        """A user sshd's AllowUsers does not list."""
        pr = h.prog
        port, m = self._open(h, t, ip, None)
        t0, t = t, self.step(t, 0.05, 0.3)
        self.emit(
            t, h, pr, m, f"User {user} from {ip} not allowed because not listed in AllowUsers"
        )
        t = self.step(t, 0.05, 0.4)
        self.emit(
            t, h, pr, m, f"Connection closed by {h.rid(ip, port, 'invalid user', user)} [preauth]"
        )
        self.conn(h, ip, port, ("access-policy", "access-policy/allow-users"), False, user, t0, t)
        return t

    def root_refused(self, h: Host, t: float, ip: str) -> float:
        """A root key login that PermitRootLogin forced-commands-only refuses."""
        pr = h.prog
        port, m = self._open(h, t, ip, None)
        t0, t = t, self.step(t, 0.05, 0.3)
        self.emit(t, h, pr, m, f"ROOT LOGIN REFUSED FROM {ip} port {port} [preauth]")
        self.emit(
            self.step(t),
            h,
            pr,
            m,
            f"Failed publickey for root from {ip} port {port} ssh2: "
            f"ED25519 {fingerprint('root@' + ip)}",
        )
        t = self.step(t, 0.05, 0.3)
        rid = h.rid(ip, port, "authenticating user", "root")
        self.emit(t, h, pr, m, f"Connection closed by {rid} [preauth]")
        self.conn(h, ip, port, ("access-policy", "access-policy/root-login"), False, "root", t0, t)
        return t

    def negotiate(self, h: Host, t: float, ip: str, what: str, offer: str) -> float:
        """No common algorithm (``what`` = "key exchange method", "host key type")."""
        port, m = self._open(h, t, ip, None)
        t1 = self.step(t, 0.01, 0.05)
        self.emit(
            t1,
            h,
            h.prog,
            m,
            f"Unable to negotiate with {ip} port {port}: no matching "
            f"{what} found. Their offer: {offer} [preauth]",
        )
        cause = "negotiation-failure/" + ("kex" if what.startswith("key") else "host-key-type")
        self.conn(h, ip, port, ("negotiation-failure", cause), False, None, t, t1)
        return t1

    def bad_banner(self, h: Host, t: float, ip: str, banner: str) -> float:
        """Something that is not SSH talking to port 22 (8.4-9.4 wording)."""
        port, m = self._open(h, t, ip, None)
        t1 = self.step(t, 0.001, 0.01)
        self.emit(
            t1,
            h,
            h.prog,
            m,
            "error: kex_exchange_identification: client sent invalid "
            f'protocol identifier "{banner}"',
        )
        self.emit(
            self.step(t1),
            h,
            h.prog,
            m,
            f"banner exchange: Connection from {ip} port {port}: invalid format",
        )
        self.conn(
            h,
            ip,
            port,
            ("negotiation-failure", "negotiation-failure/bad-banner"),
            False,
            None,
            t,
            t1,
        )
        return t1

    def probe(self, h: Host, t: float, ip: str, stage: str = "banner") -> float:
        """A TCP check or scanner: closes before the banner (``banner``), after key exchange
        (``kex``) or with a DISCONNECT (``bye``)."""
        p, pr = h.p, h.prog
        port, m = self._open(h, t, ip, None)
        t1 = self.step(t, 0.001, 0.05 if stage == "banner" else 0.4)
        if stage == "banner":
            if p.version < (8, 0):
                self.emit(
                    t1, h, pr, m, f"Did not receive identification string from {ip} port {port}"
                )
            elif p.version < (9, 5):
                self.emit(
                    t1,
                    h,
                    pr,
                    m,
                    "error: kex_exchange_identification: Connection closed by remote host",
                )
                self.emit(self.step(t1), h, pr, m, f"Connection closed by {ip} port {port}")
            else:
                tag = " [preauth]" if p.version >= (10, 3) else ""
                if p.verbose:
                    self.emit(
                        t1,
                        h,
                        pr,
                        m,
                        f"kex_exchange_identification: Connection closed by remote host{tag}",
                    )
                self.emit(self.step(t1), h, pr, m, f"Connection closed by {ip} port {port}{tag}")
            cause = "preauth-probe/no-banner"
        elif stage == "kex":
            self.emit(t1, h, pr, m, f"Connection closed by {ip} port {port} [preauth]")
            cause = "preauth-probe/closed-after-kex"
        else:
            self.emit(
                t1, h, pr, m, f"Received disconnect from {ip} port {port}:11: Bye Bye [preauth]"
            )
            self.emit(self.step(t1), h, pr, m, f"Disconnected from {ip} port {port} [preauth]")
            cause = "preauth-probe/client-disconnect"
        self.conn(h, ip, port, ("preauth-probe", cause), False, None, t, t1)
        return t1

    # -- server limits ---------------------------------------------------------------------
    def drop(
        self, h: Host, t: float, ip: str, n: int, reason: str = "maxstartups", log: bool = True
    ) -> None:
        """The listener refuses a connection before forking (MaxStartups or a penalty)."""
        port = self.port(h, ip)
        if reason == "maxstartups":
            why = (
                "Maxstartups"
                if h.p.version >= (10, 0)
                else ("past Maxstartups" if h.p.version >= (9, 8) else "past MaxStartups")
            )
            cause = "server-limit/maxstartups"
        else:
            why, cause = f"penalty: {reason}", "server-limit/penalty"
        if log:
            b = f"[{ip}]"
            self.emit(
                t,
                h,
                "sshd",
                h.listener,
                f"drop connection #{n} from {b}:{port} on [{h.addr}]:22 {why}",
            )
            self.conn(h, ip, port, ("server-limit", cause), False, None, t, t)

    def grace(self, h: Host, t: float, ip: str, after: float = 120.0) -> float:
        """A client that never finishes authenticating within LoginGraceTime."""
        port, m = self._open(h, t, ip, None)
        t1 = t + after + self.rng.uniform(0.0, 0.02)
        if h.p.version >= (9, 8):
            self.emit(
                t1,
                h,
                "sshd",
                h.listener,
                f"Timeout before authentication for connection from {ip} to {h.addr}, pid = {m}",
            )
        elif h.p.grace_fatal:
            self.emit(
                t1, h, h.prog, m, f"fatal: Timeout before authentication for {ip} port {port}"
            )
        self.conn(
            h, ip, port, ("server-limit", "server-limit/login-grace-time"), False, None, t, t1
        )
        return t1

    # -- whole-server events ---------------------------------------------------------------
    def listening(self, h: Host, t: float) -> None:
        """A listener starting."""
        self.emit(t, h, "sshd", h.listener, "Server listening on 0.0.0.0 port 22.")
        self.emit(self.step(t), h, "sshd", h.listener, "Server listening on :: port 22.")

    def restart_listener(self, h: Host, t: float) -> None:
        """``systemctl restart ssh``: the listener goes, sessions stay (KillMode=process)."""
        self.emit(t, h, "sshd", h.listener, "Received signal 15; terminating.")
        h.listener = h.new_pid()
        self.listening(h, self.step(t, 0.05, 0.2))

    def shutdown(self, h: Host, t: float, boot_pid: int, down: float) -> float:
        """Reboot: listener terminates; sessions die (their stories end with "shutdown" at
        ``t + 0.3``); the host comes back ``down`` seconds later with fresh pids."""
        self.emit(t - 0.5, h, "systemd-logind", h.logind, "System is rebooting.")
        self.emit(t, h, "sshd", h.listener, "Received signal 15; terminating.")
        t += down
        h.reboot(boot_pid)
        self.emit(t, h, "systemd-logind", h.logind, "New seat seat0.")
        self.emit(
            self.step(t),
            h,
            "systemd-logind",
            h.logind,
            "Watching system buttons on /dev/input/event0 (Power Button)",
        )
        self.listening(h, t + self.rng.uniform(1.0, 3.0))
        return t

    def cron(self, h: Host, t: float, prog: str = "CRON", secs: float = 0.5) -> None:
        """A cron job's PAM session (the only part of cron in auth.log)."""
        pid = h.new_pid()
        self.emit(
            t,
            h,
            prog,
            pid,
            "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
        )
        self.emit(t + secs, h, prog, pid, "pam_unix(cron:session): session closed for user root")

    # -- the OpenSSH client, logging to syslog (ssh -y -o SyslogFacility=AUTH) -----------
    # error() and fatal() lines carry "error: "/"fatal: " in syslog; logit() lines do not.
    _AT = "@" * 59

    def _banner(self, h: Host, t: float, pid: int, title: str) -> None:
        for text in (self._AT, title, self._AT):
            self.emit(t, h, "ssh", pid, f"error: {text}")

    def client_hostkey(self, h: Host, t: float, target: str, user: str = "root") -> int:
        """The target's host key changed: strict checking refuses it."""
        pid = h.new_pid()
        self._banner(h, t, pid, "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @")
        kh = f"/{'root' if user == 'root' else 'home/' + user}/.ssh/known_hosts"
        for text in (
            "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!",
            "Someone could be eavesdropping on you right now (man-in-the-middle attack)!",
            "It is also possible that a host key has just been changed.",
            "The fingerprint for the ED25519 key sent by the remote host is\\n"
            f"{fingerprint('hostkey-' + target)}.",
            "Please contact your system administrator.",
            f"Add correct host key in {kh} to get rid of this message.",
            f"Offending ED25519 key in {kh}:{self.rng.randint(2, 30)}",
            "  remove with:",
            f'  ssh-keygen -f "{kh}" -R "{target}"',
            f"Host key for {target} has changed and you have requested strict checking.",
        ):
            self.emit(t, h, "ssh", pid, f"error: {text}")
        self.emit(t, h, "ssh", pid, "fatal: Host key verification failed.")
        self.client(h, pid, "host-key", "host-key/changed", target, t)
        return pid

    def client_connect(self, h: Host, t: float, target: str, err: str) -> int:
        """TCP never connected (``err``: Connection refused, Connection timed out, ...) or
        the name did not resolve (``err`` starting with "resolve:")."""
        pid = h.new_pid()
        if err.startswith("resolve:"):
            msg = f"ssh: Could not resolve hostname {target}: {err[8:]}"
            cause = "connect-failure/dns"
        else:
            msg = f"ssh: connect to host {target} port 22: {err}"
            cause = "connect-failure/" + ("refused" if "refused" in err else "timeout")
        self.emit(t, h, "ssh", pid, f"error: {msg}")
        self.client(h, pid, "connect-failure", cause, target, t)
        return pid

    def client_badperms(self, h: Host, t: float, srv: Host, user: str, key: str) -> int:
        """A private key other users can read is ignored; the login then fails."""
        pid = h.new_pid()
        self._banner(h, t, pid, "@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @")
        for text in (
            f"Permissions 0644 for '{key}' are too open.",
            "It is required that your private key files are NOT accessible by others.",
            "This private key will be ignored.",
            f'Load key "{key}": bad permissions',
        ):
            self.emit(t, h, "ssh", pid, f"error: {text}")
        # The server saw the key offered, then the client left without signing.
        port, m = self._open(srv, t - 0.05, h.addr, None)
        rid = srv.rid(h.addr, port, "authenticating user", user)
        self.emit(t + 0.01, srv, srv.prog, m, f"Connection closed by {rid} [preauth]")
        self.conn(
            srv,
            h.addr,
            port,
            ("auth-failure", "auth-failure/gave-up"),
            False,
            user,
            t - 0.05,
            t + 0.01,
        )
        self.emit(
            self.step(t), h, "ssh", pid, f"fatal: {user}@{srv.name}: Permission denied (publickey)."
        )
        self.client(h, pid, "client-config", "client-config/key-permissions", srv.name, t)
        return pid

    def client_proxy(self, h: Host, t: float, jump: Host, user: str, target: str) -> None:
        """ProxyJump through ``jump`` to a target the jump host cannot reach."""
        outer, inner = h.new_pid(), h.new_pid()
        self.session(jump, t, h.addr, user, "proxy", 0.35, pty=False, target=target)
        t += 0.36
        self.emit(t, h, "ssh", inner, "channel 0: open failed: connect failed: Connection refused")
        self.emit(self.step(t), h, "ssh", inner, "fatal: stdio forwarding failed")
        t = self.step(t)
        self.emit(
            t,
            h,
            "ssh",
            outer,
            "error: kex_exchange_identification: Connection closed by remote host",
        )
        self.emit(self.step(t), h, "ssh", outer, "Connection closed by UNKNOWN port 65535")
        for pid in (inner, outer):
            self.client(h, pid, "proxy-failure", "proxy-failure/stdio-forwarding", target, t)

    def client_server_timeout(
        self, h: Host, t: float, srv: Host, user: str, dur: float, srv_extra: float = 42.0
    ) -> None:
        """ServerAliveCountMax ran out; the server notices ``srv_extra`` s later."""
        pid = h.new_pid()
        self.session(srv, t, h.addr, user, "keepalive", dur + srv_extra, pty=False)
        self.emit(t + dur, h, "ssh", pid, f"Timeout, server {srv.name} not responding.")
        self.client(
            h, pid, "keepalive-timeout", "keepalive-timeout/server-alive", srv.name, t + dur
        )

    def client_pipe(self, h: Host, t: float, srv: Host, user: str, dur: float) -> None:
        """The connection died under a running job; the client's last write fails."""
        pid = h.new_pid()
        self.session(srv, t, h.addr, user, "broken-pipe", dur + 0.2, pty=False)
        self.emit(t + dur, h, "ssh", pid, "client_loop: send disconnect: Broken pipe")
        self.client(h, pid, "network-drop", "network-drop/broken-pipe", srv.name, t + dur)
