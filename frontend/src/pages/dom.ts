/** A tiny element builder: enough for server-rendered-looking pages without a framework. */

type Attributes = Record<string, string | number | boolean | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.filter((child): child is Node | string => Boolean(child)));
  return element;
}

/** A labelled form control: the label wraps it, so clicking the words focuses the control. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement): HTMLElement {
  return h("label", { class: "field" }, h("span", { class: "field-label" }, label), input);
}
