/**
 * A minimal XML tokenizer that records the exact character range of every element, in
 * document order. The DOM (xmldom) gives structure but not end positions; §11.1 signatures
 * cover the exact bytes from the first `<` of an element to its last `>`, so the parser pairs
 * the k-th DOM element with the k-th scanned element. Run it only on text that xmldom
 * already accepted as well formed.
 */
import { ReloadError } from '@reload/wire';

/** One element's character range in the source text. */
export interface ScannedElement {
  /** Qualified name as written (`chord:chord-ping-interval`). */
  qname: string;
  /** Offset of the element's `<`. */
  start: number;
  /** Offset just after the start tag's `>`. */
  startTagEnd: number;
  /** Offset just after the element's last `>` (end tag, or `/>` of an empty-element tag). */
  end: number;
}

const NAME_END = /[\s/>]/;

function fail(at: number, why: string): never {
  throw new ReloadError('CONFIG_INVALID', `offset ${at}: ${why}`);
}

function skipPast(text: string, from: number, token: string): number {
  const i = text.indexOf(token, from);
  if (i < 0) fail(from, `unterminated construct, '${token}' not found`);
  return i + token.length;
}

/** Scans `text` and returns every element in document (pre-)order. */
export function scanElements(text: string): ScannedElement[] {
  const out: ScannedElement[] = [];
  const stack: ScannedElement[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      i = skipPast(text, lt + 4, '-->');
    } else if (text.startsWith('<![CDATA[', lt)) {
      i = skipPast(text, lt + 9, ']]>');
    } else if (text.startsWith('<?', lt)) {
      i = skipPast(text, lt + 2, '?>');
    } else if (text.startsWith('<!', lt)) {
      fail(lt, 'DOCTYPE and markup declarations are not allowed');
    } else if (text[lt + 1] === '/') {
      const close = skipPast(text, lt + 2, '>');
      const qname = text.slice(lt + 2, close - 1).trim();
      const open = stack.pop();
      if (open === undefined || open.qname !== qname) fail(lt, `unexpected end tag </${qname}>`);
      open.end = close;
      i = close;
    } else {
      let j = lt + 1;
      while (j < n && !NAME_END.test(text[j])) j++;
      const qname = text.slice(lt + 1, j);
      // Attribute values may contain '>' and '/': step over quoted strings.
      while (j < n && text[j] !== '>') {
        const c = text[j];
        if (c === '"' || c === "'") j = skipPast(text, j + 1, c);
        else j++;
      }
      if (j >= n) fail(lt, `unterminated start tag <${qname}`);
      const selfClosing = text[j - 1] === '/';
      const el: ScannedElement = { qname, start: lt, startTagEnd: j + 1, end: j + 1 };
      out.push(el);
      if (!selfClosing) stack.push(el);
      i = j + 1;
    }
  }
  if (stack.length > 0) fail(n, `unclosed element <${stack[stack.length - 1].qname}>`);
  return out;
}

/** Maps character offsets of a text to 1-based line numbers and to UTF-8 byte offsets. */
export class SourceMap {
  private readonly lineStarts: number[] = [0];
  constructor(private readonly text: string) {
    for (let k = 0; k < text.length; k++)
      if (text.charCodeAt(k) === 10) this.lineStarts.push(k + 1);
  }

  /** 1-based line of a character offset. */
  line(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** UTF-8 byte offset of a character offset. */
  byteOffset(offset: number): number {
    return Buffer.byteLength(this.text.slice(0, offset), 'utf8');
  }
}
