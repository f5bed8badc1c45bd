import { html } from '../web/html.ts';
import { describedBy, fieldError, options } from '../web/layout.ts';

/** The rollout what-if's fields: a policy, people to add, one setting that changes the bill. */
export function whatIfFields(policies: { id: string; name: string }[], values: Record<string, unknown>, errors: Record<string, string>) {
  const value = (key: string) => (typeof values[key] === 'string' ? values[key] : '');
  return html`<div class="field">
      <label for="what-if-policy">Policy</label
      ><select id="what-if-policy" name="policy" ${describedBy('policy', errors)}>
        ${options([{ value: '', label: 'Choose a policy' }, ...policies.map((p) => ({ value: p.id, label: p.name }))], value('policy'))}</select
      >${fieldError('policy', errors)}
    </div>
    <div class="field">
      <label for="what-if-people">People to add (emails or CSV)</label
      ><textarea id="what-if-people" name="people" rows="3" ${describedBy('people', errors)}>${value('people')}</textarea>${fieldError('people', errors)}
    </div>
    <div class="field">
      <label for="what-if-billable">Billable</label
      ><select id="what-if-billable" name="billable" ${describedBy('billable', errors)}>
        ${options(
          [
            { value: '', label: 'unchanged' },
            { value: 'true', label: 'yes' },
            { value: 'false', label: 'no' },
          ],
          value('billable'),
        )}</select
      >${fieldError('billable', errors)}
    </div>
    ${errors.form ? html`<p class="field-error" role="alert">${errors.form}</p>` : ''}`;
}
