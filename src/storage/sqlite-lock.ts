/**
 * Who holds a SQLite database's write lock, from the kernel's lock table. In WAL mode a writer holds a POSIX
 * lock on byte 120 of the `-shm` file (SQLite's WAL_WRITE_LOCK) for as long as its write transaction is
 * open; /proc/locks names the process that holds it. Linux only: elsewhere the holder is unknown (null).
 */
import { readFileSync, statSync } from 'node:fs';

/** SQLite's WAL write lock: the first of the shm file's lock bytes (WALINDEX_LOCK_OFFSET 120 + 0). */
const WAL_WRITE_LOCK_BYTE = 120;

/** The pid holding `file`'s write lock now, or null when none does (or it cannot be told). */
export function writeLockHolder(file: string): number | null {
  let inode: number;
  let table: string;
  try {
    inode = statSync(`${file}-shm`).ino;
    table = readFileSync('/proc/locks', 'utf8');
  } catch {
    return null;
  }
  for (const line of table.split('\n')) {
    // "1: POSIX  ADVISORY  WRITE 5825 fe:00:2151120 120 120"
    const f = line.trim().split(/\s+/);
    if (f[1] !== 'POSIX' && f[1] !== 'OFDLCK') continue;
    if (f[3] !== 'WRITE') continue;
    const ino = Number(f[5]?.split(':')[2]);
    const start = Number(f[6]);
    const end = f[7] === 'EOF' ? Infinity : Number(f[7]);
    if (ino === inode && start <= WAL_WRITE_LOCK_BYTE && WAL_WRITE_LOCK_BYTE <= end) {
      const pid = Number(f[4]);
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    }
  }
  return null;
}
