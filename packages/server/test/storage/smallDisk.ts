/**
 * A small, really full-able disk for disk-full tests: a tmpfs mounted for the test, or (where
 * tmpfs mounts are refused) an ext4 image on a loop device. Both need root, which tests and CI
 * have here; when neither works this throws with both reasons, so the test fails loudly instead of
 * skipping.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface SmallDisk {
  /** The mount point (an empty folder on the small file system). */
  dir: string;
  kind: 'tmpfs' | 'loop';
  /**
   * Fills the disk with one filler file until at most `leaveBytes` stay free (exactly: it writes
   * until ENOSPC, then gives back the rest); returns the filler path.
   */
  fill(leaveBytes?: number): string;
  /** Deletes the filler, giving its space back. */
  free(): void;
  unmount(): void;
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

function failureText(error: unknown): string {
  const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
  return stderr || (error instanceof Error ? error.message : String(error));
}

export function mountSmallDisk(sizeMiB: number): SmallDisk {
  const base = mkdtempSync(path.join(tmpdir(), 'cinder-smalldisk-'));
  const dir = path.join(base, 'mnt');
  run('mkdir', ['-p', dir]);
  let kind: SmallDisk['kind'];
  let image: string | null = null;
  try {
    run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, 'tmpfs', dir]);
    kind = 'tmpfs';
  } catch (tmpfsError) {
    try {
      image = path.join(base, 'disk.img');
      run('truncate', ['-s', `${sizeMiB}M`, image]);
      run('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
      run('mount', ['-o', 'loop', image, dir]);
      kind = 'loop';
    } catch (loopError) {
      rmSync(base, { recursive: true, force: true });
      throw new Error(
        `cannot mount a small disk for the disk-full test (needs root, or CAP_SYS_ADMIN): tmpfs mount failed: ${failureText(tmpfsError)}; loop device failed: ${failureText(loopError)}`,
      );
    }
  }
  const filler = path.join(dir, 'filler.bin');
  return {
    dir,
    kind,
    fill(leaveBytes = 0) {
      const fd = openSync(filler, 'a');
      try {
        // Large chunks first, then small ones to take the last partial blocks.
        for (const chunkBytes of [1024 * 1024, 4096, 512]) {
          const chunk = Buffer.alloc(chunkBytes, 0x5a);
          for (let i = 0; i < 1_000_000; i++) {
            try {
              writeSync(fd, chunk);
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
              break;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      if (leaveBytes > 0) {
        const size = Number(execFileSync('stat', ['-c', '%s', filler]).toString().trim());
        run('truncate', ['-s', String(Math.max(0, size - leaveBytes)), filler]);
      }
      return filler;
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      try {
        run('umount', [dir]);
      } catch {
        // Still busy (a server not yet gone): detach now, the kernel frees it when unused.
        run('umount', ['-l', dir]);
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}
