/**
 * Which processes take part in a sweep, and when one is gone. Every process that runs a sweep (`tfsweep run`
 * or `tfsweep agent`, on any machine) has a row in `processes` and renews it every heartbeat; the trials it
 * runs are leased to it. A process that stops heartbeating for the grace period (killed, machine lost,
 * network cut) is declared gone by whichever live process notices, and its running trials become
 * interrupted, to be re-run once by any process.
 *
 * A process is known by host, pid and a token (boot id, pid namespace, start time): on the same host a
 * dead process is recognised at once — its pid no longer exists, is a zombie, or now belongs to another
 * process (a reused pid has another start time) — and elsewhere by its silence alone.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import type { ProcessIdentity, ProcessRecord } from './records.js';

function envMs(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= min ? n : fallback;
}

/** How often a process renews its lease (TFSWEEP_HEARTBEAT_MS, default 5 s). */
export function heartbeatMs(): number {
  return envMs('TFSWEEP_HEARTBEAT_MS', 5_000, 50);
}

/**
 * How long a process may stay silent before it is declared gone and its trials re-run
 * (TFSWEEP_LEASE_GRACE_MS, default 60 s; at least three heartbeats).
 */
export function leaseGraceMs(): number {
  return Math.max(3 * heartbeatMs(), envMs('TFSWEEP_LEASE_GRACE_MS', 60_000, 150));
}

/** This machine's boot id (Linux), so that a pid and start time from before a reboot never match. */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown-boot';
  }
}

/** This process's pid namespace: a pid means something only inside its namespace (containers). */
function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid').replace(/\D/g, '');
  } catch {
    return 'unknown-ns';
  }
}

/** A process's state letter and start time (clock ticks since boot) from /proc, or null when it does not exist. */
function procStat(pid: number): { state: string; start: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: fields are counted after it.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, start: rest[19]! };
  } catch {
    return null;
  }
}

export function processIdentity(): ProcessIdentity {
  const stat = procStat(process.pid);
  return { host: os.hostname(), pid: process.pid, token: `${bootId()}:${pidNamespace()}:${stat?.start ?? `t${Date.now()}`}` };
}

/**
 * What this host can see of `p`: null when `p` ran elsewhere (another host, boot or pid namespace — a
 * container with the same host name — where its pid means nothing here); otherwise its /proc entry (null
 * inside when no such pid exists) and the start time its token recorded.
 */
function localView(p: Pick<ProcessRecord, 'host' | 'pid' | 'token'>): { stat: ReturnType<typeof procStat>; start: string | undefined } | null {
  if (p.host !== os.hostname()) return null;
  const [boot, ns, start] = p.token.split(':');
  if (boot !== bootId() || ns !== pidNamespace()) return null;
  return { stat: procStat(p.pid), start };
}

/**
 * True when `p` ran on this host and is certainly gone (no such pid, a zombie, or the pid now belongs to a
 * process that started at another time). Processes on other hosts are judged by their heartbeat only.
 */
export function deadLocally(p: Pick<ProcessRecord, 'host' | 'pid' | 'token'>): boolean {
  const view = localView(p);
  if (!view) return false;
  const { stat, start } = view;
  if (!stat) return true;
  if (stat.state === 'Z' || stat.state === 'X') return true;
  return stat.start !== start;
}

/** Whether a process row belongs to a process that is still taking part (running, heartbeating, not known dead). */
export function isLive(p: ProcessRecord): boolean {
  return p.state === 'running' && p.silentMs <= graceOf(p) && !deadLocally(p);
}

/** How long `p` may stay silent: its own recorded setting (an observer's may differ), else this process's. */
export function graceOf(p: Pick<ProcessRecord, 'graceMs'>): number {
  return p.graceMs ?? leaseGraceMs();
}

/** Whether `p` is a process on this host that is suspended now (Ctrl-Z, SIGSTOP or a debugger: state T or t). */
export function suspendedLocally(p: Pick<ProcessRecord, 'host' | 'pid' | 'token'>): boolean {
  const view = localView(p);
  return view?.stat != null && view.stat.start === view.start && (view.stat.state === 'T' || view.stat.state === 't');
}
