/**
 * The web UI in a real Chromium (Debian's /usr/bin/chromium driven by playwright-core) against
 * the real server on a real port, with real data ingested through the API. Any request leaving
 * 127.0.0.1, any page error and any console error fails the test. Runs with STRATA_SLOW_TESTS=1.
 * With STRATA_UI_SCREENSHOT=<path> it also writes the README screenshot (scripts/ui-screenshot.mjs).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { BUCKETS, COUNTER, HISTOGRAM, INSTANCES_PER_JOB, JOBS, NATIVE_BUCKETS, NATIVE_HISTOGRAM, POINTS, ingestUiData } from '../helpers/ui-data.js';

const CHROMIUM = process.env['STRATA_CHROMIUM'] ?? '/usr/bin/chromium';
const enabled = !!process.env['STRATA_SLOW_TESTS'] && existsSync(CHROMIUM);
// CI runs this next to other suites on 2 cores: waits are generous, and nothing here is a timing assertion.
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(!enabled)('web UI in Chromium', () => {
  let strata: StrataProcess;
  let ctx: BrowserContext;
  let page: Page;
  let profile: string;
  let problems: string[] = [];
  let apiRequests: URL[] = [];
  let dataEnd = 0;

  beforeAll(async () => {
    strata = await startStrata();
    dataEnd = Date.now();
    await ingestUiData(strata.url, dataEnd);
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'strata-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      colorScheme: 'light',
      viewport: { width: 1280, height: 860 },
      acceptDownloads: true,
    });
    await ctx.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.protocol === 'data:' || u.protocol === 'blob:' || u.hostname === '127.0.0.1') return route.continue();
      problems.push(`request left 127.0.0.1: ${u.href}`);
      return route.abort();
    });
  }, 120_000);

  afterAll(async () => {
    await ctx?.close();
    await strata?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  beforeEach(async () => {
    problems = [];
    apiRequests = [];
    page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('request', (r: Request) => {
      const u = new URL(r.url());
      if (u.pathname.includes('/api/v1/')) apiRequests.push(u);
    });
  });

  afterEach(async () => {
    await page.close();
    expect(problems).toEqual([]);
  });

  const queryRanges = () => apiRequests.filter((u) => u.pathname.endsWith('/api/v1/query_range'));
  const instants = () => apiRequests.filter((u) => u.pathname.endsWith('/api/v1/query'));
  const editor = () => page.locator('.cm-content').first();
  const typeQuery = async (text: string) => {
    await editor().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type(text);
  };
  const graphFor = (expr: string, extra = '') => `${strata.url}/graph?g0.expr=${encodeURIComponent(expr)}${extra}`;
  const waitForQueryRanges = async (n: number) => poll(() => queryRanges().length).toBe(n);

  it('redirects /, /vmui and /graph (also under /prometheus/ and a tenant) into the UI', async () => {
    for (const [from, to] of [
      ['/', '/vmui/'],
      ['/vmui', '/vmui/'],
      ['/prometheus/', '/prometheus/vmui/'],
      ['/select/0/prometheus/graph', '/select/0/prometheus/vmui/'],
    ]) {
      const r = await page.goto(strata.url + from);
      expect(r?.status(), from).toBe(200);
      expect(new URL(page.url()).pathname, from).toBe(to);
    }
  });

  it('/graph?g0.expr=…&g0.tab=table opens the Table tab with one instant query', async () => {
    await page.goto(graphFor(`sum by (job) (${COUNTER})`, '&g0.tab=table'));
    await poll(() => page.locator('[data-testid=table] tbody tr').count()).toBe(JOBS.length);
    expect(await page.locator('[data-testid=tab-table]').getAttribute('aria-selected')).toBe('true');
    expect(instants()).toHaveLength(1);
    expect(queryRanges()).toHaveLength(0);
  });

  it('completes functions after rate(, metric names with their type, and label names after {j', async () => {
    await page.goto(`${strata.url}/vmui/`);
    await typeQuery('rate(');
    const list = page.locator('.cm-tooltip-autocomplete');
    await poll(() => list.textContent()).toContain('irate');
    await typeQuery('ui_test_req');
    await poll(() => list.textContent()).toContain(COUNTER);
    expect(await list.textContent()).toContain('counter');
    await typeQuery(`${COUNTER}{j`);
    await poll(() => list.textContent()).toContain('job');
    await typeQuery(`${COUNTER}{job="`);
    await poll(() => list.textContent()).toContain('cache');
    const completions = apiRequests.filter((u) => /\/api\/v1\/(label|labels|series|metadata)/.test(u.pathname));
    expect(completions.length).toBeGreaterThan(0);
    for (const u of completions) expect(u.searchParams.get('limit'), u.href).not.toBeNull();
  });

  it('Enter runs exactly one query_range, draws a canvas, lists label sets and caps 1,000 series at 20', async () => {
    await page.goto(`${strata.url}/vmui/`);
    await typeQuery(COUNTER);
    await page.keyboard.press('Escape');
    const started = Date.now();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=cap-banner]').waitFor({ timeout: 20_000 });
    console.log(`[ui] 1,000 series × 241 points painted ${Date.now() - started} ms after Enter`);
    expect(queryRanges()).toHaveLength(1);
    expect(await page.locator('.chart canvas').count()).toBe(1);
    expect(await page.locator('[data-testid=cap-banner]').textContent()).toContain('20 of 1000');
    expect(await page.locator('.legend-row').count()).toBe(20);
    expect(await page.locator('.legend-row').first().textContent()).toMatch(/ui_test_requests_total\{instance="i-\d{3}", job="\w+"\}/);
    await page.locator('[data-testid=show-all]').click();
    await poll(() => page.locator('.legend-row').count()).toBe(1000);
    expect(queryRanges()).toHaveLength(1);
  });

  it('keeps the query in the URL: reload and Back restore it', async () => {
    await page.goto(`${strata.url}/vmui/`);
    await typeQuery(`sum(${COUNTER})`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');
    await poll(() => new URL(page.url().replace('#/', '')).searchParams.get('g0.expr')).toBe(`sum(${COUNTER})`);
    await typeQuery(`max(${COUNTER})`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');
    await poll(() => new URL(page.url().replace('#/', '')).searchParams.get('g0.expr')).toBe(`max(${COUNTER})`);
    await page.reload();
    await poll(() => editor().textContent()).toBe(`max(${COUNTER})`);
    await page.goBack();
    await poll(() => editor().textContent()).toBe(`sum(${COUNTER})`);
    await poll(() => queryRanges().at(-1)?.searchParams.get('query')).toBe(`sum(${COUNTER})`);
  });

  it('range, step and drag-to-zoom change the request', async () => {
    await page.goto(graphFor(`sum(${COUNTER})`, '&g0.range_input=1h'));
    await waitForQueryRanges(1);
    const span = (u: URL) => Number(u.searchParams.get('end')) - Number(u.searchParams.get('start'));
    expect(span(queryRanges()[0]!)).toBe(3600);
    await page.locator('[data-testid=range]').fill('30m');
    await page.locator('[data-testid=range]').press('Enter');
    await waitForQueryRanges(2);
    expect(span(queryRanges()[1]!)).toBe(1800);
    await page.locator('[data-testid=step]').fill('60s');
    await page.locator('[data-testid=step]').press('Enter');
    await waitForQueryRanges(3);
    expect(queryRanges()[2]!.searchParams.get('step')).toBe('60');
    const over = page.locator('.u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await waitForQueryRanges(4);
    const zoomed = span(queryRanges()[3]!);
    expect(zoomed).toBeGreaterThan(300);
    expect(zoomed).toBeLessThan(600);
    await page.locator('[data-testid=reset-zoom]').click();
    expect(await page.locator('[data-testid=range]').inputValue()).toBe('30m');
    expect(await page.locator('[data-testid=end]').inputValue()).toBe('');
  });

  it('hiding a query redraws without refetching', async () => {
    await page.goto(graphFor(`sum(${COUNTER})`) + `&g1.expr=${encodeURIComponent(`max(${COUNTER})`)}`);
    await waitForQueryRanges(2);
    await poll(() => page.locator('.legend-row').count()).toBe(2);
    await page.locator('[data-testid=query-visible-1]').uncheck();
    await poll(() => page.locator('.legend-row').count()).toBe(1);
    await page.locator('[data-testid=query-visible-1]').check();
    await poll(() => page.locator('.legend-row').count()).toBe(2);
    await page.waitForTimeout(300);
    expect(queryRanges()).toHaveLength(2);
  });

  it('the table sorts, the JSON tab shows the raw response and the CSV download has a header row', async () => {
    await page.goto(graphFor(`sum by (job) (${COUNTER})`, '&g0.tab=table'));
    const firstCells = () => page.locator('[data-testid=table] tbody tr td:first-child').allTextContents();
    await poll(async () => (await firstCells()).length).toBe(JOBS.length);
    const asc = await firstCells();
    expect(asc).toEqual([...asc].sort());
    await page.locator('[data-testid=sort-series]').click();
    expect(await firstCells()).toEqual([...asc].reverse());
    await page.locator('[data-testid=sort-value]').click();
    const values = (await page.locator('[data-testid=table] tbody tr td:nth-child(2)').allTextContents()).map(Number);
    expect(values).toEqual([...values].sort((a, b) => a - b));

    await page.locator('[data-testid=tab-json]').click();
    const json = page.locator('[data-testid=json] pre');
    await json.waitFor({ timeout: 20_000 });
    const body = JSON.parse((await json.textContent())!) as { status: string; data: { resultType: string; result: unknown[] } };
    expect(body.status).toBe('success');
    expect(body.data.resultType).toBe('matrix');
    expect(body.data.result).toHaveLength(JOBS.length);

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=download-csv]').click()]);
    const csv = readFileSync((await download.path())!, 'utf8').split('\n');
    expect(csv[0]).toBe('series,timestamp,value');
    expect(csv.length).toBeGreaterThan(JOBS.length * 200);
  });

  it("a syntax error shows the server's message and the page keeps working", async () => {
    await page.goto(graphFor(`sum(${COUNTER}`));
    const err = page.locator('[data-testid=query-error]');
    await err.waitFor({ timeout: 20_000 });
    // The server's 400 is logged by Chromium as a failed resource load; that one is expected.
    await poll(() => problems.length).toBeGreaterThan(0);
    problems = problems.filter((p) => !/status of 400/.test(p));
    const r = await fetch(`${strata.url}/api/v1/query_range?query=${encodeURIComponent(`sum(${COUNTER}`)}&start=0&end=60&step=15`);
    const serverMessage = ((await r.json()) as { error: string }).error;
    expect(await err.textContent()).toContain(serverMessage);
    await typeQuery(`sum(${COUNTER})`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');
    await poll(() => page.locator('.legend-row').count()).toBe(1);
    expect(await err.count()).toBe(0);
  });

  it('the cardinality page shows the series counts and focusLabel narrows them', async () => {
    await page.goto(`${strata.url}/vmui/#/cardinality`);
    const total = page.locator('[data-testid=card-total]');
    await total.waitFor({ timeout: 20_000 });
    // The classic histogram's 6 buckets, _sum and _count, and the one native histogram series.
    const histogramSeries = 6 + 2 + 1;
    expect(await total.textContent()).toContain(`Total series: ${JOBS.length * INSTANCES_PER_JOB + histogramSeries}`);
    const byName = page.locator('[data-testid=card-seriesCountByMetricName] tbody tr', { hasText: COUNTER });
    expect(await byName.locator('td').nth(1).textContent()).toBe(String(JOBS.length * INSTANCES_PER_JOB));
    await page.locator('[data-testid=card-focus]').fill('job');
    await page.locator('[data-testid=card-apply]').click();
    const focus = page.locator('[data-testid=card-seriesCountByFocusLabelValue] tbody tr');
    await poll(() => focus.count()).toBe(JOBS.length);
    const web = page.locator('[data-testid=card-seriesCountByFocusLabelValue] tbody tr', { hasText: 'web' });
    expect(await web.locator('td').nth(1).textContent()).toBe(String(INSTANCES_PER_JOB));
    await web.locator('button').click();
    await poll(() => total.textContent()).toContain(`Total series: ${INSTANCES_PER_JOB}`);
    expect(new URL(page.url().replace('#/cardinality', '')).searchParams.get('match')).toBe('{job="web"}');
  });

  it('top queries lists a query that was just run', async () => {
    const expr = `count(${HISTOGRAM}_bucket) by (le)`;
    await page.goto(graphFor(expr));
    await waitForQueryRanges(1);
    await page.goto(`${strata.url}/vmui/#/top-queries`);
    await poll(() => page.locator('[data-testid=top-topByCount]').textContent()).toContain(expr);
  });

  it('dark mode holds across a reload', async () => {
    await page.goto(`${strata.url}/vmui/`);
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
    await page.locator('[data-testid=theme]').selectOption('dark');
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.reload();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.locator('[data-testid=theme]').selectOption('auto');
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
  });

  it('the legend isolates a series on click, toggles one on Ctrl-click, and the tooltip follows the cursor', async () => {
    await page.goto(graphFor(`sum by (job) (${COUNTER})`));
    const rows = page.locator('.legend-row');
    await poll(() => rows.count()).toBe(JOBS.length);
    const off = () => page.locator('.legend-row.off').count();
    await rows.nth(1).click();
    expect(await off()).toBe(JOBS.length - 1);
    await rows.nth(2).click({ modifiers: ['Control'] });
    expect(await off()).toBe(JOBS.length - 2);
    await rows.nth(2).click({ modifiers: ['Control'] });
    await rows.nth(1).click();
    expect(await off()).toBe(0);
    const box = (await page.locator('.u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.2);
    await poll(() => page.locator('[data-testid=tooltip]').textContent()).toContain('job=');
    expect(queryRanges()).toHaveLength(1);
  });

  it('lints while typing and recalls history with Ctrl+Up after a reload', async () => {
    await page.goto(`${strata.url}/vmui/`);
    await typeQuery(`${COUNTER} +`);
    await poll(() => page.locator('.cm-lintRange-error, .cm-lintPoint-error').count()).toBeGreaterThan(0);
    await typeQuery(`min(${COUNTER})`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');
    await waitForQueryRanges(1);
    await page.goto(`${strata.url}/vmui/`);
    await editor().click();
    await page.keyboard.press('Control+ArrowUp');
    await poll(() => editor().textContent()).toBe(`min(${COUNTER})`);
  });

  it('overlays the same queries a day earlier, dashed', async () => {
    const now = Date.now();
    const lines = ['# TYPE ui_test_compare gauge'];
    for (let k = 0; k < 60; k++) for (const t of [now - k * 30_000, now - 86_400_000 - k * 30_000]) lines.push(`ui_test_compare ${k} ${t}`);
    expect((await fetch(`${strata.url}/api/v1/import/prometheus`, { method: 'POST', body: lines.join('\n') + '\n' })).status).toBe(204);
    await page.goto(graphFor('sum(ui_test_compare)', '&compare=1d&g0.range_input=30m'));
    await poll(() => page.locator('.legend-row .swatch.dashed').count()).toBe(1);
    await waitForQueryRanges(2);
    const [current, earlier] = queryRanges().map((u) => Number(u.searchParams.get('end')));
    expect(current! - earlier!).toBe(86_400);
  });

  it('Copy link freezes a relative range; PNG download is a PNG; Explain lists runnable sub-expressions', async () => {
    await page.goto(graphFor(`sum(rate(${COUNTER}[5m]))`));
    await page.locator('.chart canvas').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid=copy-link]').click();
    const link = new URL(await page.locator('[data-testid=copied-link]').inputValue());
    const frozen = new URLSearchParams(link.hash.replace(/^#\/\?/, ''));
    expect(Number(queryRanges()[0]!.searchParams.get('end'))).toBe(Date.parse(frozen.get('g0.end_input')!.replace(' ', 'T') + 'Z') / 1000);

    const [png] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=download-png]').click()]);
    expect(
      readFileSync((await png.path())!)
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');

    await page.locator('[data-testid=explain]').click();
    const tree = page.locator('[data-testid=explain-tree]');
    await poll(() => tree.textContent()).toContain(`rate(${COUNTER}[5m])`);
    await tree
      .locator('li', { hasText: /^FunctionCall/ })
      .locator('button')
      .first()
      .click();
    await poll(() => new URL(page.url().replace('#/', '')).searchParams.get('g1.expr')).toBe(`rate(${COUNTER}[5m])`);
    await waitForQueryRanges(2);
  });

  it('auto-refresh moves a relative range forward', async () => {
    await page.goto(graphFor(`sum(${COUNTER})`, '&refresh=5s'));
    await waitForQueryRanges(1);
    await poll(() => queryRanges().length).toBeGreaterThan(1);
    expect(Number(queryRanges()[1]!.searchParams.get('end'))).toBeGreaterThan(Number(queryRanges()[0]!.searchParams.get('end')));
  });

  it('the metrics explorer lists metric names with their metadata type and help', async () => {
    await page.goto(`${strata.url}/vmui/#/metrics?q=ui_test`);
    const row = page.locator('[data-testid=metrics-table] tbody tr', { hasText: COUNTER });
    await poll(() => row.textContent()).toContain('counter');
    expect(await row.textContent()).toContain('Requests handled');
    expect(await page.locator('[data-testid=metrics-table] tbody tr', { hasText: 'latency' }).count()).toBeGreaterThan(0);
  });

  it('raw samples shows the exported samples of a selector', async () => {
    await page.goto(`${strata.url}/vmui/#/raw?match=${encodeURIComponent(`${COUNTER}{job="db",instance="i-007"}`)}&range=6h`);
    const card = page.locator('.card', { hasText: 'i-007' });
    await poll(() => card.textContent()).toMatch(/\d+ samples/);
    const n = Number(/(\d+) samples/.exec((await card.textContent())!)![1]);
    expect(n).toBe(POINTS);
    expect(apiRequests.some((u) => u.pathname.endsWith('/api/v1/export'))).toBe(true);
  });

  it('the status page shows build info, flags, runtime info and storage figures from /metrics', async () => {
    await page.goto(`${strata.url}/vmui/#/status`);
    await poll(() => page.locator('[data-testid=status-build]').textContent()).toContain('version');
    expect(await page.locator('[data-testid=status-flags]').textContent()).toContain('storageDataPath');
    expect(await page.locator('[data-testid=status-runtime]').textContent()).toContain('startTime');
    expect(await page.locator('[data-testid=status-storage]').textContent()).toMatch(/strata_\w+/);
  });

  it('paints a /graph link: measured for 20 and for 1,000 series', async () => {
    for (const [expr, label] of [
      [`${COUNTER}{instance=~"i-00[0-4]"}`, '20 series'],
      [COUNTER, '1,000 series × 241 points'],
    ] as const) {
      const started = Date.now();
      await page.goto(graphFor(expr));
      await page.locator('.chart canvas').waitFor({ timeout: 20_000 });
      await poll(() => page.locator('.legend-row').count()).toBe(20);
      console.log(`[ui] /graph with ${label}: painted ${Date.now() - started} ms after navigation`);
    }
  });

  it('draws classic histogram buckets as a heatmap, one row per le', async () => {
    await page.goto(graphFor(`sum by (le) (rate(${HISTOGRAM}_bucket[5m]))`));
    await page.locator('[data-testid=heatmap-toggle]').check({ timeout: 20_000 });
    const heatmap = page.locator('[data-testid=heatmap]');
    expect(await heatmap.getAttribute('data-buckets')).toBe(String(BUCKETS.length));
    const box = (await heatmap.locator('canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.9, box.y + 10);
    await poll(() => page.locator('[data-testid=heatmap-tip]').textContent()).toContain('(1, +Inf]');
    expect(new URL(page.url().replace('#/', '')).searchParams.get('heatmap')).toBe('1');
  });

  it('draws native histogram buckets as a heatmap, and tables show their count, sum and buckets', async () => {
    await page.goto(graphFor(`sum(rate(${NATIVE_HISTOGRAM}[5m]))`));
    await page.locator('[data-testid=heatmap-toggle]').check({ timeout: 20_000 });
    const heatmap = page.locator('[data-testid=heatmap]');
    expect(await heatmap.getAttribute('data-buckets')).toBe(String(NATIVE_BUCKETS));
    const box = (await heatmap.locator('canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.9, box.y + 10);
    await poll(() => page.locator('[data-testid=heatmap-tip]').textContent()).toContain('(1, 2]');
    await page.goto(graphFor(NATIVE_HISTOGRAM, '&g0.tab=table'));
    await poll(() => page.locator('[data-testid=table] td.num').first().textContent()).toMatch(/^count=\d+ sum=[\d.]+\n?\(0\.25, 0\.5\]: \d+/);
  });

  it('completes metric names by prefix from 100,000 names without freezing the page', async () => {
    const now = Date.now();
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(`ui_many_${i} 1 ${now}`);
    expect((await fetch(`${strata.url}/api/v1/import/prometheus`, { method: 'POST', body: lines.join('\n') + '\n' })).status).toBe(204);
    await page.goto(`${strata.url}/vmui/`);
    await typeQuery('ui_many_9999');
    const list = page.locator('.cm-tooltip-autocomplete');
    await poll(() => list.textContent()).toContain('ui_many_99999');
    const started = Date.now();
    await page.evaluate(() => 1);
    expect(Date.now() - started).toBeLessThan(2000);
    const names = apiRequests.filter((u) => u.pathname.endsWith('/api/v1/label/__name__/values'));
    expect(names.length).toBeGreaterThan(0);
    for (const u of names) expect(u.searchParams.get('limit')).toBe('500');
    expect(names.some((u) => u.searchParams.get('match[]') === '{__name__=~"ui_many_9999.*"}')).toBe(true);
  });

  it.runIf(!!process.env['STRATA_UI_SCREENSHOT'])('writes the README screenshot', async () => {
    const end = new Date(dataEnd)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, '');
    await page.goto(
      graphFor(`histogram_quantile(0.9, sum by (le) (rate(${HISTOGRAM}_bucket[5m])))`, `&g0.end_input=${encodeURIComponent(end)}&g0.range_input=55m`) +
        `&g1.expr=${encodeURIComponent(`histogram_quantile(0.5, sum by (le) (rate(${HISTOGRAM}_bucket[5m])))`)}`,
    );
    await waitForQueryRanges(2);
    await page.locator('.chart canvas').waitFor();
    await poll(() => page.locator('.cm-content').count()).toBe(2);
    await page.waitForTimeout(500);
    await page.screenshot({ path: process.env['STRATA_UI_SCREENSHOT']!, fullPage: false });
  });
});
