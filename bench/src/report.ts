import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Row } from './harness';

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  redis: string;
  mode: 'quick' | 'full';
}

export function machine(redisVersion: string, quick: boolean): Machine {
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    redis: redisVersion,
    mode: quick ? 'quick' : 'full',
  };
}

const fmt = (n: number): string => {
  if (!Number.isFinite(n)) return 'n/a';
  const abs = Math.abs(n);
  if (abs >= 100_000) return Math.round(n).toLocaleString('en');
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(2);
};

export function toMarkdown(m: Machine, rows: Row[]): string {
  const out: string[] = [
    '# @resil benchmark results',
    '',
    `${m.mode} run, ${m.date}; ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; Node ${m.node}; Redis ${m.redis} (a private redis-server on loopback started by the bench).`,
    '',
    'Each figure is the median of several interleaved rounds, with the spread (min–max) across rounds. The ratio column compares with the subject named in "versus" (for time and CPU, below 1 is better; for throughput and rates, above 1 is better). Repeat with `npm run bench` (or `npm run bench -- --quick`).',
    '',
  ];
  const cases = [...new Set(rows.map((r) => r.case))];
  for (const c of cases) {
    out.push(
      `## ${c}`,
      '',
      '| subject | metric | median | spread | ratio | versus |',
      '|---|---|---:|---:|---:|---|',
    );
    for (const r of rows.filter((x) => x.case === c)) {
      const spread = r.min === r.max ? '' : `${fmt(r.min)}–${fmt(r.max)}`;
      const ratio = r.ratio === undefined ? '' : `${fmt(r.ratio)}×`;
      out.push(
        `| ${r.subject} | ${r.metric} | ${fmt(r.median)} ${r.unit} | ${spread} | ${ratio} | ${r.versus ?? ''} |`,
      );
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

export function toTable(rows: Row[]): string {
  const lines: string[] = [];
  let last = '';
  for (const r of rows) {
    if (r.case !== last) {
      lines.push('', r.case);
      last = r.case;
    }
    const ratio = r.ratio === undefined ? '' : `  ${fmt(r.ratio)}× vs ${r.versus}`;
    lines.push(
      `  ${r.subject.padEnd(56)} ${r.metric.padEnd(44)} ${`${fmt(r.median)} ${r.unit}`.padStart(16)}${ratio}`,
    );
  }
  return lines.join('\n');
}

export function write(
  dir: string,
  m: Machine,
  rows: Row[],
  base: string = m.mode === 'quick' ? 'quick' : 'latest',
): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, `${base}.json`),
    `${JSON.stringify({ machine: m, rows }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(dir, `${base}.md`), toMarkdown(m, rows));
}
