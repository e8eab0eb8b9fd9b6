#!/usr/bin/env bash
# Samspil as it runs in production, on the Node of .node-version (PATH set by .ci/run): `npm run cli`
# and `npm start` with Node's own type stripping (no tsx), against PostgreSQL, and a grant list
# imported through the API as CSV (read in the web process) and as XLSX (by the reader thread).
#   usage: .ci/node24-smoke.sh <DATABASE_URL of an empty database>
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DATABASE_URL="$1" NODE_ENV=production LOG_LEVEL=warn HOST=127.0.0.1 PORT=39824
base="http://127.0.0.1:${PORT}"
node -e 'if (!process.features.typescript) { console.error("this node cannot strip types"); process.exit(1) }'

npm run --silent cli -- user create --email smoke@kk.dk --name "Røg Test" \
  --password "en lang smoke-adgangskode" --role finance --municipality 101 >/dev/null
token=$(npm run --silent cli -- token create --email smoke@kk.dk | tail -n 1)

# In a process group of its own: npm runs the app as a child, and both are stopped at the end.
setsid npm start >/tmp/samspil-smoke-$$.log 2>&1 &
app=$!
stop() {
  kill -TERM -- "-$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  rm -f /tmp/samspil-smoke-$$.log
}
trap stop EXIT
for _ in $(seq 1 600); do
  curl -sf "${base}/readyz" >/dev/null && break
  kill -0 "$app" 2>/dev/null || { cat /tmp/samspil-smoke-$$.log >&2; exit 1; }
  sleep 0.2
done
curl -sf "${base}/readyz" >/dev/null
[ "$(curl -s -o /dev/null -w '%{http_code}' "${base}/login")" = 200 ]

# Uploads a grant list and waits for its import to be done; prints the import's id.
import_file() {
  local answer id status
  answer=$(curl -s -H "authorization: Bearer ${token}" -F kind=grants -F "file=@$1;filename=$2" "${base}/api/v1/imports")
  id=$(node -e 'const a = JSON.parse(process.argv[1]); if (a.status !== "queued") { console.error(process.argv[1]); process.exit(1) } console.log(a.id)' "$answer")
  for _ in $(seq 1 300); do
    status=$(curl -s -H "authorization: Bearer ${token}" "${base}/api/v1/imports/${id}" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).status))')
    [ "$status" = done ] && break
    [ "$status" = failed ] && { echo "smoke: the import of $2 failed" >&2; exit 1; }
    sleep 0.2
  done
  [ "$status" = done ] || { echo "smoke: the import of $2 did not finish" >&2; exit 1; }
  echo "$id"
}

# A CSV file is read in the web process; an XLSX workbook by the reader thread, as Node loads it there.
csv=$(mktemp --suffix=.csv)
xlsx=$(mktemp --suffix=.xlsx)
printf 'Sagsnr;Forening;Projekt;År;Bevilget beløb;Målgruppe;Bevillingsdato\r\nS-1;Røgdykkerne;Øvelse;2026;12.500,50;Stofmisbrug;1.3.2026\r\n' >"$csv"
node --input-type=module -e '
import ExcelJS from "exceljs";
const book = new ExcelJS.Workbook();
const sheet = book.addWorksheet("Bevillinger");
sheet.addRow(["Sagsnr", "Forening", "Projekt", "År", "Bevilget beløb", "Målgruppe", "Bevillingsdato"]);
sheet.addRow(["S-2", "Røgdykkerne", "Øvelse igen", 2025, 7500, "Stofmisbrug", new Date(Date.UTC(2025, 2, 2))]);
await book.xlsx.writeFile(process.argv[1]);
' "$xlsx"
first=$(import_file "$csv" bevillinger.csv)
second=$(import_file "$xlsx" bevillinger.xlsx)
rm -f "$csv" "$xlsx"
echo "smoke: $(node --version) started the app, answered /readyz and /login, and imported a grant list as CSV (import ${first}) and as XLSX (import ${second})"
