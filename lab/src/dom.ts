/** A tiny element builder: the page has no framework, so this keeps the UI code readable. */
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value as EventListener);
    else if (key === 'class') el.className = String(value);
    else if (key in el && key !== 'list' && typeof value !== 'string') (el as unknown as Record<string, unknown>)[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) el.append(child);
  return el;
}

export function select(options: [string, string][], value: string, onChange: (v: string) => void, attrs: Attrs = {}): HTMLSelectElement {
  const el = h('select', attrs, ...options.map(([v, label]) => h('option', { value: v }, label)));
  el.value = value;
  el.addEventListener('change', () => onChange(el.value));
  return el;
}

export function labeled(text: string, control: HTMLElement): HTMLLabelElement {
  return h('label', {}, text, control);
}

export function numberInput(value: number, attrs: Attrs, onChange: (v: number) => void): HTMLInputElement {
  const el = h('input', { type: 'number', value: String(value), ...attrs });
  el.addEventListener('change', () => onChange(Number(el.value)));
  return el;
}
