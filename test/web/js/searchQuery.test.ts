// The search form's values to the API's parameters (web/js/searchQuery.js), without a browser.
import { searchParams, searchSummary } from '../../../web/js/searchQuery.js';

const form = (values: Partial<Record<'label' | 'minScorePercent' | 'status' | 'from' | 'to', string>>) => ({
  label: '',
  minScorePercent: '',
  status: '',
  from: '',
  to: '',
  ...values,
});

describe('searchParams', () => {
  it('sends only what is filled in, the score as a fraction and the dates as whole local days', () => {
    expect(searchParams(form({})).params!.toString()).toBe('');
    const params = searchParams(
      form({
        label: ' tabby cat ',
        minScorePercent: '80',
        status: 'succeeded',
        from: '2026-12-01',
        to: '2026-12-02',
      }),
    ).params!;
    expect(params.get('label')).toBe('tabby cat');
    expect(params.get('minScore')).toBe('0.8');
    expect(params.get('status')).toBe('succeeded');
    expect(params.get('since')).toBe(new Date(2026, 11, 1).toISOString());
    expect(params.get('until')).toBe(new Date(2026, 11, 3).toISOString());
    expect(searchParams(form({ minScorePercent: '0' })).params!.has('minScore')).toBe(false);
    expect(searchParams(form({ minScorePercent: '99.5' })).params!.get('minScore')).toBe('0.995');
  });

  it.each([
    [{ label: '--' }, 'label'],
    [{ minScorePercent: '101' }, 'minScore'],
    [{ minScorePercent: 'high' }, 'minScore'],
    [{ from: '2026-12-03', to: '2026-12-02' }, 'from'],
  ])('%j: names the field to fix', (values, field) => {
    expect(searchParams(form(values))).toMatchObject({ field, error: expect.any(String) });
  });
});

it('says how many results are shown and whether there are more', () => {
  expect(searchSummary(0, false)).toBe('No stored result matches.');
  expect(searchSummary(1, false)).toBe('1 result.');
  expect(searchSummary(100, true)).toBe('Showing 100 results; there are more.');
});
