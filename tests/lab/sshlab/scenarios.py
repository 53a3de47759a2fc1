"""The scenario registry: name -> function that drives one job."""

from __future__ import annotations

from sshlab import sc_auth, sc_net, sc_session
from sshlab.runner import ScenarioFn

SCENARIOS: dict[str, ScenarioFn] = {
    "clean-exit": sc_session.clean_exit,
    "server-keepalive": sc_session.server_keepalive,
    "client-keepalive": sc_session.client_keepalive,
    "client-killed": sc_session.client_killed,
    "unused-connection-timeout": sc_session.unused_connection_timeout,
    "sshd-stopped": sc_session.sshd_stopped,
    "wrong-key": sc_auth.wrong_key,
    "wrong-password": sc_auth.wrong_password,
    "invalid-user": sc_auth.invalid_user,
    "max-auth-tries": sc_auth.max_auth_tries,
    "unprotected-key": sc_auth.unprotected_key,
    "host-key-changed": sc_auth.host_key_changed,
    "kex-mismatch": sc_auth.kex_mismatch,
    "deny-users": sc_auth.deny_users,
    "allow-users": sc_auth.allow_users,
    "max-startups": sc_auth.max_startups,
    "login-grace-time": sc_auth.login_grace_time,
    "nat-silent-drop": sc_net.nat_silent_drop,
    "nat-reset": sc_net.nat_reset,
}
