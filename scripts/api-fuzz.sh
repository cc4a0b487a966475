#!/usr/bin/env bash
# Bounded schemathesis pass over the REST API of an all-in-one (issue 11, "Show it"): every
# operation of openapi/openapi.yaml gets generated requests, valid and invalid, then stateful
# sequences (submit -> read -> migrate/cancel...). The pass fails on any server error (5xx), a
# status code the spec does not list for the operation, a body or header that does not match the
# spec, a request the spec calls invalid but the server accepts, a 405 without `Allow`, a secured
# operation that answers without the token, or a crash of the all-in-one; and, after the pass, on
# a control state whose bookings no longer match its tasks (GET /api/v1/manager/consistency).
#
# Usage: bash scripts/api-fuzz.sh   (from any directory; needs python3, curl and node_modules)
# The last line it prints is the summary: `api-fuzz: PASS|FAIL: <operations>, <test cases>, ...`.
#
# The all-in-one runs on the embedded backends (memory records, memory control state) with three
# simulated workers, so the pass needs neither Docker, MongoDB nor Redis: it is about the HTTP
# contract. Its HTTP port is chosen by the kernel (port 0, read back from its start-up lines) and
# its ZeroMQ endpoints are ipc sockets in a private directory: no fixed port is used.
#
# Knobs: RSWARM_FUZZ_DIR (default /tmp/rswarm-ci: the venv is kept and reused there; each run
# gets its own directory under it, removed after a pass), RSWARM_FUZZ_EXAMPLES (examples per
# operation and phase, default 50), RSWARM_FUZZ_SEED (default 20251111), RSWARM_FUZZ_CHECKS
# (comma-separated schemathesis checks), RSWARM_FUZZ_KEEP=1 keeps the run directory.
#
# Deterministic: a fixed seed, no example database, one schemathesis worker. No operation is
# excluded; what the destructive ones (cancel, drain, remove a worker) act on is chosen below
# (test data), so they cannot take the other operations' jobs and workers away.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${RSWARM_FUZZ_DIR:-/tmp/rswarm-ci}"
SCHEMATHESIS_VERSION=4.32.5
EXAMPLES="${RSWARM_FUZZ_EXAMPLES:-50}"
# Every schemathesis check but two, which test semantics this API does not have on purpose:
#   positive_data_acceptance  a job document the schema accepts may still be refused with 400:
#     the schema only checks its structure; units, image references, cpusets, NAME=value
#     variables, task-key agreement, volume allow-lists and the like are checked after it, in
#     core/job, so that every problem of a document is reported at once with its own message
#   use_after_free  DELETE cancels a job or removes a worker; both stay readable (state
#     `cancelled`, `left`) as records, which the API documents
CHECKS="${RSWARM_FUZZ_CHECKS:-not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,response_headers_conformance,negative_data_rejection,missing_required_header,ignored_auth,unsupported_method,allow_header_conformance,ensure_resource_availability}"
SEED="${RSWARM_FUZZ_SEED:-20251111}"
TOKEN="api-fuzz-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
VENV="$DIR/venv"

log() { printf '[api-fuzz] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$DIR"

# ---------------------------------------------------------------- schemathesis in a venv

ensure_schemathesis() {
  if [[ -x $VENV/bin/schemathesis ]] &&
    [[ $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null) == "$SCHEMATHESIS_VERSION" ]]; then
    return 0
  fi
  local py
  py=$(command -v python3 || true)
  if [[ -z $py ]] || ! "$py" -m venv --help >/dev/null 2>&1; then
    log "python3 with venv missing; apt-get install python3-venv"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends python3 python3-venv >&2 ||
      { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends python3 python3-venv >&2; }
    py=$(command -v python3) || die "no python3"
  fi
  log "installing schemathesis==$SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  "$py" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
}

ensure_schemathesis

# ---------------------------------------------------------------- the all-in-one

