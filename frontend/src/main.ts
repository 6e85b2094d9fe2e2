import "./styles.css";
import { getMe } from "./api/me";
import { startRouter } from "./app/router";
import { mountHeader } from "./pages/header";

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html lacks #${id}`);
  return element;
}

const header = mountHeader(byId("topbar"));
// Which pages to offer depends on the roles; a failed /api/me (session ended) leaves none, and
// the start page, shown then, says how to sign in again.
getMe()
  .catch(() => null)
  .then((me) => {
    header.setUser(me);
    startRouter(byId("app"), header, me ?? { username: "", roles: [] });
  });
