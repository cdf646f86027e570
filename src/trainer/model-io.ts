/**
 * Saving and loading tfjs models on the file system without tfjs-node: an IOHandler writing the standard
 * layout (`model.json` + `weights.bin`) that `tf.loadLayersModel` reads back through `fileSystem(dir)` here,
 * and tfjs-node or a browser through their own loaders.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';

type Artifacts = tf.io.ModelArtifacts;

/** An IOHandler over the folder `dir`. */
export function fileSystem(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: Artifacts): Promise<tf.io.SaveResult> {
      // Written beside the target and renamed into place: a crash leaves the old model or none, never half;
      // a failed write (disk full) removes its partial copy at once.
      const tmp = `${dir}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      const weights = artifacts.weightData
        ? Buffer.concat((Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData]).map((b) => Buffer.from(b)))
        : Buffer.alloc(0);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      try {
        mkdirSync(tmp, { recursive: true });
        writeFileSync(path.join(tmp, 'weights.bin'), weights);
        writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(modelJson));
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(path.dirname(dir), { recursive: true });
        renameSync(tmp, dir);
      } catch (err) {
        rmSync(tmp, { recursive: true, force: true });
        throw err;
      }
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.length,
        },
      };
    },
    async load(): Promise<Artifacts> {
      const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
        modelTopology: object;
        format?: string;
        generatedBy?: string;
        convertedBy?: string | null;
        weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
        trainingConfig?: tf.io.TrainingConfig;
        userDefinedMetadata?: { [key: string]: {} };
      };
      const buffers = json.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(path.join(dir, p))));
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        ...(json.format ? { format: json.format } : {}),
        ...(json.generatedBy ? { generatedBy: json.generatedBy } : {}),
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        ...(json.trainingConfig ? { trainingConfig: json.trainingConfig } : {}),
        ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
      };
    },
  };
}

/** What tfsweep stores beside a model so it can be evaluated, or used, on new images. */
export interface ModelMetadata {
  /** Inputs are (pixel − offset) / scale, shaped [n, rows, cols, 1]. */
  normalization: { offset: number; scale: number };
  inputShape: [number, number, number];
  classes: number;
}

export function trialModelDir(modelsDir: string, trialNumber: number): string {
  return path.join(modelsDir, `trial-${String(trialNumber).padStart(4, '0')}`);
}
