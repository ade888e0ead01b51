// Profiles of the measured window only (not the start-up): a CPU profile and a sampling heap
// profile of everything allocated in it (also what was collected since), taken through the inspector and written as `.cpuprofile` and
// `.heapprofile` files (open them in Chrome DevTools or speedscope), and `.memory.json`: memory at
// the end of the window and after a full garbage collection (what is live, what was garbage). With
// `snapshot`, a heap snapshot after that collection too. Used by the engine-scale children when
// the job names a directory; the profiler's own cost is in the figures of such a run.

import { Session } from 'node:inspector/promises';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface WindowProfile {
  stop(): Promise<string[]>;
}

export async function startWindowProfile(dir: string, name: string, snapshot = false): Promise<WindowProfile> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  await session.post('HeapProfiler.enable');
  // Every allocation of the window, also what the collector has freed since: what makes garbage.
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 16 * 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as { samplingInterval: number });
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      const { profile: heap } = await session.post('HeapProfiler.stopSampling');
      session.disconnect();
      await mkdir(dir, { recursive: true });
      const files = [
        join(dir, `${name}.cpuprofile`),
        join(dir, `${name}.heapprofile`),
        join(dir, `${name}.memory.json`),
      ];
      await writeFile(files[0]!, JSON.stringify(profile));
      await writeFile(files[1]!, JSON.stringify(heap));
      const atEnd = process.memoryUsage();
      fullGc();
      const afterGc = process.memoryUsage();
      await writeFile(files[2]!, JSON.stringify({ atEnd, afterGc }));
      if (snapshot) files.push(writeHeapSnapshot(join(dir, `${name}.heapsnapshot`)));
      return files;
    },
  };
}

/** A full collection without starting the process with --expose-gc. */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
