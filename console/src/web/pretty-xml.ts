/**
 * A SAML message laid out one element a line, as a SAML tracer shows it: the
 * text is unchanged (it is escaped when printed), only whitespace between
 * tags is added. An element holding only text stays on one line.
 */
export function prettyXml(xml: string): string {
  const tokens = xml
    .replace(/>\s+</g, '><')
    .split(/(<[^>]+>)/)
    .filter((t) => t !== '');
  const lines: string[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const pad = '  '.repeat(depth);
    if (token.startsWith('</')) {
      depth = Math.max(0, depth - 1);
      lines.push('  '.repeat(depth) + token);
    } else if (token.startsWith('<?') || token.startsWith('<!') || token.endsWith('/>')) {
      lines.push(pad + token);
    } else if (token.startsWith('<')) {
      const text = tokens[i + 1];
      const close = tokens[i + 2];
      // <Tag>text</Tag> and <Tag></Tag> on one line.
      if (text !== undefined && !text.startsWith('<') && close?.startsWith('</')) {
        lines.push(pad + token + text + close);
        i += 2;
      } else if (text?.startsWith('</')) {
        lines.push(pad + token + text);
        i += 1;
      } else {
        lines.push(pad + token);
        depth++;
      }
    } else {
      lines.push(pad + token);
    }
  }
  return lines.join('\n');
}