RUN=$(mktemp -d "$DIR/run.XXXXXX")
AIO_PID=""
SUMMARY_PRINTED=""
# shellcheck disable=SC2317 # (called by the EXIT trap)
cleanup() {
  local rc=$?
  if [[ -n $AIO_PID ]] && kill -0 "$AIO_PID" 2>/dev/null; then
    kill -TERM "$AIO_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$AIO_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$AIO_PID" 2>/dev/null || true
  fi
  if [[ $rc -eq 0 && ${RSWARM_FUZZ_KEEP:-0} != 1 ]]; then rm -rf "$RUN"; elif [[ -z $SUMMARY_PRINTED ]]; then log "logs and report kept in $RUN"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The pass sends requests without (or with a wrong) token on purpose; the failed-authentication
# limit (20 a minute per address) would then answer every later request 429 and leave the logic
# behind it untested, so this all-in-one allows more.
# A task operation waits for a worker at most cluster.operationTimeoutMs (30 s by default); 3 s
# keeps each request well under the pass's request timeout. The event stream (and a followed
# log) stays open until the client leaves; schemathesis reads each answer to its end, so here a
# stream ends after http.maxStreamMs (its backlog sent), as it would for a client that then
# resumes with Last-Event-ID.
cat >"$RUN/config.json" <<'JSON'
{
  "http": { "authFailures": { "limit": 1000000, "windowMs": 60000 }, "maxStreamMs": 500 },
  "cluster": { "operationTimeoutMs": 3000 }
}
JSON

# The run directory is the all-in-one's working directory: its .rswarm/token and link keys go
# there, never into the checkout (so tsx is resolved from the checkout first).
TSX_LOADER=$(cd "$ROOT" && node --input-type=module -e "console.log(import.meta.resolve('tsx'))") ||
  die "tsx is not installed in $ROOT (npm install)"
(
  cd "$RUN"
  exec env RSWARM_CONFIG="$RUN/config.json" \
    RSWARM_PORT=0 RSWARM_GATEWAY_PORT=0 RSWARM_HOST=127.0.0.1 RSWARM_TOKEN="$TOKEN" RSWARM_STATE=memory \
    RSWARM_STORE=memory RSWARM_QUEUE=memory RSWARM_RUNTIME=simulated RSWARM_WORKERS=3 \
    RSWARM_LOG_LEVEL=warn \
    RSWARM_MANAGER_ENDPOINT="ipc://$RUN/manager.ipc" \
    RSWARM_ENROL_ENDPOINT="ipc://$RUN/enrol.ipc" \
    RSWARM_DISCOVERY_ENDPOINT="ipc://$RUN/discovery.ipc" \
    RSWARM_JOB_MANAGER_ENDPOINT="ipc://$RUN/job-manager.ipc" \
    node --import "$TSX_LOADER" "$ROOT/cli/main.ts" all-in-one
) >"$RUN/all-in-one.log" 2>&1 </dev/null &
AIO_PID=$!

URL=""
for _ in $(seq 1 600); do
  kill -0 "$AIO_PID" 2>/dev/null || { cat "$RUN/all-in-one.log" >&2; die "the all-in-one exited"; }
  URL=$(sed -n 's#^RESTfulSwarm API *\(http://[^ ]*\)/api/v1$#\1#p' "$RUN/all-in-one.log" | head -1)
  if [[ -n $URL ]] && curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null; then break; fi
  URL=""
  sleep 0.1
done
[[ -n $URL ]] || { cat "$RUN/all-in-one.log" >&2; die "the all-in-one did not become ready in 60 s"; }
log "all-in-one ready at $URL (pid $AIO_PID, log $RUN/all-in-one.log)"

# ---------------------------------------------------------------- test data

api() { # api METHOD PATH [JSON]
  curl -fsS -X "$1" -H "Authorization: Bearer $TOKEN" ${3:+-H 'content-type: application/json' --data "$3"} "$URL$2"
}

# Generated names almost never hit a job, task or worker, so most requests of the operations on
# one would only meet 404. Two long-running jobs and a spare worker give them something to act
# on: about half of the generated requests use these names (dictionaries below).
#   fuzz-run     its tasks are read, updated, checkpointed and migrated (cold, between workers)
#   fuzz-cancel  the one DELETE /api/v1/jobs/{name} may cancel (then 409 JOB_FINISHED)
#   sim-3        the worker drain, undrain and DELETE /api/v1/workers/{id} act on; removed, it
#                stays readable as `left` and takes no more tasks, while sim-1 and sim-2 keep
#                running the jobs
api POST /api/v1/jobs '{"name":"fuzz-run","tasks":[
  {"name":"fuzz-run-a","image":"busybox","cores":2,"memory":"64m","runSeconds":100000},
  {"name":"fuzz-run-b","image":"busybox","cores":1,"memory":"32m","runSeconds":100000}]}' >/dev/null ||
  die "could not submit the test job fuzz-run"
api POST /api/v1/jobs '{"name":"fuzz-cancel","tasks":[
  {"name":"fuzz-cancel-a","image":"busybox","cores":1,"memory":"32m","runSeconds":100000}]}' >/dev/null ||
  die "could not submit the test job fuzz-cancel"
