/**
 * How many CPUs this process may use: the host's cores as its affinity mask allows them
 * (`os.availableParallelism`), and no more than its cgroup's CPU quota (`cpu.max` of cgroup v2, or
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us` of v1): a container or a Kubernetes pod limited to 2 CPUs on a
 * 64-core node gets 2 workers, not 64.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The CPU quota of the cgroup `/proc/self/cgroup` names, in CPUs (rounded up), or null when unlimited or unknown. */
export function cgroupCpuQuota(root = '/sys/fs/cgroup', selfCgroup = '/proc/self/cgroup'): number | null {
  const read = (file: string): string | null => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return null;
    }
  };
  // v2: "0::/path" names the process's cgroup; its cpu.max is "QUOTA PERIOD" or "max PERIOD".
  const own = read(selfCgroup)?.split('\n').find((l) => l.startsWith('0::'))?.slice(3) ?? '';
  for (const dir of [`${root}${own}`, root]) {
    const max = read(`${dir}/cpu.max`);
    if (max) {
      const [quota, period] = max.split(/\s+/);
      if (quota === 'max') return null;
      const q = Number(quota);
      const p = Number(period);
      return q > 0 && p > 0 ? Math.max(1, Math.ceil(q / p)) : null;
    }
  }
  // v1
  const quota = Number(read(`${root}/cpu/cpu.cfs_quota_us`) ?? read(`${root}/cpu,cpuacct/cpu.cfs_quota_us`));
  const period = Number(read(`${root}/cpu/cpu.cfs_period_us`) ?? read(`${root}/cpu,cpuacct/cpu.cfs_period_us`));
  return quota > 0 && period > 0 ? Math.max(1, Math.ceil(quota / period)) : null;
}

/** The default number of parallel trials: the CPUs this process may use. */
export function usableCpus(): number {
  const quota = cgroupCpuQuota();
  const cores = os.availableParallelism();
  return quota === null ? cores : Math.min(cores, quota);
}
