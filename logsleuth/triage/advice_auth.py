"""Advice for authentication, the client's own files and agent, and server policy."""

from __future__ import annotations

from logsleuth.triage.remedy import Advice, Ctx, advises


def _offered_key(c: Ctx) -> str:
    for key in c.finding.facts.offered:
        first = key.split()[0]
        if "/" in first or "\\" in first:
            return first
    return "~/.ssh/id_ed25519"


@advises("auth-failure/too-many-keys", "auth-failure/max-auth-tries")
def _too_many(c: Ctx) -> Advice:
    n = len(c.finding.facts.offered)
    if c.finding.cause.endswith("too-many-keys"):
        return Advice(
            f"too many authentication failures: the client offered {n} keys",
            "Every key the client offers (from the agent and ~/.ssh) counts as one "
            f"attempt against the server's MaxAuthTries (default 6); {n} keys were "
            "offered and the server disconnected before the right one (if any) came up.",
            "Offer only the key meant for this host.",
            c.block(f"IdentityFile {_offered_key(c)}", "IdentitiesOnly yes")
            + f"\n\n# one-off:\nssh -o IdentitiesOnly=yes -i {_offered_key(c)} {c.host}",
            f"`Disconnecting authenticating user {c.user} {c.client_ip} port PORT: Too "
            "many authentication failures [preauth]` and `maximum authentication attempts "
            f"exceeded for {c.user}`.",
        )
    return Advice(
        "too many authentication failures (MaxAuthTries)",
        "The server allows MaxAuthTries attempts per connection (default 6) and they "
        "were used up: wrong passwords, or keys the server does not accept.",
        "Check the user name and credentials; limit prompts per connection.",
        c.block("NumberOfPasswordPrompts 3", "IdentitiesOnly yes"),
        f"`maximum authentication attempts exceeded for {c.user} from {c.client_ip} ...`.",
    )


_AUTH_CONFIRM = (
    "`Failed {method} for {user} from {ip} port PORT ssh2` (wrong credentials), `Failed "
    "... for invalid user {user}` (no such user), `Authentication refused: bad ownership "
    "or modes` (permissions of ~/.ssh on the server), `User {user} from {ip} not allowed "
    "because ...` or `ROOT LOGIN REFUSED` (policy), `userauth_pubkey: signature "
    "algorithm ... not in PubkeyAcceptedAlgorithms`."
)


def _auth_confirm(c: Ctx, method: str) -> str:
    return _AUTH_CONFIRM.format(method=method, user=c.user, ip=c.client_ip)


@advises(
    "auth-failure/publickey-rejected",
    "auth-failure/no-key-offered",
    "auth-failure/key-unusable",
    "auth-failure/no-supported-methods",
)
def _pubkey(c: Ctx) -> Advice:
    f = c.finding.facts
    cause = c.finding.cause
    if cause.endswith("publickey-rejected"):
        summary = (
            f"the server accepted none of the {len(f.offered)} key(s) offered for {c.user}"
            if f.offered
            else f"the server refused the key for {c.user}"
        )
        why = (
            f"The public key is not in ~{c.user}/.ssh/authorized_keys on the server, sshd "
            "refuses that file (ownership or permissions with StrictModes), the user "
            "is not allowed (AllowUsers, PermitRootLogin), or the key type is not "
            "accepted."
        )
    elif cause.endswith("key-unusable"):
        summary = "the server would accept a key, but the client could not use it"
        why = (
            "The server accepted the public key, but signing failed: the key needs a "
            "passphrase and there was no way to ask (BatchMode), or the agent or "
            "security key refused."
        )
    else:
        summary = f"no usable key: the server allows only {f.allowed_methods or 'publickey'}"
        why = (
            "The server accepts only public keys and the client had none to offer "
            "(no key in ~/.ssh, none in the agent or Pageant, a wrong IdentityFile)."
        )
    return Advice(
        summary,
        why,
        "Install your public key for this user on the server and make sure the client "
        "offers that key.",
        f"ssh-copy-id -i {_offered_key(c)}.pub {c.user}@{c.host}\n"
        "# on the server, as the user:\nchmod 700 ~/.ssh && chmod 600 ~/.ssh/authorized_keys\n\n"
        + c.block(f"User {c.user}", f"IdentityFile {_offered_key(c)}", "IdentitiesOnly yes"),
        _auth_confirm(c, "publickey"),
    )


@advises("auth-failure/password-rejected", "auth-failure/denied")
def _password(c: Ctx) -> Advice:
    pw = c.finding.cause.endswith("password-rejected")
    return Advice(
        f"the server rejected the {'password' if pw else 'credentials'} for {c.user}",
        "The server said no: a wrong password or user name, a user that does not exist "
        "there, an expired or locked account, or a policy (AllowUsers, PermitRootLogin, "
        "DenyGroups) that refuses this user whatever the credentials. The client cannot "
        "tell these apart; the server's log can.",
        "Check the user name first (it defaults to your local one); then the password, "
        "or switch to a key.",
        c.block(f"User {c.user}  # the account name on the server"),
        _auth_confirm(c, "password" if pw else "password/publickey"),
    )


