#!/usr/bin/env bash
# The storage and multi-instance tests talk to the real PostgreSQL (127.0.0.1:5432, database `test`)
# and Redis (127.0.0.1:6379) of this machine kind. Starts them when they are installed but not
# answering; says what is missing otherwise. Used by `npm test` and by `.ci/run`.
set -uo pipefail

if command -v pg_isready >/dev/null 2>&1; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 50); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.2; done
  fi
else
  echo "warning: PostgreSQL client tools not found; the PostgreSQL tests need a server on 127.0.0.1:5432" >&2
fi

if command -v redis-cli >/dev/null 2>&1; then
  if [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" != "PONG" ]; then
    echo "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
else
  echo "warning: redis not found; the multi-instance tests need redis-server on this machine" >&2
fi
exit 0
