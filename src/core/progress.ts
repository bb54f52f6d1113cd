/**
 * Progress of a long command on stderr (stdout stays for results that scripts read): a bar on
 * a terminal, a plain line every 10 % otherwise (logs, CI, cron mail).
 */
export function progressPrinter(label = ''): (done: number, total: number) => void {
  const started = Date.now();
  const prefix = label ? `${label} ` : '';
  let lastDecile = -1;
  return (done, total) => {
    const ratio = total > 0 ? Math.min(done / total, 1) : 1;
    const rate = Math.round(done / Math.max((Date.now() - started) / 1000, 0.001));
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round(ratio * width);
      process.stderr.write(`\r${prefix}[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${done}/${total} ${rate}/s`);
      if (done >= total) process.stderr.write('\n');
    } else if (Math.floor(ratio * 10) > lastDecile) {
      lastDecile = Math.floor(ratio * 10);
      process.stderr.write(`${prefix}${(ratio * 100).toFixed(0)}% ${done}/${total} ${rate}/s\n`);
    }
  };
}
