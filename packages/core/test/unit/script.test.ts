import { CORE_ERROR_CODES, defineScript, hashTagOf, isNoScript, keyBuilder } from '../../src/index';

function noScript(): Error {
  const e = new Error('NOSCRIPT No matching script. Please use EVAL.');
  e.name = 'ReplyError';
  return e;
}

describe('defineScript', () => {
  const lua = "return redis.call('GET', KEYS[1])";
  it('computes the SHA-1 Redis uses', () => {
    // what redis-cli SCRIPT LOAD answers for this text (checked against Redis 7)
    expect(defineScript(lua).sha).toBe('d3c21d0c2b9ca22f82737626a27bcaf5d288f99f');
  });
  it('runs EVALSHA with the keys and arguments', async () => {
    const client = { evalsha: jest.fn(async () => 'v'), eval: jest.fn() };
    const s = defineScript(lua, { numberOfKeys: 1 });
    await expect(s.run(client, ['k'], ['a', 2])).resolves.toBe('v');
    expect(client.evalsha).toHaveBeenCalledWith(s.sha, 1, 'k', 'a', 2);
    expect(client.eval).not.toHaveBeenCalled();
  });
  it('falls back to EVAL on NOSCRIPT', async () => {
    const client = {
      evalsha: jest.fn(() => Promise.reject(noScript())),
      eval: jest.fn(async () => 'v'),
    };
    const s = defineScript(lua);
    await expect(s.run(client, ['k'])).resolves.toBe('v');
    expect(client.eval).toHaveBeenCalledWith(lua, 1, 'k');
  });
  it('passes other errors through without EVAL', async () => {
    const boom = new Error('ERR Error running script');
    const client = { evalsha: jest.fn(() => Promise.reject(boom)), eval: jest.fn() };
    await expect(defineScript(lua).run(client, ['k'])).rejects.toBe(boom);
    expect(client.eval).not.toHaveBeenCalled();
  });
  it('refuses keys of different hash tags before sending anything', async () => {
    const client = { evalsha: jest.fn(), eval: jest.fn() };
    const keys = keyBuilder('resil:', 'idem');
    const s = defineScript(lua, { numberOfKeys: 2 });
    await expect(s.run(client, [keys.key('a'), keys.key('b')])).rejects.toMatchObject({
      code: CORE_ERROR_CODES.CROSS_SLOT,
    });
    expect(client.evalsha).not.toHaveBeenCalled();
    expect(hashTagOf(keys.key('a', 'lock'))).toBe(hashTagOf(keys.key('a')));
    client.evalsha.mockResolvedValue(1 as never);
    await expect(s.run(client, [keys.key('a'), keys.key('a', 'lock')])).resolves.toBe(1);
  });
  it('checks the number of keys and its definition', async () => {
    const client = { evalsha: jest.fn(), eval: jest.fn() };
    await expect(defineScript(lua, { numberOfKeys: 1 }).run(client, [])).rejects.toThrow(
      RangeError,
    );
    expect(() => defineScript('  ')).toThrow(TypeError);
    expect(() => defineScript(lua, { numberOfKeys: -1 })).toThrow(RangeError);
  });
});

describe('isNoScript', () => {
  it('is true only for a NOSCRIPT reply (ioredis ReplyError, node-redis ErrorReply, a pipeline entry)', () => {
    expect(isNoScript(new Error('NOSCRIPT No matching script. Please use EVAL.'))).toBe(true);
    expect(isNoScript({ message: 'NOSCRIPT' })).toBe(true);
    for (const other of [
      new Error('ERR unknown command'),
      new Error('the reply said NOSCRIPT later'),
      { message: 42 },
      'NOSCRIPT',
      null,
      undefined,
    ])
      expect(isNoScript(other)).toBe(false);
  });
});
