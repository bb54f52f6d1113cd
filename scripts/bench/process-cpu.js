// CPU time a process has used so far, from /proc (Linux), for the benchmarks: the cost of the
// work itself, which other load on a shared machine slows but does not add to.
const { execSync } = require('node:child_process');
const { readFileSync } = require('node:fs');

const TICKS_PER_SECOND = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

/** User + system CPU of the process (all its threads), in µs. */
exports.cpuMicros = function cpuMicros(pid) {
  // /proc/<pid>/stat: fields 14 and 15 (utime, stime), counted after the command name's closing parenthesis.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
};

/** The pid of the process listening on a local TCP port (`ss`), or null when it cannot be told. */
exports.listenerPid = function listenerPid(port) {
  try {
    const line = execSync(`ss -ltnpH 'sport = :${Number(port)}'`, { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const match = /pid=(\d+)/.exec(line);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
};

/**
 * CPU (µs) used so far by this process (the bench's own client) and by the local servers a run
 * keeps busy, each found by the port its URL names; `unseen` collects the names of those whose
 * process was not found (no `ss`, a URL with several hosts, another user's process).
 */
exports.serverCpuMicros = function serverCpuMicros(servers, unseen) {
  const usage = process.cpuUsage();
  const micros = { 'bench client': usage.user + usage.system };
  for (const [name, url] of Object.entries(servers)) {
    let pid = null;
    try {
      pid = exports.listenerPid(new URL(url).port);
    } catch {
      // A URL with several hosts (a replica set) names no one local process.
    }
    if (pid === null) unseen.add(name);
    else micros[name] = exports.cpuMicros(pid);
  }
  return micros;
};
