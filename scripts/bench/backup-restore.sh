#!/usr/bin/env bash
# Backup and restore of the synthetic catalog: wall time, backup size and peak memory (RSS) of
# each command, printed as a table.
#
#   scripts/bench/backup-restore.sh [--count N]       (default 100000 products)
#
# The catalog goes into a private MongoDB stand-in (memory backend, its own JVM heap:
# BENCH_MONGO_HEAP, default 3g) on a free port, so neither its size nor a second copy restored
# beside it squeezes the shared test server; it is stopped at the end, data and all. The backup
# goes to the local MinIO's backup bucket under its own prefix, deleted at the end.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/../stack/lib.sh"
cd "$PROJECT_ROOT"

count=100000
[[ ${1:-} == --count ]] && count=${2:?--count needs a number}
ensure_node_modules
command -v /usr/bin/time >/dev/null || die "needs GNU time (/usr/bin/time, Debian package time)"
"$STACK_SCRIPTS_DIR/install.sh" --quiet mongo
"$STACK_SCRIPTS_DIR/up.sh" redis minio >/dev/null

run=$(date +%s)$$
work=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
java "-Xmx${BENCH_MONGO_HEAP:-3g}" -cp "$MONGO_CLASSES_DIR:$MONGO_LIB_DIR/*" Launcher "$port" memory >"$work/mongo.log" 2>&1 &
mongo_pid=$!

export MONGODB_URI=mongodb://127.0.0.1:$port/bench_backup_$run
# shellcheck source-path=SCRIPTDIR
. scripts/local-env.sh
export BACKUP_PREFIX=bench_$run/ BACKUP_KEEP=1 LOG_LEVEL=warn

cleanup() {
  node -e '
    const { S3Client, ListObjectVersionsCommand, DeleteObjectsCommand } = require("@aws-sdk/client-s3");
    const s3 = new S3Client({ region: "us-east-1", endpoint: process.env.S3_ENDPOINT, forcePathStyle: true,
      credentials: { accessKeyId: process.env.S3_ACCESS_KEY_ID, secretAccessKey: process.env.S3_SECRET_ACCESS_KEY } });
    (async () => {
      // Every version, delete markers included: the backup bucket may be versioned.
      const bucket = process.env.BACKUP_BUCKET || "shop-backups";
      for (;;) {
        const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: process.env.BACKUP_PREFIX }));
        const objects = [...(page.Versions || []), ...(page.DeleteMarkers || [])].map(({ Key, VersionId }) => ({ Key, VersionId }));
        if (objects.length === 0) break;
        await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
      }
    })().catch((e) => console.error("cleanup:", e.message));
  ' || true
  kill "$mongo_pid" 2>/dev/null && wait "$mongo_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 100); do port_open "$port" && break; sleep 0.1; done
port_open "$port" || die "the private MongoDB stand-in did not start (see $work/mongo.log)"
npx nest build api

say "seeding $count products into a private stand-in on port $port ..."
node dist/src/seed/seed.js bulk --count "$count" 2>/dev/null

# GNU time: elapsed seconds and the peak resident set size (KiB) of the node process.
/usr/bin/time -f '%e %M' -o "$work/backup.time" node dist/src/backups/backup-command.js backup >"$work/backup.out" 2>"$work/backup.err" ||
  { cat "$work/backup.err" >&2; die "backup failed"; }
id=$(tail -n 1 "$work/backup.out" | cut -d' ' -f1)
listing=$(node dist/src/backups/backup-command.js restore --list | grep "^$id ")
/usr/bin/time -f '%e %M' -o "$work/restore.time" node dist/src/backups/backup-command.js restore "$id" --db "bench_restore_$run" >"$work/restore.out" 2>"$work/restore.err" ||
  { cat "$work/restore.out" "$work/restore.err" >&2; die "restore failed"; }

read -r backup_s backup_kb <"$work/backup.time"
read -r restore_s restore_kb <"$work/restore.time"
say ""
say "backup $id: $(tail -n 1 "$work/backup.out" | cut -d' ' -f2-)"
say "listed as: $listing"
say "restore: $(tail -n 1 "$work/restore.out" | cut -d' ' -f2-)"
say ""
printf '%-8s %10s %14s\n' step 'wall s' 'peak RSS MiB'
printf '%-8s %10s %14s\n' backup "$backup_s" "$((backup_kb / 1024))"
printf '%-8s %10s %14s\n' restore "$restore_s" "$((restore_kb / 1024))"
say "(node processes only; MongoDB is the stand-in's memory backend on this machine, not a real server)"
