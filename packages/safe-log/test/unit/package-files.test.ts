import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

// What `npm pack` ships (issue #17: the names dictionary was in the tarball five times: the
// module in src, both builds and both source maps). Runs npm: left out of mutant runs
// (test/mutation/unit-suite.ts), it tests no source file.
describe('the npm tarball', () => {
  it('ships the names dictionary once', () => {
    const root = path.join(__dirname, '..', '..');
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const files = (JSON.parse(out) as Array<{ files: Array<{ path: string; size: number }> }>)[0]
      ?.files;
    expect(files).toBeDefined();
    // a run of the given-names list: every file that holds it holds a copy of the dictionary
    const copies = (files ?? [])
      .map((f) => f.path)
      .filter((p) => readFileSync(path.join(root, p), 'utf8').includes('aadinath aaditya'));
    expect(copies).toHaveLength(1);
  });
});
