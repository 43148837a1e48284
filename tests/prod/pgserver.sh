#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: a fresh cluster in a temporary
# folder, listening on 127.0.0.1 at a free port (and a socket in the folder),
# trust authentication, run as an unprivileged user (PostgreSQL refuses root:
# as root the cluster belongs to `nobody`).
#
#   pgserver.sh start DIR    -> prints the URL (postgresql://USER@127.0.0.1:PORT/postgres)
#   pgserver.sh stop DIR
#
# Exit status 77 (the tests' "skip") when no server can be started here, with
# the reason on stderr.
set -u
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pgserver.sh start|stop DIR" >&2; exit 2; }
bin=""
for v in 17 16 15; do
  [ -x "/usr/lib/postgresql/$v/bin/initdb" ] && { bin=/usr/lib/postgresql/$v/bin; break; }
done
[ -z "$bin" ] && command -v initdb >/dev/null && bin=$(dirname "$(command -v initdb)")
if [ -z "$bin" ]; then echo "pgserver: no PostgreSQL server installed (scripts/setup installs postgresql-15)" >&2; exit 77; fi

as=()
user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  user=nobody
  if command -v setpriv >/dev/null; then
    as=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --)
  elif command -v runuser >/dev/null; then
    as=(runuser -u nobody --)
  else
    echo "pgserver: running as root and no setpriv/runuser to drop to 'nobody'" >&2; exit 77
  fi
fi

case $cmd in
  start)
    mkdir -p "$dir" && chmod 755 "$dir"
    [ ${#as[@]} -gt 0 ] && chown "$user" "$dir"
    # the parents must be traversable by the server's user
    if ! "${as[@]}" test -w "$dir"; then
      echo "pgserver: $dir is not writable for $user" >&2; exit 77
    fi
    if ! "${as[@]}" "$bin/initdb" -D "$dir/data" -U "$user" -A trust --no-sync >"$dir/initdb.log" 2>&1; then
      echo "pgserver: initdb failed:" >&2; tail -5 "$dir/initdb.log" >&2; exit 77
    fi
    port=""
    for try in 1 2 3 4 5; do
      p=$((20000 + (RANDOM % 20000)))
      if "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
          -o "-k $dir -h 127.0.0.1 -p $p -c fsync=on -c max_connections=200" start >/dev/null 2>&1; then
        port=$p; break
      fi
    done
    if [ -z "$port" ]; then echo "pgserver: the server did not start:" >&2; tail -5 "$dir/server.log" >&2; exit 77; fi
    echo "$port" > "$dir/port"
    echo "postgresql://$user@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -d "$dir/data" ] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    exit 0
    ;;
  *) echo "pgserver: unknown command $cmd" >&2; exit 2 ;;
esac
