"""A disconnect lab: a private sshd, real ssh clients, rsyslog and journal captures.

Every process a scenario starts is recorded by pid and stopped by pid when the scenario
ends, also when it fails. Nothing here touches the system's own sshd or syslog.
"""
