#!/usr/bin/env bash
# Books the earliest free slot on LeaseBoard (or, with --queue, waits in the queue for the first gap that fits),
# waits for the lease, follows the test and exits with its outcome.
#
#   LEASEBOARD_URL=https://leaseboard.example LEASEBOARD_TOKEN=lb_... ./leaseboard-run.sh \
#       [--duration 45] [--environment any|env-2] [--title "nightly chaos"] [--kind Load|Stress|Chaos|Soak|Other] [--spec "users=500"]
#       [--queue [--finish-by 2026-12-01T18:00:00Z]]
#
# Exit codes: 0 the test passed · 1 it failed, hung, timed out or was stopped · 2 the booking was refused, the queued
# test expired (no gap in time for --finish-by) or the arguments are wrong · 3 LeaseBoard could not be reached.
# Needs curl and jq. Interrupting it releases the lease (or takes the test out of the queue).
set -euo pipefail

url="${LEASEBOARD_URL:?set LEASEBOARD_URL to the address of LeaseBoard}"
token="${LEASEBOARD_TOKEN:?set LEASEBOARD_TOKEN to a personal access token with the book scope}"
duration=45 environment=any title="CI run $(date -u +%Y-%m-%dT%H:%MZ)" kind=Load spec="" queue=0 finish_by=""
poll="${LEASEBOARD_QUEUE_POLL_SECONDS:-5}"
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --environment) environment="$2"; shift 2 ;;
        --title) title="$2"; shift 2 ;;
        --kind) kind="$2"; shift 2 ;;
        --spec) spec="$2"; shift 2 ;;
        --queue) queue=1; shift ;;
        --finish-by) finish_by="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

# One call: prints the body; on an HTTP error prints the problem's detail and returns 22; on no answer returns 3.
api() {
    local out status
    out=$(curl -sS --max-time 90 --retry 3 --retry-connrefused -w '\n%{http_code}' \
        -H "Authorization: Bearer $token" -H "Content-Type: application/json" -H "Accept: application/json" "$@") || return 3
    status="${out##*$'\n'}"; out="${out%$'\n'*}"
    if [ "$status" -ge 400 ]; then
        echo "LeaseBoard answered $status: $(jq -r '.detail // .title // .' <<<"$out" 2>/dev/null || echo "$out")" >&2
        return 22
    fi
    printf '%s' "$out"
}

key="$(cat /proc/sys/kernel/random/uuid 2>/dev/null || date +%s%N)"
if [ "$queue" -eq 1 ]; then
    body=$(jq -n --arg e "$environment" --argjson d "$duration" --arg t "$title" --arg k "$kind" --arg s "$spec" --arg f "$finish_by" \
        '{durationMinutes: $d, title: $t, testKind: $k, testSpec: $s}
         + (if $e == "any" then {} else {environments: [$e]} end) + (if $f == "" then {} else {mustFinishBy: $f} end)')
    entry=$(api -X POST -H "Idempotency-Key: $key" -d "$body" "$url/api/v1/queue") || { rc=$?; [ $rc -eq 3 ] && exit 3; exit 2; }
    entry_id=$(jq -r .id <<<"$entry")
    echo "Queued entry $entry_id (position $(jq -r '.position // "?"' <<<"$entry")): waiting for a gap of $duration minutes"
    leave_queue() {
        echo "Interrupted: taking queue entry $entry_id out of the queue" >&2
        api -X DELETE "$url/api/v1/queue/$entry_id" >/dev/null || true
        exit 1
    }
    trap leave_queue INT TERM
    while :; do
        case "$(jq -r .state <<<"$entry")" in
            Placed) break ;;
            Expired|Cancelled) echo "$(jq -r .state <<<"$entry"): $(jq -r '.outcome // ""' <<<"$entry")" >&2; exit 2 ;;
        esac
        sleep "$poll"
        entry=$(api "$url/api/v1/queue/$entry_id") || exit 3
    done
    trap - INT TERM
    id=$(jq -r .reservationId <<<"$entry")
    reservation=$(api "$url/api/v1/reservations/$id") || exit 3
    echo "Placed as reservation $id on $(jq -r .environment <<<"$reservation"), $(jq -r .startUtc <<<"$reservation") to $(jq -r .endUtc <<<"$reservation") (UTC)"
else
    body=$(jq -n --arg e "$environment" --argjson d "$duration" --arg t "$title" --arg k "$kind" --arg s "$spec" \
        '{environment: $e, start: "earliest", durationMinutes: $d, title: $t, testKind: $k, testSpec: $s}')
    # The Idempotency-Key makes curl's retries safe: a booking that committed is returned, never doubled.
    reservation=$(api -X POST -H "Idempotency-Key: $key" -d "$body" "$url/api/v1/reservations") || { rc=$?; [ $rc -eq 3 ] && exit 3; exit 2; }
    id=$(jq -r .id <<<"$reservation")
    echo "Booked reservation $id on $(jq -r .environment <<<"$reservation"), $(jq -r .startUtc <<<"$reservation") to $(jq -r .endUtc <<<"$reservation") (UTC)"
fi

release() {
    echo "Interrupted: releasing reservation $id" >&2
    api -X POST "$url/api/v1/reservations/$id/release" >/dev/null || api -X DELETE "$url/api/v1/reservations/$id" >/dev/null || true
    exit 1
}
trap release INT TERM

state=$(jq -r .state <<<"$reservation")
progress=""
while :; do
    case "$state" in
        Completed) echo "Passed: $(jq -r '.outcome // "completed"' <<<"$reservation")"; exit 0 ;;
        Failed|TimedOut|ForceReleased|Cancelled) echo "$state: $(jq -r '.outcome // ""' <<<"$reservation")" >&2; exit 1 ;;
    esac
    now=$(jq -r '.run.progressPercent // empty' <<<"$reservation")
    if [ -n "$now" ] && [ "$now" != "$progress" ]; then echo "$state: ${now}%"; progress="$now"; fi
    # Long poll: answers when the state changes, or after 10 s with the latest progress.
    reservation=$(api "$url/api/v1/reservations/$id?waitForChangeFrom=$state&timeout=10") || exit 3
    state=$(jq -r .state <<<"$reservation")
done
