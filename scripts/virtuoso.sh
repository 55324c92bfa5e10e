#!/usr/bin/env bash
# Start or stop a private Virtuoso (Debian's virtuoso-opensource) on loopback, for the tests
# and benchmarks that run imagraph on a remote SPARQL 1.1 store.
#
#   scripts/virtuoso.sh start DIR [HTTP_PORT [SQL_PORT]]   # database in DIR, SPARQL on HTTP_PORT
#   scripts/virtuoso.sh stop DIR
#
# The database is new and its own (DBA account dba/dba, reachable from loopback only). SPARQL:
# http://127.0.0.1:HTTP_PORT/sparql (read), /sparql-auth (update, digest auth) and
# /sparql-graph-crud-auth (Graph Store HTTP Protocol, digest auth).
set -euo pipefail

cmd=${1:?start or stop}
dir=${2:?database folder}
http_port=${3:-18890}
sql_port=${4:-11111}

case "$cmd" in
start)
    command -v virtuoso-t >/dev/null || { echo "virtuoso-t not found (apt-get install virtuoso-opensource)" >&2; exit 1; }
    if curl -s -o /dev/null "http://127.0.0.1:$http_port/"; then
        echo "port $http_port is in use: stop what listens there, or give another port" >&2; exit 1
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    pid=$(grep -o '[0-9]*' "$dir/virtuoso.lck" 2>/dev/null | head -1 || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        echo "a Virtuoso (pid $pid) runs on the database in $dir: $0 stop $dir" >&2; exit 1
    fi
    # a new database each start: nothing an earlier run left in DIR is in this run's store
    rm -f "$dir"/virtuoso.{db,trx,pxa,log,lck} "$dir"/virtuoso-temp.{db,trx}
    cat >"$dir/virtuoso.ini" <<INI
[Database]
DatabaseFile    = $dir/virtuoso.db
ErrorLogFile    = $dir/virtuoso.log
LockFile        = $dir/virtuoso.lck
TransactionFile = $dir/virtuoso.trx
xa_persistent_file = $dir/virtuoso.pxa
ErrorLogLevel   = 7
FileExtend      = 200
MaxCheckpointRemap = 2000
Striping        = 0
TempStorage     = TempDatabase

[TempDatabase]
DatabaseFile    = $dir/virtuoso-temp.db
TransactionFile = $dir/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping        = 0

[Parameters]
ServerPort      = 127.0.0.1:$sql_port
DisableUnixSocket = 1
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode        = 2
DirsAllowed     = ., $dir, /usr/share/virtuoso-opensource-7/vad
VADInstallDir   = /usr/share/virtuoso-opensource-7/vad/
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000
MaxQueryMem     = 2G
ThreadsPerQuery = 2

[HTTPServer]
ServerPort      = 127.0.0.1:$http_port
ServerRoot      = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections = 20
ServerThreads   = 20
MaxKeepAlives   = 20
KeepAliveTimeout = 10
Charset         = UTF-8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 120
MaxSortedTopRows = 1000000
INI
    (cd "$dir" && virtuoso-t +configfile "$dir/virtuoso.ini" +wait >"$dir/start.log" 2>&1) || {
        cat "$dir/start.log" "$dir/virtuoso.log" >&2 2>/dev/null; exit 1; }
    for _ in $(seq 1 120); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$http_port/sparql?query=ASK%7B%7D"; then
            echo "virtuoso: http://127.0.0.1:$http_port/sparql"
            exit 0
        fi
        sleep 0.5
    done
    echo "virtuoso did not answer on port $http_port" >&2
    tail -20 "$dir/virtuoso.log" >&2
    exit 1
    ;;
stop)
    if [ -f "$dir/virtuoso.lck" ]; then
        pid=$(grep -o '[0-9]*' "$dir/virtuoso.lck" | head -1 || true)
        [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 60); do [ -f "$dir/virtuoso.lck" ] || break; sleep 0.5; done
    fi
    ;;
*)
    echo "usage: $0 start|stop DIR [HTTP_PORT [SQL_PORT]]" >&2; exit 2 ;;
esac
