// The Express 4 row of CI (RESIL_EXPRESS=4, see jest.config.base.cjs) must really load Express 4:
// Express 5 removed `express.query`, Express 4 exports it. Without the mapping this test fails on
// the Express 4 row, so a row that silently ran Express 5 cannot pass for an Express 4 run.
import express from 'express';

it(`require('express') is Express ${process.env.RESIL_EXPRESS === '4' ? 4 : 5} in this run`, () => {
  const hasQuery = typeof (express as unknown as { query?: unknown }).query === 'function';
  expect(hasQuery).toBe(process.env.RESIL_EXPRESS === '4');
});