running() { [[ $(api GET "/api/v1/jobs/$1") == *'"state":"running"'* ]]; }
for _ in $(seq 1 100); do running fuzz-run && running fuzz-cancel && break; sleep 0.1; done
if ! { running fuzz-run && running fuzz-cancel; }; then
  die "the test jobs did not start; see $RUN/all-in-one.log"
fi

cat >"$RUN/schemathesis.toml" <<'TOML'
[dictionaries]
run-job = { values = ["fuzz-run"] }
cancel-job = { values = ["fuzz-cancel"] }
tasks = { values = ["fuzz-run-a", "fuzz-run-b"] }
spare-worker = { values = ["sim-3"] }
workers = { values = ["sim-1", "sim-2", "sim-3"] }

[[operations]]
include-operation-id = ["getJob", "migrateJob"]
parameters = { "path.name" = { dictionary = "run-job", probability = 0.5 }, "body.to" = { dictionary = "workers", probability = 0.5 } }

[[operations]]
include-operation-id = "cancelJob"
parameters = { "path.name" = { dictionary = "cancel-job", probability = 0.5 } }

[[operations]]
include-operation-id = ["migrateTask", "updateTask"]
parameters = { "path.task" = { dictionary = "tasks", probability = 0.5 }, "body.to" = { dictionary = "workers", probability = 0.5 } }

# Simulated workers cannot checkpoint: their documented answer is 501 CHECKPOINT_UNSUPPORTED, the
# only 5xx this pass accepts (any 5xx elsewhere, or another one here, fails it).
[[operations]]
include-operation-id = "checkpointTask"
parameters = { "path.task" = { dictionary = "tasks", probability = 0.5 } }
checks = { not_a_server_error = { expected-statuses = ["2xx", "3xx", "4xx", 501] } }

[[operations]]
include-operation-id = ["getWorker", "removeWorker", "drainWorker", "undrainWorker"]
parameters = { "path.id" = { dictionary = "spare-worker", probability = 0.5 } }
TOML

# ---------------------------------------------------------------- the pass

set +e
(
  cd "$RUN"
  "$VENV/bin/schemathesis" --config-file "$RUN/schemathesis.toml" run "$ROOT/openapi/openapi.yaml" \
    --url "$URL" \
    --header "Authorization: Bearer $TOKEN" \
    --checks "$CHECKS" \
    --max-examples "$EXAMPLES" \
    --seed "$SEED" \
    --generation-database none \
    --workers 1 \
    --request-timeout 20 \
    --no-color \
    --report junit --report-dir "$RUN/report"
) 2>&1 | tee "$RUN/schemathesis.log"
rc=${PIPESTATUS[0]}
set -e

# The all-in-one must still be up: a crash mid-pass is a failure even if every answer was fine.
if ! kill -0 "$AIO_PID" 2>/dev/null; then
  log "the all-in-one died during the pass"
  tail -n 30 "$RUN/all-in-one.log" >&2
  rc=1
# After every migration, update, drain and removal, no core is booked twice and every booking is
# backed by a live task.
elif ! consistency=$(api GET /api/v1/manager/consistency) || [[ $consistency != *'"ok":true'* ]]; then
  log "the control state is inconsistent after the pass: ${consistency:-no answer}"
  rc=1
fi

# The summary, from schemathesis' own report.
st_log="$RUN/schemathesis.log"
operations=$(awk '/^API Operations:/ { f = 1 } f && /Tested:/ { print $2; exit }' "$st_log")
cases=$(awk '/^Test cases:/ { getline; sub(/^ +/, ""); print; exit }' "$st_log")
final=$(grep -E '^=+ .+ =+$' "$st_log" | tail -n 1 | sed -E 's/^=+ (.*) =+$/\1/')
failures=$(grep -oE '[0-9]+ failures?' <<<"$final" | cut -d' ' -f1 || true)
errors=$(grep -oE '[0-9]+ errors?' <<<"$final" | cut -d' ' -f1 || true)
verdict=PASS
((rc == 0)) || verdict="FAIL (exit $rc)"
if [[ $rc -ne 0 || ${RSWARM_FUZZ_KEEP:-0} == 1 ]]; then log "logs and report kept in $RUN"; fi
SUMMARY_PRINTED=1
echo "api-fuzz: $verdict: ${operations:-?} operations, test cases: ${cases:-none}; ${failures:-0} failures," \
  "${errors:-0} errors (schemathesis $SCHEMATHESIS_VERSION, seed $SEED, $EXAMPLES examples per operation;" \
  "${final:-no schemathesis summary})"
exit "$rc"
