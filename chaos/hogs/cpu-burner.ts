// A CPU burner: spins one core until its deadline, then exits by itself.
// Usage: node cpu-burner.ts <forMs>
// It also exits when its stdin closes (the harness is gone, however it died),
// and on SIGTERM (no handler: the default action ends it even mid-spin).
// It spins in slices of SLICE_MS and yields between them, so that the stdin
// close is noticed within a slice.

const SLICE_MS = 50;

const forMs = Number(process.argv[2]);
if (!Number.isFinite(forMs) || forMs <= 0) {
  process.stderr.write(`cpu burner: expected a positive deadline in ms as the first argument, got ${JSON.stringify(process.argv[2])}\n`);
  process.exit(2);
}
const deadline = performance.now() + forMs;

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdout.on('error', () => process.exit(0));
process.stdin.resume();

let spins = 0;
function burn(): void {
  const sliceEnd = Math.min(performance.now() + SLICE_MS, deadline);
  while (performance.now() < sliceEnd) spins++;
  if (performance.now() >= deadline) {
    process.stdout.write(JSON.stringify({ stoppedBy: 'deadline', spins }) + '\n', () => process.exit(0));
    return;
  }
  setImmediate(burn);
}

process.stdout.write(JSON.stringify({ started: true, pid: process.pid, forMs }) + '\n');
burn();
