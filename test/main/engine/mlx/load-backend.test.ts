// A backend that cannot load must say which system package fixes it.

import { describe, expect, it } from 'vitest';
import { missingOps } from '../../../../main/engine/mlx/backend.ts';
import { explainLoadFailure, loadNpmBackend } from '../../../../main/engine/mlx/load-backend.ts';

describe('explainLoadFailure', () => {
  it('names the Debian packages for missing LAPACK/BLAS', () => {
    const error = explainLoadFailure(new Error('liblapack.so.3: cannot open shared object file: No such file or directory'));
    expect(error.message).toMatch(/apt-get install libopenblas0/);
    expect(error.message).toMatch(/liblapack\.so\.3/);
  });

  it('tells how to install the package when it is absent', () => {
    expect(explainLoadFailure(new Error("Cannot find module '@frost-beta/mlx'")).message).toMatch(/npm ci/);
  });
});

describe('loadNpmBackend', () => {
  it('loads @frost-beta/mlx with every op the engine needs', () => {
    const { mx, info } = loadNpmBackend();
    expect(missingOps(mx)).toEqual([]);
    expect(info).toMatchObject({ name: 'npm', package: '@frost-beta/mlx', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it('lists the ops a candidate lacks', () => {
    expect(missingOps({ add: () => 0, fast: {} })).toContain('fast.rmsNorm');
    expect(missingOps({ add: () => 0 })).not.toContain('add');
  });
});
