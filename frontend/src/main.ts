import "./styles.css";
import { mountArchiveBrowser } from "./pages/archive/archiveBrowser";
import { mountHeader } from "./pages/header";

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html lacks #${id}`);
  return element;
}

mountHeader(byId("topbar"));
mountArchiveBrowser(byId("app"));
