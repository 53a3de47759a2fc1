-- Inbound logins that succeeded with a password (or keyboard-interactive), per host:
-- where users log in this way, turning passwords off would lock them out.
SELECT host, count(*) AS n
FROM connections
WHERE direction = 'inbound' AND authenticated
  AND method IN ('password', 'keyboard-interactive', 'keyboard-interactive/pam')
GROUP BY host
ORDER BY host;
