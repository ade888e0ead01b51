// The dashboard by role (GET /api/whoami): a viewer sees the operator buttons disabled with the reason,
// the controlled-failover dialog says "needs a second operator" under the two-person rule, and the
// request banner lets only a different operator approve.

import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { Reasoned, TwoPersonRequest, WhoAmI } from '$shared/api';
import { AppState, appContext } from '../../src/renderer/src/lib/app.svelte';
import PairActions from '../../src/renderer/src/lib/components/detail/PairActions.svelte';
import OperatorDialog from '../../src/renderer/src/lib/components/dialogs/OperatorDialog.svelte';
import RequestBanner from '../../src/renderer/src/lib/components/RequestBanner.svelte';
import ImportExport from '../../src/renderer/src/lib/components/ImportExport.svelte';
import { MemoryBackend, settings, status } from './memory-backend';

class RoleBackend extends MemoryBackend {
  me: WhoAmI = { name: 'wall', role: 'viewer', twoPerson: [] };
  requests: TwoPersonRequest[] = [];
  decisions: { id: string; verb: string; by: Reasoned }[] = [];
  whoami = async () => this.me;
  listRequests = async () => this.requests;
  approveRequest = async (id: string, by: Reasoned) => {
    this.decisions.push({ id, verb: 'approve', by });
    return { ...this.requests[0]!, state: 'approved' as const };
  };
  rejectRequest = async (id: string, by: Reasoned) => {
    this.decisions.push({ id, verb: 'reject', by });
    return { ...this.requests[0]!, state: 'rejected' as const };
  };
}

let app: AppState | undefined;

async function start(me: WhoAmI, setup: (b: RoleBackend) => void = () => {}): Promise<RoleBackend> {
  const backend = new RoleBackend();
  backend.me = me;
  backend.pairs = [status({ id: 'acme', name: 'ACME Corp' })];
  backend.settingsOf.set('acme', settings({ id: 'acme', name: 'ACME Corp' }));
  setup(backend);
  app = new AppState(backend, (run) => run(), 0);
  await app.start();
  return backend;
}

afterEach(() => {
  cleanup();
  app?.stop();
  localStorage.clear();
});

const pending = (requestedBy: string): TwoPersonRequest => ({
  id: 'r1',
  pair: 'acme',
  action: 'failover',
  requestedBy,
  reason: 'PBX A drops calls',
  at: new Date().toISOString(),
  expires: new Date(Date.now() + 600_000).toISOString(),
  state: 'pending',
});

describe('roles in the dashboard', () => {
  it('a viewer sees failover and pause disabled, with the reason', async () => {
    await start({ name: 'wall', role: 'viewer', twoPerson: [] });
    render(PairActions, {
      props: { status: app!.pairs.get('acme')!.status, onaction: () => {} },
      context: appContext(app!),
    });
    const failover = screen.getByRole('button', { name: 'Fail over now…' }) as HTMLButtonElement;
    expect(failover.disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Pause for maintenance…' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('actions-denied').textContent).toBe(
      'Your token “wall” has role viewer; this needs role operator.',
    );
  });

  it('an operator may fail over', async () => {
    await start({ name: 'olga', role: 'operator', twoPerson: [] });
    render(PairActions, {
      props: { status: app!.pairs.get('acme')!.status, onaction: () => {} },
      context: appContext(app!),
    });
    expect((screen.getByRole('button', { name: 'Fail over now…' }) as HTMLButtonElement).disabled).toBe(false);
    expect(screen.queryByTestId('actions-denied')).toBeNull();
  });

  it('the failover dialog says it needs a second operator before it is sent, and then that it waits', async () => {
    const backend = await start({ name: 'olga', role: 'operator', twoPerson: ['failover'] }, (b) => {
      b.failover = (async () => ({ ...b.pairs[0]!, request: pending('olga') })) as unknown as RoleBackend['failover'];
    });
    const detail = await backend.getPair('acme');
    render(OperatorDialog, {
      props: { kind: 'failover', detail, live: app!.pairs.get('acme')!.status, onclose: () => {} },
      context: appContext(app!),
    });
    expect(screen.getByTestId('needs-second-operator').textContent).toMatch(/needs a second operator/);
    await fireEvent.input(screen.getByLabelText(/Type the pair's name/), { target: { value: 'ACME Corp' } });
    await fireEvent.input(screen.getByLabelText(/Reason/), { target: { value: 'drill' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Ask a second operator' }));
    expect((await screen.findByTestId('request-sent')).textContent).toMatch(/Waiting for a second operator/);
  });

  it('the request banner refuses the requester and lets a different operator approve with a reason', async () => {
    await start({ name: 'alice', role: 'operator', twoPerson: ['failover'] }, (b) => (b.requests = [pending('alice')]));
    render(RequestBanner, { context: appContext(app!) });
    expect(screen.getByTestId('request-banner').textContent).toMatch(/alice asks for a manual failover of ACME Corp/);
    expect(screen.getByTestId('request-pair-state').textContent).toMatch(/Now:/);
    expect((screen.getByRole('button', { name: 'Approve' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('request-why').textContent).toMatch(/a different operator must approve it/);
    cleanup();
    app!.stop();

    const backend = await start({ name: 'bob', role: 'operator', twoPerson: ['failover'] }, (b) => {
      b.requests = [pending('alice')];
    });
    render(RequestBanner, { context: appContext(app!) });
    const approve = screen.getByRole('button', { name: 'Approve' }) as HTMLButtonElement;
    expect(approve.disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText('Your reason'), { target: { value: 'confirmed' } });
    expect(approve.disabled).toBe(false);
    await fireEvent.click(approve);
    expect(backend.decisions).toEqual([{ id: 'r1', verb: 'approve', by: { reason: 'confirmed' } }]);
  });

  it('an operator gets no import and only the masked export', async () => {
    await start({ name: 'olga', role: 'operator', twoPerson: [] });
    render(ImportExport, { context: appContext(app!) });
    expect(screen.getByTestId('import-not-allowed').textContent).toMatch(/needs role admin/);
    const mask = screen.getByRole('checkbox', { name: /Mask secrets/ }) as HTMLInputElement;
    expect(mask.checked).toBe(true);
    expect(mask.disabled).toBe(true);
  });
});
