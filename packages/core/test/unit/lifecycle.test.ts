import { closeAll, makeCloseable, Resource } from '../../src/index';

class Held extends Resource {
  released = 0;
  protected async onClose() {
    this.released++;
  }
}

describe('Resource', () => {
  it('close() releases once, however often it is called', async () => {
    const r = new Held();
    expect(r.closed).toBe(false);
    const [a, b] = [r.close(), r.close()];
    expect(a).toBe(b);
    await a;
    await r.close();
    expect(r.released).toBe(1);
    expect(r.closed).toBe(true);
  });
  it('await using closes at the end of the block', async () => {
    let held: Held | undefined;
    {
      await using r = new Held();
      held = r;
      expect(r.released).toBe(0);
    }
    expect(held.released).toBe(1);
  });
  it('a failing release rejects close()', async () => {
    class Bad extends Resource {
      protected onClose() {
        throw new Error('cannot release');
      }
    }
    await expect(new Bad().close()).rejects.toThrow('cannot release');
  });
});

describe('makeCloseable', () => {
  it('adds close() and Symbol.asyncDispose that release once', async () => {
    let n = 0;
    const mw = makeCloseable(
      () => 'handler',
      () => {
        n++;
      },
    );
    await mw.close();
    await mw[Symbol.asyncDispose]();
    expect(n).toBe(1);
    expect(mw()).toBe('handler');
  });
});

describe('closeAll', () => {
  it('closes everything and reports every failure', async () => {
    const ok = new Held();
    const bad = makeCloseable({}, () => {
      throw new Error('one');
    });
    const err = await closeAll([bad, undefined, ok]).catch((e: unknown) => e);
    expect(ok.released).toBe(1);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors).toHaveLength(1);
    await expect(closeAll([new Held()])).resolves.toBeUndefined();
  });
});
