import { html } from '../web/html.ts';
import { describedBy, fieldError, policyChoices, selectField, UNCHANGED_YES_NO } from '../web/layout.ts';

/** The rollout what-if's fields: a policy, people to add, one setting that changes the bill. */
export function whatIfFields(policies: { id: string; name: string }[], values: Record<string, unknown>, errors: Record<string, string>) {
  const value = (key: string) => (typeof values[key] === 'string' ? values[key] : '');
  return html`${selectField({ name: 'policy', id: 'what-if-policy', label: 'Policy', choices: policyChoices(policies), chosen: value('policy'), errors })}
    <div class="field">
      <label for="what-if-people">People to add (emails or CSV)</label
      ><textarea id="what-if-people" name="people" rows="3" ${describedBy('people', errors)}>${value('people')}</textarea>${fieldError('people', errors)}
    </div>
    ${selectField({ name: 'billable', id: 'what-if-billable', label: 'Billable', choices: UNCHANGED_YES_NO, chosen: value('billable'), errors })}
    ${errors.form ? html`<p class="field-error" role="alert">${errors.form}</p>` : ''}`;
}
