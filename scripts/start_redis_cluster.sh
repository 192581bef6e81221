#!/usr/bin/env bash
# Start a 3-master Redis Cluster on loopback (CI, and trying cluster mode locally).
#
#   scripts/start_redis_cluster.sh [DIR]        # default /tmp/cart-redis-cluster
#   scripts/start_redis_cluster.sh --stop [DIR]
#
# Ports come from CART_REDIS_CLUSTER_PORTS (default "7000 7001 7002"). Idempotent: a
# cluster that already answers "cluster_state:ok" on the first port is left alone. No
# persistence (the cluster is for tests), no replicas (three masters cover the slots).
# Point the app at it with REDIS_URL=redis+cluster://127.0.0.1:7000/0.
set -euo pipefail

PORTS=(${CART_REDIS_CLUSTER_PORTS:-7000 7001 7002})
if [ "${1:-}" = "--stop" ]; then
  shift
  for port in "${PORTS[@]}"; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
  rm -rf "${1:-/tmp/cart-redis-cluster}"
  echo "Redis Cluster on ports ${PORTS[*]} stopped"
  exit 0
fi
DIR=${1:-/tmp/cart-redis-cluster}

if redis-cli -p "${PORTS[0]}" cluster info 2>/dev/null | grep -q "cluster_state:ok"; then
  echo "a Redis Cluster already answers on port ${PORTS[0]}; leaving it alone"
  exit 0
fi

nodes=()
for port in "${PORTS[@]}"; do
  mkdir -p "$DIR/$port"
  # A stale nodes.conf from an earlier run would make the node refuse to join afresh.
  rm -f "$DIR/$port/nodes.conf" "$DIR/$port/dump.rdb"
  redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file "$DIR/$port/nodes.conf" --cluster-node-timeout 5000 \
    --dir "$DIR/$port" --save "" --appendonly no --daemonize yes \
    --hash-max-listpack-entries 512 --hash-max-listpack-value 64 \
    --logfile "$DIR/$port/redis.log" --pidfile "$DIR/$port/redis.pid"
  nodes+=("127.0.0.1:$port")
done

for port in "${PORTS[@]}"; do
  for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$DIR/create.log" 2>&1 || {
  cat "$DIR/create.log" >&2
  exit 1
}

for _ in $(seq 1 100); do
  if redis-cli -p "${PORTS[0]}" cluster info | grep -q "cluster_state:ok"; then
    echo "Redis Cluster is up on ${nodes[*]}"
    exit 0
  fi
  sleep 0.1
done
echo "the cluster did not reach cluster_state:ok" >&2
redis-cli -p "${PORTS[0]}" cluster info >&2
exit 1
