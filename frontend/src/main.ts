import "./styles.css";
import { getMe } from "./api/me";
import { loadTasks } from "./api/tasks";
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
// The task registry names the classes the pages show; it loads alongside.
Promise.all([getMe().catch(() => null), loadTasks()]).then(([me]) => {
  header.setUser(me);
  startRouter(byId("app"), header, me ?? { username: "", roles: [] });
});
