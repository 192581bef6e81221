#!/usr/bin/env bash
# Start a second MariaDB server on 127.0.0.1:3307 with its own data directory, so that
# the cart shards can be spread over two servers (CI, and trying `move_shard` locally).
#
#   scripts/start_second_mariadb.sh [DATADIR]     # default /tmp/cart-mariadb-3307
#
# Idempotent: does nothing when something already answers on the port. The server runs
# detached (log in DATADIR/server.log) and outlives this script; root connects over TCP
# with an empty password, as on the main server. Stop it with
# `mariadb-admin -uroot -h127.0.0.1 -P3307 shutdown`. It reads no configuration file,
# so it never shares a socket, port or data directory with the server on 3306.
set -euo pipefail

PORT=${CART_SECOND_MYSQL_PORT:-3307}
DATADIR=${1:-/tmp/cart-mariadb-$PORT}
SOCKET="$DATADIR/mysqld.sock"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

if port_open; then
  echo "something already listens on 127.0.0.1:$PORT; leaving it alone"
  exit 0
fi

mkdir -p "$DATADIR"
if [ ! -d "$DATADIR/mysql" ]; then
  echo "initialising $DATADIR"
  # normal: root authenticates by password (empty here), not by the unix account.
  mariadb-install-db --no-defaults --user=root --datadir="$DATADIR" \
    --auth-root-authentication-method=normal --skip-test-db >"$DATADIR/install.log" 2>&1 || {
    cat "$DATADIR/install.log" >&2
    exit 1
  }
fi

echo "starting MariaDB on 127.0.0.1:$PORT (data in $DATADIR)"
# setsid + nohup: the server must survive the shell (and the CI step) that started it.
setsid nohup mariadbd --no-defaults --user=root --datadir="$DATADIR" --port="$PORT" \
  --bind-address=127.0.0.1 --socket="$SOCKET" --pid-file="$DATADIR/mysqld.pid" \
  --skip-networking=0 --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
  --innodb-buffer-pool-size=128M --log-error="$DATADIR/server.log" \
  </dev/null >>"$DATADIR/server.log" 2>&1 &

for _ in $(seq 1 60); do
  if mariadb-admin --no-defaults --socket="$SOCKET" -uroot ping >/dev/null 2>&1; then
    break
  fi
  sleep 1
done
if ! mariadb-admin --no-defaults --socket="$SOCKET" -uroot ping >/dev/null 2>&1; then
  echo "MariaDB did not come up on port $PORT; last lines of $DATADIR/server.log:" >&2
  tail -n 30 "$DATADIR/server.log" >&2
  exit 1
fi

# Root over TCP with an empty password, like the main server (a fresh data directory
# has root@localhost only, which TCP connections from 127.0.0.1 do not match).
mariadb --no-defaults --socket="$SOCKET" -uroot <<'SQL'
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
ALTER USER 'root'@'localhost' IDENTIFIED BY '';
FLUSH PRIVILEGES;
SQL

mariadb --no-defaults -uroot -h127.0.0.1 -P"$PORT" -e "SELECT @@port" >/dev/null
echo "MariaDB is up on 127.0.0.1:$PORT"
