// dom.js: the only way the pages build elements. Text from users goes in as
// text (textContent, setAttribute on SVG), never as HTML: there is no
// innerHTML anywhere in web/.

// el('span', {class: 'name', text: user.display_name, title: '…', data: {id}}, children…)
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  return fill(node, props, children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// The same for SVG; other props become attributes (setAttribute escapes them).
export function svg(tag, props = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  return fill(node, props, children);
}

function fill(node, props, children) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'class') node.setAttribute('class', value);
    else if (key === 'data') for (const [k, v] of Object.entries(value)) node.dataset[k] = String(v);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

// Removes every child of node.
export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

// Sets a status line's text and its tone (info | error | ok).
export function say(node, text, tone = 'info') {
  node.textContent = text || '';
  node.dataset.tone = tone;
  node.hidden = !text;
}
