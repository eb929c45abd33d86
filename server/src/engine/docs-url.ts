// Where a rule's documentation lives. The docs are generated into docs/rules/<id>.md of the project
// (and shipped inside the VS Code extension); the published copy is on the project's repository.

export const DOCS_BASE_URL = 'https://github.com/zdm-dev/zdm/blob/main/docs/rules/';

export function ruleDocsUrl(ruleId: string): string {
  return `${DOCS_BASE_URL}${ruleId}.md`;
}
