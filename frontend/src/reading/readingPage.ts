/** The reading page: claims the study, shows it in the viewer, records the read. (Being built.) */

export interface ReadingNavigation {
  /** Leave for the worklist. */
  toWorklist(): void;
  /** Leave for another study's reading page. */
  toStudy(studyInstanceUid: string): void;
}

/** Mount the page for one study into `root`; returns a function that unmounts it. */
export function mountReadingPage(
  root: HTMLElement,
  studyInstanceUid: string,
  nav: ReadingNavigation,
): () => void {
  root.textContent = `Study ${studyInstanceUid}`;
  void nav;
  return () => root.replaceChildren();
}
