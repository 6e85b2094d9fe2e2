/** Show an error message in an alert box, with a sign-in link when the session has ended. */

import { h } from "./dom";
import type { ErrorMessage } from "./messages";

export function showAlert(alert: HTMLElement, message: ErrorMessage): void {
  alert.replaceChildren(message.text);
  if (message.signIn) {
    const next = encodeURIComponent(window.location.pathname + window.location.search);
    alert.append(" ", h("a", { href: `/accounts/login/?next=${next}` }, "Sign in"));
  }
  alert.hidden = false;
}
