#!/usr/bin/env bash
# The one command that runs every test (README: `npm test`). CI (.ci/run) calls it too.
set -euo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC
step() { printf '\n== %s\n' "$1"; }
step "build (core, server, web)"
npm run build
step "typecheck (sources and tests)"
npm run typecheck
step "lint"
npm run lint
step "browser for UI tests"
bash scripts/ensure-chromium.sh
step "ClickHouse for the ClickHouse store tests (scripts/clickhouse.sh; stopped again at the end)"
bash scripts/clickhouse.sh start
trap 'bash scripts/clickhouse.sh stop' EXIT
step "tests"
npx vitest run "$@"
