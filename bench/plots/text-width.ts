// Advance widths of a Helvetica-metric sans serif (Helvetica, Arial and Liberation Sans share
// them), in thousandths of an em, for the characters chart labels use. Charts declare that family,
// so laying text out with these widths matches what a viewer draws to within a few per cent.
const WIDTHS: Record<string, number> = {};

function assign(chars: string, width: number): void {
  for (const c of chars) WIDTHS[c] = width;
}

assign(' !,./:;I[\\]fijlt', 278);
assign('il', 222);
assign('"', 355);
assign("'", 191);
assign('()-`r{}', 333);
assign('*', 389);
assign('^', 469);
assign('+<=>~±×÷≤≥', 584);
assign('0123456789#$?L_abdeghnopqu', 556);
assign('µ', 556);
assign('%', 889);
assign('&ABEKPSVXY', 667);
assign('CDHNRUw', 722);
assign('FTZ', 611);
assign('GOQ', 778);
assign('Mm', 833);
assign('W', 944);
assign('@', 1015);
assign('Jckszvxy', 500);
assign('|', 260);
assign('·•', 350);
assign('…', 1000);
assign('–', 556);
assign('—', 1000);

/** Unlisted characters: an average capital. */
const DEFAULT_WIDTH = 667;
/** Bold faces run about 6 % wider in these families. */
const BOLD_FACTOR = 1.06;
/**
 * Where none of the declared families is installed (a bare Linux box), the fallback is usually
 * DejaVu Sans, up to a fifth wider: laying out for that keeps legends inside the picture everywhere,
 * at the price of a little slack where Helvetica or Arial draw it.
 */
const FALLBACK_SLACK = 1.2;

/** Width in pixels of one line of `text` at `fontSize` px. */
export function textWidth(text: string, fontSize: number, fontWeight = ''): number {
  let units = 0;
  for (const c of text) units += WIDTHS[c] ?? DEFAULT_WIDTH;
  const bold = fontWeight === 'bold' || Number(fontWeight) >= 600;
  return (units / 1000) * fontSize * (bold ? BOLD_FACTOR : 1) * FALLBACK_SLACK;
}
