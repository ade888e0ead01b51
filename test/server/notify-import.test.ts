// The alert channels through an import and a hand edit: a masked export imported back keeps every
// stored secret, an import that replaces the channels takes effect at once, and a bad channel is
// a 400 naming it with nothing changed.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotifyOverview } from '../../src/shared/notify.js';
import { HttpFixture } from '../helpers/http-fixtures.js';
import { CONFIG_FILE, configXml, startTestService, waitFor } from '../helpers/service-harness.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('alert channels through import and hand edits', () => {
  it('keeps stored secrets through a masked export, replaces channels by import, refuses a bad one', async () => {
    const f = await HttpFixture.start({ status: 200 });
    cleanups.push(() => f.close());
    const pair = {
      id: 'acme',
      primaryUrl: f.url('/p'),
      validationUrl: f.url('/v'),
      actionUrl: f.url('/a'),
      interval: 1,
    };
    const withChannels = (channels: string) =>
      configXml([pair]).replace('</pbxctrl-failover>', `${channels}</pbxctrl-failover>`);
    const svc = await startTestService({
      xml: withChannels(
        `<notify id="pd" type="pagerduty"><url>${f.url('/pd')}</url><routing-key>KEY123</routing-key></notify>
<notify id="hook" type="webhook"><url>${f.url('/hook?token=TOK456')}</url><header name="X-Token">HDR789</header></notify>`,
      ),
    });
    cleanups.push(() => svc.dispose());
    const put = (xml: string, query = '') =>
      svc.api(`/api/config.xml${query}`, { method: 'PUT', headers: { 'content-type': 'application/xml' }, body: xml });

    const masked = await (await svc.api('/api/config.xml?masked=1')).text();
    for (const secret of ['KEY123', 'TOK456', 'HDR789']) expect(masked).not.toContain(secret);
    expect((await put(masked)).status).toBe(200);
    const saved = await readFile(join(svc.serverdir, CONFIG_FILE), 'utf8');
    for (const secret of ['KEY123', 'TOK456', 'HDR789']) expect(saved).toContain(secret);

    const bad = await put(withChannels('<notify id="x" type="slack"/>'));
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { problems: { field: string }[] };
    expect(body.problems.map((p) => p.field)).toContain('notify[x].url');
    expect((await svc.json<NotifyOverview>('/api/notify')).channels.map((c) => c.settings.id)).toEqual(['pd', 'hook']);

    expect(
      (await put(withChannels(`<notify id="only" type="slack"><url>${f.url('/s/T/B/x')}</url></notify>`))).status,
    ).toBe(200);
    expect((await svc.json<NotifyOverview>('/api/notify')).channels.map((c) => c.settings.id)).toEqual(['only']);

    // A hand edit of the file changes the channels too.
    await writeFile(
      join(svc.serverdir, CONFIG_FILE),
      withChannels(`<notify id="edited" type="teams"><url>${f.url('/w/1')}</url></notify>`),
    );
    await waitFor(
      'the edited channels',
      async () =>
        (await svc.json<NotifyOverview>('/api/notify')).channels.map((c) => c.settings.id).join() === 'edited',
    );
  }, 30_000);
});
