import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

// The optional peers ajv and zod, absent: a real Node process (tsx, on the TypeScript sources)
// in which every require of them fails with MODULE_NOT_FOUND (test/fixtures/hide-peers.cjs), as
// when they are not installed. Left out of the mutation runs (a process per mutant); the loader's
// branches are pinned in-process by validate-schema.test.ts.

const run = promisify(execFile);
const here = path.join(__dirname, '..', 'fixtures');

async function noPeers(hide: boolean): Promise<Record<string, unknown>> {
  const args = ['--conditions=@resil/source'];
  if (hide) args.push('-r', path.join(here, 'hide-peers.cjs'));
  args.push('--import', 'tsx', path.join(here, 'no-peers.ts'));
  const { stdout } = await run(process.execPath, args, {
    cwd: path.join(__dirname, '..', '..'),
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop() as string);
}

describe('without the optional peers ajv and zod', () => {
  it('the package loads; chains (exact too) and Standard Schemas work; a JSON Schema throws RESIL_SANITIZE_PEER_MISSING', async () => {
    expect(await noPeers(true)).toEqual({
      ajv: 'MODULE_NOT_FOUND',
      zod: 'MODULE_NOT_FOUND',
      chains: [204, 422],
      standard: [204, 422],
      jsonSchema: 'RESIL_SANITIZE_PEER_MISSING',
    });
  });

  it('control: the same process with the peers visible compiles the JSON Schema', async () => {
    expect(await noPeers(false)).toMatchObject({
      ajv: 'found',
      zod: 'found',
      jsonSchema: 'no error',
    });
  });
});
