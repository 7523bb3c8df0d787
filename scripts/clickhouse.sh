#!/usr/bin/env bash
# A local ClickHouse for tests and benchmarks: `scripts/clickhouse.sh start [dataDir]` installs
# Debian's clickhouse-server if it is missing, starts it on 127.0.0.1 only (HTTP 18123, TCP 19000;
# override with CINDER_CLICKHOUSE_HTTP_PORT / CINDER_CLICKHOUSE_TCP_PORT) with its own config, data
# and logs under dataDir (default /tmp/cinder-clickhouse), waits until it answers `SELECT 1` and
# prints its URL. `stop [dataDir]` stops it. Both are idempotent: start on a running server only
# prints the URL. The system's /etc/clickhouse-server and /var/lib/clickhouse are not used.
set -euo pipefail

command="${1:-}"
data_dir="${2:-/tmp/cinder-clickhouse}"
http_port="${CINDER_CLICKHOUSE_HTTP_PORT:-18123}"
tcp_port="${CINDER_CLICKHOUSE_TCP_PORT:-19000}"
url="http://127.0.0.1:${http_port}"
pid_file="${data_dir}/clickhouse.pid"
config_file="${data_dir}/config.xml"

usage() {
  echo "usage: $0 start|stop [dataDir]   (default dataDir: /tmp/cinder-clickhouse)" >&2
  exit 2
}

answers() {
  # The HTTP interface's own ping plus a real query: the server is up and accepts SQL.
  [ "$(curl -fsS --max-time 2 "${url}/?query=SELECT%201" 2>/dev/null || true)" = "1" ]
}

running_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid="$(cat "$pid_file" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install_server() {
  if command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ]; then return 0; fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "clickhouse-server is not installed and this is not root: apt-get install clickhouse-server" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "installing Debian's clickhouse-server (not found)" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show clickhouse-server >/dev/null 2>&1; then $sudo apt-get update -q >&2; fi
  $sudo apt-get install -y -q --no-install-recommends clickhouse-server clickhouse-client curl >&2
}

write_config() {
  mkdir -p "$data_dir/data/" "$data_dir/tmp/" "$data_dir/user_files/" "$data_dir/format_schemas/" "$data_dir/log"
  # Only what this server needs: loopback, our ports, our folders, no interserver port, one user
  # (default, no password, 127.0.0.1 only). Element names valid from 18.16 to current releases.
  cat > "$config_file" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>${data_dir}/log/clickhouse-server.log</log>
        <errorlog>${data_dir}/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>${http_port}</http_port>
    <tcp_port>${tcp_port}</tcp_port>
    <path>${data_dir}/data/</path>
    <tmp_path>${data_dir}/tmp/</tmp_path>
    <user_files_path>${data_dir}/user_files/</user_files_path>
    <format_schema_path>${data_dir}/format_schemas/</format_schema_path>
    <users_config>${data_dir}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mlock_executable>false</mlock_executable>
</yandex>
XML
  cat > "${data_dir}/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
XML
}

start() {
  if answers; then echo "$url"; return 0; fi
  mkdir -p "$data_dir"
  # Test files may start it concurrently: one start at a time per data folder.
  exec 9>"${data_dir}/start.lock"
  flock -w 120 9
  if answers; then echo "$url"; return 0; fi
  if running_pid >/dev/null; then
    echo "a ClickHouse started from ${data_dir} (pid $(running_pid)) does not answer on ${url}; run: $0 stop ${data_dir}" >&2
    exit 1
  fi
  install_server
  command -v curl >/dev/null 2>&1 || { echo "curl is needed to check the server" >&2; exit 1; }
  write_config
  local server=clickhouse-server
  command -v clickhouse-server >/dev/null 2>&1 || server=/usr/sbin/clickhouse-server
  # Runs as the current user (root in CI: ClickHouse 18.16 does not refuse it).
  "$server" --config-file="$config_file" --pid-file="$pid_file" --daemon >>"${data_dir}/log/stdout.log" 2>&1
  # Bounded wait: 60 s (first start creates the system tables).
  for _ in $(seq 1 600); do
    if answers; then echo "$url"; return 0; fi
    sleep 0.1
  done
  echo "ClickHouse did not answer on ${url} within 60 s; see ${data_dir}/log/" >&2
  tail -n 20 "${data_dir}/log/clickhouse-server.err.log" >&2 2>/dev/null || true
  exit 1
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then rm -f "$pid_file"; return 0; fi
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pid_file"; return 0; }
    sleep 0.1
  done
  echo "ClickHouse (pid ${pid}) did not stop within 30 s; killing it" >&2
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pid_file"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