@advises("client-config/unprotected-key")
def _unprotected(c: Ctx) -> Advice:
    path = c.fields.get("path") or _path_from(c, "path") or "~/.ssh/id_ed25519"
    if "\\" in path:
        fix = f'icacls "{path}" /inheritance:r\nicacls "{path}" /grant:r "%USERNAME%":R'
    else:
        fix = f"chmod 600 {path}\nchmod 700 {path.rsplit('/', 1)[0]}"
    return Advice(
        f"the private key {path} is readable by others, so ssh ignored it",
        "ssh refuses private keys that group or others can read "
        f"(mode {c.fields.get('mode') or _path_from(c, 'mode') or 'too open'}); the key "
        "was skipped and login failed without it.",
        "Make the key readable by you only.",
        fix,
        "Nothing about the key: the client never offered it.",
    )


def _path_from(c: Ctx, name: str) -> str | None:
    for h in c.finding.attempt.matched:
        if h.pattern is not None and h.pattern.family == "client-config" and h.fields.get(name):
            return h.fields[name]
    return None


@advises(
    "client-config/invalid-key-format",
    "client-config/wrong-passphrase",
    "client-config/unreadable-key",
    "client-config/load-key",
)
def _load_key(c: Ctx) -> Advice:
    path = c.fields.get("path") or _path_from(c, "path") or "KEYFILE"
    if c.finding.cause.endswith("wrong-passphrase"):
        return Advice(
            f"wrong passphrase for {path}",
            "The key could not be decrypted.",
            "Check the passphrase; load the key into the agent once.",
            f"ssh-keygen -y -f {path}   # asks for the passphrase\nssh-add {path}",
            "Nothing: the client never offered the key.",
        )
    return Advice(
        f"ssh cannot read the private key {path}",
        "The file is not a private key OpenSSH understands: a PuTTY .ppk file, a public "
        "key given as IdentityFile, Windows (CRLF) line endings, or a truncated copy.",
        "Check the file; convert a .ppk with puttygen, strip CRLF endings, or point "
        "IdentityFile at the private half.",
        f"ssh-keygen -y -f {path}   # prints the public key if the file is usable\n"
        f"sed -i 's/\\r$//' {path}   # if it was copied from Windows\n"
        f"puttygen key.ppk -O private-openssh -o {path}   # if it is a PuTTY key",
        "Nothing: the client never offered the key.",
    )


@advises("client-config/config-permissions")
def _config_perms(c: Ctx) -> Advice:
    path = c.fields.get("path", "~/.ssh/config")
    return Advice(
        f"ssh refuses {path}: wrong owner or permissions",
        "ssh will not read a config file that another user owns or that group/others "
        "can write, and stops before connecting.",
        "Make the file yours and private.",
        f'chown "$USER" {path}\nchmod 600 {path}',
        "Nothing: the client stopped before connecting.",
    )


@advises("client-config/bad-config-option")
def _bad_option(c: Ctx) -> Advice:
    opt = c.fields.get("option") or _path_from(c, "option") or "OPTION"
    path = c.fields.get("path") or c.fields.get("term_path") or "~/.ssh/config"
    return Advice(
        f"{path} has an option this ssh does not know: {opt}",
        "A typo, an sshd_config option in the client config, or an option newer than "
        "this client. ssh stops before connecting.",
        "Fix or remove the line; for an option only newer clients know, let older ones "
        "skip it with IgnoreUnknown at the top of the file.",
        f"# first line of {path}\nIgnoreUnknown {opt}",
        "Nothing: the client stopped before connecting.",
    )


@advises("client-config/missing-identity")
def _missing(c: Ctx) -> Advice:
    path = _path_from(c, "path") or _path_from(c, "w_path") or "~/.ssh/id_ed25519"
    return Advice(
        f"the identity file {path} does not exist",
        "The config or -i names a key file that is not there, so that key was never offered.",
        "Fix the IdentityFile path (or create the key).",
        f"ls -l {path}\n\n" + c.block("IdentityFile ~/.ssh/id_ed25519", "IdentitiesOnly yes"),
        "`Connection closed by authenticating user ...` after no key was offered.",
    )


@advises(
    "client-config/agent-refused",
    "client-config/agent-unreachable",
    "client-config/agent-signature-type",
)
def _agent(c: Ctx) -> Advice:
    return Advice(
        "the ssh agent failed",
        "Keys held by the agent could not be used: the agent refused to sign "
        "(confirmation denied, a FIDO key not touched, a gpg-agent pinentry problem), "
        "SSH_AUTH_SOCK points at a dead socket, or an old agent signs RSA with SHA-1.",
        "Check the agent and re-add the key, or bypass it for this host.",
        'echo "$SSH_AUTH_SOCK"; ssh-add -l\nssh-add ~/.ssh/id_ed25519\n\n'
        + c.block("IdentityAgent none  # bypass the agent", "IdentityFile ~/.ssh/id_ed25519"),
        "`Connection closed by authenticating user ...` after the key was accepted.",
    )


@advises("access-policy/session-refused")
def _session_refused(c: Ctx) -> Advice:
    return Advice(
        "login worked but the server refused the shell/command",
        "The account is limited: ForceCommand internal-sftp (sftp only), a forced "
        "command in authorized_keys, or a missing sftp Subsystem.",
        "Use the service the account allows (e.g. sftp), or change the server's "
        "Subsystem/ForceCommand.",
        f"sftp {c.user}@{c.host}",
        "`refusing non-sftp session` or `subsystem request for sftp by user ... failed`.",
    )


@advises("unknown/server-disconnect", "server-shutdown/stopped")
def _disconnect(c: Ctx) -> Advice:
    text = c.fields.get("text", "")
    return Advice(
        f"the server ended the connection: {text}",
        "sshd sent a disconnect message with this reason.",
        "Act on the reason given.",
        "",
        f"`Disconnecting ... {text}` at that time.",
    )
